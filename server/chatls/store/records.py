"""The store's value types: what reading a conversation or a message gives back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

MessageRole = Literal["user", "assistant"]
ROLES: frozenset[str] = frozenset({"user", "assistant"})

MessageStatus = Literal["complete", "cancelled", "error", "truncated", "pending"]
STATUSES: frozenset[str] = frozenset({"complete", "cancelled", "error", "truncated", "pending"})

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
    """What was sent alongside a user prompt (selection block etc.), kept apart from `content`."""
    created_at: str
    updated_at: str
