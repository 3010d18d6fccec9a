"""What every wire shares: the neutral ending a wire's reply reads as, and the Wire protocol itself.

A wire (Chat Completions, Responses) shapes its request from the neutral conversation and options, reads
its reply as neutral events ending with one `WireEnding`, and learns from its own refusals. Nothing here
knows either wire's vocabulary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Union

from chatls.azure.types import (
    Citation,
    CitationsEvent,
    ContentEvent,
    ReasoningEvent,
    RunStartedEvent,
    StopReason,
    ToolCall,
    ToolCallEvent,
    Usage,
    Wire,
)

if TYPE_CHECKING:
    import openai

    from chatls.azure.healing import Healing, Lessons
    from chatls.azure.profile import Profile
    from chatls.azure.shaping import ShapedRequest
    from chatls.azure.types import ChatOptions, Conversation, ModelCapabilities


@dataclass(frozen=True)
class WireEnding:
    """How a reply ended, in neutral words; always the last thing a wire yields."""

    content: str
    model: str
    stop_reason: StopReason
    usage: Usage
    reasoning: str = ""
    replay: dict[str, Any] | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    filtered: tuple[str, ...] = ()
    """Content-filter categories, when stop_reason is "filtered"."""
    failure: Mapping[str, Any] | None = None
    """Azure's error object, when stop_reason is "failed"."""
    citations: tuple[Citation, ...] = ()
    """On Your Data references, in order."""


WireEvent = Union[  # noqa: UP007 - a runtime alias on Python 3.10
    ContentEvent, ReasoningEvent, ToolCallEvent, RunStartedEvent, CitationsEvent, WireEnding
]


class ChatWire(Protocol):
    """One Azure API as the attempt loop sees it."""

    name: Wire

    def shape(
        self,
        conversation: Conversation,
        options: ChatOptions,
        caps: ModelCapabilities,
        profile: Profile,
        deployment: str,
    ) -> ShapedRequest: ...

    def events(
        self, sdk: openai.AsyncOpenAI, shaped: ShapedRequest, headers: Mapping[str, Any]
    ) -> AsyncIterator[WireEvent]:
        """The reply as neutral events, the last a WireEnding; raises IncompleteReply when it never ends."""
        ...

    def learn(
        self,
        error: Mapping[str, Any],
        shaped: ShapedRequest,
        caps: ModelCapabilities,
        lessons: Lessons,
        deployment: str,
    ) -> Healing | None:
        """The one fix a 400 on this wire asks for (None: nothing this wire can fix)."""
        ...


def field(obj: Any, name: str) -> Any:
    """An attribute of an SDK model, a key of its extra fields or of a dict, or None."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None)
        if isinstance(extra, dict):
            value = extra.get(name)
    return value


def count(value: Any) -> int:
    """A token count, or 0 for anything that is not a whole number."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def as_dict(obj: Any) -> dict[str, Any]:
    """A plain dict of an SDK model (or a mapping); {} for anything else."""
    if isinstance(obj, Mapping):
        return dict(obj)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        dumped = dump(exclude_none=True)
        return dumped if isinstance(dumped, dict) else {}
    return {}
