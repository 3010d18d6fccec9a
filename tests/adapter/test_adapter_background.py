"""Background runs (Responses `background: true`): announced before any content, resumable after a restart
with the full text, not cancelled when the consumer goes away, cancelled upstream by `cancel_run`, and a
dropped stream picked up again from its last event."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from tests.adapter.conftest import MakeClient, collect

from chatls.azure import (
    AzureChatClient,
    BadRequest,
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ChatResult,
    ContentEvent,
    Conversation,
    ReasoningEvent,
    RunLost,
    RunStartedEvent,
    StatusEvent,
)
from chatls.emulator.fixture import RunningEmulator

QUESTION = Conversation("Be thorough.", (ChatMessage("user", "Explain the design of asyncio."),))
LONG_ANSWER = " ".join(f"part{n}" for n in range(120))


async def started_then_gone(client: AzureChatClient, options: ChatOptions) -> dict[str, Any]:
    """Consume a chat until its run starts, then stop consuming (a server shutting down): the handle."""
    async with contextlib.aclosing(client.chat(QUESTION, options)) as events:
        async for event in events:
            if isinstance(event, RunStartedEvent):
                return event.handle
            assert not isinstance(event, (ContentEvent, ReasoningEvent)), "content before the run started"
    raise AssertionError("the run never started")


async def test_a_pro_model_runs_in_the_background_polled_with_a_heartbeat(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_timing("o3-pro", thinking_time=1.5)
    client = make_client("o3-pro")
    events = await collect(client, QUESTION, ChatOptions())
    result = events[-1]
    assert isinstance(events[0], RunStartedEvent) and isinstance(result, ChatResult)
    handle = events[0].handle
    assert handle["wire"] == "responses" and handle["deployment"] == "o3-pro" and handle["stream"] is False
    assert handle["endpoint"] == emulator.url.lower() and handle["api_version"] == "v1"
    assert any(isinstance(e, StatusEvent) and e.text.startswith("thinking ") for e in events)
    records = await emulator.requests("o3-pro")
    create = records[0]
    assert create["body"]["background"] is True and create["body"]["store"] is True
    assert create["response_id"] == handle["response_id"] and result.content == create["reply"]
    assert all(r["method"] == "GET" for r in records[1:]) and len(records) > 1  # polled
    assert any("Azure keeps this reply" in note for note in result.adaptations)


async def test_a_run_survives_its_consumer_and_resumes_whole_on_a_new_client(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_reply("asyncio", LONG_ANSWER)
    await emulator.set_timing("gpt-5", thinking_time=0.5, tokens_per_second=400)
    handle = await started_then_gone(make_client("gpt-5", background=True), ChatOptions())
    assert handle["stream"] is True

    restarted = make_client("gpt-5")  # a new server: nothing in memory but the stored handle
    events = [event async for event in restarted.resume(handle)]
    result = events[-1]
    assert isinstance(result, ChatResult) and result.content == LONG_ANSWER
    assert "".join(e.text for e in events if isinstance(e, ContentEvent)) == LONG_ANSWER
    assert not any(isinstance(e, RunStartedEvent) for e in events)
    records = await emulator.requests("gpt-5")
    assert not any(r["path"].endswith("/cancel") for r in records)  # going away never cancels upstream
    assert any(r["method"] == "GET" and r["stream"] for r in records)


async def test_cancel_run_cancels_upstream(emulator: RunningEmulator, make_client: MakeClient) -> None:
    await emulator.set_timing("gpt-5", thinking_time=30)
    client = make_client("gpt-5", background=True)
    handle = await started_then_gone(client, ChatOptions())
    await client.cancel_run(handle)
    record = await emulator.wait_for_request(lambda r: r["path"].endswith("/cancel"))
    assert record["status"] == 200 and handle["response_id"] in record["path"]
    with pytest.raises(BadRequest) as caught:
        await collect_resume(client, handle)
    assert "cancelled" in caught.value.user_message
    await client.cancel_run(handle)  # again: idempotent, not an error


async def test_a_dropped_background_stream_is_picked_up_from_its_last_event(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_reply("asyncio", LONG_ANSWER)
    await emulator.add_fault("drop_connection", after_chunks=5)
    await emulator.set_timing("gpt-5", tokens_per_second=200)  # still running when the stream drops
    events = await collect(make_client("gpt-5", background=True), QUESTION, ChatOptions())
    result = events[-1]
    assert isinstance(result, ChatResult) and result.content == LONG_ANSWER
    assert "".join(e.text for e in events if isinstance(e, ContentEvent)) == LONG_ANSWER  # nothing twice
    resumed = [r for r in await emulator.requests("gpt-5") if r["method"] == "GET" and r["stream"]]
    assert resumed and all(int(r["query"]["starting_after"]) > 0 for r in resumed)


async def test_a_run_azure_no_longer_has_is_reported_as_lost(
    make_client: MakeClient, emulator: RunningEmulator
) -> None:
    client = make_client("gpt-5")
    handle = {"wire": "responses", "response_id": "resp_gone", "deployment": "gpt-5", "stream": True}
    with pytest.raises(RunLost) as caught:
        await collect_resume(client, handle)
    assert "resp_gone" in caught.value.user_message


async def collect_resume(client: AzureChatClient, handle: dict[str, Any]) -> list[ChatEvent]:
    async with contextlib.aclosing(client.resume(handle)) as events:
        return [event async for event in events]


async def test_a_handle_for_another_endpoint_is_refused_before_sending(make_client: MakeClient) -> None:
    client = make_client("gpt-5")
    handle = {"wire": "responses", "response_id": "r", "deployment": "gpt-5", "endpoint": "https://elsewhere"}
    with pytest.raises(Exception, match="another endpoint"):
        await collect_resume(client, handle)
