/** Messages between the extension host and the chat webview (both directions), and the view-model types. */

import type { AgentApproval } from "./approvals";
import type { AgentStep, BudgetResult, ChatResult, Cited, Citation, ContextItem, ConversationInfo, ConversationSummary } from "./protocol";

/** A profile as the pickers show it. */
export interface ProfileChoice {
  name: string;
  model: string | null;
  /** Reasoning models get the reasoning-effort picker. */
  reasoning: boolean;
  /** Effort values the model accepts (empty: the usual low/medium/high). */
  reasoningEfforts: string[];
}

/** Something the user can attach (a chip): what it shows and what is sent. */
export interface ContextChoice {
  label: string;
  /** A second line in the completion list, e.g. the folder of a file. */
  detail?: string;
  item: ContextItem;
}

/** The params a chat and its budget share, as the panel knows them (the extension adds the workspace). */
export interface DraftRequest {
  prompt: string;
  conversationId: string | null;
  profile: string | null;
  reasoningEffort: string | null;
  /** "agent" lets the model use the workspace tools. */
  mode: "chat" | "agent";
  attachments: ContextItem[];
}

/** Extension -> webview. */
export type ToWebview =
  | {
      type: "init";
      profiles: ProfileChoice[];
      activeProfile: string | null;
      reasoningEffort: string | null;
      conversations: ConversationSummary[];
      conversation: ConversationInfo | null;
    }
  | { type: "profiles"; profiles: ProfileChoice[]; activeProfile: string | null; reasoningEffort: string | null }
  | { type: "conversations"; conversations: ConversationSummary[] }
  | { type: "conversation"; conversation: ConversationInfo | null }
  /**
   * A turn the extension started itself (a code action): the panel shows it as it streams, adopting the
   * deltas that carry its clientToken.
   */
  | { type: "turnStarted"; turnId: string; prompt: string; clientToken?: string }
  | {
      type: "delta";
      conversationId: string;
      messageId: string;
      content?: string | null;
      status?: string | null;
      reasoning?: string | null;
      clientToken?: string | null;
      step?: AgentStep | null;
      citations?: Citation[] | null;
    }
  | { type: "turnDone"; turnId: string; result: Cited<ChatResult>; notes: string[] }
  /** A turn the extension started ended: show the stored conversation it belongs to. */
  | { type: "turnEnded"; turnId: string; conversation: ConversationInfo | null }
  | { type: "turnCancelled"; turnId: string }
  | { type: "turnError"; turnId: string; message: string }
  | { type: "serverState"; state: "starting" | "running" | "stopped" | "failed"; message?: string }
  /** The guided set-up's outcome: the settings were written (ok) or why not. */
  | { type: "setupResult"; ok: boolean; message?: string }
  /** What `#query` may attach (answer to contextQuery). */
  | { type: "contextChoices"; query: string; choices: ContextChoice[] }
  /** `chatls/budget` for the draft of request `requestId` (null with `error` when the server could not say). */
  | { type: "budget"; requestId: number; budget: BudgetResult | null; error?: string }
  /** The agent turn `turnId` asks an approval: shown in its step list, answered by `approvalAnswer`. */
  | { type: "approval"; id: number; turnId: string; approval: AgentApproval }
  /** An inline approval was settled elsewhere (its notification answered, or its turn ended). */
  | { type: "approvalSettled"; id: number; outcome: ApprovalOutcome };

export type ApprovalOutcome = "allowed" | "denied" | "unanswered";

/** Commands an error box's buttons ask the extension to run. */
export type PanelCommand = "openSettings" | "setApiKey" | "setupServer" | "showLog";

/** What the first-run form collects; the key goes to SecretStorage, the rest to `chatls.profiles`. */
export interface SetupForm {
  name: string;
  endpoint: string;
  deployment: string;
  auth: "apiKey" | "entra";
  apiKey?: string;
}

/** Webview -> extension. */
export type FromWebview =
  | { type: "ready" }
  | {
      type: "send";
      turnId: string;
      prompt: string;
      conversationId: string | null;
      profile: string | null;
      reasoningEffort: string | null;
      /** Id of the failed reply this send answers again (its question is not stored twice). */
      retryOf?: string | null;
      /** Sent with the request and echoed in its deltas: the panel adopts only deltas carrying it. */
      clientToken: string;
      mode?: "chat" | "agent";
      /** Attached context, in the order of the chips. */
      attachments?: ContextItem[];
    }
  /** Stop any streaming turn, a code action's included. */
  | { type: "stop"; turnId: string }
  | { type: "copy"; code: string }
  | { type: "insert"; code: string }
  /** Replace the active editor's selection with the code. */
  | { type: "apply"; code: string }
  | { type: "command"; command: PanelCommand }
  | { type: "renameConversation"; conversationId: string; title: string }
  | { type: "setup"; form: SetupForm }
  | { type: "newConversation" }
  | { type: "openConversation"; conversationId: string }
  | { type: "deleteConversation"; conversationId: string }
  | { type: "exportConversation"; conversationId: string }
  | { type: "selectProfile"; profile: string }
  | { type: "selectEffort"; reasoningEffort: string | null }
  /** The user typed `#query`: what could be attached (files of the workspace, problems, diff, selection …). */
  | { type: "contextQuery"; query: string }
  /** Count the draft (`chatls/budget`); answered by a `budget` message with the same requestId. */
  | ({ type: "budget"; requestId: number } & DraftRequest)
  /**
   * The answer to an inline approval: allow true/false, or null when it went unanswered (its step ended).
   * `shown` false: the panel could not show it (its turn is gone), so the extension asks with a notification.
   */
  | { type: "approvalAnswer"; id: number; allow: boolean | null; shown: boolean };

export const DEFAULT_EFFORTS = ["low", "medium", "high"];
