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
  /** A turn the extension started itself (a code action): the panel shows it as it streams. */
  | { type: "turnStarted"; turnId: string; prompt: string }
  | { type: "delta"; conversationId: string; messageId: string; content?: string | null; status?: string | null }
  | { type: "turnDone"; turnId: string; result: ChatResult; notes: string[] }
  /** A turn the extension started ended: show the stored conversation it belongs to. */
  | { type: "turnEnded"; turnId: string; conversation: ConversationInfo | null }
  | { type: "turnCancelled"; turnId: string }
  | { type: "turnError"; turnId: string; message: string }
  | { type: "serverState"; state: "starting" | "running" | "stopped" | "failed"; message?: string };

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
    }
  | { type: "stop"; turnId: string }
  | { type: "copy"; code: string }
  | { type: "insert"; code: string }
  | { type: "newConversation" }
  | { type: "openConversation"; conversationId: string }
  | { type: "deleteConversation"; conversationId: string }
  | { type: "exportConversation"; conversationId: string }
  | { type: "selectProfile"; profile: string }
  | { type: "selectEffort"; reasoningEffort: string | null };

export const DEFAULT_EFFORTS = ["low", "medium", "high"];
