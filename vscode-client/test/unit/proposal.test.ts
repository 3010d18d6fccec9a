// What a ChatLS edit proposes, computed before anything is applied: the texts shown in the review's diff,
// the edit applied on Accept (no annotations, versions kept) and the refusal of a document changed meanwhile.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyTextEdits, baseName, type LspWorkspaceEdit, needsReview, proposedFiles, staleFiles, withoutAnnotations,
} from "../../src/proposal";

const range = (sl: number, sc: number, el: number, ec: number) => ({ start: { line: sl, character: sc }, end: { line: el, character: ec } });
const NOTE = { chatls: { label: "ChatLS: Fix", needsConfirmation: true, description: "Proposed by ChatLS" } };

/** The shape server/chatls/edits.py builds for a replacement (replace_edit with annotations). */
const replacement: LspWorkspaceEdit = {
  documentChanges: [{
    textDocument: { uri: "file:///ws/hello.py", version: 3 },
    edits: [{ range: range(0, 0, 1, 16), newText: "def add(a: int, b: int) -> int:\n    return a + b", annotationId: "chatls" }],
  }],
  changeAnnotations: NOTE,
};

/** And for generated tests in a new file (create_file_edit). */
const creation: LspWorkspaceEdit = {
  documentChanges: [
    { kind: "create", uri: "file:///ws/tests/test_hello.py", options: { overwrite: false, ignoreIfExists: false }, annotationId: "chatls" },
    { textDocument: { uri: "file:///ws/tests/test_hello.py", version: null }, edits: [{ range: range(0, 0, 0, 0), newText: "def test_add():\n    assert add(1, 2) == 3\n", annotationId: "chatls" }] },
  ],
  changeAnnotations: NOTE,
};

test("only ChatLS's annotated edits that need confirmation go to review", () => {
  assert.equal(needsReview(replacement), true);
  assert.equal(needsReview({ changes: { "file:///a": [] } }), false);
  assert.equal(needsReview({ ...replacement, changeAnnotations: { chatls: { label: "x", needsConfirmation: false } } }), false);
  assert.equal(needsReview({ ...replacement, changeAnnotations: { other: { label: "x", needsConfirmation: true } } }), false);
});

test("the proposed text of a replacement", () => {
  const files = proposedFiles(replacement);
  assert.ok(Array.isArray(files));
  assert.equal(files.length, 1);
  assert.deepEqual({ ...files[0], edits: files[0].edits.length }, { uri: "file:///ws/hello.py", created: false, version: 3, edits: 1 });
  assert.equal(applyTextEdits("def add(a, b):\n    return a + b\n", files[0].edits),
    "def add(a: int, b: int) -> int:\n    return a + b\n");
});

test("a created file is one proposed file, marked new, starting empty", () => {
  const files = proposedFiles(creation);
  assert.ok(Array.isArray(files));
  assert.equal(files.length, 1);
  assert.equal(files[0].created, true);
  assert.equal(applyTextEdits("", files[0].edits), "def test_add():\n    assert add(1, 2) == 3\n");
});

test("a multi-file edit keeps its files in order and gathers edits per file", () => {
  const edit: LspWorkspaceEdit = {
    documentChanges: [
      { textDocument: { uri: "file:///ws/a.py", version: 1 }, edits: [{ range: range(0, 0, 0, 1), newText: "A" }] },
      ...creation.documentChanges ?? [],
      { textDocument: { uri: "file:///ws/a.py", version: 1 }, edits: [{ range: range(1, 0, 1, 1), newText: "B" }] },
    ],
    changeAnnotations: NOTE,
  };
  const files = proposedFiles(edit);
  assert.ok(Array.isArray(files));
  assert.deepEqual(files.map((f) => [baseName(f.uri), f.created, f.edits.length]), [["a.py", false, 2], ["test_hello.py", true, 1]]);
  assert.equal(applyTextEdits("a\nb\nc", files[0].edits), "A\nB\nc");
});

test("renames and deletions are refused with a reason", () => {
  const result = proposedFiles({ documentChanges: [{ kind: "delete", uri: "file:///ws/a.py" }] });
  assert.equal(typeof result, "string");
  assert.match(result as string, /delete/);
});

test("edits follow LSP positions: UTF-16 columns, CRLF lines, clamped line ends, insertion order", () => {
  assert.equal(applyTextEdits("x = '😀'; y\r\nz", [{ range: range(0, 10, 0, 11), newText: "w" }]), "x = '😀'; w\r\nz");
  assert.equal(applyTextEdits("ab\r\ncd", [{ range: range(0, 1, 0, 99), newText: "X" }]), "aX\r\ncd");
  assert.equal(applyTextEdits("ab", [{ range: range(5, 0, 5, 0), newText: "!" }]), "ab!");
  assert.equal(applyTextEdits("ab", [{ range: range(0, 1, 0, 1), newText: "1" }, { range: range(0, 1, 0, 1), newText: "2" }]), "a12b");
  assert.throws(() => applyTextEdits("abcd", [{ range: range(0, 0, 0, 3), newText: "" }, { range: range(0, 2, 0, 4), newText: "" }]), /overlap/);
});

test("Accept applies the same edit without annotations, version pins kept", () => {
  const plain = withoutAnnotations(creation);
  assert.equal(plain.changeAnnotations, undefined);
  assert.ok(!JSON.stringify(plain).includes("annotationId"));
  assert.deepEqual(plain.documentChanges?.[0], { kind: "create", uri: "file:///ws/tests/test_hello.py", options: { overwrite: false, ignoreIfExists: false } });
  const pinned = withoutAnnotations(replacement).documentChanges?.[0];
  assert.deepEqual(pinned, { textDocument: { uri: "file:///ws/hello.py", version: 3 }, edits: [{ range: range(0, 0, 1, 16), newText: "def add(a: int, b: int) -> int:\n    return a + b" }] });
  assert.ok(JSON.stringify(creation).includes("annotationId"), "the original is left as it was");
});

test("a document changed during the review is stale; new files and unpinned ones never are", () => {
  const files = [...proposedFiles(replacement) as never[], ...proposedFiles(creation) as never[]];
  assert.deepEqual(staleFiles(files, () => 3), []);
  assert.deepEqual(staleFiles(files, (uri) => (uri.endsWith("hello.py") ? 4 : 9)), ["file:///ws/hello.py"]);
  assert.deepEqual(staleFiles(files, () => undefined), [], "a closed document is checked by VS Code itself");
});

test("baseName of file URIs, percent-decoded", () => {
  assert.equal(baseName("file:///ws/my%20dir/hello%20world.py"), "hello world.py");
  assert.equal(baseName("untitled:Untitled-1"), "untitled:Untitled-1".split("/").at(-1));
});
