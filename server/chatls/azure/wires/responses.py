"""The Responses wire: its request body, its reply (streamed, whole, or a background run) and its refusals.

Stateless by default (`store: false`): each turn sends the conversation as input items, and where the
model offers encrypted reasoning, the reasoning items of a reply come back in `replay` and are sent again
before that reply on later turns. A profile may opt in to `store: true` with `previous_response_id`.
Background runs (`background: true`, which needs `store: true`) are announced with a RunStartedEvent
before any content and can be resumed (stream from a sequence number, or poll) and cancelled.
Events are read by their JSON `type`; unknown ones are ignored. A stream without a terminal event is an
IncompleteReply.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2
import openai

from chatls.azure import shaping, versions
from chatls.azure.errors import ConfigurationError, IncompleteReply, filter_categories
from chatls.azure.healing import Healing, Lessons, learn
from chatls.azure.shaping import ShapedRequest
from chatls.azure.types import (
    ChatMessage,
    ChatOptions,
    ContentEvent,
    Conversation,
    ModelCapabilities,
    ReasoningEvent,
    RunStartedEvent,
    StopReason,
    ToolCall,
    ToolCallEvent,
    ToolSpec,
    Usage,
    Wire,
)
from chatls.azure.wires import FIRST_RESPONSES_VERSION
from chatls.azure.wires.base import WireEnding, WireEvent, as_dict, count
from chatls.azure.wires.base import field as get

if TYPE_CHECKING:
    from chatls.azure.profile import Profile

_RUNNING = ("queued", "in_progress")
_TERMINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed", "response.cancelled")
_START_EVENTS = ("response.created", "response.queued", "response.in_progress")
_RECONNECTS = 3
"""Times a dropped background stream is resumed from its last event before the drop is an error."""
_POLL_FIRST, _POLL_MOST = 0.5, 5.0
"""Seconds between polls of a background run: from the first, growing by half, up to the most."""

# Responses parameter names -> the neutral subjects lessons use (shared with Chat Completions).
_SUBJECTS = {
    "reasoning.effort": "reasoning_effort",
    "reasoning_effort": "reasoning_effort",
    "reasoning.summary": "reasoning_summary",
    "text.verbosity": "verbosity",
    "verbosity": "verbosity",
    "max_output_tokens": "max_completion_tokens",
}


class ResponsesWire:
    name: Wire = "responses"

    def shape(
        self,
        conversation: Conversation,
        options: ChatOptions,
        caps: ModelCapabilities,
        profile: Profile,
        deployment: str,
    ) -> ShapedRequest:
        return shape_responses(conversation, options, caps, profile, deployment)

    async def events(
        self, sdk: openai.AsyncOpenAI, shaped: ShapedRequest, headers: Mapping[str, Any]
    ) -> AsyncIterator[WireEvent]:
        reading = ResponsesReading(stored=bool(shaped.payload.get("store")))
        kwargs = _request_kwargs(shaped, headers)
        if shaped.stream:
            stream = await sdk.responses.create(**kwargs)
            async for event in _read_stream(sdk, stream, reading, shaped.background, headers):
                yield event
        else:
            reading.add_response(await sdk.responses.create(**kwargs))
            if shaped.background and reading.response_id:
                yield RunStartedEvent({"response_id": reading.response_id, "stream": False})
            await _poll(sdk, reading, headers)
        async for event in _ending_events(reading):
            yield event

    async def resume(
        self, sdk: openai.AsyncOpenAI, response_id: str, *, stream: bool, headers: Mapping[str, Any]
    ) -> AsyncIterator[WireEvent]:
        """A background run's reply from its start (streamed again, or polled), ending with the full text."""
        reading = ResponsesReading(response_id=response_id, stored=True, announced=True)
        if stream:
            resumed = await sdk.responses.retrieve(
                response_id, stream=True, extra_headers=dict(headers) or None
            )  # without starting_after: every event again, so the text is whole
            async for event in _read_stream(sdk, resumed, reading, True, headers):
                yield event
        else:
            reading.add_response(
                await sdk.responses.retrieve(response_id, extra_headers=dict(headers) or None)
            )
            await _poll(sdk, reading, headers)
        async for event in _ending_events(reading):
            yield event

    async def cancel(self, sdk: openai.AsyncOpenAI, response_id: str, *, headers: Mapping[str, Any]) -> None:
        await sdk.responses.cancel(response_id, extra_headers=dict(headers) or None)

    def learn(
        self,
        error: Mapping[str, Any],
        shaped: ShapedRequest,
        caps: ModelCapabilities,
        lessons: Lessons,
        deployment: str,
    ) -> Healing | None:
        """Self-healing on Responses: the refused parameter is translated to the neutral subject the
        lessons share with Chat Completions (an effort list learned here holds on both wires)."""
        param = error.get("param")
        subject = _SUBJECTS.get(param, param) if isinstance(param, str) else param
        if subject == "max_completion_tokens" and error.get("code") != "invalid_value":
            subject = "max_output_tokens"  # not a token-parameter swap: Responses has one cap only
        neutral_error = {**error, "param": subject}
        return learn(neutral_error, _neutral_view(shaped.payload), caps, lessons, deployment)


