"""Pure prompt building: how selected code and its surroundings are shown to the model.

The user's own words are never mixed into these blocks: the store keeps the prompt as typed, and these blocks
travel beside it only in the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from chatls.action_specs import Action as Action  # re-exported: callers build prompts for an Action
from chatls.action_specs import Result


def fence_for(code: str) -> str:
    """A backtick fence longer than any run of backticks inside `code`, so the block cannot end early."""
    # Only runs of three or more matter, and str.find skips to them: a loop over every character (or a
    # regex) costs 50 ms to over a second on a 1 MB attachment.
    longest = 0
    start = code.find("```")
    while start != -1:
        end = start + 3
        while end < len(code) and code[end] == "`":
            end += 1
        longest = max(longest, end - start)
        start = code.find("```", end)
    return "`" * max(3, longest + 1)


def selection_block(
    file_name: str,
    language_id: str | None,
    code: str,
    *,
    first_line: int,
    before: str = "",
    after: str = "",
) -> str:
    """Describe a selection (and optional surrounding lines) as Markdown for the model.

    `first_line` is the 0-based line the selection starts on; it is shown 1-based, as editors do.
    """
    lang = language_id or ""
    last_line = first_line + code.count("\n")
    parts = [f"File: {file_name} (lines {first_line + 1}-{last_line + 1}, language: {lang or 'unknown'})"]
    if before.strip():
        fence = fence_for(before)
        parts.append(f"Code before the selection:\n{fence}{lang}\n{before.rstrip()}\n{fence}")
    fence = fence_for(code)
    parts.append(f"Selected code:\n{fence}{lang}\n{code}\n{fence}")
    if after.strip():
        fence = fence_for(after)
        parts.append(f"Code after the selection:\n{fence}{lang}\n{after.rstrip()}\n{fence}")
    return "\n\n".join(parts)


# --- per-action prompts --------------------------------------------------------------------------
# Each action's wording lives in its spec (`action_specs.Action`): the stored request and a template of rules
# whose fields (`PROMPT_FIELDS`) are filled here from the selection's language, diagnostics and test file.
@dataclass(frozen=True)
class Selection:
    """Selected code and where it sits, as the model should see it."""

    file_name: str
    """Path shown to the model, relative to the workspace folder when there is one."""
    language_id: str | None
    code: str
    first_line: int
    """0-based line the selection starts on."""
    before: str = ""
    """Surrounding code before the selection (see `surroundings`)."""
    after: str = ""


@dataclass(frozen=True)
class DiagnosticNote:
    """A problem some language server reported in the selection (for Fix)."""

    message: str
    line: int
    """0-based line it starts on."""
    severity: int | None = None
    """LSP DiagnosticSeverity: 1 error, 2 warning, 3 information, 4 hint."""
    source: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class TargetTestFile:
    """Where generated tests go."""

    path: str
    """Shown to the model, relative to the workspace folder when there is one."""
    exists: bool
    """True when the tests will be appended to an existing file."""
    module: str | None = None
    """Import path of the code under test, when the language has one (Python)."""


@dataclass(frozen=True)
class ActionPrompt:
    """One action turn: what is stored as the user's message, and what travels beside it."""

    prompt: str
    """The user's message as stored: the action's name, or the user's own instruction or question."""
    attachment: str
    """The selection block, surrounding code, diagnostics: sent with the turn, not stored."""
    task_instructions: str
    """Rules for this turn only (reply format)."""


_SEVERITIES = {1: "error", 2: "warning", 3: "information", 4: "hint"}

_TEST_FRAMEWORKS = {
    "python": "pytest (plain test functions and assert statements)",
    "typescript": "the describe/it/expect style of Jest or Vitest",
    "typescriptreact": "the describe/it/expect style of Jest or Vitest",
    "javascript": "the describe/it/expect style of Jest or Vitest",
    "javascriptreact": "the describe/it/expect style of Jest or Vitest",
    "go": "the standard library's testing package (table-driven tests)",
    "rust": "a #[cfg(test)] mod tests with #[test] functions",
    "java": "JUnit 5",
    "kotlin": "JUnit 5",
    "csharp": "xUnit",
    "ruby": "RSpec",
}

