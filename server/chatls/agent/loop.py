"""The agent loop: model → tools → model, until the model answers or the step limit is reached.

Every tool call and its result become messages of the turn (the assistant message that made the calls, then
one `tool` message per result), so later turns send them back the way each wire requires. Cancellation (Stop)
propagates from wherever the loop is: the model's stream, a running command, an MCP call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from chatls.agent.tools import AgentTools
from chatls.azure.types import (
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ChatResult,
    Conversation,
    ToolCall,
    Usage,
)

AGENT_INSTRUCTIONS = (
    "You are a coding assistant working in the user's editor on the files of their workspace. "
    "Use the tools to look at the code before you change it: list files, read them, search. "
    "When changes are needed, propose them with propose_edits, all related files in one proposal; the user "
    "reviews it and accepts or discards it. Commands run only if the user approves each one. "
    "When you are done, answer briefly with what you did."
)
"""Plain and factual on purpose: nothing in it reads as an attempt to override rules (prompt shields)."""


class AgentBackend(Protocol):
    def chat(self, conversation: Conversation, options: ChatOptions) -> AsyncIterator[ChatEvent]: ...


@dataclass(frozen=True)
class StepEvent:
    """One tool step, for the user: `phase` is "started" or "finished"."""

    index: int
    phase: str
    name: str
    summary: str
    ok: bool = True


@dataclass
class AgentRun:
    result: ChatResult | None = None
    messages: list[ChatMessage] = field(default_factory=list)
    """What the turn added after the question: assistant tool calls, tool results, the answer."""
    steps: int = 0
    usage: Usage = field(default_factory=Usage)
    step_limit_reached: bool = False
    outcomes: dict[str, StepEvent] = field(default_factory=dict)
    """Each finished call's step (summary, ok), by call id."""


EventSink = Callable[["ChatEvent | StepEvent"], None]


async def run_agent(
    backend: AgentBackend,
    conversation: Conversation,
    options: ChatOptions,
    tools: AgentTools,
    on_event: EventSink,
    *,
    max_steps: int = 25,
    run: AgentRun | None = None,
) -> AgentRun:
    """Run the loop; pass `run` to see the steps so far if the loop is cancelled (Stop)."""
    run = run if run is not None else AgentRun()
    specs = tuple(tools.specs)
    while True:
        allow_tools = run.steps < max_steps
        asked = replace(
            options, tools=specs if allow_tools else (), tool_choice="auto" if allow_tools else None
        )
        history = Conversation(conversation.instructions, (*conversation.messages, *run.messages))
        result = await _one_call(backend.chat(history, asked), on_event)
        run.usage = _add(run.usage, result.usage)
        if not result.tool_calls or not allow_tools:
            run.result = replace(result, usage=run.usage)
            run.step_limit_reached = not allow_tools
            run.messages.append(ChatMessage("assistant", result.content, replay=result.replay))
            return run
        run.messages.append(
            ChatMessage("assistant", result.content, replay=result.replay, tool_calls=result.tool_calls)
        )
        for call in result.tool_calls:
            run.steps += 1
            message, finished = await _step(run.steps, call, tools, on_event)
            run.messages.append(message)
            run.outcomes[call.call_id] = finished


async def _one_call(events: AsyncIterator[ChatEvent], on_event: EventSink) -> ChatResult:
    try:
        async for event in events:
            if isinstance(event, ChatResult):
                return event
            on_event(event)
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
    raise RuntimeError("the adapter's stream ended without a result")


async def _step(
    index: int, call: ToolCall, tools: AgentTools, on_event: EventSink
) -> tuple[ChatMessage, StepEvent]:
    on_event(StepEvent(index, "started", call.name, _describe(call)))
    outcome = await tools.call(call)
    finished = StepEvent(index, "finished", call.name, outcome.summary, outcome.ok)
    on_event(finished)
    return ChatMessage("tool", outcome.output, call_id=call.call_id), finished


def _describe(call: ToolCall) -> str:
    arguments = " ".join(call.arguments.split())
    return f"{call.name} {arguments[:120]}" if arguments not in ("", "{}") else call.name


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(
        a.prompt_tokens + b.prompt_tokens,
        a.completion_tokens + b.completion_tokens,
        a.reasoning_tokens + b.reasoning_tokens,
        a.cached_tokens + b.cached_tokens,
    )
