/** The chat panel: renders conversations and streaming replies, talks to the extension by messages. */

import {
  type ContextChoice, DEFAULT_EFFORTS, type DraftRequest, type FromWebview, type PanelCommand, type ProfileChoice,
  type ToWebview,
} from "../messages";
import { formatUsage, statusAt } from "../format";
import type { ChatResult, Cited, ConversationInfo, MessageInfo } from "../protocol";
import { AgentSteps } from "./agentSteps";
import { InlineApprovals } from "./approvals";
import { BudgetLine } from "./budget";
import { showCitations } from "./citations";
import type { CodeAction } from "./codeBlocks";
import { ContextChips, droppedFiles } from "./contextChips";
import { ConversationList } from "./conversationList";
import { errorBox } from "./errorBox";
import { SetupPanel } from "./setupForm";
import { StreamingMarkdown } from "./stream";
import { ThinkingBlock } from "./thinking";

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** A reply on screen: its element, its answer text and (when the model reasoned) its Thinking block. */
interface ReplyView {
  container: HTMLElement;
  status: HTMLElement;
  answer: StreamingMarkdown;
  thinking: ThinkingBlock | null;
  /** An agent turn's tool steps (created by the first step). */
  steps: AgentSteps | null;
}

interface PendingTurn extends ReplyView {
  turnId: string;
  prompt: string;
  /** Deltas carrying this token are this turn's; null for a code action started by an older extension. */
  clientToken: string | null;
  conversationId: string | null;
  messageId: string | null;
  /** Started by a code action (the extension cancels its command on Stop). */
  external: boolean;
}

/** What Retry needs: the question as stored and, when the server named it, the failed reply. */
interface RetryTarget {
  prompt: string;
  conversationId: string | null;
  messageId: string | null;
}

interface SavedState {
  conversationId: string | null;
  draft: string;
  agent: boolean;
  chips: ContextChoice[];
}

const vscode = acquireVsCodeApi();

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) {
    throw new Error(`missing #${id}`);
  }
  return element as T;
}

const ui = {
  messages: byId<HTMLElement>("messages"),
  prompt: byId<HTMLTextAreaElement>("prompt"),
  send: byId<HTMLButtonElement>("send"),
  stop: byId<HTMLButtonElement>("stop"),
  notes: byId<HTMLElement>("notes"),
  serverState: byId<HTMLElement>("server-state"),
  history: byId<HTMLDetailsElement>("history"),
  newButton: byId<HTMLButtonElement>("new"),
  exportButton: byId<HTMLButtonElement>("export"),
  deleteButton: byId<HTMLButtonElement>("delete"),
  profile: byId<HTMLSelectElement>("profile"),
  effort: byId<HTMLSelectElement>("effort"),
  effortLabel: byId<HTMLElement>("effort-label"),
  composer: document.querySelector("footer.composer") as HTMLElement,
  agent: byId<HTMLInputElement>("agent"),
  chips: byId<HTMLElement>("chips"),
  contextPopup: byId<HTMLUListElement>("context-popup"),
  budget: byId<HTMLElement>("budget"),
};

const saved = (vscode.getState() ?? {}) as Partial<SavedState>;
let conversationId: string | null = saved.conversationId ?? null;
let pending: PendingTurn | null = null;
let profiles: ProfileChoice[] = [];
let turnCounter = 0;
let statusText = "";
let statusSince = 0;
let statusTimer: number | undefined;
ui.prompt.value = saved.draft ?? "";
ui.agent.checked = saved.agent ?? false;

function post(message: FromWebview): void {
  vscode.postMessage(message);
}

function saveState(): void {
  vscode.setState({ conversationId, draft: ui.prompt.value, agent: ui.agent.checked, chips: chips.saved } satisfies SavedState);
}

