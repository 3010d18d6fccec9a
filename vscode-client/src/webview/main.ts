/** The chat panel: renders conversations and streaming replies, talks to the extension by messages. */

import { DEFAULT_EFFORTS, type FromWebview, type ProfileChoice, type ToWebview } from "../messages";
import { formatUsage, statusAt } from "../format";
import type { ChatResult, ConversationInfo, ConversationSummary, MessageInfo } from "../protocol";
import { renderMarkdown } from "./render";

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface PendingTurn {
  turnId: string;
  prompt: string;
  conversationId: string | null;
  messageId: string | null;
  text: string;
  body: HTMLElement;
  container: HTMLElement;
  /** Started by a code action: a server command, which only its progress notification can cancel. */
  external: boolean;
}

interface SavedState {
  conversationId: string | null;
  draft: string;
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
  status: byId<HTMLElement>("status"),
  notes: byId<HTMLElement>("notes"),
  serverState: byId<HTMLElement>("server-state"),
  list: byId<HTMLUListElement>("conversation-list"),
  history: byId<HTMLDetailsElement>("history"),
  newButton: byId<HTMLButtonElement>("new"),
  exportButton: byId<HTMLButtonElement>("export"),
  deleteButton: byId<HTMLButtonElement>("delete"),
  profile: byId<HTMLSelectElement>("profile"),
  effort: byId<HTMLSelectElement>("effort"),
  effortLabel: byId<HTMLElement>("effort-label"),
};

const saved = (vscode.getState() ?? {}) as Partial<SavedState>;
let conversationId: string | null = saved.conversationId ?? null;
let pending: PendingTurn | null = null;
let profiles: ProfileChoice[] = [];
let turnCounter = 0;
let renderQueued = false;
let statusText = "";
let statusSince = 0;
let statusTimer: number | undefined;
ui.prompt.value = saved.draft ?? "";

function post(message: FromWebview): void {
  vscode.postMessage(message);
}

function saveState(): void {
  vscode.setState({ conversationId, draft: ui.prompt.value } satisfies SavedState);
}

// --- rendering ---------------------------------------------------------------------------------

/** Wrap each code block with Copy / Insert buttons that post the block's exact text. */
function decorateCodeBlocks(root: HTMLElement): void {
  for (const pre of Array.from(root.querySelectorAll("pre"))) {
    if (pre.parentElement?.classList.contains("code-block")) {
      continue;
    }
    const code = pre.querySelector("code");
    const wrapper = document.createElement("div");
    wrapper.className = "code-block";
    const bar = document.createElement("div");
    bar.className = "code-actions";
    const codeText = (): string => (code ?? pre).textContent?.replace(/\n$/, "") ?? "";
    for (const [label, type] of [["Copy", "copy"], ["Insert", "insert"]] as const) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `code-${type}`;
      button.textContent = label;
      button.title = type === "copy" ? "Copy to clipboard" : "Insert at the cursor";
      button.addEventListener("click", () => post({ type, code: codeText() }));
      bar.appendChild(button);
    }
    pre.replaceWith(wrapper);
    wrapper.append(bar, pre);
  }
}

function setMarkdown(element: HTMLElement, text: string): void {
  element.innerHTML = renderMarkdown(text); // sanitised by DOMPurify in renderMarkdown
  decorateCodeBlocks(element);
}

function messageElement(role: string, extraClass = ""): { container: HTMLElement; body: HTMLElement } {
  const container = document.createElement("article");
  container.className = `message ${role} ${extraClass}`.trim();
  const who = document.createElement("div");
  who.className = "role";
  who.textContent = role === "user" ? "You" : "ChatLS";
  const body = document.createElement("div");
  body.className = "body";
  container.append(who, body);
  ui.messages.appendChild(container);
  return { container, body };
}

function addUserMessage(text: string): void {
  const { body } = messageElement("user");
  body.textContent = text; // the user's own text, shown verbatim
}

function addFooter(container: HTMLElement, className: string, text: string): HTMLElement {
  const footer = document.createElement("div");
  footer.className = className;
  footer.textContent = text;
  container.appendChild(footer);
  return footer;
}

