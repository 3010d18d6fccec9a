"""Workspace URIs: normalisation, folder lookup on path boundaries, and the order `workspace_for` follows."""

from __future__ import annotations

import pytest

from chatls.workspaces import NO_FOLDER, folder_for, normalise_uri, workspace_for


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("file:///home/me/project/", "file:///home/me/project"),
        ("file:///home/me/my%20project", "file:///home/me/my project"),
        ("file:///C%3A/Users/me/src/", "file:///c:/Users/me/src"),
        ("file:///D:/work", "file:///d:/work"),
        ("FILE:///home/Me", "file:///home/Me"),
        ("file:///", "file:///"),
        ("chatls:no-folder", "chatls:no-folder"),
        ("vscode-vfs://github/owner/repo/", "vscode-vfs://github/owner/repo"),
    ],
)
def test_normalise_uri(uri: str, expected: str) -> None:
    assert normalise_uri(uri) == expected


def test_normalise_uri_is_idempotent() -> None:
    once = normalise_uri("file:///C%3A/a%20b/")
    assert normalise_uri(once) == once


def test_folder_for_respects_path_boundaries() -> None:
    folders = ["file:///a/b", "file:///a/bc"]
    assert folder_for("file:///a/bc/x.py", folders) == "file:///a/bc"
    assert folder_for("file:///a/b/x.py", folders) == "file:///a/b"
    assert folder_for("file:///a/bcd/x.py", ["file:///a/bc"]) is None


def test_folder_for_prefers_the_longest_match_and_returns_the_folder_as_given() -> None:
    folders = ["file:///repo/", "file:///repo/packages/web/"]
    assert folder_for("file:///repo/packages/web/src/app.ts", folders) == "file:///repo/packages/web/"
    assert folder_for("file:///repo/README.md", folders) == "file:///repo/"


def test_folder_for_compares_unquoted_and_case_folded_drive_letters() -> None:
    assert (
        folder_for("file:///c%3A/src/my%20app/main.py", ["file:///C:/src/my app"]) == "file:///C:/src/my app"
    )


def test_folder_for_the_folder_itself() -> None:
    assert folder_for("file:///a/b/", ["file:///a/b"]) == "file:///a/b"


def test_folder_for_outside_every_folder() -> None:
    assert folder_for("file:///elsewhere/x.py", ["file:///a", "file:///b"]) is None
    assert folder_for("file:///a/x.py", []) is None


def test_workspace_for_explicit_uri_wins_and_is_normalised() -> None:
    result = workspace_for("file:///X%3A/proj/", "file:///a/b/x.py", ["file:///a/b"], "file:///a")
    assert result == "file:///x:/proj"


def test_workspace_for_folder_containing_the_context() -> None:
    folders = ["file:///one", "file:///two/"]
    assert workspace_for(None, "file:///two/src/x.py", folders, None) == "file:///two"


def test_workspace_for_falls_back_to_the_first_folder() -> None:
    folders = ["file:///one/", "file:///two"]
    assert workspace_for(None, "file:///elsewhere/x.py", folders, None) == "file:///one"
    assert workspace_for(None, None, folders, "file:///root") == "file:///one"


def test_workspace_for_falls_back_to_the_root_uri_then_no_folder() -> None:
    assert workspace_for(None, "file:///x.py", [], "file:///root/") == "file:///root"
    assert workspace_for(None, "file:///x.py", [], None) == NO_FOLDER
    assert workspace_for("", None, [], "") == NO_FOLDER
