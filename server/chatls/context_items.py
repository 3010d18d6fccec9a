"""Context the user attaches to a question: files, ranges, the selection, folders, problems, the git diff,
the open editors, a text the client sends itself (what was piped into `chatls ask`) — each read through
the one safe path (`chatls.workspace_files`: open buffers first, disk only inside the workspace,
size-capped) and rendered as a labelled block, sent before the prompt as a content part of its own.

What each block was (kind, name, lines) is stored with the question (`chatls.attachments`), so Retry resends
exactly what was attached and Export lists it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from chatls import protocol
from chatls.attachments import Attached, too_long
from chatls.errors import invalid_params
from chatls.prompts import fence_for, selection_block
from chatls.workspace_files import describe_text_problem, document_for

KINDS = ("file", "range", "selection", "folder", "problems", "diff", "openEditors", "text")
GIT_TIMEOUT = 10.0


async def render_items(ls: Any, items: Sequence[protocol.ContextItem], max_bytes: int) -> list[Attached]:
    """Every item, in order; InvalidParams naming the item (`$.attachments[i]`) when one cannot be used,
    including one too long for Azure to take (`chatls.attachments.too_long`).

    Items are read at once (a `git diff` runs while a file is read); when several cannot be used, the
    first in order is reported.
    """
    for index, item in enumerate(items):
        if item.kind not in KINDS:
            raise invalid_params(
                f"invalid params: kind must be one of {', '.join(KINDS)}, got {item.kind!r} "
                f"@ $.attachments[{index}].kind"
            )
    results = await asyncio.gather(
        *(_render(ls, item, max_bytes, f"$.attachments[{index}]") for index, item in enumerate(items)),
        return_exceptions=True,
    )
    rendered = []
    for index, result in enumerate(results):
        if isinstance(result, BaseException):
            raise result
        problem = too_long(result)
        if problem is not None:
            raise invalid_params(f"invalid params: {problem} @ $.attachments[{index}]")
        rendered.append(result)
    return rendered


async def _render(ls: Any, item: protocol.ContextItem, max_bytes: int, where: str) -> Attached:
    if item.kind in ("file", "range", "selection"):
        uri = _need_uri(item, where)
        if item.kind != "file" and item.range is None:
            raise invalid_params(f"invalid params: a {item.kind} needs a range @ {where}.range")
        document = await document_for(ls.workspace, uri, max_bytes)
        name = relative_name(ls, uri)
        if item.range is None:
            block = selection_block(name, document.language_id, document.source, first_line=0)
            return Attached(f"file {name}", block, kind="file", name=name)
        text = document.text_in_client_range(item.range)
        first, last = item.range.start.line + 1, item.range.end.line + 1
        block = selection_block(name, document.language_id, text, first_line=item.range.start.line)
        label = f"{item.kind} {name}:{first}-{last}"
        return Attached(label, block, kind=item.kind, name=name, lines=(first, last))
    if item.kind == "folder":
        return await _folder(ls, _need_uri(item, where), where)
    if item.kind == "problems":
        return _problems(ls, item)
    if item.kind == "diff":
        return await _diff(ls, item, max_bytes, where)
    if item.kind == "text":
        return _text(item, max_bytes, where)
    return _open_editors(ls)


def _need_uri(item: protocol.ContextItem, where: str) -> str:
    if not item.uri or ":" not in item.uri:
        raise invalid_params(f"invalid params: a {item.kind} needs a uri such as file:///path @ {where}.uri")
    return item.uri


async def _folder(ls: Any, uri: str, where: str) -> Attached:
    from chatls.agent.files import ReadTools
    from chatls.agent.host import workspace_of
    from chatls.agent.paths import ToolError

    path = _path(uri)
    try:
        listing = await ReadTools(workspace_of(ls)).list_files(str(path) if path else uri)
    except ToolError as exc:
        raise invalid_params(
            f"invalid params: the folder {uri} cannot be listed: {exc} @ {where}.uri"
        ) from None
    name = relative_name(ls, uri)
    listed = f"Files in the folder {name} (a listing, not their contents):\n{listing}"
    return Attached(f"folder {name}", listed, kind="folder", name=name)


def _problems(ls: Any, item: protocol.ContextItem) -> Attached:
    if item.diagnostics is not None:
        found = {item.uri or "": list(item.diagnostics)}
    else:
        found = ls.agent_resources.diagnostics.get(item.uri)
    from chatls.agent.host import diagnostic_lines

    lines = [
        f"- {line}" for line in diagnostic_lines(found, lambda uri: relative_name(ls, uri) if uri else "?")
    ]
    scope = f"in {relative_name(ls, item.uri)}" if item.uri else "in the workspace"
    body = "\n".join(lines) if lines else "(none)"
    return Attached(f"problems {scope}", f"The editor's problems {scope}:\n{body}", kind="problems")


async def _diff(ls: Any, item: protocol.ContextItem, max_bytes: int, where: str) -> Attached:
    folder = _path(item.uri) if item.uri else None
    if folder is None:
        from chatls.agent.host import workspace_of

        folders = workspace_of(ls).folders
        if not folders:
            raise invalid_params(f"invalid params: a diff needs a workspace folder or a uri @ {where}")
        folder = folders[0]
    if folder.is_file():
        folder = folder.parent
    args = ["git", "-C", str(folder), "--no-pager", "diff", "--no-color", "--no-ext-diff"]
    if item.staged:
        args.append("--staged")
    text = await _run_git(args, max_bytes, where)
    label = "diff (staged)" if item.staged else "diff (working tree)"
    if not text.strip():
        return Attached(label, f"The git {label}: no changes.", kind="diff")
    return Attached(label, f"The git {label}:\n```diff\n{text.rstrip()}\n```", kind="diff")


async def _run_git(args: list[str], max_bytes: int, where: str) -> str:
    try:
        process = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    except OSError as exc:
        raise invalid_params(f"invalid params: git cannot run ({exc.strerror or exc}) @ {where}") from None
    try:
        out, err = await asyncio.wait_for(process.communicate(), GIT_TIMEOUT)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        raise invalid_params(f"invalid params: git diff took over {GIT_TIMEOUT:g} s @ {where}") from None
    if process.returncode != 0:
        reason = err.decode("utf-8", "replace").strip().splitlines()[:1] or ["failed"]
        raise invalid_params(f"invalid params: git diff: {reason[0]} @ {where}")
    if len(out) > max_bytes:
        raise invalid_params(
            f"invalid params: the diff is {len(out):,} bytes, over the maxFileBytes limit of {max_bytes:,}; "
            f"attach files or ranges instead @ {where}"
        )
    return out.decode("utf-8", "replace")


def _text(item: protocol.ContextItem, max_bytes: int, where: str) -> Attached:
    """A text the client sent (nothing is read): a fenced block under its label, at most maxFileBytes."""
    if item.text is None:
        raise invalid_params(f"invalid params: a text needs its text @ {where}.text")
    size = len(item.text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise invalid_params(
            f"invalid params: the text is {size:,} bytes, over the maxFileBytes limit of {max_bytes:,} "
            f"@ {where}.text"
        )
    problem = describe_text_problem(item.text)
    if problem is not None:
        raise invalid_params(f"invalid params: the text cannot be used: {problem} @ {where}.text")
    label = " ".join((item.label or "").split()) or "text"  # one line: it names the block
    body = item.text.rstrip("\n")
    fence = fence_for(body)
    return Attached(label, f"{label}:\n{fence}\n{body}\n{fence}", kind="text")


def _open_editors(ls: Any) -> Attached:
    names = sorted(relative_name(ls, uri) for uri in ls.workspace.text_documents)
    body = "\n".join(f"- {name}" for name in names) if names else "(none)"
    return Attached("open editors", f"Files open in the editor:\n{body}", kind="openEditors")


def relative_name(ls: Any, uri: str) -> str:
    """The path relative to its workspace folder, else the path (or the URI when it has none)."""
    path = _path(uri)
    if path is None:
        return uri
    for folder in (ls.workspace.folders or {}).values():
        root = _path(folder.uri)
        if root is not None and (path == root or root in path.parents):
            return path.relative_to(root).as_posix() or "."
    return path.as_posix()


def _path(uri: str | None) -> Path | None:
    if not uri:
        return None
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None
