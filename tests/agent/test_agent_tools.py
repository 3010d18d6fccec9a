"""The workspace tools of agent mode: confinement, secrets, size and type limits, listing and searching with
the real ripgrep, and edits proposed as one reviewed WorkspaceEdit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lsprotocol import types

from chatls import edits
from chatls.agent.files import FileLimits, ReadTools
from chatls.agent.paths import ToolError, Workspace
from chatls.agent.proposals import FileChange, replace_once, workspace_edit


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    (root / "src" / "util.py").write_text("def twice(x):\n    return add(x, x)\n", encoding="utf-8")
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text("def add(): pass\n", encoding="utf-8")
    (root / ".gitignore").write_text("build/\n", encoding="utf-8")
    (root / ".env").write_text("API_KEY=canary-secret\n", encoding="utf-8")
    (root / ".env.example").write_text("API_KEY=\n", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("not yours\n", encoding="utf-8")
    return root


def tools_for(root: Path, **kwargs: object) -> ReadTools:
    return ReadTools(Workspace.of([root]), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["../outside.txt", "src/../../outside.txt", "%2e%2e/outside.txt", "/etc/passwd"]
)
async def test_paths_outside_the_workspace_are_refused(project: Path, name: str) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        await tools_for(project).read_file(name)


async def test_a_symlink_out_of_the_workspace_is_refused(project: Path) -> None:
    (project / "src" / "escape.txt").symlink_to(project.parent / "outside.txt")
    with pytest.raises(ToolError, match="outside the workspace"):
        await tools_for(project).read_file("src/escape.txt")


async def test_secret_looking_files_are_refused_unless_allowed(project: Path) -> None:
    with pytest.raises(ToolError, match="secrets file"):
        await tools_for(project).read_file(".env")
    assert "API_KEY=" in await tools_for(project).read_file(".env.example")
    assert "canary-secret" in await tools_for(project, allow_secrets=True).read_file(".env")


async def test_listing_honours_gitignore_excludes_and_hides_secrets(project: Path) -> None:
    listing = await tools_for(project, excludes=["src/util.py"]).list_files()
    lines = listing.splitlines()[1:]
    assert "src/app.py" in lines
    assert "src/util.py" not in lines
    assert not any(line.startswith("build/") for line in lines)
    assert ".env" not in lines


async def test_listing_is_capped(project: Path) -> None:
    for i in range(30):
        (project / "src" / f"m{i}.py").write_text("x = 1\n", encoding="utf-8")
    listing = await tools_for(project, limits=FileLimits(max_list_entries=10)).list_files("src")
    assert listing.startswith("10 files under src:")
    assert "more files not listed (limit 10)" in listing


async def test_read_a_range_and_prefer_the_open_buffer(project: Path) -> None:
    text = await tools_for(project).read_file("src/app.py", start_line=2, end_line=2)
    assert text == "src/app.py (lines 2-2 of 2)\n    return a + b"
    unsaved = {project / "src" / "app.py": "def add(a: int, b: int) -> int:\n    return a + b\n"}
    buffered = await tools_for(project, open_document=unsaved.get).read_file("src/app.py")
    assert "a: int" in buffered


async def test_huge_binary_and_special_files_are_refused(project: Path) -> None:
    (project / "big.txt").write_text("x" * 5000, encoding="utf-8")
    (project / "blob.bin").write_bytes(b"\x00\x01\x02" * 10)
    os.mkfifo(project / "pipe")
    small = tools_for(project, limits=FileLimits(max_file_bytes=1000))
    with pytest.raises(ToolError, match="over the maxFileBytes limit of 1000"):
        await small.read_file("big.txt")
    with pytest.raises(ToolError, match="binary file"):
        await small.read_file("blob.bin")
    with pytest.raises(ToolError, match="not a regular file"):
        await small.read_file("pipe")  # a FIFO would block a reader forever


async def test_search_with_ripgrep_honours_ignores_and_secrets(project: Path) -> None:
    found = await tools_for(project).search("add")
    assert found.splitlines()[0] == "2 matches for 'add':"
    assert "src/app.py:1: def add(a, b):" in found
    assert "build/out.py" not in found
    assert await tools_for(project).search("canary-secret") == "No matches for 'canary-secret'."


async def test_search_results_are_capped(project: Path) -> None:
    (project / "many.txt").write_text("needle\n" * 500, encoding="utf-8")
    found = await tools_for(project, limits=FileLimits(max_search_matches=20)).search("needle")
    assert found.splitlines()[0] == "20 matches for 'needle':"
    assert "more matches not shown (limit 20)" in found


def test_replace_once_needs_exactly_one_occurrence() -> None:
    assert replace_once("a b a", "b", "c", "f.py") == "a c a"
    with pytest.raises(ToolError, match="does not occur"):
        replace_once("abc", "x", "y", "f.py")
    with pytest.raises(ToolError, match="occurs 2 times"):
        replace_once("a b a", "a", "y", "f.py")


def test_one_annotated_edit_across_files_creates_new_ones(project: Path) -> None:
    app = project / "src" / "app.py"
    changes = [
        FileChange(
            app, app.as_uri(), "def add(a: int, b: int) -> int:\n    return a + b\n", app.read_text(), 7
        ),
        FileChange(project / "src" / "new.py", (project / "src" / "new.py").as_uri(), "X = 1\n", None, None),
    ]
    support = edits.EditSupport(document_changes=True, change_annotations=True, create_files=True)
    edit = workspace_edit(changes, support, "ChatLS agent: types")
    assert edit.change_annotations is not None
    assert edit.change_annotations[edits.ANNOTATION_ID].needs_confirmation is True
    kinds = [type(op).__name__ for op in edit.document_changes or []]
    assert kinds == ["TextDocumentEdit", "CreateFile", "TextDocumentEdit"]
    first = edit.document_changes[0]  # type: ignore[index]
    assert isinstance(first, types.TextDocumentEdit)
    assert first.text_document.version == 7  # pinned: a buffer changed meanwhile is not clobbered
    create = edit.document_changes[1]  # type: ignore[index]
    assert isinstance(create, types.CreateFile) and create.options is not None
    assert create.options.overwrite is False


def test_a_client_without_file_creation_gets_a_clear_refusal(project: Path) -> None:
    new = project / "n.py"
    change = FileChange(new, new.as_uri(), "x = 1\n", None, None)
    with pytest.raises(ToolError, match="cannot create files"):
        workspace_edit([change], edits.EditSupport(), "label")