function addStoredMessage(message: MessageInfo): HTMLElement | null {
  if (message.role === "user") {
    addUserMessage(message.content);
    return null;
  }
  if (message.role !== "assistant") {
    return null;
  }
  const { container, body } = messageElement("assistant", `status-${message.status}`);
  setMarkdown(body, message.content);
  if (message.status === "cancelled") {
    addFooter(container, "tag", "Stopped");
  } else if (message.status === "error") {
    addFooter(container, "tag failed-tag", "Failed");
  } else if (message.status === "truncated") {
    addFooter(container, "tag", "Truncated");
  }
  if (message.usage) {
    addFooter(container, "usage", message.model ? `${message.model} · ${formatUsage(message.usage)}` : formatUsage(message.usage));
  }
  return container;
}

function scrollToEnd(): void {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function showConversation(conversation: ConversationInfo | null): void {
  if (pending) {
    return; // never drop a streaming turn; the list refresh after it ends brings the rest
  }
  ui.messages.replaceChildren();
  conversationId = conversation?.id ?? null;
  const messages = conversation?.messages ?? [];
  let last: HTMLElement | null = null;
  for (const message of messages) {
    last = addStoredMessage(message);
  }
  // the conversation ended in a failed reply (e.g. before a reload): it can still be retried
  const failed = messages.at(-1);
  const question = messages.at(-2);
  if (conversation && last && failed?.status === "error" && question?.role === "user") {
    const target: RetryTarget = { prompt: question.content, conversationId: conversation.id, messageId: failed.id };
    addRetryBox(last, "This reply failed.", () => retry(target));
  }
  updateButtons();
  saveState();
  scrollToEnd();
}

function showConversations(items: ConversationSummary[]): void {
  ui.list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    if (item.id === conversationId) {
      li.classList.add("current");
    }
    const open = document.createElement("button");
    open.type = "button";
    open.className = "open";
    open.textContent = item.title || "(untitled)";
    open.title = `${item.messageCount} messages, updated ${item.updatedAt}`;
    open.addEventListener("click", () => post({ type: "openConversation", conversationId: item.id }));
    li.appendChild(open);
    ui.list.appendChild(li);
  }
  if (items.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "No conversations yet";
    ui.list.appendChild(li);
  }
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
  ui.stop.disabled = pending?.external === true;
  ui.stop.title = pending?.external === true
    ? "A code action stops with Cancel on its progress notification"
    : "Stop the reply (what has arrived is kept)";
  ui.exportButton.disabled = conversationId === null || busy;
  ui.deleteButton.disabled = conversationId === null || busy;
  ui.newButton.disabled = busy;
}

// --- status line -------------------------------------------------------------------------------

function renderStatus(): void {
  ui.status.textContent = statusAt(statusText, (Date.now() - statusSince) / 1000);
}

function setStatus(text: string | null): void {
  statusText = text ?? "";
  statusSince = Date.now();
  ui.status.hidden = statusText === "";
  window.clearInterval(statusTimer);
  statusTimer = undefined;
  if (statusText) {
    renderStatus();
    statusTimer = window.setInterval(renderStatus, 1000);
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

/** Show a turn as running; a retry answers the question already shown, so no second user message. */
function startTurn(prompt: string, turnId: string, showPrompt = true, external = false): PendingTurn {
  // only the latest question's failed reply can be retried: older Retry buttons go
  for (const button of Array.from(ui.messages.querySelectorAll(".error .retry"))) {
    button.remove();
  }
  if (showPrompt) {
    addUserMessage(prompt);
  }
  const { container, body } = messageElement("assistant", "streaming");
  body.textContent = "";
  pending = { turnId, prompt, conversationId, messageId: null, text: "", body, container, external };
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
  const turn = startTurn(text, `turn-${Date.now()}-${turnCounter}`);
  postSend(turn, text, null);
}

/** Ask the failed reply's question again: same prompt, `retryOf` its id, so the server stores it once. */
/** What Retry needs: the question as stored and, when the server named it, the failed reply. */
interface RetryTarget {
  prompt: string;
  conversationId: string | null;
  messageId: string | null;
}

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
  const turn = startTurn(failed.prompt, `turn-${Date.now()}-${turnCounter}`, false);
  postSend(turn, failed.prompt, failed.messageId);
}

function postSend(turn: PendingTurn, prompt: string, retryOf: string | null): void {
  post({
    type: "send",
    turnId: turn.turnId,
    prompt,
    conversationId: turn.conversationId,
    profile: ui.profile.value || null,
    reasoningEffort: ui.effortLabel.hidden ? null : ui.effort.value || null,
    ...(retryOf === null ? {} : { retryOf }),
  });
}

function queueRender(): void {
  if (renderQueued) {
    return;
  }
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    if (pending) {
      setMarkdown(pending.body, pending.text);
      scrollToEnd();
    }
  });
}

