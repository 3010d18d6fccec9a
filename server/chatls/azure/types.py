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


ChatEvent = Union[StatusEvent, ContentEvent, ChatResult]  # noqa: UP007 - a runtime alias on Python 3.10


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
    max_input_tokens: int | None = None
    """Where the input is capped below context_window - output (GPT-5: 272,000 of 400,000)."""
    instructions: Literal["system", "developer", "fold"] = "system"
    """Where instructions go; "fold" puts them into the first user message."""
    sampling: frozenset[str] = frozenset()
    """Sampling parameters accepted (temperature, top_p, presence_penalty, frequency_penalty)."""
    token_parameter: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    reasoning_efforts: tuple[str, ...] = ()
    """Accepted reasoning_effort values; empty means the parameter is not sent."""
    verbosity: tuple[str, ...] = ()
    """Accepted verbosity values; empty means the parameter is not sent."""
    min_api_version: str = ""
    stream_usage: bool = True
    """Whether stream_options.include_usage may be sent (where the api-version knows it)."""
    rejected_parameters: frozenset[str] = frozenset()
    """Request parameters this deployment refused (self-healing lessons); never sent."""
    learned: frozenset[str] = frozenset()
    """Which of the fields above came from self-healing lessons rather than the table."""
    model: str = ""
    """The model name as known (profile, response or deployment name), e.g. "o1-2024-12-17"."""

    @property
    def input_limit(self) -> int:
        """Most prompt tokens the model takes (before subtracting any completion budget)."""
        return min(self.context_window, self.max_input_tokens or self.context_window)


class LessonStore(Protocol):
    """Where self-healing lessons persist per (endpoint, deployment); the server's store implements it."""

    def load_lessons(self, endpoint: str, deployment: str) -> dict[str, Any]: ...

    def save_lessons(self, endpoint: str, deployment: str, lessons: dict[str, Any]) -> None: ...
