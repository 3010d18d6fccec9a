/** The side-panel chat: a WebviewView that relays between the webview and the server. */

import * as vscode from "vscode";
import { type AgentApproval, answerFor, type MessageAction, type MessageRequest } from "./approvals";
import { contextChoices, withEditorState } from "./contextItems";
import { unseenNotes } from "./format";
import type { ApprovalOutcome, DraftRequest, FromWebview, PanelCommand, ProfileChoice, SetupForm, ToWebview } from "./messages";
import { activeProfile, choicesFromModels, choicesFromSettings } from "./models";
import * as P from "./protocol";
import { type ChatLSServer, errorMessage } from "./server";
import { ApiKeys } from "./secrets";
import { profilesFromSetting, type ProfileSetting } from "./settings";
import { makeNonce, renderWebviewHtml } from "./webviewHtml";

export const VIEW_ID = "chatls.chatView";
const CONVERSATION_KEY = "chatls.conversationId";
const PROFILE_KEY = "chatls.activeProfile";
const EFFORT_KEY = "chatls.reasoningEffort";
const SEEN_NOTES_KEY = "chatls.seenAdaptations";
/** What an error box's buttons run. */
const PANEL_COMMANDS: Record<PanelCommand, readonly [string, ...unknown[]]> = {
  openSettings: ["workbench.action.openSettings", "chatls"],
  setApiKey: ["chatls.client.setApiKey"],
  setupServer: ["chatls.client.setupServer"],
  showLog: ["chatls.client.showLog"],
};
const TURN_MESSAGES: ReadonlySet<ToWebview["type"]> = new Set([
  "turnStarted", "delta", "turnDone", "turnEnded", "turnCancelled", "turnError",
]);

/** An approval shown in the panel, waiting for its answer. */
interface InlineApproval {
  turnId: string;
  request: MessageRequest;
  resolve: (answer: MessageAction | null) => void;
  /** Ask with a notification instead (the panel went away); set once that is under way. */
  native: () => Promise<MessageAction | null>;
  escalated: boolean;
}

