"""The adapter's public value types: what the rest of ChatLS hands in and gets back.

Nothing here knows a URL, a header or a model rule; those live in the other modules of this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Union

Role = Literal["user", "assistant", "tool"]

Wire = Literal["chat", "responses"]
"""The two Azure APIs a turn can go over: Chat Completions and Responses."""

StopReason = Literal["complete", "truncated", "filtered", "failed", "tool_calls"]
"""Why a reply ended, in neutral words: neither wire's vocabulary (`finish_reason`, `status`) leaves the
adapter. `truncated`: the output limit was reached; `tool_calls`: the model asks for tools to run."""


@dataclass(frozen=True)
class ToolCall:
    """A function call the model asked for; `arguments` is the JSON text the model wrote."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolSpec:
    """A function tool offered to the model (JSON-schema `parameters`)."""

    name: str
    description: str
    parameters: dict[str, Any]


MAX_STRING_CHARS = 1_048_576
"""The longest string Azure takes in any field of a request: one character more is a 400
`string_above_max_length` naming the field (../shared/azure/errors/string-above-max-length.json)."""


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str
    replay: dict[str, Any] | None = None
    """Opaque, JSON-serialisable state the wire that produced this assistant reply wants back on later turns
    (e.g. encrypted reasoning items, a response id). Stored with the reply; other wires ignore it."""
    tool_calls: tuple[ToolCall, ...] = ()
    """On an assistant message: the calls it made (agent mode)."""
    call_id: str | None = None
    """On a `tool` message: the call whose result `content` is."""
    parts: tuple[str, ...] = ()
    """On a user message: what was attached, sent before `content` as content parts of their own (one per
    attachment, never joined: each must stay within `MAX_STRING_CHARS`)."""


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
    reasoning_summaries: bool = True
    """Ask for reasoning summaries where the model offers them (Responses)."""
    background: bool | None = None
    """Run as a background response (Responses only); None = as the model's row prefers."""
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None
    """"auto", "none", "required" or a tool name."""


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
class ReasoningEvent:
    """Reasoning-summary text to append (what the model is thinking); never part of the answer."""

    text: str


@dataclass(frozen=True)
class RunStartedEvent:
    """A resumable (background) run was accepted upstream: store `handle` before anything else, so a server
    that dies can `resume(handle)` and a user's Stop can `cancel_run(handle)`. JSON-serialisable, opaque."""

    handle: dict[str, Any]


@dataclass(frozen=True)
class ToolCallEvent:
    """A complete tool call the model asked for (also listed in ChatResult.tool_calls)."""

    call: ToolCall


@dataclass(frozen=True)
class Citation:
    """One numbered reference of a grounded (On Your Data) answer; the text cites it as `[docN]`."""

    title: str | None = None
    url: str | None = None
    filepath: str | None = None
    chunk_id: str | None = None


@dataclass(frozen=True)
class CitationsEvent:
    """The references a grounded answer draws on, in order; sent once, when they arrive."""

    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class ChatResult:
    """Always the last event of a chat."""

    content: str
    model: str
    stop_reason: StopReason
    usage: Usage
    adaptations: tuple[str, ...] = ()
    reasoning: str = ""
    """The reasoning summary text, whole."""
    replay: dict[str, Any] | None = None
    """What to store with the reply and hand back as ChatMessage.replay on later turns."""
    tool_calls: tuple[ToolCall, ...] = ()
    wire: Wire = "chat"
    deployment: str = ""
    citations: tuple[Citation, ...] = ()
    """On Your Data: the references `[doc1]`, `[doc2]` … in the content point to, in order."""


ChatEvent = Union[  # noqa: UP007 - a runtime alias on Python 3.10
    StatusEvent, ContentEvent, ReasoningEvent, RunStartedEvent, ToolCallEvent, CitationsEvent, ChatResult
]


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
    responses_only_efforts: tuple[str, ...] = ()
    """Efforts accepted on the Responses wire only, on top of reasoning_efforts (gpt-5.6's `max`)."""
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
    wires: tuple[Wire, ...] = ("chat",)
    """The APIs the model answers on, preferred first."""
    reasoning_summaries: bool = False
    """Offers reasoning summaries (Responses `reasoning.summary`)."""
    encrypted_reasoning: bool = False
    """Offers encrypted reasoning items to carry reasoning across stateless turns (Responses)."""
    background: bool = False
    """Runs long enough that background mode is the default (o3-pro, the -pro models)."""
    tools: bool = True
    """Accepts function tools."""
    parallel_tool_calls: bool = False
    """Accepts `parallel_tool_calls` (never sent where False)."""
    tools_with_effort_on_chat: bool = True
    """False from gpt-5.4 on: Chat Completions refuses function tools with any effort but none."""
    data_sources: bool = False
    """Takes On Your Data `data_sources` on Chat Completions (gpt-4o, gpt-4o-mini; deprecated feature)."""
    router: bool = False
    """model-router: a reply's reported model is shown, never used to re-type the deployment."""
    resolution: Literal["table", "inferred", "user", "unknown"] = "table"
    """How the row was found: listed, inferred from a name no row lists, a user row (models.toml), or none."""
    deprecated: str | None = None
    """ISO date from which the model is deprecated."""
    retires: str | None = None
    """ISO date of retirement (then Azure answers 410)."""
    replacement: str | None = None
    """The suggested replacement once retired."""

    @property
    def input_limit(self) -> int:
        """Most prompt tokens the model takes (before subtracting any completion budget)."""
        return min(self.context_window, self.max_input_tokens or self.context_window)


class LessonStore(Protocol):
    """Where self-healing lessons persist per (endpoint, deployment); the server's store implements it."""

    def load_lessons(self, endpoint: str, deployment: str) -> dict[str, Any]: ...

    def save_lessons(self, endpoint: str, deployment: str, lessons: dict[str, Any]) -> None: ...
