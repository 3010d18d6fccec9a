"""`chatls.workspace_files` and `chatls.logging_setup.looks_like_secret` on their own: the rules behind the
safe-files and pasted-key guarantees, case by case."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from chatls.logging_setup import looks_like_secret, shown_value
from chatls.workspace_files import FileRefused, check_readable, read_text_file, write_export


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("x = 1\n")
    return root


@pytest.mark.guarantee("only paths resolving inside a workspace folder may be read (symlinks, .., %2e%2e)")
def test_paths_inside_the_workspace_resolve_and_others_are_refused(project: Path) -> None:
    folders = [project.as_uri()]
    inside = (project / "pkg" / "mod.py").as_uri()
    assert check_readable(inside, folders) == os.path.realpath(project / "pkg" / "mod.py")
    assert check_readable(f"{project.as_uri()}/pkg/../pkg/mod.py", folders).endswith("mod.py")
    for outside in (f"{project.as_uri()}/../x", f"{project.as_uri()}/%2E%2E/x", "file:///etc/hosts"):
        with pytest.raises(FileRefused, match="outside the workspace"):
            check_readable(outside, folders)
    sibling = project.parent / "project-other"
    sibling.mkdir()
    with pytest.raises(FileRefused, match="outside"):  # a shared name prefix is not containment
        check_readable((sibling / "a.py").as_uri(), folders)
    with pytest.raises(FileRefused, match="only file: URIs"):
        check_readable("untitled:Untitled-1", folders)
    with pytest.raises(FileRefused, match="no workspace folder"):
        check_readable(inside, [])
    with pytest.raises(FileRefused, match="not a regular file"):
        check_readable("file:///proc/self/environ", ["file:///"])


@pytest.mark.guarantee("reads check the file's kind, size and encoding without blocking on a FIFO")
def test_reading_checks_kind_size_and_encoding(project: Path) -> None:
    path = project / "pkg" / "mod.py"
    assert read_text_file(str(path), 100) == "x = 1\n"
    with pytest.raises(FileRefused, match="over the maxFileBytes limit of 3"):
        read_text_file(str(path), 3)
    with pytest.raises(FileRefused, match="not a regular file"):
        read_text_file(str(project / "pkg"), 100)
    fifo = project / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(FileRefused, match="not a regular file"):  # and it returns at once: no writer needed
        read_text_file(str(fifo), 100)
    (project / "nul.txt").write_bytes(b"text\x00more")
    with pytest.raises(FileRefused, match="binary"):
        read_text_file(str(project / "nul.txt"), 100)


@pytest.mark.guarantee("exports create 0600 files and never overwrite unasked")
def test_exports_create_private_files_and_never_overwrite_unasked(project: Path) -> None:
    target = project / "out" / "c.md"
    assert write_export(str(target), "# one\n", overwrite=False) == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileRefused, match="already exists"):
        write_export(str(target), "# two\n", overwrite=False)
    assert target.read_text() == "# one\n"
    write_export(str(target), "# two\n", overwrite=True)
    assert target.read_text() == "# two\n"
    for special in ("/dev/null", "/proc/self/fd/1"):
        with pytest.raises(FileRefused):
            write_export(special, "x", overwrite=True)
    with pytest.raises(FileRefused, match="absolute"):
        write_export("relative.md", "x", overwrite=False)


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("0123456789abcdef0123456789abcdef", True),  # an Azure key
        ("Fj3kQ9xPz7Lm2Vb8Nc4Rt6Yw1Hs5Gd0AJQQJ99BAACYeBjFXJ3w3AAABACOGxyz", True),
        ("AZURE_OPENAI_API_KEY", False),
        ("https://my-resource.openai.azure.com", False),
        ("gpt-4o", False),
        ("2024-10-21", False),
        ("my deployment name 2024", False),
    ],
)
@pytest.mark.guarantee("a value that looks like a key is described, never repeated")
def test_what_looks_like_a_secret(value: str, secret: bool) -> None:
    assert looks_like_secret(value) is secret
    assert (value in shown_value(value)) is not secret