_DOC_STYLES = {
    "python": "docstrings (PEP 257)",
    "typescript": "JSDoc/TSDoc comments",
    "typescriptreact": "JSDoc/TSDoc comments",
    "javascript": "JSDoc comments",
    "javascriptreact": "JSDoc comments",
    "go": "Go doc comments",
    "rust": "/// doc comments",
    "java": "Javadoc comments",
    "kotlin": "KDoc comments",
    "csharp": "XML documentation comments",
}


def build_action_prompt(
    action: Action,
    selection: Selection,
    *,
    instruction: str | None = None,
    diagnostics: Sequence[DiagnosticNote] = (),
    tests: TargetTestFile | None = None,
) -> ActionPrompt:
    """The prompt, attachment and per-turn rules for one code action on `selection`."""
    code, before, after = (_lf(text) for text in (selection.code, selection.before, selection.after))
    block = selection_block(
        selection.file_name,
        selection.language_id,
        code,
        first_line=selection.first_line,
        before=before,
        after=after,
    )
    parts = [block]
    if diagnostics:
        parts.append(diagnostics_block(diagnostics))
    if action.spec.result is Result.TEST_FILE and tests is not None:
        parts.append(_tests_block(tests))
    typed = (instruction or "").strip()
    prompt = typed or f"{action.spec.request} ({_where(selection)})"
    return ActionPrompt(prompt, "\n\n".join(parts), _task_instructions(action, selection, diagnostics, tests))


def diagnostics_block(diagnostics: Sequence[DiagnosticNote]) -> str:
    """The reported problems, one per line, with 1-based line numbers."""
    lines = ["Problems reported for the selected code:"]
    for note in diagnostics:
        severity = _SEVERITIES.get(note.severity or 0, "problem")
        origin = " ".join(part for part in (note.source, f"({note.code})" if note.code else None) if part)
        lines.append(
            f"- line {note.line + 1}, {severity}{' from ' + origin if origin else ''}: {_lf(note.message)}"
        )
    return "\n".join(lines)


def _tests_block(tests: TargetTestFile) -> str:
    state = "an existing file; your tests are appended to it" if tests.exists else "a new file"
    lines = [f"Test file: {tests.path} ({state})"]
    if tests.module:
        lines.append(f"Module under test: {tests.module}")
    return "\n".join(lines)


def _where(selection: Selection) -> str:
    first, last = selected_lines(selection)
    lines = f"line {first}" if first == last else f"lines {first}-{last}"
    return f"{selection.file_name}, {lines}"


def selected_lines(selection: Selection) -> tuple[int, int]:
    """The first and last line of the selection, 1-based (a final line break ends the last line)."""
    first = selection.first_line + 1
    return first, first + _lf(selection.code).rstrip("\n").count("\n")


PROMPT_FIELDS = (
    "language",
    "code_tag",
    "replacement_rules",
    "problems_goal",
    "doc_style",
    "test_framework",
    "tests_import",
    "tests_target",
)
"""The fields an action's prompt template may use (`ActionSpec.prompt`); `_prompt_fields` fills them."""


def _task_instructions(
    action: Action, selection: Selection, diagnostics: Sequence[DiagnosticNote], tests: TargetTestFile | None
) -> str:
    return action.spec.prompt.format_map(_prompt_fields(selection, diagnostics, tests))


