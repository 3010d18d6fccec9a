"""Conversation and profile requests (`chatls/conversations`, `/conversation`, `/deleteConversation`,
`/renameConversation`,
`/models`,
`/setApiKey`) and their command twins, plus `chatls.exportConversation`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pygls.exceptions import JsonRpcException

from chatls import lsp_edge, protocol
from chatls.agent.transcript import step_summaries
from chatls.attachments import Attached, restored
from chatls.editor_folders import workspace_of
from chatls.errors import invalid_params, to_jsonrpc
from chatls.logging_setup import register_secret
from chatls.server import ChatLSServer
from chatls.store import ConversationNotFound, MessageRecord
from chatls.workspace_files import export_to

log = logging.getLogger(__name__)

T = TypeVar("T")


async def conversations(
    ls: ChatLSServer, p: protocol.ConversationsParams
) -> list[protocol.ConversationSummary]:
    """A workspace's conversations, newest first."""
    await ls.ready()
    workspace = workspace_of(ls, p.workspace_uri, None)
    rows = _guard(lambda: ls.store.list_conversations(workspace))
    return [protocol.ConversationSummary(r.id, r.title, r.updated_at, r.message_count) for r in rows]


async def conversation(ls: ChatLSServer, p: protocol.ConversationParams) -> protocol.ConversationInfo:
    await ls.ready()
    record = _guard(lambda: ls.store.get_conversation(p.conversation_id))
    if record is None:
        raise invalid_params(f"unknown conversationId {p.conversation_id!r}")
    _guard(lambda: ls.look_after_orphans(record.id))  # a reply whose server died shows as interrupted
    messages = [_message_info(m) for m in _guard(lambda: ls.store.get_messages(record.id))]
    return protocol.ConversationInfo(record.id, record.title, record.workspace_uri, messages)


async def delete_conversation(
    ls: ChatLSServer, p: protocol.ConversationParams
) -> protocol.DeleteConversationResult:
    await ls.ready()
    return protocol.DeleteConversationResult(_guard(lambda: ls.store.delete_conversation(p.conversation_id)))


async def rename_conversation(
    ls: ChatLSServer, p: protocol.RenameConversationParams
) -> protocol.RenameConversationResult:
    """Give a conversation the title the user typed (the panel's list renames in place)."""
    title = " ".join(p.title.split())
    if not title:
        raise invalid_params("invalid params: title must not be empty @ $.title")
    if len(title) > protocol.TITLE_MAX:
        longer = f"title is longer than {protocol.TITLE_MAX} characters"
        raise invalid_params(f"invalid params: {longer} @ $.title")
    await ls.ready()

    def rename() -> bool:
        try:
            ls.store.rename_conversation(p.conversation_id, title)
        except ConversationNotFound:
            return False
        return True

    if not _guard(rename):
        raise invalid_params(f"unknown conversationId {p.conversation_id!r}")
    return protocol.RenameConversationResult(p.conversation_id, title)


async def models(ls: ChatLSServer, p: protocol.ModelsParams) -> list[protocol.ModelInfo]:
    """The configured profiles with their resolved capabilities (never a key)."""
    await ls.ready()
    workspace = workspace_of(ls, p.workspace_uri, None)
    return _guard(lambda: ls.describe_profiles(workspace))


async def set_api_key(ls: ChatLSServer, p: protocol.SetApiKeyParams) -> protocol.SetApiKeyResult:
    """Keep a key for a profile in memory (never stored, never logged) and rebuild that profile's client."""
    if not p.profile.strip():
        raise invalid_params("invalid params: profile must not be empty @ $.profile")
    if p.api_key is None:  # the editor cleared it: stop using it at once
        ls.runtime_keys.pop(p.profile, None)
        ls.forget_clients(p.profile)
        log.info("API key for profile %s forgotten", p.profile)
        return protocol.SetApiKeyResult(p.profile)
    if not p.api_key.strip():
        raise invalid_params("invalid params: apiKey must not be empty @ $.apiKey")
    register_secret(p.api_key)
    ls.runtime_keys[p.profile] = p.api_key
    ls.forget_clients(p.profile)
    log.info("API key set for profile %s (kept in memory only)", p.profile)
    return protocol.SetApiKeyResult(p.profile)


