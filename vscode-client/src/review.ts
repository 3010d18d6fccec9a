/**
 * Edits reviewed where the user looks. The server proposes every edit as `workspace/applyEdit` with a change
 * annotation that needs confirmation; instead of VS Code's refactor preview (which showed it unticked), the
 * client opens a diff of the proposed text against the file, and beside it the model's explanation with
 * Accept and Discard (also commands with keybindings, and buttons in the diff's title bar). Nothing is
 * applied before Accept; Accept applies the server's edit as sent, version pins included, so a document that
 * changed meanwhile is refused, never clobbered. Discard answers "not applied" without a reason, which the
 * server takes as the user's decision and does not report.
 */

import MarkdownIt from "markdown-it";
import * as vscode from "vscode";
import {
  type ApplyWorkspaceEditParams,
  type ApplyWorkspaceEditResult,
  ApplyWorkspaceEditRequest,
  ResponseError,
} from "vscode-languageclient/node";
import type { ActionRuns } from "./actionRuns";
import {
  applyTextEdits,
  baseName,
  type LspWorkspaceEdit,
  needsReview,
  type ProposedFile,
  proposedFiles,
  staleFiles,
  withoutAnnotations,
} from "./proposal";

export const PROPOSED_SCHEME = "chatls-proposed";
export const REVIEW_CONTEXT = "chatls.reviewing";
export const REVIEW_PANEL = "chatls.review";

type Next = ApplyWorkspaceEditRequest.HandlerSignature;
/** The client's own apply ignores the token it is given (the server's request has none to pass on). */
const NO_TOKEN = new vscode.CancellationTokenSource().token;

interface ReviewedFile {
  file: ProposedFile;
  uri: vscode.Uri;
  original: vscode.Uri;
  proposed: vscode.Uri;
}

interface OpenReview {
  id: number;
  files: ReviewedFile[];
  decide: (decision: "accept" | "discard") => void;
  panel: vscode.WebviewPanel;
}

const markdown = new MarkdownIt({ html: false, linkify: false, breaks: false });