/** What a chat sent now would carry (the budget counts exactly this). */
function draft(prompt: string): DraftRequest {
  return {
    prompt,
    conversationId,
    profile: ui.profile.value || null,
    reasoningEffort: ui.effortLabel.hidden ? null : ui.effort.value || null,
    mode: ui.agent.checked ? "agent" : "chat",
    attachments: chips.items,
  };
}

const budget = new BudgetLine(ui.budget, (requestId) => post({ type: "budget", requestId, ...draft(ui.prompt.value) }));
const approvals = new InlineApprovals(post);

// created before the composer's key handler, so Enter in the # list picks instead of sending
const chips = new ContextChips(ui.prompt, ui.chips, ui.contextPopup, (query) => post({ type: "contextQuery", query }), () => {
  saveState();
  budget.changed();
});
chips.restore(saved.chips ?? []);

function onCode(action: CodeAction, code: string): void {
  post({ type: action, code });
}

function runCommand(command: PanelCommand): void {
  post({ type: "command", command });
}

const conversationList = new ConversationList(
  byId<HTMLUListElement>("conversation-list"),
  byId<HTMLInputElement>("conversation-search"),
  {
    open: (id) => post({ type: "openConversation", conversationId: id }),
    rename: (id, title) => post({ type: "renameConversation", conversationId: id, title }),
    remove: (id) => post({ type: "deleteConversation", conversationId: id }),
  },
);

const setup = new SetupPanel(byId<HTMLElement>("setup"), (form) => post({ type: "setup", form }));

// --- messages on screen ------------------------------------------------------------------------

/** Whether the view follows new text: true until the user scrolls up, again once they scroll back down. */
let following = true;
ui.messages.addEventListener("scroll", () => {
  const m = ui.messages;
  following = m.scrollHeight - m.scrollTop - m.clientHeight < 40;
}, { passive: true });