def _prompt_fields(
    selection: Selection, diagnostics: Sequence[DiagnosticNote], tests: TargetTestFile | None
) -> dict[str, str]:
    language_id = selection.language_id or ""
    language = language_id or "the file's language"
    code_tag = f" tagged {language_id}" if language_id else ""
    if tests is None:
        tests_target = "the tests"
    elif tests.exists:
        tests_target = f"tests to append at the end of {tests.path}, with the imports they need"
    else:
        tests_target = f"the complete contents of the new file {tests.path}, imports included"
    fields = {
        "language": language,
        "code_tag": code_tag,
        "replacement_rules": (
            f"Reply with the complete new version of the selected code in exactly one fenced code block"
            f"{code_tag}. It replaces the selection as a whole: include every line of the selection that "
            "should stay, and nothing from the code before or after it. Keep the code's style and "
            "indentation. After the block, say in a few sentences what you changed and why."
        ),
        "problems_goal": (
            "Fix the problems listed in the attachment (reported by the user's tools)"
            if diagnostics
            else "Find and fix the bugs in the selected code"
        ),
        "doc_style": _DOC_STYLES.get(language_id, f"the documentation style usual in {language}"),
        "test_framework": _TEST_FRAMEWORKS.get(language_id, f"the usual test framework for {language}"),
        "tests_import": f" Import the code under test from {tests.module}." if tests and tests.module else "",
        "tests_target": tests_target,
    }
    return fields


def surroundings(
    text_before: str, text_after: str, *, radius: int = 20, max_chars: int = 4000
) -> tuple[str, str]:
    """A bounded window of code around a selection.

    `text_before`/`text_after` are the document's text before and after the selection. At most `radius`
    lines and `max_chars` characters are kept on each side, dropping the lines farthest from the selection
    first. A partial line touching the selection is always kept, so the model sees e.g. `x = ` before it.
    """
    before_lines = _lf(text_before).split("\n")
    after_lines = _lf(text_after).split("\n")
    before = _nearest(before_lines[::-1], radius, max_chars)[::-1]
    after = _nearest(after_lines, radius, max_chars)
    return "\n".join(before), "\n".join(after)


def _nearest(lines: list[str], radius: int, max_chars: int) -> list[str]:
    kept = lines[:1]  # the partial line next to the selection
    budget = max_chars - len(kept[0]) if kept else max_chars
    for line in lines[1 : radius + 1]:
        budget -= len(line) + 1
        if budget < 0:
            break
        kept.append(line)
    return kept


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- where generated tests go --------------------------------------------------------------------
def path_for_tests(
    source: PurePosixPath, language_id: str | None, root: PurePosixPath | None
) -> PurePosixPath:
    """The conventional test file for `source` (absolute paths; `root` is its workspace folder, if any).

    Python: `<root>/tests/test_<name>.py`; JS/TS: `<name>.test.<ext>` beside the source; Go: `<name>_test.go`;
    Rust: the source itself (an in-file tests module); Java/Kotlin: `<Name>Test` under src/test when the
    source is under src/main; Ruby: `<root>/spec/<name>_spec.rb`; C#: `<Name>Tests.cs`; otherwise
    `test_<name>.<ext>` beside the source.
    """
    stem, suffix, folder = source.stem, source.suffix, source.parent
    language = language_id or ""
    if language == "python":
        return (root / "tests" if root else folder) / f"test_{stem}.py"
    if language in ("typescript", "typescriptreact", "javascript", "javascriptreact"):
        return folder / f"{stem}.test{suffix}"
    if language == "go":
        return folder / f"{stem}_test.go"
    if language == "rust":
        return source
    if language in ("java", "kotlin"):
        mirrored = PurePosixPath(str(folder).replace("/src/main/", "/src/test/", 1))
        return mirrored / f"{stem}Test{suffix}"
    if language == "ruby":
        return (root / "spec" if root else folder) / f"{stem}_spec.rb"
    if language == "csharp":
        return folder / f"{stem}Tests.cs"
    return folder / f"test_{stem}{suffix}"


def python_module(source: PurePosixPath, root: PurePosixPath | None) -> str | None:
    """Dotted import path of a Python file under `root` (a leading `src/` layout folder is dropped)."""
    if root is None or not source.is_relative_to(root) or source.suffix != ".py":
        return None
    parts = list(source.relative_to(root).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)
