"""Per-action prompts, the bounded window of surrounding code, and where generated tests go."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from chatls import prompts
from chatls.prompts import Action, DiagnosticNote, Selection, TargetTestFile

SELECTION = Selection(
    file_name="pkg/calc.py",
    language_id="python",
    code="def add(a, b):\n    return a - b\n",
    first_line=9,
    before="import math\n\n",
    after="\n\ndef sub(a, b):\n    return a - b",
)


@pytest.mark.parametrize(
    ("action", "prompt"),
    [
        (Action.EXPLAIN, "Explain the selected code (pkg/calc.py, lines 10-11)"),
        (Action.FIX, "Fix the selected code (pkg/calc.py, lines 10-11)"),
        (Action.IMPROVE, "Improve the selected code (pkg/calc.py, lines 10-11)"),
        (Action.DOCUMENT, "Add documentation to the selected code (pkg/calc.py, lines 10-11)"),
        (Action.GENERATE_TESTS, "Generate tests for the selected code (pkg/calc.py, lines 10-11)"),
        (Action.ASK_IN_CHAT, "Tell me about the selected code (pkg/calc.py, lines 10-11)"),
    ],
)
def test_the_stored_prompt_names_the_action_and_the_place(action: Action, prompt: str) -> None:
    built = prompts.build_action_prompt(action, SELECTION)
    assert built.prompt == prompt
    assert "return a - b" not in built.prompt  # the code travels in the attachment only


def test_a_typed_instruction_is_the_stored_prompt_as_typed() -> None:
    built = prompts.build_action_prompt(Action.EDIT_SELECTION, SELECTION, instruction="  use math.fsum  ")
    assert built.prompt == "use math.fsum"
    assert "use math.fsum" not in built.attachment
    assert "as the user's message asks" in built.task_instructions


def test_the_attachment_holds_the_selection_and_its_surroundings() -> None:
    attachment = prompts.build_action_prompt(Action.EXPLAIN, SELECTION).attachment
    assert attachment.startswith("File: pkg/calc.py (lines 10-")
    assert "language: python" in attachment
    assert "Selected code:\n```python\ndef add(a, b):\n    return a - b\n" in attachment
    assert "Code before the selection:\n```python\nimport math\n```" in attachment
    assert "Code after the selection:\n```python\n\n\ndef sub(a, b):" in attachment


def test_crlf_code_reaches_the_model_with_plain_line_feeds() -> None:
    selection = Selection("a.py", "python", "x = 1\r\ny = 2\r\n", 0, before="# top\r\n")
    built = prompts.build_action_prompt(Action.EXPLAIN, selection)
    assert "\r" not in built.attachment
    assert built.prompt == "Explain the selected code (a.py, lines 1-2)"


def test_a_one_line_selection_names_one_line() -> None:
    selection = Selection("a.ts", "typescript", "x++", 4)
    assert prompts.build_action_prompt(Action.IMPROVE, selection).prompt.endswith("(a.ts, line 5)")


def test_fix_lists_every_diagnostic_with_severity_source_code_and_line() -> None:
    notes = [
        DiagnosticNote(
            '"b" is possibly unbound', line=10, severity=1, source="Pyright", code="reportUnbound"
        ),
        DiagnosticNote("line too long", line=9, severity=2, source="ruff"),
        DiagnosticNote("consider a docstring", line=9, severity=4),
        DiagnosticNote("odd", line=9),
    ]
    built = prompts.build_action_prompt(Action.FIX, SELECTION, diagnostics=notes)
    assert (
        "Problems reported for the selected code:\n"
        '- line 11, error from Pyright (reportUnbound): "b" is possibly unbound\n'
        "- line 10, warning from ruff: line too long\n"
        "- line 10, hint: consider a docstring\n"
        "- line 10, problem: odd"
    ) in built.attachment
    assert built.task_instructions.startswith("Fix the problems listed in the attachment")


def test_fix_without_diagnostics_looks_for_bugs() -> None:
    built = prompts.build_action_prompt(Action.FIX, SELECTION)
    assert "Problems reported" not in built.attachment
    assert built.task_instructions.startswith("Find and fix the bugs")


@pytest.mark.parametrize("action", [Action.FIX, Action.IMPROVE, Action.DOCUMENT, Action.EDIT_SELECTION])
def test_edit_actions_ask_for_one_block_in_the_selection_language(action: Action) -> None:
    rules = prompts.build_action_prompt(action, SELECTION, instruction="x").task_instructions
    assert "exactly one fenced code block tagged python" in rules
    assert "replaces the selection as a whole" in rules
    assert action.replaces_selection


@pytest.mark.parametrize("action", [Action.EXPLAIN, Action.ASK_IN_CHAT, Action.GENERATE_TESTS])
def test_other_actions_do_not_replace_the_selection(action: Action) -> None:
    assert not action.replaces_selection
    assert "replaces the selection" not in prompts.build_action_prompt(action, SELECTION).task_instructions


def test_document_names_the_language_documentation_style() -> None:
    assert "docstrings (PEP 257)" in prompts.build_action_prompt(Action.DOCUMENT, SELECTION).task_instructions
    go = Selection("m.go", "go", "func f() {}", 0)
    assert "Go doc comments" in prompts.build_action_prompt(Action.DOCUMENT, go).task_instructions
    odd = Selection("m.zig", "zig", "fn f() void {}", 0)
    assert (
        "documentation style usual in zig"
        in prompts.build_action_prompt(Action.DOCUMENT, odd).task_instructions
    )


def test_an_unknown_language_asks_for_an_untagged_block() -> None:
    selection = Selection("notes", None, "text", 0)
    built = prompts.build_action_prompt(Action.IMPROVE, selection)
    assert "exactly one fenced code block." in built.task_instructions
    assert "language: unknown" in built.attachment


def test_generate_tests_for_a_new_file_names_file_framework_and_module() -> None:
    target = TargetTestFile("tests/test_calc.py", exists=False, module="pkg.calc")
    built = prompts.build_action_prompt(Action.GENERATE_TESTS, SELECTION, tests=target)
    assert "Test file: tests/test_calc.py (a new file)\nModule under test: pkg.calc" in built.attachment
    rules = built.task_instructions
    assert "pytest" in rules
    assert "Import the code under test from pkg.calc." in rules
    assert "the complete contents of the new file tests/test_calc.py" in rules


def test_generate_tests_for_an_existing_file_asks_for_tests_to_append() -> None:
    selection = Selection("src/calc.ts", "typescript", "export const add = (a: number) => a", 0)
    target = TargetTestFile("src/calc.test.ts", exists=True)
    built = prompts.build_action_prompt(Action.GENERATE_TESTS, selection, tests=target)
    assert "(an existing file; your tests are appended to it)" in built.attachment
    assert "tests to append at the end of src/calc.test.ts" in built.task_instructions
    assert "Jest or Vitest" in built.task_instructions


def test_a_backtick_heavy_selection_cannot_close_its_fence() -> None:
    selection = Selection("README.md", "markdown", "```py\nx\n```", 0)
    attachment = prompts.build_action_prompt(Action.EXPLAIN, selection).attachment
    assert "Selected code:\n````markdown\n```py\nx\n```\n````" in attachment


# --- surroundings --------------------------------------------------------------------------------
def test_surroundings_keep_the_partial_lines_touching_the_selection() -> None:
    before, after = prompts.surroundings("a\nb\n    x = ", ";\nc\nd")
    assert before == "a\nb\n    x = "
    assert after == ";\nc\nd"


def test_surroundings_are_bounded_by_lines_nearest_first() -> None:
    text_before = "\n".join(f"b{i}" for i in range(100)) + "\n"
    text_after = "\n" + "\n".join(f"a{i}" for i in range(100))
    before, after = prompts.surroundings(text_before, text_after, radius=3)
    assert before == "b97\nb98\nb99\n"
    assert after == "\na0\na1\na2"


def test_surroundings_are_bounded_by_characters() -> None:
    text_before = "x" * 50 + "\n" + "y" * 50 + "\n"
    before, _ = prompts.surroundings(text_before, "", max_chars=60)
    assert before == "y" * 50 + "\n"


def test_surroundings_normalise_line_breaks() -> None:
    before, after = prompts.surroundings("a\r\nb\r\n", "\r\nc")
    assert (before, after) == ("a\nb\n", "\nc")


# --- test file naming ----------------------------------------------------------------------------
ROOT = PurePosixPath("/work/proj")


@pytest.mark.parametrize(
    ("source", "language", "root", "expected"),
    [
        ("/work/proj/pkg/calc.py", "python", ROOT, "/work/proj/tests/test_calc.py"),
        ("/tmp/calc.py", "python", None, "/tmp/test_calc.py"),
        ("/work/proj/src/calc.ts", "typescript", ROOT, "/work/proj/src/calc.test.ts"),
        ("/work/proj/src/view.tsx", "typescriptreact", ROOT, "/work/proj/src/view.test.tsx"),
        ("/work/proj/lib/util.mjs", "javascript", ROOT, "/work/proj/lib/util.test.mjs"),
        ("/work/proj/calc.go", "go", ROOT, "/work/proj/calc_test.go"),
        ("/work/proj/src/lib.rs", "rust", ROOT, "/work/proj/src/lib.rs"),
        ("/work/proj/src/main/java/a/Calc.java", "java", ROOT, "/work/proj/src/test/java/a/CalcTest.java"),
        ("/work/proj/lib/calc.rb", "ruby", ROOT, "/work/proj/spec/calc_spec.rb"),
        ("/work/proj/Calc.cs", "csharp", ROOT, "/work/proj/CalcTests.cs"),
        ("/work/proj/calc.c", "c", ROOT, "/work/proj/test_calc.c"),
    ],
)
def test_generated_tests_go_where_the_language_expects_them(
    source: str, language: str, root: PurePosixPath | None, expected: str
) -> None:
    assert prompts.path_for_tests(PurePosixPath(source), language, root) == PurePosixPath(expected)


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("/work/proj/pkg/calc.py", "pkg.calc"),
        ("/work/proj/src/pkg/calc.py", "pkg.calc"),
        ("/work/proj/pkg/__init__.py", "pkg"),
        ("/work/proj/my-scripts/run.py", None),
        ("/elsewhere/calc.py", None),
        ("/work/proj/calc.pyi", None),
    ],
)
def test_python_module_paths(source: str, module: str | None) -> None:
    assert prompts.python_module(PurePosixPath(source), ROOT) == module


def test_python_module_needs_a_workspace_root() -> None:
    assert prompts.python_module(PurePosixPath("/work/proj/calc.py"), None) is None
