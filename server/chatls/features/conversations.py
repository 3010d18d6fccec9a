"""Conversation and profile requests (`chatls/conversations`, `/conversation`, `/deleteConversation`,
`/renameConversation`,
`/models`,
`/setApiKey`) and their command twins, plus `chatls.exportConversation`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcException

from chatls import protocol
from chatls.agent.transcript import step_summaries
from chatls.errors import invalid_params, to_jsonrpc
from chatls.features.chat import workspace_of
from chatls.logging_setup import register_secret
from chatls.server import ChatLSServer
from chatls.store import ConversationNotFound
from chatls.workspace_files import export_to

log = logging.getLogger(__name__)


async def conversations(ls: ChatLSServer, params: Any) -> list[Any]:
    """A workspace's conversations, newest first, as a JSON array."""
    p = protocol.structure_params({} if params is None else params, protocol.ConversationsParams)
    await ls.ready()
    workspace = workspace_of(ls, p.workspace_uri, None)
    rows = _guard(lambda: ls.store.list_conversations(workspace))
    return [
        protocol.unstructure(protocol.ConversationSummary(r.id, r.title, r.updated_at, r.message_count))
        for r in rows
    ]


async def conversation(ls: ChatLSServer, params: Any) -> Any:
    p = protocol.structure_params(params, protocol.ConversationParams)
    await ls.ready()
    record = _guard(lambda: ls.store.get_conversation(p.conversation_id))
    if record is None:
        raise invalid_params(f"unknown conversationId {p.conversation_id!r}")
    _guard(lambda: ls.look_after_orphans(record.id))  # a reply whose server died shows as interrupted
    messages = [_message_info(m) for m in _guard(lambda: ls.store.get_messages(record.id))]
    return protocol.unstructure(
        protocol.ConversationInfo(record.id, record.title, record.workspace_uri, messages)
    )


async def delete_conversation(ls: ChatLSServer, params: Any) -> Any:
    p = protocol.structure_params(params, protocol.ConversationParams)
    await ls.ready()
    deleted = _guard(lambda: ls.store.delete_conversation(p.conversation_id))
    return {"deleted": deleted}


async def rename_conversation(ls: ChatLSServer, params: Any) -> Any:
    """Give a conversation the title the user typed (the panel's list renames in place)."""
    p = protocol.structure_params(params, protocol.RenameConversationParams)
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
    return {"conversationId": p.conversation_id, "title": title}


async def models(ls: ChatLSServer, params: Any) -> list[Any]:
    """The configured profiles with their resolved capabilities (never a key)."""
    p = protocol.structure_params({} if params is None else params, protocol.ModelsParams)
    await ls.ready()
    workspace = workspace_of(ls, p.workspace_uri, None)
    described: list[Any] = _guard(lambda: ls.describe_profiles(workspace))
    return described


async def set_api_key(ls: ChatLSServer, params: Any) -> Any:
    """Keep a key for a profile in memory (never stored, never logged) and rebuild that profile's client."""
    p = protocol.structure_params(params, protocol.SetApiKeyParams)
    if not p.profile.strip():
        raise invalid_params("invalid params: profile must not be empty @ $.profile")
    if not p.api_key.strip():
        raise invalid_params("invalid params: apiKey must not be empty @ $.apiKey")
    register_secret(p.api_key)
    ls.runtime_keys[p.profile] = p.api_key
    ls.forget_clients(p.profile)
    log.info("API key set for profile %s (kept in memory only)", p.profile)
    return {"profile": p.profile}


async def export_conversation(ls: ChatLSServer, args: Any) -> Any:
    """`chatls.exportConversation {conversationId, path?, overwrite?}` → `{conversationId, markdown,
    path?}`."""
    p = protocol.structure_params(args, protocol.ExportConversationArgs)
    await ls.ready()
    if _guard(lambda: ls.store.get_conversation(p.conversation_id)) is None:
        raise invalid_params(f"unknown conversationId {p.conversation_id!r}")
    markdown = _guard(lambda: ls.store.export_markdown(p.conversation_id))
    result: dict[str, Any] = {"conversationId": p.conversation_id, "markdown": markdown}
    if p.path is not None:
        if not Path(p.path).expanduser().is_absolute():
            raise invalid_params(f"invalid params: path must be absolute, got {p.path!r} @ $.path")
        # a regular file only, never over an existing one unless asked (chatls.workspace_files)
        result["path"] = await export_to(p.path, markdown, overwrite=p.overwrite)
    return result


def _message_info(m: Any) -> protocol.MessageInfo:
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
        attachment=m.attachment,
    )  # fmt: skip


def _guard(call: Any) -> Any:
    """Run a store call, mapping its failures at the one boundary."""
    try:
        return call()
    except Exception as exc:
        if isinstance(exc, JsonRpcException):
            raise
        raise to_jsonrpc(exc) from None


# --- commands: one optional/required argument, checked like the requests' params -----------------------
def _one_optional(args: tuple[Any, ...], command: str) -> Any:
    if len(args) > 1:
        raise invalid_params(f"{command} takes at most 1 argument, got {len(args)}")
    return args[0] if args else None


async def conversations_command(ls: ChatLSServer, *args: Any) -> Any:
    return await conversations(ls, _one_optional(args, protocol.CMD_CONVERSATIONS))


async def conversation_command(ls: ChatLSServer, args: Any) -> Any:
    return await conversation(ls, args)


async def delete_conversation_command(ls: ChatLSServer, args: Any) -> Any:
    return await delete_conversation(ls, args)


async def models_command(ls: ChatLSServer, *args: Any) -> Any:
    return await models(ls, _one_optional(args, protocol.CMD_MODELS))


def register(server: ChatLSServer) -> None:
    server.feature(protocol.CONVERSATIONS)(conversations)
    server.feature(protocol.CONVERSATION)(conversation)
    server.feature(protocol.DELETE_CONVERSATION)(delete_conversation)
    server.feature(protocol.MODELS)(models)
    server.feature(protocol.SET_API_KEY)(set_api_key)
    server.feature(protocol.RENAME_CONVERSATION)(rename_conversation)
    server.command(protocol.CMD_CONVERSATIONS)(conversations_command)
    server.command(protocol.CMD_CONVERSATION)(conversation_command)
    server.command(protocol.CMD_DELETE_CONVERSATION)(delete_conversation_command)
    server.command(protocol.CMD_MODELS)(models_command)
    server.command(protocol.CMD_EXPORT_CONVERSATION)(export_conversation)
