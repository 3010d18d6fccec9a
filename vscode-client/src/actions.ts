/**
 * Client side of the server's code actions. vscode-languageclient registers the server's commands itself;
 * this middleware only adds what needs VS Code UI: the instruction input box, and the chat panel for
 * Explain / Ask in chat. Edits arrive as workspace/applyEdit with change annotations, which VS Code shows in
 * its refactor preview.
 */

import * as vscode from "vscode";
import type { ExecuteCommandSignature } from "vscode-languageclient/node";
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

export function actionMiddleware(getChatView: () => ChatView | undefined) {
  return async (command: string, args: unknown[], next: ExecuteCommandSignature): Promise<unknown> => {
    const first = args[0];
    if (!(P.ACTION_COMMANDS as readonly string[]).includes(command) || !P.isSelectionArgs(first)) {
      return next(command, args);
    }
    const completed = await withInstruction(command, first);
    if (!completed) {
      return undefined;
    }
    const finalArgs = [completed, ...args.slice(1)];
    const chatView = getChatView();
    const result: unknown = chatView && P.CHAT_ACTION_COMMANDS.includes(command)
      ? await chatView.runExternalTurn(
          completed.instruction ? `${LABELS[command]}: ${completed.instruction}` : LABELS[command] ?? command,
          // the panel's Stop cancels it; its deltas carry the panel's client token
          (token, clientToken) => chatView.executeAction<unknown>(command, [{ ...completed, clientToken }, ...args.slice(1)], token),
          (r) => (isActionResult(r) ? r.conversationId : undefined))
      : await next(command, finalArgs);
    if (isActionResult(result) && command !== P.CMD_EXPLAIN && command !== P.CMD_ASK_IN_CHAT && !result.applied) {
      void vscode.window.showWarningMessage(`ChatLS: no edit applied${result.reason ? `: ${result.reason}` : "."}`);
    }
    return result;
  };
}

/** "ChatLS: Edit Selection with Instruction": the same server command, from the palette. */
export async function editWithInstruction(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showWarningMessage("ChatLS: select the code to edit first.");
    return;
  }
  const s = editor.selection;
  const args: P.SelectionArgs = {
    uri: editor.document.uri.toString(),
    range: {
      start: { line: s.start.line, character: s.start.character },
      end: { line: s.end.line, character: s.end.character },
    },
    version: editor.document.version,
  };
  // goes through the auto-registered server command, hence through the middleware above
  await vscode.commands.executeCommand(P.CMD_EDIT_SELECTION, args);
}
