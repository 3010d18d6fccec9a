/**
 * What a ChatLS edit proposes, worked out before anything is applied: pure (no vscode import), so it is
 * unit-tested. The server sends its edits as `workspace/applyEdit` with a change annotation that needs
 * confirmation (server/chatls/edits.py); the client shows them for review instead of VS Code's refactor
 * preview, and applies them only on Accept.
 */

/** The annotation id the server puts on every edit it proposes (edits.ANNOTATION_ID). */
export const CHATLS_ANNOTATION = "chatls";

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

export interface LspTextEdit {
  range: LspRange;
  newText: string;
  annotationId?: string;
}

export interface LspTextDocumentEdit {
  textDocument: { uri: string; version: number | null };
  edits: LspTextEdit[];
}

export interface LspCreateFile {
  kind: "create";
  uri: string;
  options?: { overwrite?: boolean; ignoreIfExists?: boolean };
  annotationId?: string;
}

export type LspDocumentChange = LspTextDocumentEdit | LspCreateFile | { kind: "rename" | "delete"; [key: string]: unknown };

export interface LspChangeAnnotation {
  label: string;
  needsConfirmation?: boolean;
  description?: string;
}

export interface LspWorkspaceEdit {
  changes?: Record<string, LspTextEdit[]>;
  documentChanges?: LspDocumentChange[];
  changeAnnotations?: Record<string, LspChangeAnnotation>;
}

/** One file of a proposal. */
export interface ProposedFile {
  uri: string;
  /** The file does not exist yet: the edit creates it. */
  created: boolean;
  /** Version the server computed the edit against (null: any). */
  version: number | null;
  edits: LspTextEdit[];
}

/** True for an edit ChatLS wants reviewed: it carries the ChatLS annotation and asks for confirmation. */
export function needsReview(edit: LspWorkspaceEdit): boolean {
  return edit.changeAnnotations?.[CHATLS_ANNOTATION]?.needsConfirmation === true;
}

function isTextDocumentEdit(change: LspDocumentChange): change is LspTextDocumentEdit {
  return !("kind" in change) && "textDocument" in change;
}

/**
 * The files an edit touches, in order, with their edits gathered per file. Returns an error message for
 * what the review cannot show (renames and deletions: ChatLS never proposes them).
 */
export function proposedFiles(edit: LspWorkspaceEdit): ProposedFile[] | string {
  const files = new Map<string, ProposedFile>();
  const fileOf = (uri: string, version: number | null, created = false): ProposedFile => {
    let file = files.get(uri);
    if (!file) {
      file = { uri, created, version, edits: [] };
      files.set(uri, file);
    }
    return file;
  };
  for (const change of edit.documentChanges ?? []) {
    if (isTextDocumentEdit(change)) {
      const file = fileOf(change.textDocument.uri, change.textDocument.version);
      file.edits.push(...change.edits);
    } else if (change.kind === "create") {
      fileOf(change.uri, null, true).created = true;
    } else {
      return `the edit would ${change.kind} a file, which ChatLS never proposes`;
    }
  }
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    fileOf(uri, null).edits.push(...edits);
  }
  return [...files.values()];
}

/** Start of each line (a line ends at \n, \r\n or \r, as LSP says). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\r" && text[i + 1] === "\n") {
      i++;
      starts.push(i + 1);
    } else if (ch === "\n" || ch === "\r") {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Offset of an LSP position (UTF-16 columns, like JavaScript strings); a column past the line end clamps. */
export function offsetAt(text: string, starts: readonly number[], position: LspPosition): number {
  if (position.line >= starts.length) {
    return text.length;
  }
  const start = starts[position.line];
  const next = position.line + 1 < starts.length ? starts[position.line + 1] : text.length;
  let end = next;
  if (end > start && text[end - 1] === "\n") {
    end--;
  }
  if (end > start && text[end - 1] === "\r") {
    end--;
  }
  return Math.min(start + Math.max(0, position.character), end);
}

/** `text` with the edits applied (LSP semantics: every range refers to the original text; none overlap). */
export function applyTextEdits(text: string, edits: readonly LspTextEdit[]): string {
  const starts = lineStarts(text);
  const spans = edits
    .map((edit, index) => ({
      start: offsetAt(text, starts, edit.range.start),
      end: offsetAt(text, starts, edit.range.end),
      newText: edit.newText,
      index,
    }))
    .sort((a, b) => a.start - b.start || a.index - b.index);
  let result = "";
  let at = 0;
  for (const span of spans) {
    if (span.start < at) {
      throw new Error("the proposed edits overlap");
    }
    result += text.slice(at, span.start) + span.newText;
    at = span.end;
  }
  return result + text.slice(at);
}

/**
 * The same edit without the annotations: what VS Code applies directly once the user accepted it (with
 * them, VS Code would open its refactor preview a second time). Versions stay: VS Code still refuses an
 * edit whose document changed meanwhile.
 */
export function withoutAnnotations(edit: LspWorkspaceEdit): LspWorkspaceEdit {
  const strip = (text: LspTextEdit): LspTextEdit => ({ range: text.range, newText: text.newText });
  const result: LspWorkspaceEdit = {};
  if (edit.changes) {
    result.changes = Object.fromEntries(Object.entries(edit.changes).map(([uri, edits]) => [uri, edits.map(strip)]));
  }
  if (edit.documentChanges) {
    result.documentChanges = edit.documentChanges.map((change) => {
      if (isTextDocumentEdit(change)) {
        return { textDocument: change.textDocument, edits: change.edits.map(strip) };
      }
      const create = { ...(change as LspCreateFile) };
      delete create.annotationId;
      return create;
    });
  }
  return result;
}

/** Which documents changed since the server computed the edit, given their current versions. */
export function staleFiles(files: readonly ProposedFile[], versionOf: (uri: string) => number | undefined): string[] {
  return files
    .filter((file) => file.version !== null && !file.created)
    .filter((file) => {
      const now = versionOf(file.uri);
      return now !== undefined && now !== file.version;
    })
    .map((file) => file.uri);
}

/** Short name for a file in titles: its last path segment. */
export function baseName(uri: string): string {
  const path = decodeURIComponent(uri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, ""));
  return path.split("/").filter(Boolean).at(-1) ?? uri;
}
