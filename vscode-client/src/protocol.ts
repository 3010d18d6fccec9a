/**
 * Every ChatLS method name, command id and payload type on the TypeScript side.
 *
 * Mirrors `server/chatls/protocol.py` (the single source of truth): same names, camelCase fields as they
 * travel on the wire. Keep the two in step; `test/unit/protocol.test.ts` checks this file against the
 * Python module; the code actions come from `./generated/actions.ts`, generated from the server's table.
 */

import { ACTIONS, type ActionSpec } from "./generated/actions";

// --- client -> server requests -----------------------------------------------------------------
export const CHAT = "chatls/chat";
export const BUDGET = "chatls/budget";
export const CONVERSATIONS = "chatls/conversations";
export const CONVERSATION = "chatls/conversation";
export const DELETE_CONVERSATION = "chatls/deleteConversation";
export const MODELS = "chatls/models";
export const SET_API_KEY = "chatls/setApiKey";
export const RENAME_CONVERSATION = "chatls/renameConversation";

export const REQUESTS = [CHAT, CONVERSATIONS, CONVERSATION, DELETE_CONVERSATION, MODELS, SET_API_KEY, BUDGET, RENAME_CONVERSATION] as const;

// --- server -> client notifications ------------------------------------------------------------
export const DELTA = "chatls/delta";
/** Server -> client request for the editor's problems (clients declaring experimental.chatlsDiagnostics). */
export const DIAGNOSTICS = "chatls/diagnostics";

// --- workspace/executeCommand ids (registered by vscode-languageclient from executeCommandProvider) ---
export const CMD_CHAT = "chatls.chat";
export const CMD_CONVERSATIONS = "chatls.conversations";
export const CMD_CONVERSATION = "chatls.conversation";
export const CMD_DELETE_CONVERSATION = "chatls.deleteConversation";
export const CMD_MODELS = "chatls.models";
export const CMD_EXPORT_CONVERSATION = "chatls.exportConversation";

// The code actions' ids, kinds and specs are generated from the server's table (action_specs.py).
export {
  ACTIONS, CMD_ASK_IN_CHAT, CMD_DOCUMENT, CMD_EDIT_SELECTION, CMD_EXPLAIN, CMD_FIX, CMD_GENERATE_TESTS, CMD_IMPROVE,
  KIND_EXPLAIN, KIND_QUICKFIX, KIND_REWRITE,
} from "./generated/actions";
export type { ActionSpec } from "./generated/actions";

export const ACTION_COMMANDS: readonly string[] = ACTIONS.map((action) => action.command);
export const COMMANDS: readonly string[] = [
  CMD_CHAT,
  CMD_CONVERSATIONS,
  CMD_CONVERSATION,
  CMD_DELETE_CONVERSATION,
  CMD_MODELS,
  CMD_EXPORT_CONVERSATION,
  ...ACTION_COMMANDS,
];

/** The spec of a code-action command; undefined for any other command. */
export function actionSpec(command: string): ActionSpec | undefined {
  return ACTIONS.find((action) => action.command === command);
}

// --- message status values ---------------------------------------------------------------------
export const STATUS_COMPLETE = "complete";
export const STATUS_CANCELLED = "cancelled";
export const STATUS_ERROR = "error";
export const STATUS_TRUNCATED = "truncated";
export const STATUS_PENDING = "pending";
/** A pending reply no live server owns (its server died); retryable like an error. */
export const STATUS_INTERRUPTED = "interrupted";

// --- neutral stop reasons (ChatResult.stopReason) ----------------------------------------------
export const STOP_COMPLETE = "complete";
export const STOP_TRUNCATED = "truncated";
export const STOP_TOOL_CALLS = "tool_calls";

export type MessageStatus =
  | typeof STATUS_COMPLETE
  | typeof STATUS_CANCELLED
  | typeof STATUS_ERROR
  | typeof STATUS_TRUNCATED
  | typeof STATUS_PENDING
  | typeof STATUS_INTERRUPTED;

// --- ChatParams.mode -------------------------------------------------------------------------
export const MODE_CHAT = "chat";
export const MODE_AGENT = "agent";

// --- JSON-RPC error codes the client reacts to -------------------------------------------------
export const REQUEST_CANCELLED = -32800;

// --- payloads ----------------------------------------------------------------------------------
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface SelectionContext {
  uri: string;
  range?: Range | null;
}