function scrollToEnd(): void {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function messageElement(role: string, extraClass = ""): { container: HTMLElement; body: HTMLElement; status: HTMLElement } {
  const container = document.createElement("article");
  container.className = `message ${role} ${extraClass}`.trim();
  const who = document.createElement("div");
  who.className = "role";
  who.textContent = role === "user" ? "You" : "ChatLS";
  const status = document.createElement("div");
  status.className = "turn-status";
  status.setAttribute("role", "status");
  status.hidden = true;
  const body = document.createElement("div");
  body.className = "body";
  container.append(who, status, body);
  ui.messages.appendChild(container);
  return { container, body, status };
}

function replyView(extraClass: string): ReplyView {
  const { container, body, status } = messageElement("assistant", extraClass);
  return { container, status, answer: new StreamingMarkdown(body, onCode), thinking: null, steps: null };
}

/** The question, with what was attached: the chips' labels while sending; stored, the server's labels of
 *  each attachment and the blocks sent. */
function addUserMessage(text: string, labels: readonly string[] = [], attachment: string | null = null): void {
  const { container, body } = messageElement("user");
  body.textContent = text; // the user's own text, shown verbatim
  if (labels.length > 0) {
    addFooter(container, "attached-labels", `Attached: ${labels.join(", ")}`);
  }
  if (attachment) {
    const details = document.createElement("details");
    details.className = "attached";
    const summary = document.createElement("summary");
    summary.textContent = "Attached context";
    const pre = document.createElement("pre");
    pre.textContent = attachment;
    details.append(summary, pre);
    container.appendChild(details);
  }
}

function addFooter(container: HTMLElement, className: string, text: string): HTMLElement {
  const footer = document.createElement("div");
  footer.className = className;
  footer.textContent = text;
  container.appendChild(footer);
  return footer;
}

const STATUS_TAGS: Record<string, [string, string]> = {
  cancelled: ["tag", "Stopped"],
  error: ["tag failed-tag", "Failed"],
  truncated: ["tag", "Truncated"],
  interrupted: ["tag interrupted-tag", "Interrupted: the server stopped before the reply was complete"],
};

function addStoredMessage(message: MessageInfo): HTMLElement | null {
  if (message.role === "user") {
    const labels = (message.attachments ?? []).map((attached) => attached.label);
    addUserMessage(message.content, labels, message.attachment ?? null);
    return null;
  }
  if (message.role !== "assistant") {
    return null;
  }
  const view = replyView(`status-${message.status}`);
  if (message.reasoning) {
    view.thinking = ThinkingBlock.stored(view.answer.root, message.reasoning, onCode);
  }
  if (message.steps && message.steps.length > 0) {
    view.steps = AgentSteps.stored(view.container, view.answer.root, message.steps);
  }
  view.answer.append(message.content);
  view.answer.finish();
  showCitations(view.container, (message as Cited<MessageInfo>).citations);
  const tag = STATUS_TAGS[message.status];
  if (tag) {
    addFooter(view.container, tag[0], tag[1]);
  }
  if (message.usage) {
    addFooter(view.container, "usage", message.model ? `${message.model} · ${formatUsage(message.usage)}` : formatUsage(message.usage));
  }
  return view.container;
}

function showConversation(conversation: ConversationInfo | null): void {
  if (pending) {
    return; // never drop a streaming turn; the list refresh after it ends brings the rest
  }
  ui.messages.replaceChildren();
  conversationId = conversation?.id ?? null;
  conversationList.setCurrent(conversationId);
  const messages = conversation?.messages ?? [];
  let last: HTMLElement | null = null;
  for (const message of messages) {
    last = addStoredMessage(message);
  }
  // the conversation ended in a failed or interrupted reply (e.g. before a reload): it can still be retried
  const failed = messages.at(-1);
  const question = messages.at(-2);
  if (conversation && last && failed && (failed.status === "error" || failed.status === "interrupted")
      && question?.role === "user") {
    const target: RetryTarget = { prompt: question.content, conversationId: conversation.id, messageId: failed.id };
    const message = failed.status === "error" ? "This reply failed." : "This reply was interrupted.";
    addRetryBox(last, message, target);
  }
  updateButtons();
  saveState();
  scrollToEnd();
  budget.changed(); // the history counted is this conversation's
}

function showProfiles(choices: ProfileChoice[], active: string | null, effort: string | null): void {
  profiles = choices;
  ui.profile.replaceChildren();
  for (const choice of choices) {
    const option = document.createElement("option");
    option.value = choice.name;
    option.textContent = choice.model ? `${choice.name} (${choice.model})` : choice.name;
    ui.profile.appendChild(option);
  }
  if (active && choices.some((c) => c.name === active)) {
    ui.profile.value = active;
  }
  ui.profile.disabled = choices.length === 0;
  showEffortPicker(effort);
  // first run: no profile at all -> the guided set-up instead of an empty panel
  const firstRun = choices.length === 0;
  setup.show(firstRun);
  ui.composer.hidden = firstRun;
  document.body.classList.toggle("first-run", firstRun);
}

function selectedProfile(): ProfileChoice | undefined {
  return profiles.find((p) => p.name === ui.profile.value);
}

function showEffortPicker(effort: string | null): void {
  const profile = selectedProfile();
  const reasoning = profile?.reasoning === true;
  ui.effortLabel.hidden = !reasoning;
  ui.effort.replaceChildren();
  if (!reasoning || !profile) {
    return;
  }
  const values = profile.reasoningEfforts.length > 0 ? profile.reasoningEfforts : DEFAULT_EFFORTS;
  for (const value of ["", ...values]) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = value === "" ? "profile default" : value;
    ui.effort.appendChild(option);
  }
  ui.effort.value = effort && values.includes(effort) ? effort : "";
}

function updateButtons(): void {
  const busy = pending !== null;
  ui.send.hidden = busy;
  ui.stop.hidden = !busy;
  ui.stop.disabled = false;
  ui.stop.title = "Stop the reply (what has arrived is kept)";
  ui.exportButton.disabled = conversationId === null || busy;
  ui.deleteButton.disabled = conversationId === null || busy;
  ui.newButton.disabled = busy;
}

