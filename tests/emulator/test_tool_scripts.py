"""Scripted tool-calling models on both wires: calls in sequence, results read back, then an answer."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from chatls.emulator.fixture import RunningEmulator

SCRIPT = {
    "pattern": "type hint",
    "steps": [
        {"tool": "list_files", "arguments": {"path": "src"}},
        {
            "calls": [
                {"tool": "read_file", "arguments": {"path": "src/a.py"}},
                {"tool": "*search", "arguments": {}},
            ]
        },
    ],
    "reply": "Done after reading: {last_result}",
}
CHAT_TOOLS: list[Any] = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
    for name in ("list_files", "read_file", "mcp__search")
]
RESPONSES_TOOLS: list[Any] = [
    {"type": "function", "name": name, "parameters": {"type": "object"}}
    for name in ("list_files", "read_file", "mcp__search")
]


@pytest.mark.parametrize("stream", [False, True])
async def test_chat_wire_calls_tools_in_sequence(emulator: RunningEmulator, stream: bool) -> None:
    emulator.state.add_tool_script(SCRIPT)
    client = openai.AsyncOpenAI(base_url=emulator.v1_base_url, api_key=emulator.api_key, max_retries=0)
    messages: list[Any] = [{"role": "user", "content": "add a type hint"}]
    names: list[list[str]] = []
    for _ in range(3):
        if stream:
            calls: dict[int, dict[str, Any]] = {}
            text = ""
            async for chunk in await client.chat.completions.create(
                model="gpt-4.1", messages=messages, tools=CHAT_TOOLS, stream=True
            ):
                for choice in chunk.choices:
                    text += choice.delta.content or ""
                    for delta in choice.delta.tool_calls or ():
                        entry = calls.setdefault(delta.index, {"id": delta.id, "name": "", "arguments": ""})
                        entry["name"] += (delta.function.name or "") if delta.function else ""
                        entry["arguments"] += (delta.function.arguments or "") if delta.function else ""
            tool_calls = list(calls.values())
        else:
            reply = await client.chat.completions.create(model="gpt-4.1", messages=messages, tools=CHAT_TOOLS)
            message = reply.choices[0].message
            text = message.content or ""
            tool_calls = [
                {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}  # type: ignore[union-attr]
                for c in message.tool_calls or ()
            ]
        if not tool_calls:
            break
        names.append([c["name"] for c in tool_calls])
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": c["arguments"]},
                    }
                    for c in tool_calls
                ],
            }
        )
        for c in tool_calls:
            messages.append({"role": "tool", "tool_call_id": c["id"], "content": f"result of {c['name']}"})
    await client.close()
    assert names == [["list_files"], ["read_file", "mcp__search"]]
    assert text == "Done after reading: result of mcp__search"
    last = (await emulator.chat_requests())[-1]
    assert sorted(last["tool_results"].values()) == [
        "result of list_files",
        "result of mcp__search",
        "result of read_file",
    ]


async def test_chat_wire_refuses_a_missing_tool_result(emulator: RunningEmulator) -> None:
    emulator.state.add_tool_script(SCRIPT)
    client = openai.AsyncOpenAI(base_url=emulator.v1_base_url, api_key=emulator.api_key, max_retries=0)
    call = {"id": "call_1", "type": "function", "function": {"name": "list_files", "arguments": "{}"}}
    messages: list[Any] = [
        {"role": "user", "content": "add a type hint"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model="gpt-4.1", messages=messages, tools=CHAT_TOOLS)
    await client.close()
    assert "call_1" in caught.value.message


async def test_responses_wire_calls_tools_and_reads_function_call_outputs(emulator: RunningEmulator) -> None:
    emulator.state.add_tool_script(SCRIPT)
    client = openai.AsyncOpenAI(base_url=emulator.v1_base_url, api_key=emulator.api_key, max_retries=0)
    items: list[Any] = [{"role": "user", "content": "add a type hint"}]
    names: list[list[str]] = []
    for _ in range(3):
        stream = await client.responses.create(
            model="gpt-5.4", input=items, tools=RESPONSES_TOOLS, stream=True, store=False
        )
        events = [e async for e in stream]
        final = events[-1].response  # type: ignore[union-attr]
        calls = [item for item in final.output if item.type == "function_call"]
        if not calls:
            break
        arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
        assert arguments == "".join(c.arguments for c in calls)
        names.append([c.name for c in calls])
        items += [item.model_dump(exclude_none=True) for item in final.output]
        items += [
            {"type": "function_call_output", "call_id": c.call_id, "output": f"out {c.name}"} for c in calls
        ]
    await client.close()
    assert names == [["list_files"], ["read_file", "mcp__search"]]
    assert final.output_text == "Done after reading: out mcp__search"