export class EditReviews implements vscode.Disposable, vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly disposables: vscode.Disposable[] = [];
  private current: OpenReview | undefined;
  private counter = 0;

  readonly onDidChange = this.changed.event;

  constructor(private readonly runs: ActionRuns, private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, this),
      vscode.commands.registerCommand("chatls.client.acceptEdit", () => this.decide("accept")),
      vscode.commands.registerCommand("chatls.client.discardEdit", () => this.decide("discard")),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? "";
  }

  /** vscode-languageclient middleware for `workspace/applyEdit`. */
  readonly handleApplyEdit = async (params: ApplyWorkspaceEditParams, next: Next): Promise<ApplyWorkspaceEditResult | ResponseError<void>> => {
    const edit = params.edit as LspWorkspaceEdit;
    if (!needsReview(edit)) {
      return next(params, NO_TOKEN);
    }
    if (this.current) {
      return { applied: false, failureReason: "another ChatLS edit is waiting for review; accept or discard it first" };
    }
    const files = proposedFiles(edit);
    if (typeof files === "string") {
      return { applied: false, failureReason: files };
    }
    let reviewed: ReviewedFile[];
    try {
      reviewed = await this.prepare(files);
    } catch (error) {
      return { applied: false, failureReason: `the proposed edit cannot be shown: ${error instanceof Error ? error.message : String(error)}` };
    }
    const run = this.runs.forEdit();
    const label = params.label ?? edit.changeAnnotations?.chatls?.label ?? "ChatLS: proposed edit";
    const decision = await this.review(reviewed, label, run?.text ?? "");
    if (decision === "discard") {
      if (run) {
        run.decision = "discarded";
      }
      return { applied: false }; // no reason: the user's own choice, reported by nobody
    }
    if (run) {
      run.decision = "accepted";
    }
    return this.apply(params, edit, reviewed, next);
  };

  private async prepare(files: ProposedFile[]): Promise<ReviewedFile[]> {
    const id = ++this.counter;
    const reviewed: ReviewedFile[] = [];
    for (const [index, file] of files.entries()) {
      const uri = vscode.Uri.parse(file.uri);
      const before = file.created ? "" : (await vscode.workspace.openTextDocument(uri)).getText();
      const after = applyTextEdits(before, file.edits);
      const name = baseName(file.uri);
      // the file's own name last, so the proposed side gets the file's language (highlighting)
      const proposed = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${id}/${index}/proposed/${name}` });
      const original = file.created
        ? vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${id}/${index}/new/${name}` })
        : uri;
      this.texts.set(proposed.toString(), after);
      if (file.created) {
        this.texts.set(original.toString(), "");
      }
      reviewed.push({ file, uri, original, proposed });
    }
    return reviewed;
  }

  private async review(files: ReviewedFile[], label: string, explanation: string): Promise<"accept" | "discard"> {
    const names = files.map((f) => `${baseName(f.file.uri)}${f.file.created ? " (new)" : ""}`).join(", ");
    const title = `${label}: ${names}`;
    await this.showDiff(files, title); // where the user looks: the active editor group
    const panel = vscode.window.createWebviewPanel(
      REVIEW_PANEL, `Review: ${label.replace(/^ChatLS: /, "")}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, retainContextWhenHidden: true },
    );
    const decided = new Promise<"accept" | "discard">((resolve) => {
      this.current = { id: this.counter, files, decide: resolve, panel };
      panel.onDidDispose(() => resolve("discard")); // closing the explanation is a Discard
      panel.webview.onDidReceiveMessage((message: { type?: string }) => {
        if (message.type === "accept" || message.type === "discard") {
          resolve(message.type);
        }
      });
    });
    panel.webview.html = reviewHtml(panel.webview, title, explanation, files);
    await vscode.commands.executeCommand("setContext", REVIEW_CONTEXT, true);
    this.log.info(`${title}: proposed edit open for review`);
    const decision = await decided;
    this.log.info(`${title}: ${decision === "accept" ? "accepted" : "discarded"}`);
    await this.close();
    return decision;
  }

  private async showDiff(files: ReviewedFile[], title: string): Promise<void> {
    const options: vscode.TextDocumentShowOptions = { preview: true, viewColumn: vscode.ViewColumn.Active };
    if (files.length > 1) {
      try {
        await vscode.commands.executeCommand("vscode.changes", title, files.map((f) => [f.uri, f.original, f.proposed]));
        return;
      } catch (error) {
        this.log.info(`multi-file diff unavailable (${String(error)}); showing one diff per file`);
      }
    }
    for (const f of files) {
      await vscode.commands.executeCommand("vscode.diff", f.original, f.proposed,
        `${baseName(f.file.uri)}${f.file.created ? " (new file)" : ""} ↔ proposed by ${title.split(":")[0]}`, options);
    }
  }

  private decide(decision: "accept" | "discard"): void {
    if (!this.current) {
      void vscode.window.setStatusBarMessage("ChatLS: no proposed edit to review", 3000);
      return;
    }
    this.current.decide(decision);
  }

  /** Close the diff tabs and the explanation, forget the proposed texts. */
  private async close(): Promise<void> {
    const review = this.current;
    this.current = undefined;
    await vscode.commands.executeCommand("setContext", REVIEW_CONTEXT, false);
    if (!review) {
      return;
    }
    const proposed = new Set(review.files.map((f) => f.proposed.toString()));
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => {
      const input = tab.input;
      if (input instanceof vscode.TabInputTextDiff) {
        return proposed.has(input.modified.toString());
      }
      // the multi-file diff's tab input (TabInputTextMultiDiff, newer than the API version this targets)
      const diffs = (input as { textDiffs?: { modified?: vscode.Uri }[] } | undefined)?.textDiffs;
      return Array.isArray(diffs) && diffs.some((diff) => diff.modified !== undefined && proposed.has(diff.modified.toString()));
    });
    await vscode.window.tabGroups.close(tabs, true).then(undefined, () => false);
    review.panel.dispose();
    for (const f of review.files) {
      this.texts.delete(f.proposed.toString());
      this.texts.delete(f.original.toString());
    }
  }

  private async apply(
    params: ApplyWorkspaceEditParams, edit: LspWorkspaceEdit, files: ReviewedFile[], next: Next,
  ): Promise<ApplyWorkspaceEditResult | ResponseError<void>> {
    const versions = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d.version]));
    const stale = staleFiles(files.map((f) => f.file), (uri) => versions.get(vscode.Uri.parse(uri).toString()));
    if (stale.length > 0) {
      return {
        applied: false,
        failureReason: `${stale.map(baseName).join(", ")} changed while the edit was under review; nothing was applied`,
      };
    }
    // without its annotations VS Code applies the edit directly (with them it would ask a second time)
    const result = await next({ ...params, edit: withoutAnnotations(edit) as ApplyWorkspaceEditParams["edit"] }, NO_TOKEN);
    if (!(result instanceof ResponseError) && result.applied) {
      for (const f of files) {
        const document = await vscode.workspace.openTextDocument(f.uri);
        if (f.file.created) {
          await document.save(); // a new file exists on disk with its content, not empty beside a dirty buffer
        }
      }
      const first = files[0];
      if (first) {
        await vscode.window.showTextDocument(first.uri, { preview: false, viewColumn: vscode.ViewColumn.Active });
      }
      void vscode.window.setStatusBarMessage(`ChatLS: edit applied to ${files.map((f) => baseName(f.file.uri)).join(", ")}`, 5000);
    }
    return result;
  }

  dispose(): void {
    this.current?.decide("discard");
    for (const d of this.disposables) {
      d.dispose();
    }
    this.changed.dispose();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

function reviewHtml(webview: vscode.Webview, title: string, explanation: string, files: ReviewedFile[]): string {
  const nonce = Array.from({ length: 24 }, () => Math.floor(Math.random() * 36).toString(36)).join("");
  const list = files.map((f) => `<li><code>${escapeHtml(vscode.workspace.asRelativePath(f.uri))}</code>${f.file.created ? " <em>new file</em>" : ""}</li>`).join("");
  const body = explanation.trim() ? markdown.render(explanation) : "<p><em>The model gave no explanation.</em></p>";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 16px 16px; overflow-wrap: anywhere; }
  .actions { position: sticky; top: 0; display: flex; gap: 8px; padding: 12px 0; background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-panel-border, transparent); }
  button { font: inherit; padding: 4px 14px; border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; cursor: pointer; }
  #accept { color: var(--vscode-button-foreground); background: var(--vscode-button-background); }
  #accept:hover { background: var(--vscode-button-hoverBackground); }
  #discard { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
  #discard:hover { background: var(--vscode-button-secondaryHoverBackground); }
  kbd { font-size: 0.85em; opacity: 0.8; }
  h1 { font-size: 1.15em; margin: 14px 0 4px; }
  .files { margin: 4px 0 12px; padding-left: 18px; }
  pre { background: var(--vscode-textCodeBlock-background); padding: 8px; overflow-x: auto; white-space: pre; }
  code { font-family: var(--vscode-editor-font-family); }
  pre code { background: none; padding: 0; } /* one block, not a band per line */
  .explanation { border-top: 1px solid var(--vscode-panel-border, transparent); }
</style></head>
<body>
<div class="actions">
  <button id="accept" title="Apply the proposed edit (Ctrl+Enter)">Accept <kbd>Ctrl+Enter</kbd></button>
  <button id="discard" title="Drop the proposed edit (Ctrl+Backspace)">Discard <kbd>Ctrl+Backspace</kbd></button>
</div>
<h1>${escapeHtml(title)}</h1>
<ul class="files">${list}</ul>
<section class="explanation" aria-label="The model's reply">${body}</section>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  document.getElementById("accept").addEventListener("click", () => vscode.postMessage({ type: "accept" }));
  document.getElementById("discard").addEventListener("click", () => vscode.postMessage({ type: "discard" }));
</script>
</body></html>`;
}
