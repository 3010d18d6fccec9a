"""Confinement: every path an agent tool touches resolves inside one of the workspace folders."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote


class ToolError(Exception):
    """A tool call the model made cannot be carried out; the message goes back to the model as the result."""


@dataclass(frozen=True)
class Workspace:
    """The folders agent tools may read and change (absolute, symlinks resolved)."""

    folders: tuple[Path, ...]

    @classmethod
    def of(cls, folders: Iterable[str | Path]) -> Workspace:
        resolved = tuple(dict.fromkeys(Path(f).resolve() for f in folders))
        return cls(resolved)

    @property
    def root(self) -> Path:
        if not self.folders:
            raise ToolError("no workspace folder is open, so there are no files to work with")
        return self.folders[0]

    def resolve(self, name: str, *, must_exist: bool = True) -> Path:
        """The real path `name` (relative to the first folder, or absolute) names, if it is inside a folder.

        Symlinks and `..` are resolved first, so neither can lead outside; percent-encoding is decoded, so
        `%2e%2e` is `..`.
        """
        if not isinstance(name, str) or not name.strip():
            raise ToolError("a path is required")
        if "\x00" in name:
            raise ToolError("a path cannot contain a NUL character")
        text = unquote(name.strip())
        if text.startswith("file://"):
            text = text[len("file://") :]
        candidate = Path(text).expanduser() if text.startswith("~") else Path(text)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        real = Path(os.path.realpath(candidate))
        if not any(_inside(real, folder) for folder in self.folders):
            raise ToolError(
                f"{name!r} is outside the workspace; only files in the workspace folders can be used"
            )
        if must_exist and not real.exists():
            raise ToolError(f"{self.relative(real)} does not exist")
        return real

    def relative(self, path: Path) -> str:
        """The path as the model should see it: relative to its folder (prefixed by the folder's name when
        there are several)."""
        for folder in self.folders:
            if _inside(path, folder):
                rel = path.relative_to(folder).as_posix() or "."
                return rel if len(self.folders) == 1 else f"{folder.name}/{rel}"
        return path.as_posix()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
