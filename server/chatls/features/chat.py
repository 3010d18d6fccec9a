"""`chatls/chat` (a cancellable request) and `chatls.chat` (the same as a command, cancellable via
progress)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import unquote

import attrs
from lsprotocol import types
from pygls.workspace import TextDocument

from chatls import lsp_edge, protocol
from chatls.agent.host import prepare_agent
from chatls.attachments import Attached, too_long
from chatls.chat_service import AgentTurn, Turn
from chatls.context_items import render_items
from chatls.editor_folders import shown_path, workspace_of
from chatls.errors import invalid_params
from chatls.lsp_edge import send_delta
from chatls.progress import cancellable_progress
from chatls.prompts import selection_block
from chatls.server import ChatLSServer
from chatls.workspace_files import document_for

log = logging.getLogger(__name__)


async def chat(ls: ChatLSServer, p: protocol.ChatParams) -> protocol.ChatResult:
    """`chatls/chat`: stream deltas, answer with the ChatResult; `$/cancelRequest` → partial stored,
    -32800."""
    turn = await turn_for(ls, p)
    ls.track_current_task()  # so shutdown can finish it (and store its partial reply) first
    return await ls.chat_service.run_turn(turn, lambda delta: send_delta(ls, delta))


async def chat_command(
    ls: ChatLSServer, p: protocol.ChatParams
) -> protocol.ChatCommandResult | protocol.CancelledChatResult:
    """`chatls.chat` for clients that only speak commands; its progress's Cancel button stops it.

    The result is the ChatResult plus `status`; a cancelled chat answers the partial reply with `status:
    "cancelled"` instead of an error.
    """
    turn = await turn_for(ls, p)
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
        return protocol.CancelledChatResult(
            seen.conversation_id, seen.message_id, "".join(seen.parts), protocol.STATUS_CANCELLED
        )
    truncated = result.stop_reason == protocol.STOP_TRUNCATED
    fields = attrs.asdict(result, recurse=False)
    status = protocol.STATUS_TRUNCATED if truncated else protocol.STATUS_COMPLETE
    return protocol.ChatCommandResult(**fields, status=status)


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


async def turn_for(ls: ChatLSServer, p: protocol.ChatParams) -> Turn:
    """The turn a `chatls/chat` asks for: its context read safely, its attachments rendered, agent or not."""
    document = await context_document(ls, p)
    attached = await _rendered(ls, p)
    return await with_agent(ls, p, build_turn(ls, p, document=document, attached=attached))


async def _rendered(ls: ChatLSServer, p: protocol.ChatParams) -> list[Attached]:
    if not p.attachments:
        return []
    await ls.ready()  # maxFileBytes comes with the settings
    return await render_items(ls, p.attachments, ls.settings.max_file_bytes)


async def budget(ls: ChatLSServer, p: protocol.ChatParams) -> protocol.BudgetResult:
    """`chatls/budget`: the tokens a `chatls/chat` with these params would take, and what is left out."""
    if not p.prompt.strip():
        p.prompt = " "  # the input may be empty while the user is still choosing what to attach
    document = await context_document(ls, p)
    turn = build_turn(ls, p, document=document, attached=await _rendered(ls, p))
    return await ls.chat_service.budget(turn)


async def context_document(ls: ChatLSServer, p: protocol.ChatParams) -> TextDocument | None:
    """The document of `context.uri`: open in the editor, else read safely (chatls.workspace_files)."""
    if p.context is None:
        return None
    _check_uri(p.context.uri, "$.context.uri")
    await ls.ready()  # maxFileBytes comes with the settings
    return await document_for(ls.workspace, p.context.uri, ls.settings.max_file_bytes)


def build_turn(
    ls: ChatLSServer,
    p: protocol.ChatParams,
    task_instructions: str | None = None,
    *,
    document: TextDocument | None = None,
    attached: Sequence[Attached] = (),
) -> Turn:
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
    attachments = tuple(attached)
    if p.context is not None:  # the selection goes first, then the attached items
        _check_uri(p.context.uri, "$.context.uri")
        attachments = (attachment_for(ls, p.context, document), *attachments)
    workspace: str | None = None
    if p.workspace_uri is not None or p.conversation_id is None:
        workspace = workspace_of(ls, p.workspace_uri, p.context.uri if p.context else None)
    return Turn(
        prompt=p.prompt,
        workspace_uri=workspace,
        conversation_id=p.conversation_id,
        profile=p.profile,
        reasoning_effort=p.reasoning_effort,
        attachments=attachments,
        task_instructions=task_instructions,
        retry_of=p.retry_of,
        client_token=p.client_token,
    )


async def with_agent(ls: ChatLSServer, p: protocol.ChatParams, turn: Turn) -> Turn:
    """The turn in agent mode when the params ask for it (its tools built from the workspace's settings)."""
    if p.mode in (None, protocol.MODE_CHAT):
        return turn
    if p.mode != protocol.MODE_AGENT:
        raise invalid_params(f'invalid params: mode must be "chat" or "agent", got {p.mode!r} @ $.mode')
    await ls.ready()
    settings = ls.settings_for(turn.workspace_uri)
    tools = await prepare_agent(ls, settings, ls.agent_resources)
    return replace(turn, agent=AgentTurn(tools, settings.agent_max_steps))


def attachment_for(
    ls: ChatLSServer, context: protocol.SelectionContext, document: TextDocument | None = None
) -> Attached:
    """The selection (or whole document) as a Markdown block with file name and language."""
    doc = document or ls.workspace.text_documents.get(unquote(context.uri))
    if doc is None:  # never read from disk here: only chatls.workspace_files may
        raise invalid_params(f"invalid params: document {context.uri} is not open @ $.context.uri")
    name = shown_path(ls, context.uri)
    if context.range is None:
        block = selection_block(name, doc.language_id, doc.source, first_line=0)
        attached = Attached(f"file {name}", block, kind="file", name=name)
    else:
        _check_range(context.range, len(doc.lines))
        code, first_line = doc.text_in_client_range(context.range), context.range.start.line
        block = selection_block(name, doc.language_id, code, first_line=first_line)
        lines = (first_line + 1, context.range.end.line + 1)
        attached = Attached(f"selection {name}:{lines[0]}-{lines[1]}", block, kind="selection", name=name,
                            lines=lines)  # fmt: skip
    problem = too_long(attached)
    if problem is not None:
        raise invalid_params(f"invalid params: {problem} @ $.context")
    return attached


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
    lsp_edge.request(server, protocol.CHAT, protocol.ChatParams, chat)
    lsp_edge.request(server, protocol.BUDGET, protocol.ChatParams, budget)
    lsp_edge.command(server, protocol.CMD_CHAT, protocol.ChatParams, chat_command)