// --- the running turn's status, shown on its own message ---------------------------------------

function renderStatus(): void {
  if (pending) {
    pending.status.textContent = statusAt(statusText, (Date.now() - statusSince) / 1000);
  }
}

function setStatus(text: string | null): void {
  statusText = text ?? "";
  statusSince = Date.now();
  window.clearInterval(statusTimer);
  statusTimer = undefined;
  if (!pending) {
    return;
  }
  pending.status.hidden = statusText === "";
  if (statusText) {
    renderStatus();
    statusTimer = window.setInterval(renderStatus, 1000);
  } else {
    pending.status.textContent = "";
  }
}

function showNotes(notes: string[]): void {
  if (notes.length === 0) {
    return;
  }
  ui.notes.hidden = false;
  for (const note of notes) {
    const line = document.createElement("div");
    line.className = "note";
    line.textContent = note;
    ui.notes.appendChild(line);
  }
}

// --- turns -------------------------------------------------------------------------------------

function newToken(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return `panel-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Show a turn as running; a retry answers the question already shown, so no second user message. */
function startTurn(
  prompt: string, turnId: string, clientToken: string | null, showPrompt = true, external = false, labels: readonly string[] = [],
): PendingTurn {
  // only the latest question's failed reply can be retried: older Retry buttons go
  for (const button of Array.from(ui.messages.querySelectorAll(".error .retry"))) {
    button.remove();
  }
  if (showPrompt) {
    addUserMessage(prompt, labels);
  }
  const view = replyView("streaming");
  pending = { ...view, turnId, prompt, clientToken, conversationId, messageId: null, external };
  setStatus("waiting for the model…");
  updateButtons();
  scrollToEnd();
  return pending;
}

function send(prompt: string): void {
  const text = prompt.trim();
  if (!text || pending) {
    return;
  }
  turnCounter += 1;
  const turn = startTurn(text, `turn-${Date.now()}-${turnCounter}`, newToken(), true, false, chips.labels);
  postSend(turn, text, null);
  chips.clear(); // sent with this question; the next starts without
}

/** Ask the failed reply's question again (`retryOf` its id, so the server stores the question once). */
function retry(failed: RetryTarget): void {
  if (pending) {
    return;
  }
  if (failed.messageId === null || failed.conversationId === null) {
    send(failed.prompt); // the server never said which reply failed: all we can do is ask again
    return;
  }
  conversationId = failed.conversationId;
  turnCounter += 1;
  const turn = startTurn(failed.prompt, `turn-${Date.now()}-${turnCounter}`, newToken(), false);
  postSend(turn, failed.prompt, failed.messageId);
}

function postSend(turn: PendingTurn, prompt: string, retryOf: string | null): void {
  const { mode, attachments, ...request } = draft(prompt);
  post({
    type: "send",
    turnId: turn.turnId,
    ...request,
    conversationId: turn.conversationId,
    clientToken: turn.clientToken ?? newToken(),
    ...(mode === "agent" ? { mode } : {}),
    // a retry resends what the stored question had attached (the server keeps it)
    ...(retryOf === null ? (attachments.length > 0 ? { attachments } : {}) : { retryOf }),
  });
}

/** Whether a delta belongs to the running turn: by its client token, else (older servers) by its ids. */
function adopts(turn: PendingTurn, delta: Extract<ToWebview, { type: "delta" }>): boolean {
  if (delta.clientToken) {
    return delta.clientToken === turn.clientToken;
  }
  if (turn.conversationId !== null && turn.conversationId !== delta.conversationId) {
    return false; // another conversation's stream (e.g. a second window's request)
  }
  return turn.messageId === null || turn.messageId === delta.messageId;
}

function onDelta(delta: Extract<ToWebview, { type: "delta" }>): void {
  if (!pending || !adopts(pending, delta)) {
    return;
  }
  pending.conversationId = delta.conversationId;
  pending.messageId = delta.messageId;
  if (delta.reasoning) {
    pending.thinking ??= new ThinkingBlock(pending.answer.root, onCode, true);
    pending.thinking.append(delta.reasoning);
  }
  if (delta.step) {
    pending.steps ??= new AgentSteps(pending.container, pending.answer.root);
    pending.steps.update(delta.step);
  }
  if (delta.citations) {
    showCitations(pending.container, delta.citations);
  }
  if (delta.content) {
    pending.thinking?.fold();
    pending.answer.append(delta.content);
  }
  if (delta.status) {
    setStatus(delta.status);
  } else if (delta.content || delta.reasoning || delta.step) {
    setStatus(delta.step?.phase === "started" ? `${delta.step.name}…` : null);
  }
  followTail();
}

let followQueued = false;

/** Keep the newest text in view, once per frame (after the renderer's work of that frame). */
function followTail(): void {
  if (followQueued) {
    return;
  }
  followQueued = true;
  requestAnimationFrame(() => requestAnimationFrame(() => {
    followQueued = false;
    if (following) {
      scrollToEnd();
    }
  }));
}

function finishTurn(turnId: string): PendingTurn | null {
  if (!pending || pending.turnId !== turnId) {
    return null;
  }
  const turn = pending;
  setStatus(null);
  pending = null;
  turn.status.hidden = true;
  turn.container.classList.remove("streaming");
  turn.thinking?.fold();
  turn.steps?.settle();
  updateButtons();
  budget.changed(); // the history now holds this turn
  return turn;
}

function onDone(turnId: string, result: Cited<ChatResult>, notes: string[]): void {
  const turn = finishTurn(turnId);
  if (!turn) {
    return;
  }
  conversationId = result.conversationId;
  if (result.reasoning && !turn.thinking) {
    turn.thinking = ThinkingBlock.stored(turn.answer.root, result.reasoning, onCode);
  }
  turn.answer.finish(result.content);
  addFooter(turn.container, "usage", `${result.model} · ${formatUsage(result.usage)}`);
  showCitations(turn.container, result.citations);
  const stop = result.stopReason ?? (result.finishReason === "length" ? "truncated" : "complete");
  if (stop === "truncated") {
    addFooter(turn.container, "tag", "Truncated: the reply reached the token limit");
  }
  showNotes(notes);
  updateButtons();
  saveState();
  followTail();
}

function onCancelled(turnId: string): void {
  const turn = finishTurn(turnId);
  if (!turn) {
    return;
  }
  if (turn.conversationId) {
    conversationId = turn.conversationId;
  }
  turn.answer.finish();
  addFooter(turn.container, "tag", "Stopped");
  updateButtons();
  saveState();
}

function onError(turnId: string, message: string): void {
  const turn = finishTurn(turnId);
  if (!turn) {
    return;
  }
  if (turn.conversationId) {
    conversationId = turn.conversationId;
  }
  turn.answer.finish();
  turn.container.classList.add("failed");
  addRetryBox(turn.container, message, turn);
  updateButtons();
  saveState();
  followTail();
}

/**
 * The error under a reply, with Retry and the actions its text names. A retry replaces the failed reply
 * (the server answers the same question again), so the failed one leaves no stub behind.
 */
function addRetryBox(container: HTMLElement, message: string, target: RetryTarget): void {
  const box = errorBox({
    message,
    onRetry: () => {
      if (pending) {
        return;
      }
      const hasText = (container.querySelector(".body")?.textContent ?? "").trim() !== "";
      if (target.messageId !== null && target.conversationId !== null && !hasText) {
        container.remove(); // the retry answers in its place
      } else {
        box.remove();
        addFooter(container, "tag failed-tag", "Failed");
      }
      retry(target);
    },
    onCommand: runCommand,
  });
  container.appendChild(box);
}

// --- wiring ------------------------------------------------------------------------------------

ui.send.addEventListener("click", () => {
  const text = ui.prompt.value;
  if (text.trim() && !pending) {
    ui.prompt.value = "";
    saveState();
    send(text);
  }
});
ui.prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.send.click();
  }
});
ui.prompt.addEventListener("input", () => {
  saveState();
  budget.changed();
});
ui.agent.addEventListener("change", () => {
  saveState();
  budget.changed();
});
// a file dragged from the explorer (VS Code needs Shift held to drop into a view) becomes a file chip
document.addEventListener("dragover", (event) => {
  event.preventDefault();
  document.body.classList.add("drop-target");
});
document.addEventListener("dragleave", () => document.body.classList.remove("drop-target"));
document.addEventListener("drop", (event) => {
  event.preventDefault();
  document.body.classList.remove("drop-target");
  if (event.dataTransfer) {
    for (const choice of droppedFiles(event.dataTransfer)) {
      chips.add(choice);
    }
  }
});
// Stop posts at once: its handler does no rendering, and rendering yields every frame, so it never waits.
ui.stop.addEventListener("click", () => {
  if (pending) {
    post({ type: "stop", turnId: pending.turnId });
    setStatus("stopping…");
  }
});
ui.newButton.addEventListener("click", () => {
  showConversation(null);
  ui.history.open = false;
  post({ type: "newConversation" });
  ui.prompt.focus();
});
ui.exportButton.addEventListener("click", () => {
  if (conversationId) {
    post({ type: "exportConversation", conversationId });
  }
});
ui.deleteButton.addEventListener("click", () => {
  if (conversationId) {
    post({ type: "deleteConversation", conversationId });
  }
});
ui.profile.addEventListener("change", () => {
  showEffortPicker(null);
  post({ type: "selectProfile", profile: ui.profile.value });
  budget.changed();
});
ui.effort.addEventListener("change", () => post({ type: "selectEffort", reasoningEffort: ui.effort.value || null }));

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case "init":
      showProfiles(message.profiles, message.activeProfile, message.reasoningEffort);
      showConversation(message.conversation);
      conversationList.show(message.conversations, conversationId);
      break;
    case "profiles":
      showProfiles(message.profiles, message.activeProfile, message.reasoningEffort);
      break;
    case "conversations":
      conversationList.show(message.conversations, conversationId);
      break;
    case "conversation":
      ui.history.open = false;
      showConversation(message.conversation);
      break;
    case "turnStarted":
      if (!pending) {
        showConversation(null); // a code action starts its own conversation; its deltas carry its token
        startTurn(message.prompt, message.turnId, message.clientToken ?? null, true, true);
      }
      break;
    case "delta":
      onDelta(message);
      break;
    case "turnDone":
      onDone(message.turnId, message.result, message.notes);
      break;
    case "turnEnded":
      if (finishTurn(message.turnId) && message.conversation) {
        showConversation(message.conversation);
      }
      break;
    case "turnCancelled":
      onCancelled(message.turnId);
      break;
    case "turnError":
      onError(message.turnId, message.message);
      break;
    case "serverState":
      ui.serverState.hidden = message.state === "running";
      ui.serverState.textContent = message.message ?? `Server ${message.state}`;
      ui.serverState.className = `server-state ${message.state}`;
      break;
    case "setupResult":
      setup.result(message.ok, message.message);
      break;
    case "contextChoices":
      chips.showChoices(message.query, message.choices);
      break;
    case "budget":
      budget.show(message.requestId, message.budget, message.error);
      break;
    case "approval":
      if (pending?.turnId === message.turnId) {
        pending.steps ??= new AgentSteps(pending.container, pending.answer.root);
        approvals.show(message.id, message.approval, pending.steps);
        setStatus("waiting for your approval");
      } else {
        approvals.refuse(message.id);
      }
      break;
    case "approvalSettled":
      approvals.settled(message.id, message.outcome);
      break;
  }
});

updateButtons();
post({ type: "ready" });