function onDelta(delta: Extract<ToWebview, { type: "delta" }>): void {
  if (!pending) {
    return;
  }
  if (pending.conversationId !== null && pending.conversationId !== delta.conversationId) {
    return; // another conversation's stream (e.g. a second window's request)
  }
  if (pending.messageId !== null && pending.messageId !== delta.messageId) {
    return;
  }
  pending.conversationId = delta.conversationId;
  pending.messageId = delta.messageId;
  if (delta.content) {
    pending.text += delta.content;
    queueRender();
  }
  if (delta.status) {
    setStatus(delta.status);
  } else if (delta.content) {
    setStatus(null);
  }
}

function finishTurn(turnId: string): PendingTurn | null {
  if (!pending || pending.turnId !== turnId) {
    return null;
  }
  const turn = pending;
  pending = null;
  turn.container.classList.remove("streaming");
  setStatus(null);
  updateButtons();
  return turn;
}

function onDone(turnId: string, result: ChatResult, notes: string[]): void {
  const turn = finishTurn(turnId);
  if (!turn) {
    return;
  }
  conversationId = result.conversationId;
  setMarkdown(turn.body, result.content);
  addFooter(turn.container, "usage", `${result.model} · ${formatUsage(result.usage)}`);
  if (result.finishReason === "length") {
    addFooter(turn.container, "tag", "Truncated: the reply reached the token limit");
  }
  showNotes(notes);
  updateButtons();
  saveState();
  scrollToEnd();
}

function onCancelled(turnId: string): void {
  const turn = finishTurn(turnId);
  if (!turn) {
    return;
  }
  if (turn.conversationId) {
    conversationId = turn.conversationId;
  }
  setMarkdown(turn.body, turn.text);
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
  setMarkdown(turn.body, turn.text);
  turn.container.classList.add("failed");
  addRetryBox(turn.container, message, () => {
    addFooter(turn.container, "tag failed-tag", "Failed");
    retry(turn);
  });
  updateButtons();
  saveState();
  scrollToEnd();
}

/** The error under a reply, with a Retry button (one turn at a time: it does nothing while one runs). */
function addRetryBox(container: HTMLElement, message: string, onRetry: () => void): void {
  const box = document.createElement("div");
  box.className = "error";
  box.setAttribute("role", "alert");
  const text = document.createElement("span");
  text.className = "error-text";
  text.textContent = message;
  const retryButton = document.createElement("button");
  retryButton.type = "button";
  retryButton.className = "retry";
  retryButton.textContent = "Retry";
  retryButton.addEventListener("click", () => {
    if (pending) {
      return;
    }
    box.remove();
    onRetry();
  });
  box.append(text, retryButton);
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
ui.prompt.addEventListener("input", saveState);
ui.stop.addEventListener("click", () => {
  if (pending) {
    setStatus("stopping…");
    post({ type: "stop", turnId: pending.turnId });
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
});
ui.effort.addEventListener("change", () => post({ type: "selectEffort", reasoningEffort: ui.effort.value || null }));

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case "init":
      showProfiles(message.profiles, message.activeProfile, message.reasoningEffort);
      showConversation(message.conversation);
      showConversations(message.conversations);
      break;
    case "profiles":
      showProfiles(message.profiles, message.activeProfile, message.reasoningEffort);
      break;
    case "conversations":
      showConversations(message.conversations);
      break;
    case "conversation":
      ui.history.open = false;
      showConversation(message.conversation);
      break;
    case "turnStarted":
      if (!pending) {
        showConversation(null); // a code action starts its own conversation; its first delta names it
        startTurn(message.prompt, message.turnId, true, true);
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
  }
});

updateButtons();
post({ type: "ready" });