export interface ChatParams {
  prompt: string;
  conversationId?: string | null;
  workspaceUri?: string | null;
  profile?: string | null;
  reasoningEffort?: string | null;
  context?: SelectionContext | null;
  /**
   * Id of a reply that failed or was cancelled: answer its question again instead of storing the prompt a
   * second time (`prompt` must be that question as stored; `conversationId` is required).
   */
  retryOf?: string | null;
  /** Echoed in every `chatls/delta` of this request, so the client can pair deltas with it. */
  clientToken?: string | null;
  /** "agent": the model may use the workspace tools (docs/protocol.md, "Agent mode"). */
  mode?: typeof MODE_CHAT | typeof MODE_AGENT | null;
  /** Context the user attached, sent after `context` and before the prompt, in this order. */
  attachments?: ContextItem[] | null;
}

/** One attached piece of context (docs/protocol.md, "Context items"). */
export interface ContextItem {
  kind: "file" | "range" | "selection" | "folder" | "problems" | "diff" | "openEditors" | "text";
  uri?: string | null;
  range?: Range | null;
  staged?: boolean | null;
  diagnostics?: Diagnostic[] | null;
  /** For "text": the text itself (the panel never sends one; `chatls ask` does for piped input). */
  text?: string | null;
  /** For "text": what the text is, for people ("standard input"). */
  label?: string | null;
}

/** One tool step of an agent turn, as deltas report it and stored replies list it. */
export interface AgentStep {
  index: number;
  phase: "started" | "finished";
  name: string;
  summary: string;
  ok?: boolean;
}

/**
 * A numbered reference of an On Your Data answer; the text cites it as [doc1], [doc2], …  Results, stored
 * messages and deltas carry them as `citations`.
 */
export interface Citation {
  title?: string | null;
  url?: string | null;
  filepath?: string | null;
  chunkId?: string | null;
}

export interface BudgetItem {
  label: string;
  tokens: number;
}

/** `chatls/budget`: what a chat with the same params would take, without sending or storing it. */
export interface BudgetResult {
  model: string;
  tokens: number;
  inputBudget: number;
  contextWindow: number;
  replyReserve: number;
  promptTokens: number;
  instructionsTokens: number;
  attachments: BudgetItem[];
  historyTokens: number;
  historyMessages: number;
  leftOutMessages: number;
  leftOutAttachments: string[];
  fits: boolean;
}

/** A payload that may carry On Your Data citations (ChatResult, MessageInfo and DeltaNotification do). */
export type Cited<T> = T & { citations?: Citation[] | null };

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
}

export interface ChatResult {
  conversationId: string;
  messageId: string;
  content: string;
  model: string;
  /** Deprecated: "stop" or "length", derived from stopReason. */
  finishReason: string;
  usage: Usage;
  adaptations: string[];
  /** Neutral: "complete" | "truncated" | "filtered" | "failed" | "tool_calls" (finishReason is deprecated). */
  stopReason?: string;
  /** The reasoning summary, whole. */
  reasoning?: string | null;
  /** On Your Data references, in order (the text cites them as [doc1], [doc2], …). */
  citations?: Citation[] | null;
}

/** `chatls.chat`'s answer: the ChatResult plus the reply's status ("complete" or "truncated"). */
export interface ChatCommandResult extends ChatResult {
  status: string;
}

/** `chatls.chat`'s answer when its progress was cancelled: the partial reply, and ids once known. */
export interface CancelledChatResult {
  conversationId: string | null;
  messageId: string | null;
  content: string;
  status: string;
}

/** `chatls/renameConversation`'s answer: the title as stored (whitespace collapsed). */
export interface RenameConversationResult {
  conversationId: string;
  title: string;
}

/** `chatls/setApiKey`'s answer: the profile whose key was set or forgotten (the key is never echoed). */
export interface SetApiKeyResult {
  profile: string;
}

/** `chatls.exportConversation`'s answer; `path` is the file written, when one was given. */
export interface ExportConversationResult {
  conversationId: string;
  markdown: string;
  path?: string | null;
}

/** A profile's resolved model capabilities, as `chatls/models` shows them (every key always present). */
export interface CapabilitiesInfo {
  family: string;
  reasoning: boolean;
  streaming: boolean;
  contextWindow: number;
  inputLimit: number;
  maxOutputTokens: number;
  resolution: string;
  reportedModel: unknown;
  deprecated: string | null;
  retires: string | null;
  replacement: string | null;
  details: Record<string, unknown>;
}

