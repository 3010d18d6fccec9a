"""The adapter's public value types: what the rest of ChatLS hands in and gets back.

Nothing here knows a URL, a header or a model rule; those live in the other modules of this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Union

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class Conversation:
    """What to send: instructions (never a message of their own here) and the turns, the new prompt last."""

    instructions: str | None
    messages: tuple[ChatMessage, ...]


@dataclass(frozen=True)
class ChatOptions:
    """Per-request wishes; shaping drops what the model cannot take and says so in adaptations."""

    max_completion_tokens: int | None = None
    reasoning_effort: str | None = None
    temperature: float | None = None
    verbosity: str | None = None
    stream: bool = True


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0


@dataclass(frozen=True)
class StatusEvent:
    """A short human-readable state: "thinking 12 s", "rate limited, retrying in 8 s"."""

    text: str


@dataclass(frozen=True)
class ContentEvent:
    """Text to append to the reply."""

    text: str


@dataclass(frozen=True)
class ChatResult:
    """Always the last event of a chat."""

    content: str
    model: str
    finish_reason: str
    usage: Usage
    adaptations: tuple[str, ...] = ()


ChatEvent = Union[StatusEvent, ContentEvent, ChatResult]


@dataclass(frozen=True)
class ModelCapabilities:
    """What one model family accepts (a row of capabilities.toml, resolved)."""

    family: str
    reasoning: bool
    streaming: bool
    context_window: int
    max_output_tokens: int
    details: dict[str, Any] = field(default_factory=dict)
    """Everything else the row says, for `chatls/models` (roles, parameters, efforts, min api-version...)."""


class LessonStore(Protocol):
    """Where self-healing lessons persist per (endpoint, deployment); the server's SQLite store implements it."""

    def load_lessons(self, endpoint: str, deployment: str) -> dict[str, Any]: ...

    def save_lessons(self, endpoint: str, deployment: str, lessons: dict[str, Any]) -> None: ...
