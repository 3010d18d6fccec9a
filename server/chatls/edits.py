"""Pure text work behind the code actions: positions, code-block extraction, re-indenting, relocation, edits.

Nothing here talks to a client or a model. Positions follow LSP: lines end at `\\n`, `\\r\\n` or `\\r`, and
columns count code units of the negotiated position encoding (UTF-16 unless the client chose otherwise).
Indices are Python `str` indices (code points).

Choosing the replacement (see `choose_code`): only code is ever applied, never prose. Only *closed* fenced
blocks count (a fence cut off at the end of the reply is never applied); blocks tagged with the selection's
language beat untagged ones, and blocks in another language (`bash` or `diff` for a Python selection) are
never used; when the selection's language is unknown, any block but those that are never code (`diff`,
`console`, `text`, ...). A reply without a fenced block is not code, unless it is one inline `span`. A block
that merely repeats the original selection is dropped when another is left; of the rest the longest wins
(the last one on a tie, because models put the final version last). Generated tests join all remaining
blocks instead.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

ANNOTATION_ID = "chatls"

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class PositionError(ValueError):
    """A position or range that does not fit the document."""


# --- code units and positions --------------------------------------------------------------------
def code_units(text: str, encoding: str = UTF16) -> int:
    """Length of `text` in the client's code units."""
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == UTF32:
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def index_of_column(line: str, column: int, encoding: str = UTF16) -> int:
    """Python index in `line` (no line break) of a column in code units.

    A column past the end of the line means the end of the line, as the LSP specification says; a column in
    the middle of a character (half a surrogate pair, part of a UTF-8 sequence) is an error.
    """
    if column < 0:
        raise PositionError(f"character {column} is negative")
    units = 0
    for index, ch in enumerate(line):
        if units == column:
            return index
        units += code_units(ch, encoding)
        if units > column:
            raise PositionError(f"character {column} falls inside the character {ch!r}")
    return len(line)


def column_of_index(line: str, index: int, encoding: str = UTF16) -> int:
    """Column in code units of the Python index `index` in `line`."""
    return code_units(line[:index], encoding)


def line_starts(text: str) -> list[int]:
    """Index where each line begins; a text ending in a line break has an empty last line."""
    return [0, *(match.end() for match in _LINE_BREAK.finditer(text))]


def _line_end(text: str, starts: Sequence[int], line: int) -> int:
    """Index just before the line break of `line` (or the end of the text)."""
    if line + 1 < len(starts):
        end = starts[line + 1]
        return end - 2 if text[end - 2 : end] == "\r\n" else end - 1
    return len(text)


def offset_at(
    text: str, position: types.Position, encoding: str = UTF16, *, starts: Sequence[int] | None = None
) -> int:
    """Python index of an LSP position in `text`."""
    starts = line_starts(text) if starts is None else starts
    if position.line == len(starts) and position.character == 0:
        return len(text)  # some clients end whole-document ranges on the line after the last
    if not 0 <= position.line < len(starts):
        raise PositionError(f"line {position.line} is outside the document (it has {len(starts)} lines)")
    start = starts[position.line]
    line = text[start : _line_end(text, starts, position.line)]
    return start + index_of_column(line, position.character, encoding)


def position_at(
    text: str, offset: int, encoding: str = UTF16, *, starts: Sequence[int] | None = None
) -> types.Position:
    """LSP position of the Python index `offset` in `text`."""
    if not 0 <= offset <= len(text):
        raise PositionError(f"offset {offset} is outside the text (length {len(text)})")
    starts = line_starts(text) if starts is None else starts
    line = bisect.bisect_right(starts, offset) - 1
    return types.Position(line=line, character=code_units(text[starts[line] : offset], encoding))


def span_of(text: str, range_: types.Range, encoding: str = UTF16) -> tuple[int, int]:
    """Python `(start, end)` indices of an LSP range; an inverted range is an error."""
    starts = line_starts(text)
    start = offset_at(text, range_.start, encoding, starts=starts)
    end = offset_at(text, range_.end, encoding, starts=starts)
    if end < start:
        raise PositionError("the range ends before it starts")
    return start, end


def range_of(text: str, start: int, end: int, encoding: str = UTF16) -> types.Range:
    """LSP range of the Python indices `start`..`end` in `text`."""
    starts = line_starts(text)
    return types.Range(
        start=position_at(text, start, encoding, starts=starts),
        end=position_at(text, end, encoding, starts=starts),
    )


