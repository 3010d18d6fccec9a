/**
 * Client side of the server's code actions. vscode-languageclient registers the server's commands itself;
 * this middleware adds what needs VS Code UI: the instruction input box, the profile picked in the panel or
 * status bar, the chat panel for Explain / Ask in chat, and a `clientToken` that pairs an edit action with its
 * streamed reply (the explanation its review shows). The server's progress, with the reply arriving and a
 * Cancel button, is shown by progress.ts; the edits arrive as workspace/applyEdit and are reviewed in review.ts.
 */

import * as vscode from "vscode";
import type { ExecuteCommandSignature } from "vscode-languageclient/node";
import type { ActionRuns } from "./actionRuns";
import type { ChatView } from "./chatView";
import * as P from "./protocol";

const LABELS: Record<string, string> = {
  [P.CMD_EXPLAIN]: "Explain the selection",
  [P.CMD_ASK_IN_CHAT]: "Ask about the selection",
};

function isActionResult(value: unknown): value is P.ActionResult {
  return typeof value === "object" && value !== null && typeof (value as { applied?: unknown }).applied === "boolean";
}

/** Ask for the missing instruction; undefined when the user dismissed the box. */
async function withInstruction(command: string, args: P.SelectionArgs): Promise<P.SelectionArgs | undefined> {
  if (args.instruction) {
    return args;
  }
  if (command === P.CMD_EDIT_SELECTION) {
    const instruction = await vscode.window.showInputBox({
      title: "ChatLS: Edit with instruction",
      prompt: "How should the selection change?",
      placeHolder: "e.g. use a list comprehension",
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? undefined : "Type what to change"),
    });
    return instruction ? { ...args, instruction: instruction.trim() } : undefined;
  }
  if (command === P.CMD_ASK_IN_CHAT) {
    const question = await vscode.window.showInputBox({
      title: "ChatLS: Ask in chat",
      prompt: "Question about the selection (leave empty for a general look)",
      ignoreFocusOut: true,
    });
    if (question === undefined) {
      return undefined;
    }
    return question.trim() ? { ...args, instruction: question.trim() } : args;
  }
  return args;
}

/** Sends a server command; failures come back to the caller (not shown by vscode-languageclient). */
export type ServerCommand = (command: string, args: unknown[]) => Promise<unknown>;

export function actionMiddleware(getChatView: () => ChatView | undefined, runs: ActionRuns, send: ServerCommand) {
  return async (command: string, args: unknown[], next: ExecuteCommandSignature): Promise<unknown> => {
    const first = args[0];
    if (!(P.ACTION_COMMANDS as readonly string[]).includes(command) || !P.isSelectionArgs(first)) {
      return next(command, args);
    }
    const completed = await withInstruction(command, first);
    if (!completed) {
      return undefined;
    }
    const chatView = getChatView();
    // the profile the user picked in the panel or the status bar, not the server's default
    const withProfile: P.SelectionArgs = { ...completed, profile: completed.profile ?? chatView?.activeProfileName ?? null };
    const finalArgs = [withProfile, ...args.slice(1)];
    if (P.CHAT_ACTION_COMMANDS.includes(command)) {
      if (!chatView) {
        return next(command, finalArgs);
      }
      return chatView.runExternalTurn(
        completed.instruction ? `${LABELS[command]}: ${completed.instruction}` : LABELS[command] ?? command,
        // the panel's Stop cancels it; its deltas carry the panel's client token
        (token, clientToken) =>
          chatView.executeAction<unknown>(command, [{ ...withProfile, clientToken }, ...args.slice(1)], token),
        (r) => (isActionResult(r) ? r.conversationId : undefined));
    }
    return runEditAction(command, withProfile, args.slice(1), runs, send);
  };
}

/** An edit action, paired with its streamed reply; warns when nothing was applied, unless the user discarded it. */
async function runEditAction(
  command: string, args: P.SelectionArgs, rest: unknown[], runs: ActionRuns, send: ServerCommand,
): Promise<unknown> {
  const run = runs.begin();
  try {
    const result = await send(command, [{ ...args, clientToken: run.token }, ...rest]);
    // Discard is the user's decision and Cancel their request: nothing to warn about
    if (isActionResult(result) && !result.applied && run.decision !== "discarded" && result.status !== P.STATUS_CANCELLED) {
      void vscode.window.showWarningMessage(`ChatLS: no edit applied${result.reason ? `: ${result.reason}` : "."}`);
    }
    return result;
  } catch (error) {
    if (P.isCancelledError(error)) {
      return undefined;
    }
    void showActionError(error);
    return undefined; // shown above, in words, instead of the client's "Request … failed … Code: -32010"
  } finally {
    runs.end(run);
  }
}

/** A failed action in the server's own words, with the button it calls for. */
async function showActionError(error: unknown): Promise<void> {
  const message = typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string"
    ? (error as { message: string }).message
    : String(error);
  const buttons = [
    ...(/api key/i.test(message) ? ["Set API Key"] : []),
    ...(/setting|profile/i.test(message) ? ["Open Settings"] : []),
  ];
  const choice = await vscode.window.showErrorMessage(`ChatLS: ${message}`, ...buttons);
  if (choice === "Set API Key") {
    await vscode.commands.executeCommand("chatls.client.setApiKey");
  } else if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "chatls.profiles");
  }
}

/** "ChatLS: Edit Selection with Instruction": the same server command, from the palette. */
export async function editWithInstruction(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showWarningMessage("ChatLS: select the code to edit first.");
    return;
  }
  const args = selectionArgs(editor);
  // goes through the auto-registered server command, hence through the middleware above
  await vscode.commands.executeCommand(P.CMD_EDIT_SELECTION, args);
}

/** "ChatLS: Ask about the Selection in Chat": the selection goes to the chat panel with a question. */
export async function sendSelectionToChat(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showWarningMessage("ChatLS: select the code to ask about first.");
    return;
  }
  await vscode.commands.executeCommand(P.CMD_ASK_IN_CHAT, selectionArgs(editor));
}

function selectionArgs(editor: vscode.TextEditor): P.SelectionArgs {
  const s = editor.selection;
  return {
    uri: editor.document.uri.toString(),
    range: {
      start: { line: s.start.line, character: s.start.character },
      end: { line: s.end.line, character: s.end.character },
    },
    version: editor.document.version,
  };
}