export interface DeltaNotification {
  conversationId: string;
  messageId: string;
  /** Text to append to the reply (never the whole text so far). */
  content?: string | null;
  /** Short human-readable state, e.g. "thinking 12 s". */
  status?: string | null;
  /** Reasoning-summary text to append to the reply's "Thinking" (never part of the answer). */
  reasoning?: string | null;
  /** The `clientToken` the request carried, when it carried one. */
  clientToken?: string | null;
  /** An agent tool step starting or finishing. */
  step?: AgentStep | null;
  /** On Your Data references, in order (the text cites them as [doc1], [doc2], …). */
  citations?: Citation[] | null;
}

export interface ConversationsParams {
  workspaceUri?: string | null;
}

export interface ConversationSummary {
  id: string;
  title: string;
  updatedAt: string;
  messageCount: number;
}

export interface ConversationParams {
  conversationId: string;
}

export interface MessageInfo {
  id: string;
  role: string;
  content: string;
  status: string;
  createdAt: string;
  model?: string | null;
  usage?: Usage | null;
  /** The reasoning summary stored with an assistant reply. */
  reasoning?: string | null;
  /** An agent reply's tool steps, in order. */
  steps?: AgentStep[] | null;
  /** On Your Data references, in order (the text cites them as [doc1], [doc2], …). */
  citations?: Citation[] | null;
  /** A question's attached context: the labelled blocks sent, joined. */
  attachment?: string | null;
  /** A question's attachments, in the order sent (each its own content part): what each one was. */
  attachments?: AttachmentInfo[] | null;
}

/** One attachment of a stored question. */
export interface AttachmentInfo {
  /** "file", "range", "diff", …; "selection" for a chat's context or a code action; "context" when older. */
  kind: string;
  /** For people, as `chatls/budget` names it: "file src/app.py", "range src/app.py:3-9". */
  label: string;
  /** Characters sent. */
  chars: number;
  name?: string | null;
  /** 1-based, when it is part of a file. */
  firstLine?: number | null;
  lastLine?: number | null;
}

export interface ConversationInfo {
  id: string;
  title: string;
  workspaceUri: string;
  messages: MessageInfo[];
}

export interface RenameConversationParams {
  conversationId: string;
  title: string;
}

export interface DeleteConversationResult {
  deleted: boolean;
}

export interface ModelsParams {
  workspaceUri?: string | null;
}

export interface SetApiKeyParams {
  profile: string;
  /** Held in memory by the server only; never stored or logged on either side. null forgets the key. */
  apiKey: string | null;
}

export interface Diagnostic {
  range: Range;
  message: string;
  severity?: number;
  code?: number | string;
  source?: string;
}

/** Argument of every code-action command. */
export interface SelectionArgs {
  uri: string;
  range: Range;
  version?: number | null;
  /** What to do, for chatls.editSelection (and an optional question for chatls.askInChat). */
  instruction?: string | null;
  diagnostics?: Diagnostic[] | null;
  /** Profile to run the action with (the one picked in the panel or status bar); the default when absent. */
  profile?: string | null;
  /** Echoed in every chatls/delta of the action (servers that know it), pairing the deltas with it. */
  clientToken?: string | null;
}

/** Result of every code-action command. */
export interface ActionResult {
  conversationId: string;
  messageId: string;
  content: string;
  applied: boolean;
  /** `complete`, `truncated` or `cancelled`. */
  status: string;
  reason?: string | null;
}

export interface ExportConversationArgs {
  conversationId: string;
  path?: string | null;
  /** Replace an existing file at `path` (the user confirmed it). */
  overwrite?: boolean;
}

// --- helpers -----------------------------------------------------------------------------------

/** True when `value` looks like SelectionArgs (the first argument of a code-action command). */
export function isSelectionArgs(value: unknown): value is SelectionArgs {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const v = value as Record<string, unknown>;
  const range = v.range as Record<string, unknown> | undefined;
  return typeof v.uri === "string" && typeof range === "object" && range !== null && "start" in range && "end" in range;
}

/** True when a rejected request was cancelled by us (JSON-RPC RequestCancelled). */
export function isCancelledError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === REQUEST_CANCELLED;
}

/** Total tokens spent on a reply, for display. */
export function totalTokens(usage: Usage): number {
  return usage.promptTokens + usage.completionTokens;
}