def line_context(text: str, start: int, end: int) -> tuple[str, str]:
    """The text before `start` on its line and after `end` on its line."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    after = _LINE_BREAK.search(text, end)
    return text[line_start:start], text[end : after.start() if after else len(text)]


def detect_eol(*texts: str) -> str:
    """The first line break found in `texts` (in order), or `\\n`."""
    for text in texts:
        match = _LINE_BREAK.search(text)
        if match:
            return match.group()
    return "\n"


# --- code blocks in a reply ----------------------------------------------------------------------
@dataclass(frozen=True)
class CodeBlock:
    language: str
    """First word of the info string, lower-cased ("" when untagged)."""
    code: str
    closed: bool
    """False when the reply ended before the closing fence (a cut-off reply)."""


_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")

_LANGUAGE_ALIASES = {
    "py": "python", "python3": "python", "py3": "python",
    "ts": "typescript", "tsx": "typescriptreact", "js": "javascript", "node": "javascript",
    "jsx": "javascriptreact", "mjs": "javascript", "cjs": "javascript",
    "sh": "shellscript", "bash": "shellscript", "shell": "shellscript", "zsh": "shellscript",
    "cs": "csharp", "c#": "csharp", "c++": "cpp", "cc": "cpp", "cxx": "cpp", "hpp": "cpp",
    "rs": "rust", "golang": "go", "rb": "ruby", "md": "markdown", "yml": "yaml", "kt": "kotlin",
    "objc": "objective-c", "ps1": "powershell", "pwsh": "powershell", "docker": "dockerfile",
    "make": "makefile", "el": "emacs-lisp", "elisp": "emacs-lisp", "vim": "viml", "tf": "terraform",
    "text": "plaintext", "txt": "plaintext", "patch": "diff", "udiff": "diff",
    "shell-session": "console", "sh-session": "console", "terminal": "console",
}  # fmt: skip

NEVER_CODE = frozenset({"diff", "console", "plaintext", "output", "log", "markdown"})
"""Fence languages that are not code to put in a file whose language ChatLS does not know."""


def canonical_language(name: str | None) -> str:
    """VS Code-style language id for a language id or a fence tag (`py` -> `python`)."""
    lowered = (name or "").strip().lower()
    return _LANGUAGE_ALIASES.get(lowered, lowered)


def code_blocks(reply: str) -> list[CodeBlock]:
    """Fenced code blocks (``` or ~~~, CommonMark rules) in a Markdown reply, in order."""
    blocks: list[CodeBlock] = []
    lines = _LINE_BREAK.split(reply)
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if not opening or (opening["fence"][0] == "`" and "`" in opening["info"]):
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            body.append(_strip_spaces(lines[i], indent))
            i += 1
        info = opening["info"].strip().split()
        language = info[0].lstrip("{.").rstrip("}").lower() if info else ""
        blocks.append(CodeBlock(language, "\n".join(body), closed=i < len(lines)))
        i += 1
    return blocks


def _strip_spaces(line: str, count: int) -> str:
    removable = len(line) - len(line.lstrip(" "))
    return line[min(count, removable) :]


def choose_code(
    reply: str, language_id: str | None, *, original: str | None = None, combine: bool = False
) -> str | None:
    """The code to apply from a model reply, or None when the reply holds no code.

    Only closed fenced blocks in the selection's language (or untagged) are code; a reply that is one
    `inline span` is unwrapped; prose is never code. See the module docstring for how one of several blocks
    is chosen; `combine` joins them instead.
    """
    found = code_blocks(reply)
    blocks = [block for block in found if block.closed and block.code.strip()]
    if not found:
        return _inline_code(reply)
    candidates = _applicable(blocks, canonical_language(language_id))
    if not candidates:
        return None
    if combine:
        return "\n\n".join(_trim_blank_lines(block.code) for block in candidates)
    if original is not None and len(candidates) > 1:
        changed = [block for block in candidates if _squash(block.code) != _squash(original)]
        candidates = changed or candidates
    best = max(reversed(candidates), key=lambda block: len(block.code.strip()))
    return _trim_blank_lines(best.code)


def _applicable(blocks: list[CodeBlock], language: str) -> list[CodeBlock]:
    """The blocks that may become the edit: the selection's language, else untagged ones."""
    if not language:
        return [block for block in blocks if canonical_language(block.language) not in NEVER_CODE]
    same = [block for block in blocks if canonical_language(block.language) == language]
    return same or [block for block in blocks if not block.language]


def _inline_code(reply: str) -> str | None:
    """The code of a reply that is nothing but one inline span; prose is never code."""
    inline = re.fullmatch(r"`([^`\n]+)`", reply.strip())
    return inline.group(1) if inline else None


def _trim_blank_lines(text: str) -> str:
    lines = _LINE_BREAK.split(text)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def _squash(code: str) -> str:
    return "\n".join(line.strip() for line in _LINE_BREAK.split(code) if line.strip())


# --- fitting a replacement into the document -----------------------------------------------------
def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _min_indent(lines: Sequence[str]) -> int | None:
    widths = [len(_indent(line)) for line in lines if line.strip()]
    return min(widths) if widths else None


def fit_replacement(
    code: str, *, original: str, line_prefix: str, line_suffix: str = "", eol: str | None = None
) -> str:
    """Re-indent `code` to stand in for `original`, the selected text, in the document.

    `line_prefix` is the document text on the selection's first line before the selection, `line_suffix` the
    text after it on its last line. The model's own indentation is kept relative to its least indented line
    and moved to the selection's indentation; tabs and spaces follow the document; line breaks become `eol`
    (default: the original's); the result ends with a line break exactly when the original did. A reply that
    repeats the unselected start (and end) of the line is trimmed, so the edit does not duplicate them.
    """
    eol = eol or detect_eol(original, code)
    final_break = re.search(r"(?:\r\n|\r|\n)\Z", original)
    orig = _LINE_BREAK.split(original[: final_break.start()] if final_break else original)
    reply = _trim_blank_lines(code).split("\n")
    reply = _drop_echoed_context(reply, original, line_prefix, "" if final_break else line_suffix)
    prefix_is_blank = not line_prefix.strip(" \t")
    base = _indent(line_prefix + orig[0]) if prefix_is_blank else _indent(line_prefix)
    absolute = _absolute_indents(reply, orig, base)
    common = min((len(ind) for ind, line in zip(absolute, reply, strict=True) if line.strip()), default=0)
    style = _IndentStyle.of(base, orig)
    out: list[str] = []
    for number, (ind, line) in enumerate(zip(absolute, reply, strict=True)):
        content = line.lstrip(" \t")
        if not content:
            out.append("")
            continue
        relative = style.convert(ind[common:], reply)
        if number == 0:
            out.append((base + relative)[len(line_prefix) :] + content if prefix_is_blank else content)
        else:
            out.append(base + relative + content)
    return eol.join(out) + (eol if final_break else "")


def _drop_echoed_context(reply: list[str], original: str, line_prefix: str, line_suffix: str) -> list[str]:
    """Models asked to replace part of a line often answer with the whole line: drop the parts that stay.

    The start is dropped when the reply begins with the code before the selection and the selection did
    not; the end only together with it, since a reply may legitimately end like the line does (`)`).
    """
    head, tail = line_prefix.strip(), line_suffix.strip()
    first = reply[0].lstrip(" \t")
    if not head or not first.startswith(head) or original.lstrip().startswith(head):
        return reply
    trimmed = [_indent(reply[0]) + first[len(head) :].lstrip(" \t"), *reply[1:]]
    last = trimmed[-1].rstrip()
    if tail and last.endswith(tail) and not original.rstrip().endswith(tail):
        trimmed[-1] = last[: -len(tail)].rstrip()
    return trimmed


def _absolute_indents(reply: list[str], orig: list[str], base: str) -> list[str]:
    """Indent strings of the reply's lines, with the first line's indentation restored when the model
    copied the selection's shape (first line without the indentation it lost to the selection start, later
    lines at their indentation in the file)."""
    indents = [_indent(line) for line in reply]
    missing = len(base) - len(_indent(orig[0]))
    orig_rest, reply_rest = _min_indent(orig[1:]), _min_indent(reply[1:])
    if missing <= 0 or orig_rest is None or reply_rest is None or not reply[0].strip():
        return indents
    if len(indents[0]) <= len(_indent(orig[0])) and reply_rest >= orig_rest:
        indents[0] = base[:missing] + indents[0]
    return indents


@dataclass(frozen=True)
class _IndentStyle:
    tabs: bool | None
    """True for a tab-indented document, False for spaces, None when the selection does not tell."""
    unit: int
    """Spaces per level in a space-indented document."""

    @classmethod
    def of(cls, base: str, orig: list[str]) -> _IndentStyle:
        indents = [base] + [_indent(line) for line in orig[1:] if line.strip()]
        if any("\t" in ind for ind in indents):
            return cls(tabs=True, unit=4)
        widths = sorted({len(ind) for ind in indents if ind})
        if not widths:
            return cls(tabs=None, unit=4)
        steps = [b - a for a, b in itertools.pairwise(widths)] or [widths[0]]
        return cls(tabs=False, unit=max(2, min(steps)))

    def convert(self, relative: str, reply: list[str]) -> str:
        if self.tabs is True and " " in relative:
            unit = _reply_unit(reply)
            spaces = relative.count(" ")
            return "\t" * (relative.count("\t") + spaces // unit) + " " * (spaces % unit)
        if self.tabs is False and "\t" in relative:
            return relative.replace("\t", " " * self.unit)
        return relative


def _reply_unit(reply: list[str]) -> int:
    widths = sorted({len(_indent(line)) for line in reply if line.strip() and "\t" not in _indent(line)})
    steps = [b - a for a, b in itertools.pairwise(widths) if b > a] + [w for w in widths[:1] if w]
    return max(2, min(steps)) if steps else 4


# --- relocating a stale selection ----------------------------------------------------------------
@dataclass(frozen=True)
class Relocation:
    matches: int
    """How often the original selection occurs in the new text (counting stops at 2)."""
    start: int | None = None
    """Its index when it occurs exactly once."""


def relocate(text: str, original: str) -> Relocation:
    """Find the originally selected text in a changed document; usable only when found exactly once."""
    if not original:
        return Relocation(matches=0)
    first = text.find(original)
    if first < 0:
        return Relocation(matches=0)
    if text.find(original, first + 1) >= 0:
        return Relocation(matches=2)
    return Relocation(matches=1, start=first)


# --- workspace edits -----------------------------------------------------------------------------
@dataclass(frozen=True)
class EditSupport:
    """What the client can do with a `WorkspaceEdit`."""

    document_changes: bool = False
    change_annotations: bool = False
    create_files: bool = False

    @classmethod
    def from_capabilities(cls, capabilities: types.ClientCapabilities) -> EditSupport:
        workspace_edit = capabilities.workspace.workspace_edit if capabilities.workspace else None
        if workspace_edit is None:
            return cls()
        operations = workspace_edit.resource_operations or ()
        document_changes = bool(workspace_edit.document_changes)
        return cls(
            document_changes=document_changes,
            change_annotations=document_changes and workspace_edit.change_annotation_support is not None,
            # Resource operations only exist inside documentChanges, so a client listing "create" applies them
            # (Neovim 0.7 lists it without declaring documentChanges, and handles both).
            create_files=types.ResourceOperationKind.Create in operations,
        )


def _annotations(support: EditSupport, label: str) -> dict[str, types.ChangeAnnotation] | None:
    if not support.change_annotations:
        return None
    note = types.ChangeAnnotation(
        label=label, needs_confirmation=True, description="Proposed by ChatLS: review before applying"
    )
    return {ANNOTATION_ID: note}


def _text_edit(
    range_: types.Range, new_text: str, support: EditSupport
) -> types.TextEdit | types.AnnotatedTextEdit:
    if support.change_annotations:
        return types.AnnotatedTextEdit(annotation_id=ANNOTATION_ID, range=range_, new_text=new_text)
    return types.TextEdit(range=range_, new_text=new_text)


def replace_edit(
    uri: str, version: int | None, range_: types.Range, new_text: str, support: EditSupport, *, label: str
) -> types.WorkspaceEdit:
    """Replace `range_`; pinned to `version` when the client takes versioned document changes."""
    if not support.document_changes:
        return types.WorkspaceEdit(changes={uri: [types.TextEdit(range=range_, new_text=new_text)]})
    edit = _text_edit(range_, new_text, support)
    document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    return types.WorkspaceEdit(
        document_changes=[types.TextDocumentEdit(text_document=document, edits=[edit])],
        change_annotations=_annotations(support, label),
    )


def create_file_edit(uri: str, text: str, support: EditSupport, *, label: str) -> types.WorkspaceEdit:
    """Create a new file holding `text`; fails (in the client) rather than overwrite an existing one."""
    if not support.create_files:
        raise ValueError("the client cannot create files through a workspace edit")
    annotation = ANNOTATION_ID if support.change_annotations else None
    create = types.CreateFile(
        uri=uri,
        options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False),
        annotation_id=annotation,
    )
    start = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None)
    insert = types.TextDocumentEdit(text_document=document, edits=[_text_edit(start, text, support)])
    return types.WorkspaceEdit(
        document_changes=[create, insert], change_annotations=_annotations(support, label)
    )


def append_text(existing: str, addition: str, eol: str | None = None) -> str:
    """What to insert at the end of `existing` so `addition` follows it after one blank line."""
    eol = eol or detect_eol(existing)
    body = eol.join(_LINE_BREAK.split(addition.rstrip())) + eol
    if not existing.strip():
        return body
    stripped = existing.rstrip("\r\n")
    breaks_at_end = len(_LINE_BREAK.findall(existing[len(stripped) :]))
    return eol * max(0, 2 - breaks_at_end) + body
