/**
 * What the panel's `#` list offers to attach, read from the editor: files of the workspace, the problems of
 * the active file, the git diff, the selection and the open editors. Also fills in what only the editor
 * knows at send time (the diagnostics of a problems item).
 */

import * as vscode from "vscode";
import type { ContextChoice } from "./messages";
import type * as P from "./protocol";

/** At most this many files in the list; the query narrows them. */
const MAX_FILES = 30;
/** Files looked through per query (findFiles honours files.exclude and search.exclude). */
const FILE_SCAN_LIMIT = 5000;

function protocolRange(range: vscode.Range): P.Range {
  return {
    start: { line: range.start.line, character: range.start.character },
    end: { line: range.end.line, character: range.end.character },
  };
}

/** vscode's severities count from Error = 0; LSP's from Error = 1. */
function protocolDiagnostic(d: vscode.Diagnostic): P.Diagnostic {
  const code = typeof d.code === "object" ? d.code.value : d.code;
  return {
    range: protocolRange(d.range),
    message: d.message,
    severity: d.severity + 1,
    ...(code === undefined ? {} : { code }),
    ...(d.source ? { source: d.source } : {}),
  };
}

function matches(query: string, ...texts: string[]): boolean {
  const q = query.toLowerCase();
  return texts.some((t) => t.toLowerCase().includes(q));
}

/** The editor the user was last in (the panel has focus while they type). */
function lastEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
}

function editorChoices(): ContextChoice[] {
  const choices: ContextChoice[] = [];
  const editor = lastEditor();
  if (editor && editor.document.uri.scheme === "file") {
    const name = vscode.workspace.asRelativePath(editor.document.uri);
    const problems = vscode.languages.getDiagnostics(editor.document.uri).length;
    choices.push({
      label: "#problems", detail: `${problems} in ${name}`,
      item: { kind: "problems", uri: editor.document.uri.toString() },
    });
    if (!editor.selection.isEmpty) {
      const { start, end } = editor.selection;
      choices.push({
        label: "#selection", detail: `${name}:${start.line + 1}-${end.line + 1}`,
        item: { kind: "selection", uri: editor.document.uri.toString(), range: protocolRange(editor.selection) },
      });
    }
  } else {
    choices.push({ label: "#problems", detail: "everything the server has seen", item: { kind: "problems" } });
  }
  choices.push(
    { label: "#diff", detail: "git diff of the working tree", item: { kind: "diff" } },
    { label: "#diff:staged", detail: "git diff --staged", item: { kind: "diff", staged: true } },
    { label: "#openEditors", detail: "names of the open editors", item: { kind: "openEditors" } },
  );
  return choices;
}

/** What `#query` may attach: the matching special items first, then matching files of the workspace. */
export async function contextChoices(query: string): Promise<ContextChoice[]> {
  const special = editorChoices().filter((c) => matches(query, c.label.slice(1)));
  const uris = await vscode.workspace.findFiles("**/*", undefined, FILE_SCAN_LIMIT);
  const files = uris
    .map((uri) => ({ uri, path: vscode.workspace.asRelativePath(uri) }))
    .filter(({ path }) => matches(query, path))
    .sort((a, b) => a.path.length - b.path.length || a.path.localeCompare(b.path))
    .slice(0, MAX_FILES)
    .map(({ uri, path }): ContextChoice => ({
      label: path.split("/").at(-1) ?? path,
      detail: path,
      item: { kind: "file", uri: uri.toString() },
    }));
  return [...special, ...files];
}

/** The attachments as sent: a problems item of a file carries the editor's diagnostics of it now. */
export function withEditorState(items: readonly P.ContextItem[]): P.ContextItem[] {
  return items.map((item) => {
    if (item.kind !== "problems" || !item.uri || item.diagnostics) {
      return item;
    }
    const diagnostics = vscode.languages.getDiagnostics(vscode.Uri.parse(item.uri)).map(protocolDiagnostic);
    return { ...item, diagnostics };
  });
}
