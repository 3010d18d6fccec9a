"""An agent turn's steps as stored with its reply (JSON), and back as the messages later turns send.

Stored in order: each assistant message that made tool calls, then one tool result per call, with the
one-line summary the user saw. The final answer is the reply's own content, not a step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chatls.agent.loop import AgentRun
from chatls.azure.types import ChatMessage, ToolCall


def steps_json(run: AgentRun) -> list[dict[str, Any]]:
    """The run's tool exchanges (everything but a final answer without calls)."""
    stored: list[dict[str, Any]] = []
    for message in run.messages:
        if message.role == "assistant" and message.tool_calls:
            stored.append(
                {
                    "role": "assistant",
                    "content": message.content,
                    "calls": [
                        {"id": c.call_id, "name": c.name, "arguments": c.arguments}
                        for c in message.tool_calls
                    ],
                    **({"replay": message.replay} if message.replay else {}),
                }
            )
        elif message.role == "tool" and message.call_id is not None:
            outcome = run.outcomes.get(message.call_id)
            stored.append(
                {
                    "role": "tool",
                    "id": message.call_id,
                    "name": outcome.name if outcome else "",
                    "content": message.content,
                    "summary": outcome.summary if outcome else "",
                    "ok": outcome.ok if outcome else True,
                }
            )
    return stored


def step_messages(steps: Iterable[dict[str, Any]]) -> list[ChatMessage]:
    """The stored steps as messages, oldest first; a call whose result was never stored is dropped with its
    assistant message (the wires refuse a call without its result)."""
    steps = list(steps)
    answered = {s.get("id") for s in steps if s.get("role") == "tool"}
    messages: list[ChatMessage] = []
    for step in steps:
        if step.get("role") == "assistant":
            calls = tuple(
                ToolCall(str(c.get("id")), str(c.get("name")), str(c.get("arguments") or "{}"))
                for c in step.get("calls", [])
            )
            if not calls or any(call.call_id not in answered for call in calls):
                continue
            messages.append(
                ChatMessage("assistant", str(step.get("content") or ""), step.get("replay"), calls)
            )
        elif step.get("role") == "tool" and messages:
            messages.append(ChatMessage("tool", str(step.get("content") or ""), call_id=str(step.get("id"))))
    return messages


def step_summaries(steps: Iterable[dict[str, Any]]) -> list[tuple[int, str, str, bool]]:
    """(index, tool name, summary, ok) of each finished step, for display."""
    tools = [s for s in steps if s.get("role") == "tool"]
    return [(i, str(s.get("name", "")), str(s.get("summary", "")), bool(s.get("ok", True))) for i, s in
            enumerate(tools, 1)]  # fmt: skip
