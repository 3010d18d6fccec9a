"""`chatls ask --agent`: the terminal's side of agent mode — approvals and edits the server asks for.

Approvals (`window/showMessageRequest`) are asked as y/n on the controlling terminal (`/dev/tty`, so piped
stdin does not answer them); without a terminal they are declined, and the user is told so. Edits
(`workspace/applyEdit`) are shown as a unified diff per file and written to disk only after "y"; otherwise
the server is answered applied=false and nothing changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import os
import termios
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types

from chatls import edits

NO_TERMINAL = "no terminal to ask on: declined"


class EditRefused(Exception):
    """An edit that cannot be applied as asked (a file changed, exists already, or is outside reach)."""


@dataclass(frozen=True)
class FileChange:
    path: Path
    old: str | None
    """None: the edit creates the file."""
    new: str


class TerminalAsker:
    """Asks yes/no questions on the controlling terminal, one at a time, without blocking the event loop."""

    def __init__(self, interrupted: asyncio.Event, tty: str = "/dev/tty") -> None:
        self._interrupted = interrupted
        self._tty = tty
        self._lock = asyncio.Lock()

    async def confirm(self, question: str) -> bool | None:
        """True for y/yes, False for anything else or Ctrl-C; None when there is no terminal."""
        async with self._lock:
            try:
                fd = os.open(self._tty, os.O_RDWR | os.O_NOCTTY)
            except OSError:
                return None
            try:
                return await self._ask(fd, question)
            finally:
                os.close(fd)

    async def _ask(self, fd: int, question: str) -> bool:
        with contextlib.suppress(termios.error):  # keys typed before the question do not answer it
            termios.tcflush(fd, termios.TCIFLUSH)
        os.write(fd, f"{question} [y/N] ".encode())
        loop = asyncio.get_running_loop()
        line: asyncio.Future[bytes] = loop.create_future()

        def readable() -> None:
            if not line.done():
                try:
                    line.set_result(os.read(fd, 1024))
                except OSError as exc:
                    line.set_exception(exc)

        loop.add_reader(fd, readable)
        stop: asyncio.Future[Any] = asyncio.ensure_future(self._interrupted.wait())
        try:
            await asyncio.wait([line, stop], return_when=asyncio.FIRST_COMPLETED)
        finally:
            loop.remove_reader(fd)
            stop.cancel()
        if not line.done() or line.exception() is not None:
            line.cancel()
            os.write(fd, b"\n")
            return False
        return line.result().decode("utf-8", errors="replace").strip().lower() in ("y", "yes")


class AgentReviewer:
    """Answers the server's approval requests and reviews its edits for `chatls ask --agent`."""

    def __init__(
        self,
        asker: TerminalAsker,
        show: Callable[[str], None],
        note: Callable[[str], None],
        root: Path | None = None,
    ) -> None:
        self._asker = asker
        self._root = root
        """Paths are shown relative to this folder (the workspace)."""
        self._show = show
        """Writes the diff (stderr: the answer on stdout stays clean)."""
        self._note = note

    async def message_request(self, params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        actions = list(params.actions or [])
        if not actions:
            self._note(f"chatls: {params.message}")
            return None
        yes, no = actions[0], actions[-1]
        answer = await self._asker.confirm(f"ChatLS: {params.message} ({yes.title}?)")
        if answer is None:
            self._note(f"chatls ask: {params.message} — {NO_TERMINAL}")
        return yes if answer else (no if len(actions) > 1 else None)

    async def apply_edit(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        try:
            changes = planned_changes(params.edit)
        except EditRefused as exc:
            self._note(f"chatls ask: the proposed changes cannot be applied: {exc}")
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason=str(exc))
        if not changes:
            return types.ApplyWorkspaceEditResult(applied=True)
        self._show("".join(unified_diff(change, self._name(change.path)) for change in changes))
        label = params.label or "ChatLS agent"
        answer = await self._asker.confirm(f"{label}: apply these changes to {len(changes)} file(s)?")
        if answer is None:
            self._note(f"chatls ask: {NO_TERMINAL}; nothing was changed")
        if not answer:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="declined by the user")
        try:
            write_changes(changes)
        except (OSError, EditRefused) as exc:
            self._note(f"chatls ask: could not apply the changes: {exc}")
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason=str(exc))
        self._note(f"chatls ask: changed {', '.join(self._name(c.path) for c in changes)}")
        return types.ApplyWorkspaceEditResult(applied=True)

    def _name(self, path: Path) -> str:
        if self._root is not None and path.is_relative_to(self._root):
            return str(path.relative_to(self._root))
        return str(path)


def planned_changes(edit: types.WorkspaceEdit) -> list[FileChange]:
    """Each file's text before and after the edit, computed from disk without writing anything."""
    texts: dict[Path, str | None] = {}
    originals: dict[Path, str | None] = {}

    def current(path: Path) -> str | None:
        if path not in texts:
            texts[path] = _read(path)
            originals[path] = texts[path]
        return texts[path]

    for operation in _operations(edit):
        if isinstance(operation, types.CreateFile):
            path = _path(operation.uri)
            exists = current(path) is not None
            options = operation.options
            if exists and not (options and (options.overwrite or options.ignore_if_exists)):
                raise EditRefused(f"{path} exists already")
            if not exists or (options and options.overwrite):
                texts[path] = ""
        elif isinstance(operation, types.TextDocumentEdit):
            path = _path(operation.text_document.uri)
            text = current(path)
            if text is None:
                raise EditRefused(f"{path} does not exist")
            texts[path] = _apply(text, list(operation.edits))
        else:
            raise EditRefused(f"{type(operation).__name__} is not supported by chatls ask")
    return [
        FileChange(path, originals[path], new)
        for path, new in texts.items()
        if new is not None and new != originals[path]
    ]


def _operations(edit: types.WorkspaceEdit) -> list[Any]:
    if edit.document_changes:
        return list(edit.document_changes)
    return [
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
            edits=list(text_edits),
        )
        for uri, text_edits in (edit.changes or {}).items()
    ]


def _apply(text: str, text_edits: list[Any]) -> str:
    spans = sorted(
        ((*edits.span_of(text, e.range), e.new_text) for e in text_edits),
        key=lambda s: (s[0], s[1]),
        reverse=True,
    )
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def unified_diff(change: FileChange, name: str) -> str:
    old_name = "/dev/null" if change.old is None else f"a/{name}"
    lines = list(
        difflib.unified_diff(
            (change.old or "").splitlines(keepends=True),
            change.new.splitlines(keepends=True),
            old_name,
            f"b/{name}",
        )
    )
    if not lines:  # a new empty file: difflib has no hunk to show
        return f"--- /dev/null\n+++ b/{name}\n(new empty file)\n"
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def write_changes(changes: list[FileChange]) -> None:
    """Writes each file, refusing any that changed on disk since the diff was shown."""
    for change in changes:
        if _read(change.path) != change.old:
            raise EditRefused(f"{change.path} changed on disk meanwhile")
    for change in changes:
        change.path.parent.mkdir(parents=True, exist_ok=True)
        with change.path.open("w" if change.old is not None else "x", encoding="utf-8", newline="") as out:
            out.write(change.new)


def _path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise EditRefused(f"{uri}: only file URIs can be edited")
    return Path(unquote(parsed.path))


def _read(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8", newline="") as source:
            return source.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise EditRefused(f"{path}: {exc}") from exc
