"""Re-indenting a replacement to the selection, relocating stale selections, building workspace edits."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from chatls import edits
from chatls.edits import EditSupport


# --- fit_replacement -----------------------------------------------------------------------------
def test_whole_lines_move_to_the_selection_indentation() -> None:
    original = "    def f():\n        return 1\n"
    assert edits.fit_replacement("def g():\n    return 2", original=original, line_prefix="") == (
        "    def g():\n        return 2\n"
    )


def test_reply_indentation_deeper_than_the_selection_is_normalised() -> None:
    original = "    x = 1\n"
    reply = "            x = 2\n            y = 3"
    assert edits.fit_replacement(reply, original=original, line_prefix="") == "    x = 2\n    y = 3\n"


def test_a_selection_starting_after_the_indentation_keeps_the_first_line_bare() -> None:
    # The user selected from `def`, so the indentation before it stays in the document.
    original = "def f():\n        return 1"
    replaced = edits.fit_replacement("def g():\n    return 2", original=original, line_prefix="    ")
    assert replaced == "def g():\n        return 2"
    assert "    " + replaced == "    def g():\n        return 2"


def test_a_reply_copying_the_selection_shape_is_not_indented_twice() -> None:
    # The model echoed the lines after the first at their place in the file.
    original = "def f():\n        return 1"
    replaced = edits.fit_replacement("def g():\n        return 2", original=original, line_prefix="    ")
    assert replaced == "def g():\n        return 2"


def test_a_selection_starting_inside_the_indentation() -> None:
    original = "  if a:\n        b()\n"
    replaced = edits.fit_replacement("if x:\n    y()\n", original=original, line_prefix="  ")
    assert "  " + replaced == "    if x:\n        y()\n"


def test_an_expression_after_code_on_the_same_line() -> None:
    original = "bar(\n        b,\n    )"
    replaced = edits.fit_replacement("foo(\n    a,\n)", original=original, line_prefix="    x = ")
    assert "    x = " + replaced == "    x = foo(\n        a,\n    )"


def test_a_single_line_selection_inside_a_line() -> None:
    assert edits.fit_replacement("`y`", original="x", line_prefix="return ") == "`y`"
    assert edits.fit_replacement("  total += 1  ", original="total = total + 1", line_prefix="    ") == (
        "total += 1"
    )


def test_blank_lines_inside_the_reply_stay_empty() -> None:
    replaced = edits.fit_replacement("a = 1\n\n\nb = 2", original="    x\n", line_prefix="")
    assert replaced == "    a = 1\n\n\n    b = 2\n"


def test_leading_and_trailing_blank_lines_of_the_reply_are_dropped() -> None:
    assert edits.fit_replacement("\n\nx = 2\n\n", original="x = 1", line_prefix="") == "x = 2"


def test_a_tab_indented_document_gets_tabs_for_a_space_indented_reply() -> None:
    original = "\tif a:\n\t\tb()\n"
    reply = "if x:\n    y()\n    if z:\n        w()"
    assert edits.fit_replacement(reply, original=original, line_prefix="") == (
        "\tif x:\n\t\ty()\n\t\tif z:\n\t\t\tw()\n"
    )


def test_a_two_space_document_gets_two_spaces_for_a_tab_indented_reply() -> None:
    original = "  if a:\n    b()\n"
    assert edits.fit_replacement("if x:\n\ty()", original=original, line_prefix="") == "  if x:\n    y()\n"


def test_an_unindented_selection_keeps_the_reply_style() -> None:
    assert edits.fit_replacement("if x:\n\ty()", original="z()", line_prefix="") == "if x:\n\ty()"


def test_crlf_selection_gets_crlf_replacement() -> None:
    original = "    x = 0\r\n    y = 0\r\n"
    assert edits.fit_replacement("a = 1\nb = 2\n", original=original, line_prefix="") == (
        "    a = 1\r\n    b = 2\r\n"
    )


def test_the_document_eol_wins_when_the_selection_has_no_line_break() -> None:
    assert edits.fit_replacement("a\nb", original="x", line_prefix="", eol="\r\n") == "a\r\nb"


def test_a_trailing_line_break_follows_the_original() -> None:
    assert edits.fit_replacement("y = 2\n", original="x = 1", line_prefix="") == "y = 2"
    assert edits.fit_replacement("y = 2", original="x = 1\n", line_prefix="") == "y = 2\n"


def test_unicode_content_is_untouched() -> None:
    original = "    s = '😋'\n"
    assert edits.fit_replacement("s = '漢字 e\u0301 😋'", original=original, line_prefix="") == (
        "    s = '漢字 e\u0301 😋'\n"
    )


def test_a_reply_repeating_the_start_of_the_line_does_not_duplicate_it() -> None:
    assert edits.fit_replacement("return a + b", original="a - b", line_prefix="    return ") == "a + b"


def test_a_reply_repeating_the_whole_line_keeps_only_the_selected_part() -> None:
    replaced = edits.fit_replacement(
        "total = add(a + b, c)", original="a - b", line_prefix="    total = add(", line_suffix=", c)"
    )
    assert replaced == "a + b"


def test_a_reply_ending_like_the_line_is_kept_when_its_start_is_new() -> None:
    # `(a + b)` ends with the `)` that follows the selection, but nothing was repeated before it.
    assert (
        edits.fit_replacement("(a + b)", original="a - b", line_prefix="x = f(", line_suffix=")") == "(a + b)"
    )


def test_a_reply_starting_like_the_selection_itself_is_not_trimmed() -> None:
    # In `print(print(1))` the selected `print(1)` starts like the code before it.
    assert edits.fit_replacement("print(2)", original="print(1)", line_prefix="print(", line_suffix=")") == (
        "print(2)"
    )
    assert edits.fit_replacement("x = 2", original="x = 1", line_prefix="y = 0; ") == "x = 2"


def test_the_suffix_is_ignored_for_selections_of_whole_lines() -> None:
    assert edits.fit_replacement("foo()", original="bar()\n", line_prefix="", line_suffix="x") == "foo()\n"


@pytest.mark.parametrize(
    ("text", "start", "end", "context"),
    [
        ("ab\n    return a - b\nc", 14, 19, ("    return ", "")),
        ("x = f(a)\r\ny", 6, 7, ("x = f(", ")")),
        ("one\rtwo(x)\rthree", 8, 9, ("two(", ")")),
        ("solo", 0, 4, ("", "")),
        ("a\nb\nc", 0, 4, ("", "c")),  # a selection ending with a line break ends on the next line
    ],
)
def test_line_context_is_the_rest_of_the_first_and_last_lines(
    text: str, start: int, end: int, context: tuple[str, str]
) -> None:
    assert edits.line_context(text, start, end) == context


# --- relocate ------------------------------------------------------------------------------------
def test_a_selection_found_once_in_the_new_text_is_relocated() -> None:
    old = "def f():\n    return 1\n"
    new = "# a comment added above\n" + old
    found = edits.relocate(new, "return 1")
    assert found == edits.Relocation(matches=1, start=new.index("return 1"))


def test_a_selection_that_is_gone_is_not_relocated() -> None:
    assert edits.relocate("def f():\n    return 2\n", "return 1") == edits.Relocation(matches=0)


def test_a_selection_found_twice_is_ambiguous() -> None:
    assert edits.relocate("x = 1\nx = 1\n", "x = 1") == edits.Relocation(matches=2)


def test_overlapping_occurrences_count_as_two() -> None:
    assert edits.relocate("aaa", "aa").matches == 2


def test_relocation_is_exact_about_line_endings_and_unicode() -> None:
    assert edits.relocate("a\r\nb", "a\nb").matches == 0
    text = "x = '😋'\ny = 'e\u0301'\n"
    found = edits.relocate(text, "'e\u0301'")
    assert found.start is not None
    assert edits.range_of(text, found.start, found.start + 3) == types.Range(
        start=types.Position(line=1, character=4), end=types.Position(line=1, character=7)
    )


def test_an_empty_selection_is_never_relocated() -> None:
    assert edits.relocate("abc", "") == edits.Relocation(matches=0)


# --- append_text ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("", "def test_b():\n    pass\n"),
        ("import x", "\n\ndef test_b():\n    pass\n"),
        ("import x\n", "\ndef test_b():\n    pass\n"),
        ("import x\n\n\n", "def test_b():\n    pass\n"),
        ("import x\r\n", "\r\ndef test_b():\r\n    pass\r\n"),
    ],
)
def test_appended_tests_start_after_one_blank_line(existing: str, expected: str) -> None:
    assert edits.append_text(existing, "def test_b():\n    pass\n\n") == expected


# --- edit support and builders -------------------------------------------------------------------
def test_edit_support_of_the_client_presets() -> None:
    assert EditSupport.from_capabilities(client_capabilities("visual-studio-code")) == EditSupport(
        document_changes=True, change_annotations=True, create_files=True
    )
    # Neovim lists resource operations but does not declare documentChanges (it applies both).
    assert EditSupport.from_capabilities(client_capabilities("neovim@v0.7.0")) == EditSupport(
        document_changes=False, change_annotations=False, create_files=True
    )
    assert EditSupport.from_capabilities(client_capabilities("emacs")) == EditSupport(
        document_changes=True, change_annotations=False, create_files=False
    )
    assert EditSupport.from_capabilities(types.ClientCapabilities()) == EditSupport()


RANGE = types.Range(start=types.Position(line=1, character=4), end=types.Position(line=2, character=0))


def test_replace_edit_without_document_changes_uses_changes() -> None:
    edit = edits.replace_edit("file:///a.py", 3, RANGE, "new\n", EditSupport(), label="Fix")
    assert edit == types.WorkspaceEdit(
        changes={"file:///a.py": [types.TextEdit(range=RANGE, new_text="new\n")]}
    )


def test_replace_edit_is_pinned_to_the_version() -> None:
    edit = edits.replace_edit(
        "file:///a.py", 3, RANGE, "new\n", EditSupport(document_changes=True), label="Fix"
    )
    assert edit.changes is None
    assert edit.change_annotations is None
    assert edit.document_changes == [
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri="file:///a.py", version=3),
            edits=[types.TextEdit(range=RANGE, new_text="new\n")],
        )
    ]


def test_replace_edit_asks_for_confirmation_when_annotations_are_supported() -> None:
    support = EditSupport(document_changes=True, change_annotations=True)
    edit = edits.replace_edit("file:///a.py", 3, RANGE, "new\n", support, label="ChatLS: Improve")
    assert edit.change_annotations is not None
    note = edit.change_annotations[edits.ANNOTATION_ID]
    assert note.label == "ChatLS: Improve"
    assert note.needs_confirmation is True
    assert edit.document_changes is not None
    (document_edit,) = edit.document_changes
    assert isinstance(document_edit, types.TextDocumentEdit)
    assert document_edit.edits == [
        types.AnnotatedTextEdit(annotation_id=edits.ANNOTATION_ID, range=RANGE, new_text="new\n")
    ]


def test_create_file_edit_creates_then_inserts_without_overwriting() -> None:
    support = EditSupport(document_changes=True, change_annotations=True, create_files=True)
    edit = edits.create_file_edit(
        "file:///tests/test_a.py", "def test():\n    pass\n", support, label="Tests"
    )
    assert edit.document_changes is not None
    create, insert = edit.document_changes
    assert isinstance(create, types.CreateFile)
    assert create.uri == "file:///tests/test_a.py"
    assert create.options == types.CreateFileOptions(overwrite=False, ignore_if_exists=False)
    assert create.annotation_id == edits.ANNOTATION_ID
    assert isinstance(insert, types.TextDocumentEdit)
    assert insert.text_document.version is None
    start = types.Position(line=0, character=0)
    expected = types.Range(start=start, end=start)
    assert insert.edits == [
        types.AnnotatedTextEdit(
            annotation_id=edits.ANNOTATION_ID, range=expected, new_text="def test():\n    pass\n"
        )
    ]


def test_create_file_edit_without_annotations_is_plain() -> None:
    edit = edits.create_file_edit("file:///t.py", "x", EditSupport(create_files=True), label="Tests")
    assert edit.change_annotations is None
    assert edit.document_changes is not None
    create, insert = edit.document_changes
    assert isinstance(create, types.CreateFile)
    assert create.annotation_id is None
    assert isinstance(insert, types.TextDocumentEdit)
    assert type(insert.edits[0]) is types.TextEdit


def test_create_file_edit_refuses_a_client_that_cannot_create_files() -> None:
    with pytest.raises(ValueError, match="cannot create files"):
        edits.create_file_edit("file:///t.py", "x", EditSupport(document_changes=True), label="Tests")
