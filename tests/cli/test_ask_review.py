"""The pure parts of `chatls ask --agent`'s edit review: what an edit would do to the files, as diffs, and
writing it only when nothing changed meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from chatls.ask_review import EditRefused, FileChange, planned_changes, unified_diff, write_changes


def at(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def text_edit(path: Path, start: types.Position, end: types.Position, new: str) -> types.TextDocumentEdit:
    return types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=path.as_uri(), version=None),
        edits=[types.TextEdit(range=types.Range(start=start, end=end), new_text=new)],
    )


def test_edits_are_planned_on_the_disk_text_in_utf16_units(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("s = '😀'; x = 1\n", encoding="utf-8")
    # The emoji is two UTF-16 units: "x" is at character 10, not 9.
    edit = types.WorkspaceEdit(document_changes=[text_edit(source, at(0, 10), at(0, 11), "y")])
    (change,) = planned_changes(edit)
    assert change == FileChange(source, "s = '😀'; x = 1\n", "s = '😀'; y = 1\n")
    assert source.read_text(encoding="utf-8") == "s = '😀'; x = 1\n", "planning wrote to disk"


def test_a_created_file_diffs_against_dev_null_and_is_written_new(tmp_path: Path) -> None:
    new = tmp_path / "pkg" / "new.py"
    create = types.CreateFile(uri=new.as_uri(), options=types.CreateFileOptions(overwrite=False))
    edit = types.WorkspaceEdit(document_changes=[create, text_edit(new, at(0, 0), at(0, 0), "x = 1\n")])
    changes = planned_changes(edit)
    assert unified_diff(changes[0], "pkg/new.py").splitlines()[:3] == [
        "--- /dev/null",
        "+++ b/pkg/new.py",
        "@@ -0,0 +1 @@",
    ]
    write_changes(changes)
    assert new.read_text() == "x = 1\n"


def test_creating_a_file_that_exists_is_refused(tmp_path: Path) -> None:
    there = tmp_path / "there.py"
    there.write_text("keep\n")
    create = types.CreateFile(uri=there.as_uri(), options=types.CreateFileOptions(overwrite=False))
    with pytest.raises(EditRefused, match="exists already"):
        planned_changes(types.WorkspaceEdit(document_changes=[create]))


def test_a_file_changed_after_the_diff_was_shown_is_not_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    other = tmp_path / "b.py"
    other.write_text("y = 1\n")
    edit = types.WorkspaceEdit(
        changes={
            source.as_uri(): [types.TextEdit(range=types.Range(start=at(0, 4), end=at(0, 5)), new_text="2")],
            other.as_uri(): [types.TextEdit(range=types.Range(start=at(0, 4), end=at(0, 5)), new_text="2")],
        }
    )
    changes = planned_changes(edit)
    other.write_text("y = 3\n")  # the user saved it meanwhile
    with pytest.raises(EditRefused, match="changed on disk meanwhile"):
        write_changes(changes)
    assert source.read_text() == "x = 1\n" and other.read_text() == "y = 3\n", "a partial write"


def test_only_file_uris_can_be_edited() -> None:
    edit = types.WorkspaceEdit(changes={"untitled:Untitled-1": []})
    with pytest.raises(EditRefused, match="only file URIs"):
        planned_changes(edit)
