"""The user's models.toml (setting `modelsFile`): rows that add to or override the packaged table.

Same row format as capabilities.toml, under `[models.NAME]` (or `[families.NAME]`); `like = "gpt-5.4"`
starts from a packaged row, so a new model is often one line plus its differences. Every bad key is one
problem naming the row and key; a row with a problem is left out, the others still apply, and the
packaged table is used alone when the file cannot be read. Read again only when the file changes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chatls.azure.capabilities import CapabilityTable, load_capabilities, parse_user_rows

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

MAX_BYTES = 256 * 1024
"""A models file is a few rows; anything bigger is not one (and is not read into memory)."""


@dataclass(frozen=True)
class UserModels:
    table: CapabilityTable
    """The packaged table with the user's rows."""
    problems: tuple[str, ...] = ()
    """One message per bad key (or one for a file that cannot be read), naming the file."""


def load_models_file(path: Path | None) -> UserModels:
    """The table for settings whose `modelsFile` is `path` (None: the packaged table)."""
    if path is None:
        return UserModels(load_capabilities())
    try:
        stat = path.stat()
    except OSError as exc:
        return _unreadable(path, exc.strerror or "cannot read it")
    return _load(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: Path, _mtime_ns: int, size: int) -> UserModels:
    if not path.is_file():
        return _unreadable(path, "not a file")
    if size > MAX_BYTES:
        return _unreadable(path, f"larger than {MAX_BYTES // 1024} KiB; a models file holds a few rows")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _unreadable(path, getattr(exc, "strerror", None) or "not UTF-8 text")
    base = load_capabilities()
    try:
        rows, problems = parse_user_rows(text, base, source=f"user models file {path}")
    except tomllib.TOMLDecodeError as exc:
        return _unreadable(path, f"not valid TOML: {exc}")
    return UserModels(
        base.with_user_rows(rows), tuple(f"models file {path}: {problem}" for problem in problems)
    )


def _unreadable(path: Path, reason: str) -> UserModels:
    return UserModels(load_capabilities(), (f"models file {path}: {reason}; using ChatLS's own table only",))
