/**
 * Client side of the server's code actions. vscode-languageclient registers the server's commands itself;
 * package.json lists them in the command palette (both generated from the server's table, as is every spec
 * this file reads: titles, what each action takes, whether it edits). This middleware adds what needs VS Code
 * UI: the selection for a palette run, the instruction input box, the profile picked in the panel or
 * status bar, the chat panel for Explain / Ask in chat, and a `clientToken` that pairs an edit action with its
 * streamed reply (the explanation its review shows). The server's progress, with the reply arriving and a
 * Cancel button, is shown by progress.ts; the edits arrive as workspace/applyEdit and are reviewed in review.ts.
 */

import * as vscode from "vscode";
import type { ExecuteCommandSignature } from "vscode-languageclient/node";
import type { ActionRuns } from "./actionRuns";
import type { ChatView } from "./chatView";
import * as P from "./protocol";

function isActionResult(value: unknown): value is P.ActionResult {
  return typeof value === "object" && value !== null && typeof (value as { applied?: unknown }).applied === "boolean";
}

/** Ask for the instruction the action takes, unless given; undefined when the user dismissed the box. */
async function withInstruction(spec: P.ActionSpec, args: P.SelectionArgs): Promise<P.SelectionArgs | undefined> {
  if (args.instruction || spec.instruction === "none") {
    return args;
  }
  const required = spec.instruction === "required";
  const answer = await vscode.window.showInputBox({
    title: `ChatLS: ${spec.title.replace(/…$/, "")}`,
    prompt: spec.instructionPrompt,
    placeHolder: spec.instructionExample || undefined,
    ignoreFocusOut: true,
    validateInput: required ? (value) => (value.trim() ? undefined : "Type what to do") : undefined,
  });
  if (answer === undefined || (required && !answer.trim())) {
    return undefined;
  }
  return answer.trim() ? { ...args, instruction: answer.trim() } : args;
}

/** Sends a server command; failures come back to the caller (not shown by vscode-languageclient). */
export type ServerCommand = (command: string, args: unknown[]) => Promise<unknown>;

export function actionMiddleware(getChatView: () => ChatView | undefined, runs: ActionRuns, send: ServerCommand) {
  return async (command: string, args: unknown[], next: ExecuteCommandSignature): Promise<unknown> => {
    const spec = P.actionSpec(command);
    if (!spec) {
      return next(command, args);
    }
    // from the command palette (no argument): the active editor's selection
    const first = args.length === 0 ? selectionFromEditor(spec) : args[0];
    if (first === undefined && args.length === 0) {
      return undefined;
    }
    if (!P.isSelectionArgs(first)) {
      return next(command, args);
    }
    const completed = await withInstruction(spec, first);
    if (!completed) {
      return undefined;
    }
    const chatView = getChatView();
    // the profile the user picked in the panel or the status bar, not the server's default
    const withProfile: P.SelectionArgs = { ...completed, profile: completed.profile ?? chatView?.activeProfileName ?? null };
    const finalArgs = [withProfile, ...args.slice(1)];
    if (!spec.edits) {
      if (!chatView) {
        return next(command, finalArgs);
      }
      return chatView.runExternalTurn(
        completed.instruction || spec.request, // what the server stores as the user's message
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

/** "ChatLS: Ask about the Selection in Chat" (a key binding and the editor's context menu): Ask in chat. */
export async function sendSelectionToChat(): Promise<void> {
  await vscode.commands.executeCommand(P.CMD_ASK_IN_CHAT);
}

/** An action run from the palette: the active editor's selection, and the problems reported in it if the
 * action takes them; undefined (and a warning) when nothing is selected. */
function selectionFromEditor(spec: P.ActionSpec): P.SelectionArgs | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showWarningMessage(`ChatLS: select the code first (${spec.title}).`);
    return undefined;
  }
  const args = selectionArgs(editor);
  if (!spec.diagnostics) {
    return args;
  }
  const selection = editor.selection;
  const problems = vscode.languages.getDiagnostics(editor.document.uri)
    .filter((d) => d.range.intersection(selection) !== undefined)
    .map(lspDiagnostic);
  return problems.length ? { ...args, diagnostics: problems } : args;
}

function lspDiagnostic(d: vscode.Diagnostic): P.Diagnostic {
  const code = typeof d.code === "object" ? d.code.value : d.code;
  return {
    range: lspRange(d.range),
    message: d.message,
    severity: d.severity + 1, // vscode counts from Error = 0, LSP from Error = 1
    ...(d.source ? { source: d.source } : {}),
    ...(code !== undefined ? { code } : {}),
  };
}

function lspRange(r: vscode.Range): P.Range {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

function selectionArgs(editor: vscode.TextEditor): P.SelectionArgs {
  return { uri: editor.document.uri.toString(), range: lspRange(editor.selection), version: editor.document.version };
}
