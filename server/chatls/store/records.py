"""The store's value types: what reading a conversation or a message gives back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

MessageRole = Literal["user", "assistant"]
ROLES: frozenset[str] = frozenset({"user", "assistant"})

MessageStatus = Literal["complete", "cancelled", "error", "truncated", "pending", "interrupted"]
STATUSES: frozenset[str] = frozenset(
    {"complete", "cancelled", "error", "truncated", "pending", "interrupted"}
)
"""`interrupted`: a reply left `pending` by a server that is gone (killed) and that nobody can resume."""

USAGE_KEYS = ("promptTokens", "completionTokens", "reasoningTokens", "cachedTokens")
"""Keys of a stored usage dict (the `chatls/chat` result's usage, camelCase)."""


@dataclass(frozen=True)
class ConversationRecord:
    id: str
    title: str
    workspace_uri: str
    """Normalised workspace-folder URI, or `chatls:no-folder`."""
    created_at: str
    """ISO-8601 UTC, e.g. `2026-11-21T23:04:05.123456Z`."""
    updated_at: str
    """When the last message was added or changed (ISO-8601 UTC)."""


@dataclass(frozen=True)
class ConversationSummaryRecord:
    """One row of `chatls/conversations`."""

    id: str
    title: str
    updated_at: str
    message_count: int


@dataclass(frozen=True)
class MessageRecord:
    id: str
    conversation_id: str
    role: MessageRole
    content: str
    """For a user message: the prompt exactly as typed (no selection, no instructions)."""
    status: MessageStatus
    profile: str | None
    model: str | None
    usage: dict[str, Any] | None
    """promptTokens, completionTokens, reasoningTokens, cachedTokens; None when unknown."""
    attachment: str | None
    """What was sent alongside a user prompt (selection block, attached files …), kept apart from
    `content`: the attachments' texts joined (see `attachments`)."""
    created_at: str
    updated_at: str
    reasoning: str = ""
    """The reasoning summary that came with an assistant reply (never sent back as answer text)."""
    replay: dict[str, Any] | None = None
    """Opaque state the wire wants back with this reply on later turns (`ChatMessage.replay`)."""
    run_handle: dict[str, Any] | None = None
    """A background run's opaque handle while it can be resumed or cancelled upstream."""
    reply_to: str | None = None
    """For a reply: the id of the question it answers (None in databases from before the link)."""
    steps: list[dict[str, Any]] | None = None
    """An agent reply's tool steps: the messages between question and answer (assistant tool calls and tool
    results, as `chatls.agent.transcript` writes them)."""
    citations: list[dict[str, Any]] | None = None
    """A grounded (On Your Data) reply's references, in order: `{title, url, filepath, chunkId}` each."""
    attachments: list[dict[str, Any]] | None = None
    """A question's attachments, in order: `{kind, label, name?, lines?, chars}` each, their texts joined in
    `attachment` (`chatls.attachments.restored` gives them back); None before migration 5."""


@dataclass(frozen=True)
class TurnIds:
    """What `ConversationStore.begin_turn` wrote in one transaction."""

    conversation_id: str
    question_id: str
    reply_id: str
