"""The workspace tools that read: list files, read a file or a range, search text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from chatls.agent.paths import ToolError, Workspace
from chatls.agent.policy import SecretFiles
from chatls.agent.rg import rg_lines
from chatls.workspace_files import FileRefused, read_text_file

OpenDocument = Callable[[Path], "str | None"]
"""The text of the editor's open buffer for a path, or None when the editor has none."""


@dataclass(frozen=True)
class FileLimits:
    max_file_bytes: int = 1_000_000
    max_list_entries: int = 500
    max_search_matches: int = 100
    max_line_chars: int = 300


@dataclass
class ReadTools:
    workspace: Workspace
    open_document: OpenDocument = lambda _path: None
    secrets: SecretFiles = field(default_factory=SecretFiles)
    allow_secrets: bool = False
    excludes: Sequence[str] = ()
    """The editor's exclude globs (files.exclude), gitignore-style."""
    limits: FileLimits = field(default_factory=FileLimits)

    def __post_init__(self) -> None:
        self._excluded = pathspec.GitIgnoreSpec.from_lines(list(self.excludes))

    # ----- policy ----------------------------------------------------------------------------------

    def check_secret(self, path: Path) -> None:
        rel = self.workspace.relative(path)
        if not self.allow_secrets and self.secrets.matches(rel):
            raise ToolError(
                f"{rel} looks like a secrets file; ChatLS does not show it to the model unless the user "
                "allows it (setting agent.allowSecretFiles)"
            )

    def _hidden(self, rel: str) -> bool:
        return self._excluded.match_file(rel) or (not self.allow_secrets and self.secrets.matches(rel))

    # ----- list ------------------------------------------------------------------------------------

    async def list_files(self, path: str = ".", pattern: str | None = None) -> str:
        folder = self.workspace.resolve(path)
        if not folder.is_dir():
            raise ToolError(f"{self.workspace.relative(folder)} is not a folder")
        args = ["--files", "--no-messages", "--no-config", "--no-require-git"]
        if pattern:
            args += ["--glob", pattern]
        limit = self.limits.max_list_entries
        names: list[str] = []
        more = False
        async for line in rg_lines([*args, "."], folder, limit=limit * 4 + 1):
            rel_to_folder = line.decode("utf-8", "replace").rstrip("\n").removeprefix("./")
            rel = self.workspace.relative(folder / rel_to_folder)
            if self._hidden(rel):
                continue
            if len(names) == limit:
                more = True
                break
            names.append(rel)
        names.sort()
        where = self.workspace.relative(folder)
        if not names:
            return f"No files under {where}" + (f" matching {pattern}" if pattern else "") + "."
        tail = f"\n… more files not listed (limit {limit}); narrow the folder or the pattern." if more else ""
        return f"{len(names)} files under {where}:\n" + "\n".join(names) + tail

    # ----- read ------------------------------------------------------------------------------------

    async def read_file(self, path: str, start_line: int | None = None, end_line: int | None = None) -> str:
        real = self.workspace.resolve(path)
        self.check_secret(real)
        rel = self.workspace.relative(real)
        text = self.open_document(real)
        if text is None:
            text = await asyncio.to_thread(self.read_disk, real, rel)
        lines = text.splitlines()
        first = max(1, start_line or 1)
        last = min(len(lines), end_line or len(lines))
        if first > max(len(lines), 1):
            raise ToolError(f"{rel} has only {len(lines)} lines")
        shown = lines[first - 1 : last]
        header = f"{rel} (lines {first}-{last} of {len(lines)})" if lines else f"{rel} (empty)"
        return header + "\n" + "\n".join(shown)

    def read_disk(self, real: Path, rel: str) -> str:
        """The file's text through the one safe reader (regular file, size cap, UTF-8). Blocking."""
        try:
            return read_text_file(str(real), self.limits.max_file_bytes)
        except FileRefused as exc:
            raise ToolError(f"{rel} cannot be read: {exc}") from None

    # ----- search ----------------------------------------------------------------------------------

    async def search(self, query: str, path: str = ".", regex: bool = False) -> str:
        if not query:
            raise ToolError("a search query is required")
        folder = self.workspace.resolve(path)
        args = [
            "--json",
            "--no-config",
            "--no-messages",
            "--no-require-git",
            "--max-columns",
            str(self.limits.max_line_chars),
        ]
        if not regex:
            args.append("--fixed-strings")
        for pattern in (*self.excludes, *([] if self.allow_secrets else self.secrets.patterns)):
            if not pattern.startswith("!"):
                args += ["--glob", "!" + pattern.rstrip("/")]
        target = "." if folder.is_dir() else folder.name
        cwd = folder if folder.is_dir() else folder.parent
        limit = self.limits.max_search_matches
        found: list[str] = []
        more = False
        async for line in rg_lines([*args, "-e", query, "--", target], cwd, limit=limit * 8 + 16):
            event = json.loads(line)
            if event.get("type") != "match":
                continue
            if len(found) == limit:
                more = True
                break
            data = event["data"]
            name = (cwd / data["path"].get("text", "")).resolve()
            text = data["lines"].get("text", "").rstrip("\n")
            found.append(f"{self.workspace.relative(name)}:{data['line_number']}: {text}")
        if not found:
            return f"No matches for {query!r}."
        tail = f"\n… more matches not shown (limit {limit}); narrow the search." if more else ""
        return f"{len(found)} matches for {query!r}:\n" + "\n".join(found) + tail