export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private queue: ToWebview[] = [];
  private readonly turns = new Map<string, vscode.CancellationTokenSource>();
  /** The panel's running agent turns, latest last: where the agent's approvals are shown. */
  private readonly agentTurns = new Set<string>();
  private readonly approvals = new Map<number, InlineApproval>();
  private approvalCount = 0;
  private profiles: ProfileChoice[] = [];
  private externalTurn = 0;
  private handling: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly profileEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeProfile = this.profileEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly server: ChatLSServer,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      server.onDelta((delta) => this.post({ type: "delta", ...delta })),
      server.onDidChangeState(({ state, message }) => {
        this.post({ type: "serverState", state, message });
        if (state === "running") {
          void this.refreshProfiles();
        }
      }),
    );
  }

  // --- state kept per workspace ----------------------------------------------------------------
  private get conversationId(): string | undefined {
    return this.context.workspaceState.get<string>(CONVERSATION_KEY);
  }

  private async setConversationId(id: string | null): Promise<void> {
    await this.context.workspaceState.update(CONVERSATION_KEY, id ?? undefined);
  }

  get activeProfileName(): string | null {
    const defaultProfile = vscode.workspace.getConfiguration("chatls").get<string>("defaultProfile", "");
    return activeProfile(this.profiles, this.context.workspaceState.get<string>(PROFILE_KEY), defaultProfile);
  }

  get activeChoice(): ProfileChoice | undefined {
    return this.profiles.find((p) => p.name === this.activeProfileName);
  }

  get profileChoices(): readonly ProfileChoice[] {
    return this.profiles;
  }

  /**
   * Make `name` the active profile; its own reasoning effort applies until one is picked. The panel already
   * shows a choice it made itself, so it is only told about choices made elsewhere (the status bar):
   * echoing one back could undo an effort picked in the meantime.
   */
  async selectProfile(name: string, fromPanel = false): Promise<void> {
    await this.context.workspaceState.update(PROFILE_KEY, name);
    await this.context.workspaceState.update(EFFORT_KEY, undefined);
    if (!fromPanel) {
      this.postProfiles();
    }
    this.profileEmitter.fire();
  }

  /** A new `chatls.defaultProfile` is the user's latest word: it replaces the profile picked in the panel. */
  async forgetPickedProfile(): Promise<void> {
    await this.context.workspaceState.update(PROFILE_KEY, undefined);
  }

  private get reasoningEffort(): string | null {
    return this.context.workspaceState.get<string>(EFFORT_KEY) ?? null;
  }

  private workspaceUri(): string | null {
    const editor = vscode.window.activeTextEditor;
    const folder = (editor && vscode.workspace.getWorkspaceFolder(editor.document.uri))
      ?? vscode.workspace.workspaceFolders?.[0];
    return folder?.uri.toString() ?? null;
  }

  // --- webview plumbing ------------------------------------------------------------------------
  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const root = this.context.extensionUri;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(root, "dist"), vscode.Uri.joinPath(root, "media")],
    };
    view.webview.html = renderWebviewHtml({
      cspSource: view.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(root, "dist", "webview.js")).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(root, "media", "chat.css")).toString(),
    });
    view.webview.onDidReceiveMessage((message: FromWebview) => {
      const report = (error: unknown): void => this.log.error(`chat panel: ${errorMessage(error)}`);
      if (message.type === "approvalAnswer") {
        this.answerApproval(message.id, message.allow, message.shown);
      } else if (message.type === "send" || message.type === "stop" || message.type === "setup"
          || message.type === "budget" || message.type === "contextQuery") {
        this.handle(message).catch(report); // a turn runs for long; Stop must not wait behind anything
      } else {
        // picker changes and the like are applied in the order the user made them
        this.handling = this.handling.then(() => this.handle(message)).catch(report);
      }
    }, undefined, this.disposables);
    view.onDidChangeVisibility(() => {
      if (!view.visible) {
        this.escalateApprovals(); // nobody sees them there now
      }
    }, undefined, this.disposables);
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
      this.escalateApprovals();
    }, undefined, this.disposables);
  }

  private post(message: ToWebview): void {
    if (this.view && this.ready) {
      void this.view.webview.postMessage(message);
    } else if (message.type !== "serverState" && message.type !== "delta") {
      this.queue.push(message);
    } else if (message.type === "delta" && this.queue.some((m) => m.type === "turnStarted")) {
      this.queue.push(message); // a code-action turn is waiting for the panel to open
    }
  }

  /** Open the panel. */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case "ready":
        await this.sendInit();
        return;
      case "send":
        await this.chat(message);
        return;
      case "stop":
        this.turns.get(message.turnId)?.cancel();
        return;
      case "copy":
        await vscode.env.clipboard.writeText(message.code);
        vscode.window.setStatusBarMessage("ChatLS: code copied", 2000);
        return;
      case "insert":
        await insertAtCursor(message.code);
        return;
      case "apply":
        await applyToSelection(message.code);
        return;
      case "command": {
        const [command, ...args] = PANEL_COMMANDS[message.command];
        await vscode.commands.executeCommand(command, ...args);
        return;
      }
      case "renameConversation":
        await this.renameConversation(message.conversationId, message.title);
        return;
      case "setup":
        await this.setUp(message.form);
        return;
      case "newConversation":
        await this.setConversationId(null);
        await this.refreshConversations();
        return;
      case "openConversation":
        await this.openConversation(message.conversationId);
        return;
      case "deleteConversation":
        await this.deleteConversation(message.conversationId);
        return;
      case "exportConversation":
        await this.exportConversation(message.conversationId);
        return;
      case "selectProfile":
        await this.selectProfile(message.profile, true);
        return;
      case "selectEffort":
        await this.context.workspaceState.update(EFFORT_KEY, message.reasoningEffort ?? undefined);
        return;
      case "contextQuery":
        this.post({ type: "contextChoices", query: message.query, choices: await contextChoices(message.query) });
        return;
      case "budget":
        await this.budget(message);
        return;
      case "approvalAnswer":
        return; // answered at once in onDidReceiveMessage
    }
  }

  // --- the agent's approvals, inline -----------------------------------------------------------
  /**
   * Ask `approval` in the panel when it is visible and running an agent turn (the one that asks: the panel
   * runs one turn at a time); undefined when it cannot show it, so the caller asks with a notification.
   */
  askInline(request: MessageRequest, approval: AgentApproval, native: () => Promise<MessageAction | null>):
    Promise<MessageAction | null> | undefined {
    const turnId = [...this.agentTurns].at(-1);
    if (!turnId || !this.view?.visible || !this.ready) {
      return undefined;
    }
    this.approvalCount += 1;
    const id = this.approvalCount;
    return new Promise((resolve) => {
      this.approvals.set(id, { turnId, request, resolve, native, escalated: false });
      this.post({ type: "approval", id, turnId, approval });
    });
  }

  private answerApproval(id: number, allow: boolean | null, shown: boolean): void {
    const pending = this.approvals.get(id);
    if (!pending) {
      return;
    }
    if (!shown) {
      this.escalate(id, pending);
      return;
    }
    this.approvals.delete(id);
    pending.resolve(answerFor(pending.request, allow));
  }

  /** The panel cannot show approvals any more: ask each with a notification; the first answer counts. */
  private escalateApprovals(): void {
    for (const [id, pending] of this.approvals) {
      this.escalate(id, pending);
    }
  }

  private escalate(id: number, pending: InlineApproval): void {
    if (pending.escalated) {
      return;
    }
    pending.escalated = true;
    void pending.native().then((answer) => {
      if (this.approvals.get(id) !== pending) {
        return; // answered in the panel meanwhile
      }
      this.approvals.delete(id);
      pending.resolve(answer);
      const actions = pending.request.actions ?? [];
      const outcome: ApprovalOutcome = answer === null ? "unanswered"
        : answer.title === actions[0]?.title ? "allowed" : "denied";
      this.post({ type: "approvalSettled", id, outcome });
    });
  }

  /** A turn ended: its approvals still open went unanswered (the server stopped waiting for them). */
  private settleApprovals(turnId: string): void {
    for (const [id, pending] of this.approvals) {
      if (pending.turnId === turnId) {
        this.approvals.delete(id);
        pending.resolve(null);
        this.post({ type: "approvalSettled", id, outcome: "unanswered" });
      }
    }
  }

  private async sendInit(): Promise<void> {
    await this.loadProfiles();
    let conversations: P.ConversationSummary[] = [];
    let conversation: P.ConversationInfo | null = null;
    try {
      conversations = await this.listConversations();
      const wanted = this.conversationId ?? conversations[0]?.id;
      if (wanted) {
        conversation = await this.server.request<P.ConversationInfo>(P.CONVERSATION, { conversationId: wanted });
      }
    } catch (error) {
      this.log.warn(`restoring the conversation: ${errorMessage(error)}`);
    }
    await this.setConversationId(conversation?.id ?? null);
    const init: ToWebview = {
      type: "init",
      profiles: this.profiles,
      activeProfile: this.activeProfileName,
      reasoningEffort: this.reasoningEffort,
      conversations,
      conversation,
    };
    if (this.view) {
      this.ready = true;
      await this.view.webview.postMessage(init);
      await this.view.webview.postMessage({ type: "serverState", state: this.server.state, message: this.server.stateMessage } satisfies ToWebview);
      // init carries fresh lists; only the turns that ran while the panel was closed still matter
      for (const queued of this.queue.splice(0).filter((m) => TURN_MESSAGES.has(m.type))) {
        await this.view.webview.postMessage(queued);
      }
    }
  }

  private async loadProfiles(): Promise<void> {
    try {
      this.profiles = choicesFromModels(await this.server.request<unknown>(P.MODELS, { workspaceUri: this.workspaceUri() }));
    } catch (error) {
      this.log.warn(`chatls/models: ${errorMessage(error)}`);
      this.profiles = [];
    }
    if (this.profiles.length === 0) {
      this.profiles = choicesFromSettings(profilesFromSetting(vscode.workspace.getConfiguration("chatls").get("profiles")));
    }
  }

  private postProfiles(): void {
    this.post({ type: "profiles", profiles: this.profiles, activeProfile: this.activeProfileName, reasoningEffort: this.reasoningEffort });
  }

  async refreshProfiles(): Promise<void> {
    await this.loadProfiles();
    this.postProfiles();
    this.profileEmitter.fire();
  }

  private async listConversations(): Promise<P.ConversationSummary[]> {
    const params: P.ConversationsParams = { workspaceUri: this.workspaceUri() };
    return this.server.request<P.ConversationSummary[]>(P.CONVERSATIONS, params);
  }

  private async refreshConversations(): Promise<void> {
    try {
      this.post({ type: "conversations", conversations: await this.listConversations() });
    } catch (error) {
      this.log.warn(`chatls/conversations: ${errorMessage(error)}`);
    }
  }

  private async openConversation(conversationId: string): Promise<void> {
    try {
      const conversation = await this.server.request<P.ConversationInfo>(P.CONVERSATION, { conversationId });
      await this.setConversationId(conversation.id);
      this.post({ type: "conversation", conversation });
      await this.refreshConversations();
    } catch (error) {
      void vscode.window.showErrorMessage(`ChatLS: could not open the conversation: ${errorMessage(error)}`);
    }
  }

  private async renameConversation(conversationId: string, title: string): Promise<void> {
    try {
      const params: P.RenameConversationParams = { conversationId, title };
      await this.server.request<unknown>(P.RENAME_CONVERSATION, params);
    } catch (error) {
      void vscode.window.showErrorMessage(`ChatLS: could not rename the conversation: ${errorMessage(error)}`);
    }
    await this.refreshConversations();
  }

  /**
   * The panel's first-run form: the key into SecretStorage (keyed by profile), then the profile into the user's
   * settings and made the default. Changing `chatls.profiles` restarts the server, which then has both.
   */
  private async setUp(form: SetupForm): Promise<void> {
    const config = vscode.workspace.getConfiguration("chatls");
    const existing = profilesFromSetting(config.get("profiles"));
    if (existing.some((p) => p.name === form.name)) {
      this.post({ type: "setupResult", ok: false, message: `A profile named '${form.name}' already exists: pick another name.` });
      return;
    }
    const profile: ProfileSetting = { name: form.name, endpoint: form.endpoint, deployment: form.deployment, auth: form.auth };
    try {
      if (form.auth === "apiKey" && form.apiKey) {
        await new ApiKeys(this.context.secrets).set(form.name, form.apiKey);
      }
      await config.update("profiles", [...existing, profile], vscode.ConfigurationTarget.Global);
      await config.update("defaultProfile", form.name, vscode.ConfigurationTarget.Global);
      this.post({ type: "setupResult", ok: true, message: `Profile '${form.name}' saved. Starting the server with it…` });
    } catch (error) {
      this.post({ type: "setupResult", ok: false, message: `Could not save the settings: ${errorMessage(error)}` });
    }
  }

  private async deleteConversation(conversationId: string): Promise<void> {
    const answer = await vscode.window.showWarningMessage(
      "Delete this conversation? This cannot be undone.", { modal: true }, "Delete");
    if (answer !== "Delete") {
      return;
    }
    try {
      await this.server.request<P.DeleteConversationResult>(P.DELETE_CONVERSATION, { conversationId });
      if (this.conversationId === conversationId) {
        await this.setConversationId(null);
        this.post({ type: "conversation", conversation: null });
      }
      await this.refreshConversations();
    } catch (error) {
      void vscode.window.showErrorMessage(`ChatLS: could not delete the conversation: ${errorMessage(error)}`);
    }
  }

  private async exportConversation(conversationId: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, `conversation-${conversationId.slice(0, 8)}.md`) : undefined,
      filters: { Markdown: ["md"] },
      saveLabel: "Export",
    });
    if (!target) {
      return;
    }
    try {
      const args: P.ExportConversationArgs = { conversationId, path: target.fsPath };
      await this.server.executeServerCommand<unknown>(P.CMD_EXPORT_CONVERSATION, [args]);
      await vscode.window.showTextDocument(target, { preview: false });
    } catch (error) {
      void vscode.window.showErrorMessage(`ChatLS: export failed: ${errorMessage(error)}`);
    }
  }

  // --- chat turns ------------------------------------------------------------------------------
  private async chat(message: Extract<FromWebview, { type: "send" }>): Promise<void> {
    const source = new vscode.CancellationTokenSource();
    this.turns.set(message.turnId, source);
    if (message.mode === "agent") {
      this.agentTurns.add(message.turnId);
    }
    const params: P.ChatParams = { ...this.chatParams(message), clientToken: message.clientToken };
    if (message.retryOf && message.conversationId) {
      params.retryOf = message.retryOf;
      params.prompt = await this.storedQuestion(message.conversationId) ?? message.prompt;
    }
    try {
      // cancelling the token makes vscode-languageclient send $/cancelRequest
      const result = await this.server.request<P.ChatResult>(P.CHAT, params, source.token);
      await this.setConversationId(result.conversationId);
      this.post({ type: "turnDone", turnId: message.turnId, result, notes: await this.freshNotes(result.adaptations) });
    } catch (error) {
      if (P.isCancelledError(error) || source.token.isCancellationRequested) {
        this.post({ type: "turnCancelled", turnId: message.turnId });
      } else {
        this.post({ type: "turnError", turnId: message.turnId, message: errorMessage(error) });
      }
    } finally {
      this.turns.delete(message.turnId);
      this.agentTurns.delete(message.turnId);
      this.settleApprovals(message.turnId);
      source.dispose();
    }
    await this.refreshConversations();
  }

  /** The params of a chat (or of its budget) as the panel drafted it. */
  private chatParams(draft: Partial<DraftRequest> & { prompt: string; conversationId: string | null }): P.ChatParams {
    const params: P.ChatParams = {
      prompt: draft.prompt,
      conversationId: draft.conversationId,
      workspaceUri: this.workspaceUri(),
      profile: draft.profile ?? this.activeProfileName,
    };
    if (draft.reasoningEffort) {
      params.reasoningEffort = draft.reasoningEffort;
    }
    if (draft.mode === "agent") {
      params.mode = "agent";
    }
    if (draft.attachments && draft.attachments.length > 0) {
      params.attachments = withEditorState(draft.attachments);
    }
    return params;
  }

  /** `chatls/budget` for the panel's draft; a failure hides the line (the chat itself says what is wrong). */
  private async budget(message: Extract<FromWebview, { type: "budget" }>): Promise<void> {
    try {
      const budget = await this.server.request<P.BudgetResult>(P.BUDGET, this.chatParams(message));
      this.post({ type: "budget", requestId: message.requestId, budget });
    } catch (error) {
      this.post({ type: "budget", requestId: message.requestId, budget: null, error: errorMessage(error) });
    }
  }

  /**
   * The conversation's latest question as stored: a retry must send exactly that, and the panel shows a code
   * action's turn under a short label instead.
   */
  private async storedQuestion(conversationId: string): Promise<string | undefined> {
    try {
      const conversation = await this.server.request<P.ConversationInfo>(P.CONVERSATION, { conversationId });
      return conversation.messages.filter((m) => m.role === "user").at(-1)?.content;
    } catch (error) {
      this.log.warn(`reading the question to retry: ${errorMessage(error)}`);
      return undefined;
    }
  }

  /** Adaptation notes the user has not seen yet (each is shown once, across sessions). */
  private async freshNotes(adaptations: readonly string[]): Promise<string[]> {
    const seen = new Set(this.context.globalState.get<string[]>(SEEN_NOTES_KEY, []));
    const fresh = unseenNotes(adaptations, seen);
    if (fresh.length > 0) {
      await this.context.globalState.update(SEEN_NOTES_KEY, [...seen, ...fresh].slice(-200));
    }
    return fresh;
  }

  /**
   * A code action's streamed turn: open the panel and show it like a chat turn. A failure is shown there,
   * with Retry, so it resolves to undefined instead of failing the command a second time in a notification.
   */
  async runExternalTurn<R>(
    label: string,
    run: (token: vscode.CancellationToken, clientToken: string) => Promise<R>,
    conversationOf: (result: R) => string | undefined,
  ): Promise<R | undefined> {
    this.externalTurn += 1;
    const turnId = `action-${this.externalTurn}`;
    const clientToken = `action-${makeNonce().replace(/[^A-Za-z0-9]/g, "")}`;
    const source = new vscode.CancellationTokenSource();
    this.turns.set(turnId, source); // the panel's Stop cancels the action's request
    this.post({ type: "turnStarted", turnId, prompt: label, clientToken });
    await this.reveal();
    try {
      const result = await run(source.token, clientToken);
      const id = conversationOf(result);
      let conversation: P.ConversationInfo | null = null;
      if (id) {
        await this.setConversationId(id);
        conversation = await this.server.request<P.ConversationInfo>(P.CONVERSATION, { conversationId: id });
      }
      this.post({ type: "turnEnded", turnId, conversation });
      await this.refreshConversations();
      return result;
    } catch (error) {
      if (P.isCancelledError(error) || source.token.isCancellationRequested) {
        this.post({ type: "turnCancelled", turnId });
      } else {
        this.post({ type: "turnError", turnId, message: errorMessage(error) });
      }
      await this.refreshConversations();
      return undefined;
    } finally {
      this.turns.delete(turnId);
      source.dispose();
    }
  }

  /** Run a server command under a cancellation token (a code action the panel can stop). */
  async executeAction<R>(command: string, args: unknown[], token: vscode.CancellationToken): Promise<R> {
    return this.server.executeServerCommand<R>(command, args, token);
  }

  async newConversation(): Promise<void> {
    await this.setConversationId(null);
    this.post({ type: "conversation", conversation: null });
    await this.reveal();
  }

  dispose(): void {
    for (const source of this.turns.values()) {
      source.cancel();
    }
    for (const d of this.disposables) {
      d.dispose();
    }
    this.profileEmitter.dispose();
  }
}

function targetEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) {
    void vscode.window.showWarningMessage("ChatLS: open an editor to put the code into.");
  }
  return editor;
}

/** Insert code at the cursor(s) of the editor the user was last in (a selection is kept, not replaced). */
async function insertAtCursor(code: string): Promise<void> {
  const editor = targetEditor();
  if (!editor) {
    return;
  }
  await editor.edit((builder) => {
    for (const selection of editor.selections) {
      builder.insert(selection.active, code);
    }
  });
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
}

/** Replace the selection(s) of the editor the user was last in; with nothing selected, say so. */
async function applyToSelection(code: string): Promise<void> {
  const editor = targetEditor();
  if (!editor) {
    return;
  }
  if (editor.selections.every((s) => s.isEmpty)) {
    void vscode.window.showWarningMessage("ChatLS: select the code to replace first (or use Insert).");
    return;
  }
  await editor.edit((builder) => {
    for (const selection of editor.selections) {
      if (!selection.isEmpty) {
        builder.replace(selection, code);
      }
    }
  });
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
}
