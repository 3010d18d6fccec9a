"""Azure's SSE chunk sequence, over raw HTTP (exact framing) and through the SDK."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import openai
import pytest
from tests.emulator.helpers import azure_client, v1_client

from chatls.emulator.fixture import RunningEmulator

LONG_PROMPT = "please stream a long answer " * 20


async def raw_stream(emulator: RunningEmulator, deployment: str, body: dict[str, Any]) -> list[str]:
    """The ``data:`` payloads of one streamed response, in order."""
    url = f"{emulator.url}/openai/deployments/{deployment}/chat/completions?api-version=2025-04-01-preview"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"stream": True, **body}, headers={"api-key": emulator.api_key}) as response,
    ):
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = (await response.read()).decode()
    assert text.endswith("\n\n")
    events = text.split("\n\n")[:-1]
    assert all(e.startswith("data: ") for e in events)
    return [e.removeprefix("data: ") for e in events]


async def test_chunk_sequence_with_usage(emulator: RunningEmulator) -> None:
    body = {"messages": [{"role": "user", "content": "hi there"}], "stream_options": {"include_usage": True}}
    events = await raw_stream(emulator, "gpt-4o", body)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    first, role, *contents, finish, usage = chunks
    assert first["choices"] == [] and first["id"] == "" and first["model"] == "" and first["object"] == ""
    assert first["prompt_filter_results"][0]["content_filter_results"]["jailbreak"] == {
        "filtered": False,
        "detected": False,
    }
    assert role["choices"][0]["delta"] == {"content": "", "refusal": None, "role": "assistant"}
    text = "".join(c["choices"][0]["delta"]["content"] for c in contents)
    assert text == "Echo from gpt-4o: hi there"
    assert len(contents) > 3  # small token-like pieces, not one blob
    assert all(c["choices"][0]["finish_reason"] is None for c in contents)
    assert all(c["choices"][0]["content_filter_results"]["hate"]["filtered"] is False for c in contents)
    assert finish["choices"][0]["delta"] == {} and finish["choices"][0]["finish_reason"] == "stop"
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == len(contents)
    assert usage["usage"]["total_tokens"] == usage["usage"]["prompt_tokens"] + len(contents)
    identities = {(c["id"], c["model"], c["object"]) for c in chunks[1:]}
    assert len(identities) == 1
    (chunk_id, model, kind) = identities.pop()
    assert (
        chunk_id.startswith("chatcmpl-") and model == "gpt-4o-2024-11-20" and kind == "chat.completion.chunk"
    )
    assert all(c["usage"] is None for c in chunks[:-1])


async def test_no_usage_chunk_without_include_usage(emulator: RunningEmulator) -> None:
    events = await raw_stream(emulator, "gpt-4o-mini", {"messages": [{"role": "user", "content": "x"}]})
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["usage"] is None for c in chunks)


@pytest.mark.parametrize("route", ["dated", "v1"])
async def test_sdk_stream_on_both_routes(emulator: RunningEmulator, route: str) -> None:
    if route == "v1":
        client: openai.AsyncOpenAI = v1_client(emulator.url, emulator.api_key)
    else:
        client = azure_client(emulator.url, emulator.api_key, "2025-04-01-preview")
    stream = await client.chat.completions.create(
        model="o4-mini",
        messages=[{"role": "user", "content": "stream"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    await client.close()
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo from o4-mini: stream"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens_details is not None
    reasoning = chunks[-1].usage.completion_tokens_details.reasoning_tokens
    assert reasoning is not None and reasoning > 0
    (record,) = await emulator.chat_requests()
    assert record["stream"] is True and record["finished"] is True and record["disconnected"] is False


async def test_output_cap_ends_the_stream_with_length(emulator: RunningEmulator) -> None:
    body = {"messages": [{"role": "user", "content": LONG_PROMPT}], "max_tokens": 5}
    chunks = [json.loads(e) for e in (await raw_stream(emulator, "gpt-4.1", body))[:-1]]
    contents = [c for c in chunks[2:] if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(contents) == 5
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


async def test_client_closing_a_slow_stream_is_recorded(emulator: RunningEmulator) -> None:
    await emulator.set_timing("gpt-4o", tokens_per_second=20)
    client = azure_client(emulator.url, emulator.api_key)
    stream = await client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": LONG_PROMPT}], stream=True
    )
    received = 0
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            received += 1
        if received == 3:
            break
    await stream.close()
    await client.close()
    record = await emulator.wait_for_request(lambda r: r["disconnected"])
    assert record["stream"] is True
    assert record["deployment"] == "gpt-4o"


async def test_time_to_first_token_and_tokens_per_second_pace_a_stream(emulator: RunningEmulator) -> None:
    # Lower bounds only: the emulator must wait at least this long; how much longer is up to the machine.
    ttft, rate = 0.3, 40.0
    await emulator.set_timing("gpt-4o", time_to_first_token=ttft, tokens_per_second=rate)
    client = azure_client(emulator.url, emulator.api_key)
    clock = asyncio.get_running_loop().time
    started = clock()
    stream = await client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "pace me"}], stream=True
    )
    arrivals: list[float] = []
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(clock())
    await client.close()
    assert len(arrivals) >= 5, "a reply of several pieces, so the pace shows"
    assert arrivals[0] - started >= ttft
    # Piece i is due (i / rate) s after the first, which itself comes no earlier than ttft.
    assert arrivals[-1] - started >= ttft + (len(arrivals) - 1) / rate


async def test_reasoning_effort_scales_the_thinking_before_a_reply(emulator: RunningEmulator) -> None:
    thinking = 0.2
    await emulator.set_timing("o3-mini", thinking_time=thinking)
    client = v1_client(emulator.url, emulator.api_key)
    clock = asyncio.get_running_loop().time
    started = clock()
    reply = await client.chat.completions.create(
        model="o3-mini", messages=[{"role": "user", "content": "think hard"}], reasoning_effort="high"
    )
    elapsed = clock() - started
    await client.close()
    assert reply.choices[0].finish_reason == "stop"
    assert elapsed >= 2 * thinking  # high thinks twice as long as medium, whose time is configured
