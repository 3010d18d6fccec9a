"""The Chat Completions wire: its request body, its reply (streamed or not) and its refusals.

Reading follows Azure's quirks (capabilities.md section e): the first chunk has empty `choices` and
`prompt_filter_results`; annotation chunks may lack `delta`; a choice can end with `finish_reason:
content_filter`; the usage chunk has empty `choices`. Every field is read as optional and nullable. A
stream that ends without a finish reason (a clean close, `[DONE]` alone) is an IncompleteReply.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatls.azure import data_sources, shaping, versions
from chatls.azure.errors import IncompleteReply, filter_categories
from chatls.azure.healing import Healing, Lessons, learn
from chatls.azure.shaping import ShapedRequest
from chatls.azure.types import (
    ChatMessage,
    ChatOptions,
    Citation,
    CitationsEvent,
    ContentEvent,
    Conversation,
    ModelCapabilities,
    StopReason,
    ToolCall,
    ToolCallEvent,
    ToolSpec,
    Usage,
    Wire,
)
from chatls.azure.wires.base import WireEnding, WireEvent, as_dict, count
from chatls.azure.wires.base import field as get

if TYPE_CHECKING:
    import openai

    from chatls.azure.profile import Profile

_STOP_REASONS: dict[str, StopReason] = {
    "stop": "complete",
    "length": "truncated",
    "content_filter": "filtered",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


class ChatCompletionsWire:
    name: Wire = "chat"

    def shape(
        self,
        conversation: Conversation,
        options: ChatOptions,
        caps: ModelCapabilities,
        profile: Profile,
        deployment: str,
    ) -> ShapedRequest:
        if profile.data_sources:
            data_sources.check_model(caps)  # first: no other setting would make them work
        shaped = shape_request(conversation, options, caps, profile.api_version, deployment)
        if profile.data_sources:
            shaped.payload["data_sources"] = data_sources.entries(profile.data_sources)
        return shaped

    async def events(
        self, sdk: openai.AsyncOpenAI, shaped: ShapedRequest, headers: Mapping[str, Any]
    ) -> AsyncIterator[WireEvent]:
        reading = ChatReading()
        kwargs = request_kwargs(shaped, headers)
        if not shaped.stream:
            text = reading.add_completion(await sdk.chat.completions.create(**kwargs))
            if reading.citations:
                yield CitationsEvent(reading.citations)
            if text:
                yield ContentEvent(text)
        else:
            stream = await sdk.chat.completions.create(**kwargs)
            try:
                async for chunk in stream:
                    cited = bool(reading.citations)
                    text = reading.add_chunk(chunk)
                    if reading.citations and not cited:
                        yield CitationsEvent(reading.citations)  # once, when they arrive
                    if text:
                        yield ContentEvent(text)
            finally:
                await stream.close()
        ending = reading.ending()
        for call in ending.tool_calls:
            yield ToolCallEvent(call)
        yield ending

    def learn(
        self,
        error: Mapping[str, Any],
        shaped: ShapedRequest,
        caps: ModelCapabilities,
        lessons: Lessons,
        deployment: str,
    ) -> Healing | None:
        if error.get("param") == "data_sources" and "data_sources" in shaped.payload:
            # Never healed by dropping them: an answer without its sources would look grounded.
            raise data_sources.refusal_error(caps.model or deployment)
        return learn(error, shaped.payload, caps, lessons, deployment)


CHAT = ChatCompletionsWire()


def request_kwargs(shaped: ShapedRequest, headers: Mapping[str, Any]) -> dict[str, Any]:
    payload = dict(shaped.payload)
    kwargs: dict[str, Any] = {
        "model": payload.pop("model"),
        "messages": payload.pop("messages"),
        "stream": payload.pop("stream"),
    }
    if payload:
        kwargs["extra_body"] = payload  # passed as is: the SDK's types lag Azure (verbosity, "minimal")
    if headers:
        kwargs["extra_headers"] = dict(headers)
    return kwargs


# ----- shaping ----------------------------------------------------------------------------------


def shape_request(
    conversation: Conversation,
    options: ChatOptions,
    caps: ModelCapabilities,
    api_version: str,
    deployment: str,
) -> ShapedRequest:
    """The exact Chat Completions body for this turn; copies no history beyond building the list once."""
    shaping.check_api_version(caps, api_version)
    notes: list[str] = []
    payload: dict[str, Any] = {
        "model": deployment,
        "messages": _messages(conversation, caps, api_version, notes),
    }
    tokens = shaping.token_cap(options, caps, notes)
    if tokens is not None:
        parameter: str = caps.token_parameter
        if parameter == "max_completion_tokens" and not versions.at_least(
            api_version, versions.MAX_COMPLETION_TOKENS
        ):
            parameter = "max_tokens"
        payload[parameter] = tokens
    _put(payload, "temperature", shaping.temperature(options, caps, notes))
    effort = shaping.choice(
        "reasoning_effort", options.reasoning_effort, caps.reasoning_efforts, caps, api_version, notes
    )
    _put(payload, "reasoning_effort", effort)
    _put(
        payload,
        "verbosity",
        shaping.choice("verbosity", options.verbosity, caps.verbosity, caps, api_version, notes),
    )
    _tools(payload, options, caps, notes)
    stream = shaping.streams(options, caps, notes)
    payload["stream"] = stream
    if stream and caps.stream_usage and versions.at_least(api_version, versions.STREAM_USAGE):
        payload["stream_options"] = {"include_usage": True}
    for parameter in sorted(caps.rejected_parameters):
        if parameter in payload and parameter not in ("model", "messages", "stream"):
            del payload[parameter]
    return ShapedRequest(payload=payload, stream=stream, adaptations=tuple(notes))


def _put(payload: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        payload[key] = value


def _tools(payload: dict[str, Any], options: ChatOptions, caps: ModelCapabilities, notes: list[str]) -> None:
    if not options.tools:
        return
    if not caps.tools:
        notes.append(f"tools not sent: {shaping.who(caps, 'tools')} does not take function tools")
        return
    payload["tools"] = [chat_tool(spec) for spec in options.tools]
    if options.tool_choice in ("auto", "none", "required"):
        payload["tool_choice"] = options.tool_choice
    elif options.tool_choice:
        payload["tool_choice"] = {"type": "function", "function": {"name": options.tool_choice}}


def chat_tool(spec: ToolSpec) -> dict[str, Any]:
    """Chat Completions' nested function-tool shape."""
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.description, "parameters": spec.parameters},
    }


