"""Tool calls on both wires (issue 14 item 1, adapter side): tools shaped per wire, calls read as
ToolCallEvents and ChatResult.tool_calls with stop reason "tool_calls", results replayed the way each
wire wants, against the emulator's scripted tool-calling model."""

from __future__ import annotations

import json

import pytest
from tests.adapter.conftest import MakeClient, collect

from chatls.azure import (
    ChatMessage,
    ChatOptions,
    ChatResult,
    ContentEvent,
    Conversation,
    ToolCallEvent,
    ToolSpec,
)
from chatls.emulator.fixture import RunningEmulator, StartEmulator

PATH = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
TOOLS = (
    ToolSpec("list_files", "List files under a folder", PATH),
    ToolSpec("read_file", "Read a file", PATH),
)
SCRIPT = {
    "pattern": "type hints",
    "steps": [
        {"tool": "list_files", "arguments": {"path": "src"}},
        {"tool": "read_file", "arguments": {"path": "src/a.py"}},
    ],
    "reply": "Read it: {last_result}",
}
RESULTS = {"list_files": "src/a.py", "read_file": "def f(x): return x"}


@pytest.fixture
async def scripted(start_emulator: StartEmulator) -> RunningEmulator:
    return await start_emulator({"tool_scripts": [SCRIPT]})


@pytest.mark.parametrize(
    ("deployment", "effort", "wire"),
    [
        ("gpt-4o", None, "chat"),
        ("gpt-5", "low", "responses"),
        ("gpt-5.4", "low", "responses"),
        ("o3-mini", "low", "chat"),
    ],
)
async def test_a_tool_loop_runs_to_an_answer_on_each_wire(
    deployment: str, effort: str | None, wire: str, scripted: RunningEmulator, make_client: MakeClient
) -> None:
    client = make_client(deployment, emu=scripted)
    options = ChatOptions(tools=TOOLS, tool_choice="auto", reasoning_effort=effort)
    messages: list[ChatMessage] = [ChatMessage("user", "add type hints to src")]
    called: list[str] = []
    for _ in range(3):
        events = await collect(client, Conversation("Use the tools.", tuple(messages)), options)
        result = events[-1]
        assert isinstance(result, ChatResult) and result.wire == wire
        if result.stop_reason != "tool_calls":
            break
        calls = [e.call for e in events if isinstance(e, ToolCallEvent)]
        assert tuple(calls) == result.tool_calls and calls
        assert not any(isinstance(e, ContentEvent) for e in events)
        messages.append(
            ChatMessage("assistant", result.content, tool_calls=result.tool_calls, replay=result.replay)
        )
        for call in calls:
            json.loads(call.arguments)  # the model's arguments arrive whole
            called.append(call.name)
            messages.append(ChatMessage("tool", RESULTS[call.name], call_id=call.call_id))
    assert called == ["list_files", "read_file"]
    assert result.stop_reason == "complete" and result.content == "Read it: def f(x): return x"
    bodies = [r["body"] for r in await scripted.requests(deployment) if r["method"] == "POST"]
    assert all("parallel_tool_calls" not in body for body in bodies)
    if wire == "chat":
        assert bodies[0]["tools"][0] == {
            "type": "function",
            "function": {
                "name": "list_files",
                "description": "List files under a folder",
                "parameters": PATH,
            },
        }
        assert [m["role"] for m in bodies[-1]["messages"]][-2:] == ["assistant", "tool"]
    else:
        assert bodies[0]["tools"][0]["name"] == "list_files" and "function" not in bodies[0]["tools"][0]
        kinds = [item.get("type") for item in bodies[-1]["input"]]
        assert kinds[-2:] == ["function_call", "function_call_output"]
