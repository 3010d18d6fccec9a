"""`chatls/chat` (a cancellable request) and `chatls.chat` (the same as a command, cancellable via
progress)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types

from chatls import protocol, workspaces
from chatls.chat_service import Turn
from chatls.errors import invalid_params
from chatls.features.progress import cancellable_progress
from chatls.prompts import selection_block
from chatls.server import ChatLSServer

log = logging.getLogger(__name__)


async def chat(ls: ChatLSServer, params: Any) -> Any:
    """`chatls/chat`: stream deltas, answer with the ChatResult; `$/cancelRequest` → partial stored,
    -32800."""
    p = protocol.structure_params(params, protocol.ChatParams)
    turn = build_turn(ls, p)
    ls.track_current_task()  # so shutdown can finish it (and store its partial reply) first
    result = await ls.chat_service.run_turn(turn, lambda delta: send_delta(ls, delta))
    return protocol.unstructure(result)


async def chat_command(ls: ChatLSServer, args: Any) -> Any:
    """`chatls.chat` for clients that only speak commands; its progress's Cancel button stops it.

    The result is the ChatResult plus `status`; a cancelled chat answers `{conversationId, messageId,
    content (the partial reply), status: "cancelled"}` instead of an error.
    """
    p = protocol.structure_params(args, protocol.ChatParams)
    turn = build_turn(ls, p)
    ls.track_current_task()
    seen = _SeenDeltas()
    try:
        async with cancellable_progress(ls, "ChatLS: waiting for the model") as report:

            def on_delta(delta: protocol.DeltaNotification) -> None:
                seen.add(delta)
                if delta.status:
                    report(delta.status)
                send_delta(ls, delta)

            result = await ls.chat_service.run_turn(turn, on_delta)
    except asyncio.CancelledError:
        return {
            "conversationId": seen.conversation_id,
            "messageId": seen.message_id,
            "content": "".join(seen.parts),
            "status": protocol.STATUS_CANCELLED,
        }
    answer: dict[str, Any] = protocol.unstructure(result)
    answer["status"] = (
        protocol.STATUS_TRUNCATED
        if result.stop_reason == protocol.STOP_TRUNCATED
        else protocol.STATUS_COMPLETE
    )
    return answer


class _SeenDeltas:
    def __init__(self) -> None:
        self.conversation_id: str | None = None
        self.message_id: str | None = None
        self.parts: list[str] = []

    def add(self, delta: protocol.DeltaNotification) -> None:
        self.conversation_id = delta.conversation_id
        self.message_id = delta.message_id
        if delta.content:
            self.parts.append(delta.content)


def send_delta(ls: ChatLSServer, delta: protocol.DeltaNotification) -> None:
    ls.send_delta(delta)


def build_turn(ls: ChatLSServer, p: protocol.ChatParams, task_instructions: str | None = None) -> Turn:
    """Validate what structuring cannot (values, the document) and decide the workspace."""
    if not p.prompt.strip():
        raise invalid_params("invalid params: prompt must not be empty @ $.prompt")
    if p.workspace_uri is not None:
        _check_uri(p.workspace_uri, "$.workspaceUri")
    if p.conversation_id is not None and not p.conversation_id.strip():
        raise invalid_params("invalid params: conversationId must not be empty @ $.conversationId")
    if p.retry_of is not None:
        if not p.retry_of.strip():
            raise invalid_params("invalid params: retryOf must not be empty @ $.retryOf")
        if p.conversation_id is None:
            raise invalid_params(
                "invalid params: retryOf needs the conversationId of the reply it retries @ $.conversationId"
            )
    attachment = None
    if p.context is not None:
        _check_uri(p.context.uri, "$.context.uri")
        attachment = attachment_for(ls, p.context)
    workspace: str | None = None
    if p.workspace_uri is not None or p.conversation_id is None:
        workspace = workspace_of(ls, p.workspace_uri, p.context.uri if p.context else None)
    return Turn(
        prompt=p.prompt,
        workspace_uri=workspace,
        conversation_id=p.conversation_id,
        profile=p.profile,
        reasoning_effort=p.reasoning_effort,
        attachment=attachment,
        task_instructions=task_instructions,
        retry_of=p.retry_of,
        client_token=p.client_token,
    )


def workspace_of(ls: ChatLSServer, workspace_uri: str | None, context_uri: str | None) -> str:
    """The normalised workspace: explicit, else the folder of `context_uri`, else the first folder, else
    none."""
    return workspaces.workspace_for(
        workspace_uri, context_uri, ls.workspace.folders.keys(), ls.workspace.root_uri
    )


def attachment_for(ls: ChatLSServer, context: protocol.SelectionContext) -> str:
    """The selection (or whole document) as a Markdown block with file name and language."""
    doc = ls.workspace.get_text_document(context.uri)
    try:
        lines = doc.lines
    except OSError:
        raise invalid_params(
            f"invalid params: document {context.uri} is not open and cannot be read @ $.context.uri"
        ) from None
    if context.range is None:
        code, first_line = doc.source, 0
    else:
        _check_range(context.range, len(lines))
        code, first_line = doc.text_in_client_range(context.range), context.range.start.line
    return selection_block(_file_name(ls, context.uri), doc.language_id, code, first_line=first_line)


def _file_name(ls: ChatLSServer, uri: str) -> str:
    """The document's path relative to its workspace folder, else its base name."""
    containing = workspaces.folder_for(uri, ls.workspace.folders.keys())
    path = unquote(urlparse(uri).path)
    if containing is not None:
        root = unquote(urlparse(containing).path).rstrip("/")
        if path.startswith(root + "/"):
            return path[len(root) + 1 :]
    return PurePosixPath(path).name or uri


def _check_uri(uri: str, where: str) -> None:
    if not uri.strip() or ":" not in uri:
        raise invalid_params(f"invalid params: expected a URI such as file:///path, got {uri!r} @ {where}")


def _check_range(r: types.Range, line_count: int) -> None:
    start, end = r.start, r.end
    if min(start.line, start.character, end.line, end.character) < 0:
        raise invalid_params("invalid params: range positions must not be negative @ $.context.range")
    if (end.line, end.character) < (start.line, start.character):
        raise invalid_params("invalid params: range end is before its start @ $.context.range")
    if start.line > line_count:
        raise invalid_params(
            f"invalid params: range starts on line {start.line} but the document has {line_count} lines"
            " @ $.context.range"
        )


def register(server: ChatLSServer) -> None:
    server.feature(protocol.CHAT)(chat)
    server.command(protocol.CMD_CHAT)(chat_command)
