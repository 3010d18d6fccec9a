"""Reading and writing files for the client, safely: the only disk access a request can cause.

Text normally comes from the editor's open documents. A document that is not open is read from disk only if
it is a regular file inside a workspace folder (after resolving symlinks, `..` and percent-encoding), no
larger than the `maxFileBytes` setting, and text; everything else is refused with an InvalidParams naming
the file and saying why. Reads and writes run in a worker thread with a time cap, and opens never block
(O_NONBLOCK, then a regular-file check), so a FIFO, `/proc/self/fd/0` or `/dev/zero` cannot stall the event
loop or fill memory.

Exports (`chatls.exportConversation`) go to a path the user chose: never a special file (a device, a FIFO,
anything under /proc, /sys or /dev), and never over an existing file unless the request says `overwrite`.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote, urlparse

from chatls.errors import invalid_params

if TYPE_CHECKING:
    from pygls.workspace import TextDocument, Workspace

T = TypeVar("T")

IO_TIME_LIMIT = 10.0
"""Seconds a read or write may take before the request is answered with an error (the thread is left)."""
SPECIAL_ROOTS = ("/proc", "/sys", "/dev")
"""Pseudo file systems: their "files" are processes, devices and the server's own environment."""
_READ_CHUNK = 65536
EXISTS = "a file already exists there; choose another name, or pass overwrite: true"


class FileRefused(Exception):
    """A file the server will not read or write; `str()` is the user-facing reason."""


def describe_text_problem(text: str) -> str | None:
    """Why `text` cannot be sent or stored (a lone UTF-16 surrogate), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"it holds an unpaired UTF-16 surrogate at character {exc.start}"
    return None


def path_of_uri(uri: str) -> str:
    """The local path of a `file:` URI (percent-decoded, not yet resolved); FileRefused for other URIs."""
    parsed = urlparse(uri)
    if parsed.scheme.lower() != "file":
        raise FileRefused("only file: URIs can be read from disk (open the document in the editor instead)")
    if parsed.netloc not in ("", "localhost"):
        raise FileRefused("files on other hosts are not read")
    path = unquote(parsed.path)
    if "\x00" in path or not path.startswith("/"):
        raise FileRefused("the URI holds no usable absolute path")
    return path


def _within(path: str, roots: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _is_special(path: str) -> bool:
    return _within(path, SPECIAL_ROOTS)


def _folder_paths(folder_uris: Iterable[str]) -> list[str]:
    roots = []
    for uri in folder_uris:
        try:
            roots.append(os.path.realpath(path_of_uri(uri)))
        except FileRefused:
            continue
    return roots


def check_readable(uri: str, folder_uris: Iterable[str]) -> str:
    """The resolved path of `uri` if it may be read: inside a workspace folder, not special. FileRefused."""
    resolved = os.path.realpath(path_of_uri(uri))
    if _is_special(resolved):
        raise FileRefused("it is not a regular file")
    roots = _folder_paths(folder_uris)
    if not roots:
        raise FileRefused("no workspace folder is open, so only documents open in the editor can be used")
    if not _within(resolved, roots):
        raise FileRefused("it is outside the workspace folders; open it in the editor to use it")
    return resolved


def read_text_file(path: str, max_bytes: int) -> str:
    """The UTF-8 text of the regular file at `path`, at most `max_bytes`; FileRefused otherwise. Blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileRefused("it does not exist") from None
    except OSError as exc:
        raise FileRefused(f"it cannot be opened ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("it is not a regular file")
        if info.st_size > max_bytes:
            raise FileRefused(f"it is {info.st_size} bytes, over the maxFileBytes limit of {max_bytes}")
        data = bytearray()
        while len(data) <= max_bytes:
            chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - len(data)))
            if not chunk:
                break
            data += chunk
        if len(data) > max_bytes:
            raise FileRefused(f"it is over the maxFileBytes limit of {max_bytes} bytes")
    finally:
        os.close(fd)
    if b"\x00" in data:
        raise FileRefused("it is a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused("it is not UTF-8 text (a binary file?)") from None


async def document_for(workspace: Workspace, uri: str, max_bytes: int) -> TextDocument:
    """The open document `uri`, else the file read safely from disk; InvalidParams naming it otherwise."""
    document: TextDocument | None = workspace.text_documents.get(unquote(uri))
    if document is None:
        folders = [folder.uri for folder in workspace.folders.values()]
        if not folders and workspace.root_uri:
            folders = [workspace.root_uri]
        text = await read_workspace_file(uri, folders, max_bytes)
        document = workspace._create_text_document(uri, source=text)
    problem = describe_text_problem(document.source)
    if problem is not None:
        raise invalid_params(f"invalid params: the document {uri} cannot be used: {problem}")
    return document


async def read_workspace_file(uri: str, folder_uris: Iterable[str], max_bytes: int) -> str:
    """The text of a document that is not open: InvalidParams naming it when it may not or cannot be read."""
    folders = list(folder_uris)

    def read() -> str:
        return read_text_file(check_readable(uri, folders), max_bytes)

    return await _off_loop(read, f"{uri} is not open in the editor and cannot be read from disk")


def write_export(path: str, text: str, *, overwrite: bool) -> str:
    """Write `text` to the absolute `path` the user chose; the path written, or FileRefused. Blocking."""
    target = Path(path).expanduser()
    if not target.is_absolute():
        raise FileRefused("the path must be absolute")
    parent = os.path.realpath(target.parent)
    resolved = os.path.join(parent, target.name)
    if _is_special(parent) or _is_special(resolved):
        raise FileRefused("it is not a regular file location")
    if os.path.lexists(resolved):
        info = os.stat(resolved) if os.path.exists(resolved) else os.lstat(resolved)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("it exists and is not a regular file")
        if not overwrite:
            raise FileRefused(EXISTS)
        resolved = os.path.realpath(resolved)
        if _is_special(resolved):
            raise FileRefused("it is not a regular file location")
    os.makedirs(parent, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    flags |= os.O_TRUNC if overwrite else os.O_EXCL
    try:
        fd = os.open(resolved, flags, 0o600)
    except FileExistsError:
        raise FileRefused(EXISTS) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileRefused("it is not a regular file")
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    return resolved


async def export_to(path: str, text: str, *, overwrite: bool) -> str:
    """`write_export` off the event loop; InvalidParams naming the path when refused."""
    return await _off_loop(lambda: write_export(path, text, overwrite=overwrite), f"cannot write {path}")


async def _off_loop(work: Callable[[], T], what: str) -> T:
    """`work()` in a thread, at most IO_TIME_LIMIT; a refusal is an InvalidParams `what: why`."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(work), IO_TIME_LIMIT)
    except FileRefused as exc:
        raise invalid_params(f"invalid params: {what}: {exc}") from None
    except asyncio.TimeoutError:
        raise invalid_params(f"invalid params: {what}: it took over {IO_TIME_LIMIT:g} s") from None
    except OSError as exc:
        raise invalid_params(f"invalid params: {what}: {exc.strerror or exc}") from None