async def export_conversation(
    ls: ChatLSServer, p: protocol.ExportConversationArgs
) -> protocol.ExportConversationResult:
    """`chatls.exportConversation {conversationId, path?, overwrite?}` → `{conversationId, markdown,
    path?}`."""
    await ls.ready()
    if _guard(lambda: ls.store.get_conversation(p.conversation_id)) is None:
        raise invalid_params(f"unknown conversationId {p.conversation_id!r}")
    markdown = _guard(lambda: ls.store.export_markdown(p.conversation_id))
    result = protocol.ExportConversationResult(p.conversation_id, markdown)
    if p.path is not None:
        if not Path(p.path).expanduser().is_absolute():
            raise invalid_params(f"invalid params: path must be absolute, got {p.path!r} @ $.path")
        # a regular file only, never over an existing one unless asked (chatls.workspace_files)
        result.path = await export_to(p.path, markdown, overwrite=p.overwrite)
    return result


def _message_info(m: MessageRecord) -> protocol.MessageInfo:
    usage = None
    if m.usage:
        usage = protocol.Usage(
            int(m.usage.get("promptTokens", 0)),
            int(m.usage.get("completionTokens", 0)),
            int(m.usage.get("reasoningTokens", 0)),
            int(m.usage.get("cachedTokens", 0)),
        )
    return protocol.MessageInfo(
        m.id,
        m.role,
        m.content,
        m.status,
        m.created_at,
        model=m.model,
        usage=usage,
        reasoning=m.reasoning or None,
        steps=[protocol.AgentStep(i, "finished", name, summary, ok) for i, name, summary, ok in
               step_summaries(m.steps)] if m.steps else None,
        citations=[_stored_citation(c) for c in m.citations] if m.citations else None,
        attachment=m.attachment,
        attachments=[_attachment_info(a) for a in restored(m.attachment, m.attachments)] or None,
    )  # fmt: skip


def _attachment_info(attached: Attached) -> protocol.AttachmentInfo:
    first, last = attached.lines or (None, None)
    return protocol.AttachmentInfo(
        attached.kind, attached.label, len(attached.text), attached.name, first_line=first, last_line=last
    )


def _stored_citation(stored: object) -> protocol.Citation:
    """A citation as migration 4 stores it (camelCase JSON); anything unreadable shows as an empty one."""
    fields = stored if isinstance(stored, dict) else {}
    title, url, filepath, chunk_id = (
        value if isinstance(value, str) else None
        for value in (fields.get(k) for k in ("title", "url", "filepath", "chunkId"))
    )
    return protocol.Citation(title, url, filepath, chunk_id)


def _guard(call: Callable[[], T]) -> T:
    """Run a store call, mapping its failures at the one boundary."""
    try:
        return call()
    except Exception as exc:
        if isinstance(exc, JsonRpcException):
            raise
        raise to_jsonrpc(exc) from None


def register(server: ChatLSServer) -> None:
    lsp_edge.request(
        server, protocol.CONVERSATIONS, protocol.ConversationsParams, conversations, optional=True
    )
    lsp_edge.request(server, protocol.CONVERSATION, protocol.ConversationParams, conversation)
    lsp_edge.request(server, protocol.DELETE_CONVERSATION, protocol.ConversationParams, delete_conversation)
    lsp_edge.request(server, protocol.MODELS, protocol.ModelsParams, models, optional=True)
    lsp_edge.request(server, protocol.SET_API_KEY, protocol.SetApiKeyParams, set_api_key)
    lsp_edge.request(
        server, protocol.RENAME_CONVERSATION, protocol.RenameConversationParams, rename_conversation
    )
    # the command twins, for clients that only speak workspace/executeCommand
    lsp_edge.optional_command(server, protocol.CMD_CONVERSATIONS, protocol.ConversationsParams, conversations)
    lsp_edge.command(server, protocol.CMD_CONVERSATION, protocol.ConversationParams, conversation)
    lsp_edge.command(
        server, protocol.CMD_DELETE_CONVERSATION, protocol.ConversationParams, delete_conversation
    )
    lsp_edge.optional_command(server, protocol.CMD_MODELS, protocol.ModelsParams, models)
    lsp_edge.command(
        server, protocol.CMD_EXPORT_CONVERSATION, protocol.ExportConversationArgs, export_conversation
    )