RESPONSES = ResponsesWire()


def _neutral_view(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The Responses body flattened to the neutral parameter names healing knows."""
    view = {key: value for key, value in payload.items() if key not in ("reasoning", "text")}
    reasoning = payload.get("reasoning") or {}
    if "effort" in reasoning:
        view["reasoning_effort"] = reasoning["effort"]
    if "summary" in reasoning:
        view["reasoning_summary"] = reasoning["summary"]
    verbosity = (payload.get("text") or {}).get("verbosity")
    if verbosity is not None:
        view["verbosity"] = verbosity
    if "max_output_tokens" in payload:
        view["max_completion_tokens"] = payload["max_output_tokens"]
    return view


def _request_kwargs(shaped: ShapedRequest, headers: Mapping[str, Any]) -> dict[str, Any]:
    payload = dict(shaped.payload)
    kwargs: dict[str, Any] = {"model": payload.pop("model"), "stream": payload.pop("stream")}
    if payload:
        kwargs["extra_body"] = payload  # as is: the SDK's types lag Azure (efforts, verbosity)
    if headers:
        kwargs["extra_headers"] = dict(headers)
    return kwargs


# ----- shaping ----------------------------------------------------------------------------------


def check_responses_version(api_version: str) -> None:
    if versions.at_least(api_version, FIRST_RESPONSES_VERSION):
        return
    raise ConfigurationError(
        f"The Responses API needs api-version {FIRST_RESPONSES_VERSION} or later (v1 recommended), "
        f'but the profile uses {api_version}. Set "apiVersion" to "v1".',
        key="apiVersion",
    )


def runs_in_background(options: ChatOptions, caps: ModelCapabilities, profile: Profile) -> bool:
    """The caller's wish, else the profile's, else the model's habit (o3-pro, the -pro models)."""
    for wish in (options.background, profile.background):
        if wish is not None:
            return wish and "background" not in caps.rejected_parameters
    return caps.background


def shape_responses(
    conversation: Conversation,
    options: ChatOptions,
    caps: ModelCapabilities,
    profile: Profile,
    deployment: str,
) -> ShapedRequest:
    """The exact Responses body for this turn."""
    api_version = profile.api_version
    check_responses_version(api_version)
    shaping.check_api_version(caps, api_version)
    notes: list[str] = []
    # Background runs and encrypted reasoning came with the v1 API (AVL changelog), not a dated version.
    v1 = versions.is_v1(api_version)
    background = runs_in_background(options, caps, profile)
    if background and not v1:
        background = False
        notes.append(f"background mode not used: api-version {api_version} predates it (use v1)")
    encrypted = caps.encrypted_reasoning and v1
    store = profile.store or background
    chained, messages = _chain(conversation.messages) if profile.store else (None, conversation.messages)
    payload: dict[str, Any] = {"model": deployment}
    instructions = (conversation.instructions or "").strip()
    items = _input_items(messages, replay_reasoning=encrypted and not chained)
    if instructions and caps.instructions == "fold":
        items = _fold(instructions, items)
        notes.append(shaping.folded_note(caps))
    elif instructions:
        payload["instructions"] = instructions  # never carried by previous_response_id: sent every turn
    payload["input"] = items
    if chained:
        payload["previous_response_id"] = chained
    _put(payload, "max_output_tokens", shaping.token_cap(options, caps, notes))
    _put(payload, "temperature", shaping.temperature(options, caps, notes))
    reasoning: dict[str, Any] = {}
    _put(
        reasoning,
        "effort",
        shaping.choice(
            "reasoning_effort", options.reasoning_effort, caps.reasoning_efforts, caps, api_version, notes
        ),
    )
    if caps.reasoning_summaries and options.reasoning_summaries:
        reasoning["summary"] = "auto"
    if reasoning:
        payload["reasoning"] = reasoning
    verbosity = shaping.choice("verbosity", options.verbosity, caps.verbosity, caps, api_version, notes)
    if verbosity is not None:
        payload["text"] = {"verbosity": verbosity}
    _tools(payload, options, caps, notes)
    payload["store"] = store
    if encrypted and not store:
        payload["include"] = ["reasoning.encrypted_content"]
    stream = shaping.streams(options, caps, notes) if not background else options.stream and caps.streaming
    payload["stream"] = stream
    if background:
        payload["background"] = True
        notes.append(
            "background mode: Azure keeps this reply (store) for up to 30 days, so a long run survives "
            "a restart and can be resumed or stopped"
        )
    _drop_rejected(payload, caps)
    return ShapedRequest(
        payload=payload, stream=stream, adaptations=tuple(notes), wire="responses", background=background
    )


def _put(payload: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        payload[key] = value


def _drop_rejected(payload: dict[str, Any], caps: ModelCapabilities) -> None:
    rejected = caps.rejected_parameters
    for parameter in ("temperature", "top_p", "max_output_tokens", "include", "background"):
        if parameter in rejected:
            payload.pop(parameter, None)
    reasoning = payload.get("reasoning", {})
    if "reasoning_effort" in rejected:
        reasoning.pop("effort", None)
    if "reasoning_summary" in rejected:
        reasoning.pop("summary", None)
    if "reasoning" in payload and not reasoning:
        del payload["reasoning"]
    if "verbosity" in rejected:
        payload.pop("text", None)


def _chain(messages: tuple[ChatMessage, ...]) -> tuple[str | None, tuple[ChatMessage, ...]]:
    """With `store: true`: the newest reply Azure kept, and the messages after it (all that is sent)."""
    for index in range(len(messages) - 1, -1, -1):
        replay = messages[index].replay or {}
        if messages[index].role == "assistant" and replay.get("wire") == "responses":
            response_id = replay.get("response_id")
            if isinstance(response_id, str) and response_id:
                return response_id, messages[index + 1 :]
    return None, messages


def _input_items(messages: tuple[ChatMessage, ...], *, replay_reasoning: bool) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            items.append(
                {"type": "function_call_output", "call_id": message.call_id or "", "output": message.content}
            )
            continue
        if message.role == "assistant" and replay_reasoning:
            items.extend(_replayed_reasoning(message.replay))
        if message.parts:  # attachments: one input_text part each, then the prompt
            texts = (*message.parts, message.content) if message.content else message.parts
            items.append({"role": message.role, "content": [_input_text(text) for text in texts]})
        elif message.content or message.role == "user":
            items.append({"role": message.role, "content": message.content})
        for call in message.tool_calls:
            items.append(
                {
                    "type": "function_call",
                    "call_id": call.call_id,
                    "name": call.name,
                    "arguments": call.arguments,
                }
            )
    if not items:
        raise ValueError("a conversation needs at least one message")
    return items


def _replayed_reasoning(replay: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The encrypted reasoning items a Responses reply returned, to send back before that reply."""
    if not replay or replay.get("wire") != "responses":
        return []
    items = replay.get("reasoning")
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict) and item.get("type") == "reasoning"]


def _fold(instructions: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for index, item in enumerate(items):
        if item.get("role") == "user":
            content = item["content"]
            folded = (
                [_input_text(instructions), *content]
                if isinstance(content, list)
                else f"{instructions}\n\n{content}"
            )
            return [*items[:index], {"role": "user", "content": folded}, *items[index + 1 :]]
    return [{"role": "user", "content": instructions}, *items]


def _input_text(text: str) -> dict[str, str]:
    return {"type": "input_text", "text": text}


def _tools(payload: dict[str, Any], options: ChatOptions, caps: ModelCapabilities, notes: list[str]) -> None:
    if not options.tools:
        return
    if not caps.tools:
        notes.append(f"tools not sent: {shaping.who(caps, 'tools')} does not take function tools")
        return
    payload["tools"] = [responses_tool(spec) for spec in options.tools]
    if options.tool_choice in ("auto", "none", "required"):
        payload["tool_choice"] = options.tool_choice
    elif options.tool_choice:
        payload["tool_choice"] = {"type": "function", "name": options.tool_choice}


def responses_tool(spec: ToolSpec) -> dict[str, Any]:
    """Responses' flat function-tool shape."""
    return {
        "type": "function",
        "name": spec.name,
        "description": spec.description,
        "parameters": spec.parameters,
        "strict": False,  # strict mode needs schemas written for it; the caller's are not checked for that
    }


# ----- reading ----------------------------------------------------------------------------------


async def _read_stream(
    sdk: openai.AsyncOpenAI,
    stream: Any,
    reading: ResponsesReading,
    background: bool,
    headers: Mapping[str, Any],
) -> AsyncIterator[WireEvent]:
    """Events of a stream. A background run's stream that drops or stops before the run ended is picked
    up again after the last event it delivered (or the run's final state read, when it has one)."""
    extra = dict(headers) or None
    reconnects = 0
    while True:
        try:
            async for raw in stream:
                for event in reading.add_event(raw, announce=background):
                    yield event
        except (openai.APIConnectionError, httpx2.TransportError):
            if not background or not reading.response_id or reconnects >= _RECONNECTS:
                raise
        finally:
            await stream.close()
        if reading.finished or not background or not reading.response_id or reconnects >= _RECONNECTS:
            return
        reconnects += 1
        reading.add_response(await sdk.responses.retrieve(reading.response_id, extra_headers=extra))
        if reading.finished:
            return
        stream = await sdk.responses.retrieve(
            reading.response_id, stream=True, starting_after=max(reading.sequence, 0), extra_headers=extra
        )


async def _poll(sdk: openai.AsyncOpenAI, reading: ResponsesReading, headers: Mapping[str, Any]) -> None:
    """Poll a queued or running background response until it ends; its text arrives in one piece."""
    delay = _POLL_FIRST
    while reading.status in _RUNNING and reading.response_id:
        await asyncio.sleep(delay)
        delay = min(_POLL_MOST, delay * 1.5)
        reading.add_response(
            await sdk.responses.retrieve(reading.response_id, extra_headers=dict(headers) or None)
        )


async def _ending_events(reading: ResponsesReading) -> AsyncIterator[WireEvent]:
    """What the whole response adds that no delta brought (a polled or whole reply), then the ending."""
    ending = reading.ending()
    missing_reasoning = (
        ending.reasoning[len(reading.streamed_reasoning) :]
        if ending.reasoning.startswith(reading.streamed_reasoning)
        else ""
    )
    if missing_reasoning:
        yield ReasoningEvent(missing_reasoning)
    missing = (
        ending.content[len(reading.streamed_text) :]
        if ending.content.startswith(reading.streamed_text)
        else ""
    )
    if missing:
        yield ContentEvent(missing)
    for call in ending.tool_calls:
        yield ToolCallEvent(call)
    yield ending


@dataclass
class ResponsesReading:
    """What a Responses reply has said so far: streamed deltas, then the whole response when it ends."""

    response_id: str = ""
    stored: bool = False
    model: str = ""
    status: str = ""
    sequence: int = -1
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    final: dict[str, Any] | None = None
    error: Mapping[str, Any] | None = None
    announced: bool = False
    _summary_at: tuple[Any, Any] | None = None

    @property
    def streamed_text(self) -> str:
        return "".join(self.text)

    @property
    def streamed_reasoning(self) -> str:
        return "".join(self.reasoning)

    @property
    def finished(self) -> bool:
        return self.final is not None or self.error is not None

    def add_event(self, raw: Any, *, announce: bool = False) -> list[WireEvent]:
        """Record one stream event; return the neutral events it brings (often none)."""
        sequence = get(raw, "sequence_number")
        if isinstance(sequence, int) and not isinstance(sequence, bool):
            if sequence <= self.sequence:
                return []  # replayed after a resume
            self.sequence = sequence
        kind = get(raw, "type")
        if kind in _START_EVENTS:
            response = get(raw, "response")  # read field by field: a whole dump costs a third of a ms
            self._note({name: get(response, name) for name in ("id", "model", "status")})
            if announce and self.response_id and not self.announced:
                self.announced = True
                return [RunStartedEvent({"response_id": self.response_id, "stream": True})]
        elif kind in ("response.output_text.delta", "response.refusal.delta"):
            delta = get(raw, "delta")
            if isinstance(delta, str) and delta:
                self.text.append(delta)
                return [ContentEvent(delta)]
        elif kind == "response.reasoning_summary_text.delta":
            return self._summary(raw)
        elif kind in _TERMINAL_EVENTS:
            self.add_response(get(raw, "response"))
        elif kind == "error":
            nested = get(raw, "error")
            self.error = as_dict(nested) if nested is not None else as_dict(raw)
        return []

    def _summary(self, raw: Any) -> list[WireEvent]:
        delta = get(raw, "delta")
        if not isinstance(delta, str) or not delta:
            return []
        at = (get(raw, "item_id"), get(raw, "summary_index"))
        if self.reasoning and at != self._summary_at:
            delta = "\n\n" + delta  # a new summary part reads as a new paragraph
        self._summary_at = at
        self.reasoning.append(delta)
        return [ReasoningEvent(delta)]

    def add_response(self, response: Any) -> None:
        """Record a whole response object (non-streamed, polled, or a stream's terminal event)."""
        data = as_dict(response)
        self._note(data)
        if data.get("status") not in _RUNNING:
            self.final = data

    def _note(self, data: Mapping[str, Any]) -> None:
        if isinstance(data.get("id"), str) and not self.response_id:
            self.response_id = data["id"]
        if data.get("model"):
            self.model = str(data["model"])
        if isinstance(data.get("status"), str):
            self.status = data["status"]

    def ending(self) -> WireEnding:
        """The neutral ending; IncompleteReply when neither a terminal event nor an error arrived."""
        if self.error is not None:
            return WireEnding(
                content=self.streamed_text,
                model=self.model,
                stop_reason="failed",
                usage=Usage(),
                reasoning=self.streamed_reasoning,
                failure=self.error,
            )
        if self.final is None:
            raise IncompleteReply(self.streamed_text, wire="responses")
        final = self.final
        output = [item for item in final.get("output") or () if isinstance(item, Mapping)]
        content = _output_text(output) or self.streamed_text
        reasoning = _summary_text(output) or self.streamed_reasoning
        calls = tuple(
            ToolCall(
                str(item.get("call_id") or ""), str(item.get("name") or ""), str(item.get("arguments") or "")
            )
            for item in output
            if item.get("type") == "function_call"
        )
        stop, filtered = _stop(final, calls)
        return WireEnding(
            content=content,
            model=self.model,
            stop_reason=stop,
            usage=_usage(final.get("usage")),
            reasoning=reasoning,
            replay=self._replay(output),
            tool_calls=calls,
            filtered=filtered,
            failure=_failure(final) if stop == "failed" else None,
        )

    def _replay(self, output: list[Mapping[str, Any]]) -> dict[str, Any] | None:
        reasoning = [
            {
                "type": "reasoning",
                "id": item.get("id"),
                "summary": list(item.get("summary") or []),
                "encrypted_content": item["encrypted_content"],
            }
            for item in output
            if item.get("type") == "reasoning" and item.get("encrypted_content")
        ]
        replay: dict[str, Any] = {"wire": "responses"}
        if reasoning:
            replay["reasoning"] = reasoning
        if self.stored and self.response_id:
            replay["response_id"] = self.response_id
        return replay if len(replay) > 1 else None


def _output_text(output: list[Mapping[str, Any]]) -> str:
    parts: list[str] = []
    for item in output:
        if item.get("type") != "message":
            continue
        for part in item.get("content") or ():
            if isinstance(part, Mapping):
                text = part.get("text") if part.get("type") == "output_text" else part.get("refusal")
                if isinstance(text, str):
                    parts.append(text)
    return "".join(parts)


def _summary_text(output: list[Mapping[str, Any]]) -> str:
    parts = [
        str(part.get("text") or "")
        for item in output
        if item.get("type") == "reasoning"
        for part in item.get("summary") or ()
        if isinstance(part, Mapping) and part.get("text")
    ]
    return "\n\n".join(parts)


def _stop(final: Mapping[str, Any], calls: tuple[ToolCall, ...]) -> tuple[StopReason, tuple[str, ...]]:
    status = final.get("status")
    if status == "incomplete":
        details = final.get("incomplete_details") or {}
        if isinstance(details, Mapping) and details.get("reason") == "content_filter":
            return "filtered", _filtered(final)
        return "truncated", ()
    if status in ("failed", "cancelled"):
        return "failed", ()
    return ("tool_calls" if calls else "complete"), ()


def _filtered(final: Mapping[str, Any]) -> tuple[str, ...]:
    filters = final.get("content_filters")
    for entry in filters if isinstance(filters, list) else [filters]:
        if isinstance(entry, Mapping):
            categories = filter_categories(entry.get("content_filter_results") or entry)
            if categories:
                return categories
    return ()


def _failure(final: Mapping[str, Any]) -> Mapping[str, Any]:
    if final.get("status") == "cancelled":
        return {"code": "cancelled", "message": "The run was cancelled on Azure."}
    error = final.get("error")
    return error if isinstance(error, Mapping) else {}


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, Mapping):
        return Usage()
    output_details = raw.get("output_tokens_details") or {}
    input_details = raw.get("input_tokens_details") or {}
    return Usage(
        prompt_tokens=count(raw.get("input_tokens")),
        completion_tokens=count(raw.get("output_tokens")),
        reasoning_tokens=count(output_details.get("reasoning_tokens"))
        if isinstance(output_details, Mapping)
        else 0,
        cached_tokens=count(input_details.get("cached_tokens")) if isinstance(input_details, Mapping) else 0,
    )
