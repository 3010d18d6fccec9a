/** Messages between the extension host and the chat webview (both directions), and the view-model types. */

import type { ChatResult, ConversationInfo, ConversationSummary } from "./protocol";

/** A profile as the pickers show it. */
export interface ProfileChoice {
  name: string;
  model: string | null;
  /** Reasoning models get the reasoning-effort picker. */
  reasoning: boolean;
  /** Effort values the model accepts (empty: the usual low/medium/high). */
  reasoningEfforts: string[];
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
    }
  | { type: "turnDone"; turnId: string; result: ChatResult; notes: string[] }
  /** A turn the extension started ended: show the stored conversation it belongs to. */
  | { type: "turnEnded"; turnId: string; conversation: ConversationInfo | null }
  | { type: "turnCancelled"; turnId: string }
  | { type: "turnError"; turnId: string; message: string }
  | { type: "serverState"; state: "starting" | "running" | "stopped" | "failed"; message?: string }
  /** The guided set-up's outcome: the settings were written (ok) or why not. */
  | { type: "setupResult"; ok: boolean; message?: string };

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
  | { type: "selectEffort"; reasoningEffort: string | null };

export const DEFAULT_EFFORTS = ["low", "medium", "high"];