def _message(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.call_id or "", "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        return {
            "role": "assistant",
            "content": message.content or None,
            "tool_calls": [
                {
                    "id": call.call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in message.tool_calls
            ],
        }
    if message.parts:  # attachments: one text part each, then the prompt
        texts = (*message.parts, message.content) if message.content else message.parts
        return {"role": message.role, "content": [{"type": "text", "text": text} for text in texts]}
    return {"role": message.role, "content": message.content}


def _instructions_first(instructions: str, content: Any) -> Any:
    """A user message's content with the instructions folded in front (a string, or a first part)."""
    if isinstance(content, list):
        return [{"type": "text", "text": instructions}, *content]
    return f"{instructions}\n\n{content}"


def _messages(
    conversation: Conversation, caps: ModelCapabilities, api_version: str, notes: list[str]
) -> list[dict[str, Any]]:
    turns = [_message(message) for message in conversation.messages]
    if not turns:
        raise ValueError("a conversation needs at least one message")
    instructions = (conversation.instructions or "").strip()
    if not instructions:
        return turns
    role = caps.instructions
    if role == "developer" and not versions.at_least(api_version, versions.DEVELOPER_ROLE):
        role = "fold"
        notes.append(
            f"instructions sent in the first message: api-version {api_version} predates the developer role"
        )
    elif role == "fold":
        notes.append(shaping.folded_note(caps))
    if role != "fold":
        return [{"role": role, "content": instructions}, *turns]
    first_user = next((index for index, turn in enumerate(turns) if turn["role"] == "user"), None)
    if first_user is None:
        return [{"role": "user", "content": instructions}, *turns]
    folded = _instructions_first(instructions, turns[first_user]["content"])
    turns[first_user] = {"role": "user", "content": folded}
    return turns


# ----- reading ----------------------------------------------------------------------------------


def usage_from(raw: Any) -> Usage | None:
    if raw is None:
        return None
    completion_details = get(raw, "completion_tokens_details")
    prompt_details = get(raw, "prompt_tokens_details")
    return Usage(
        prompt_tokens=count(get(raw, "prompt_tokens")),
        completion_tokens=count(get(raw, "completion_tokens")),
        reasoning_tokens=count(get(completion_details, "reasoning_tokens")) if completion_details else 0,
        cached_tokens=count(get(prompt_details, "cached_tokens")) if prompt_details else 0,
    )


def _choice_filter(choice: Any) -> tuple[str, ...]:
    results = get(choice, "content_filter_results")
    if results is not None and not isinstance(results, dict):
        results = results.model_dump() if hasattr(results, "model_dump") else None
    return filter_categories(results)


@dataclass
class _PartialCall:
    call_id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class ChatReading:
    """What a Chat Completions reply has said so far; one per attempt."""

    parts: list[str] = field(default_factory=list)
    model: str = ""
    finish_reason: str = ""
    usage: Usage | None = None
    filtered: tuple[str, ...] = ()
    calls: dict[int, _PartialCall] = field(default_factory=dict)
    citations: tuple[Citation, ...] = ()
    intent: str = ""

    @property
    def content(self) -> str:
        return "".join(self.parts)

    def add_chunk(self, chunk: Any) -> str:
        """Record one stream chunk; return the text it adds (maybe "")."""
        model = get(chunk, "model")
        if model and not self.model:
            self.model = str(model)
        usage = usage_from(get(chunk, "usage"))
        if usage is not None:
            self.usage = usage
        text = ""
        for choice in get(chunk, "choices") or ():
            if (get(choice, "index") or 0) != 0:
                continue
            delta = get(choice, "delta")
            if delta is not None:
                self._add_context(get(delta, "context"))
            piece = get(delta, "content") if delta is not None else None
            if isinstance(piece, str) and piece:
                text += piece
            for call in (get(delta, "tool_calls") if delta is not None else None) or ():
                self._add_call_delta(call)
            self._finish(choice)
        if text:
            self.parts.append(text)
        return text

    def _add_call_delta(self, delta: Any) -> None:
        partial = self.calls.setdefault(count(get(delta, "index")), _PartialCall())
        call_id = get(delta, "id")
        if isinstance(call_id, str) and call_id:
            partial.call_id = call_id
        function = get(delta, "function")
        name = get(function, "name") if function is not None else None
        if isinstance(name, str) and name:
            partial.name = name
        arguments = get(function, "arguments") if function is not None else None
        if isinstance(arguments, str):
            partial.arguments.append(arguments)

    def add_completion(self, completion: Any) -> str:
        """Record a whole (non-streamed) completion; return its text."""
        self.model = str(get(completion, "model") or "")
        self.usage = usage_from(get(completion, "usage"))
        text = ""
        for choice in get(completion, "choices") or ():
            if (get(choice, "index") or 0) != 0:
                continue
            message = get(choice, "message")
            if message is not None:
                self._add_context(get(message, "context"))
            content = get(message, "content") if message is not None else None
            text = content if isinstance(content, str) else ""
            for index, call in enumerate((get(message, "tool_calls") if message is not None else None) or ()):
                function = get(call, "function")
                self.calls[index] = _PartialCall(
                    str(get(call, "id") or ""),
                    str(get(function, "name") or ""),
                    [str(get(function, "arguments") or "")],
                )
            self._finish(choice)
            self.finish_reason = self.finish_reason or "stop"  # a whole completion did end
        if text:
            self.parts.append(text)
        return text

    def _add_context(self, context: Any) -> None:
        """On Your Data's `context` (citations and intent): in the message, or in the first delta."""
        if context is None or self.citations:
            return
        context = context if isinstance(context, Mapping) else as_dict(context)
        self.citations = data_sources.citations_from(context)
        intent = context.get("intent")
        self.intent = intent if isinstance(intent, str) else ""

    def _finish(self, choice: Any) -> None:
        reason = get(choice, "finish_reason")
        if reason:
            self.finish_reason = str(reason)
            if reason == "content_filter":
                self.filtered = _choice_filter(choice)

    def ending(self) -> WireEnding:
        """The neutral ending; IncompleteReply when the stream never said it finished."""
        if not self.finish_reason:
            raise IncompleteReply(self.content, wire="chat")
        calls = tuple(
            ToolCall(call.call_id, call.name, "".join(call.arguments))
            for _, call in sorted(self.calls.items())
            if call.name
        )
        return WireEnding(
            content=self.content,
            model=self.model,
            stop_reason=_STOP_REASONS.get(self.finish_reason, "complete"),
            usage=self.usage or Usage(),
            tool_calls=calls,
            filtered=self.filtered,
            citations=self.citations,
        )
