"""Replies as events: streams, non-streaming models, filters, the reasoning budget and cancellation."""

from __future__ import annotations

import contextlib

import pytest
from tests.adapter.conftest import MakeClient, cancel_when, collect

from chatls.azure import (
    ChatMessage,
    ChatOptions,
    ChatResult,
    ConfigurationError,
    ContentEvent,
    ContentFilterError,
    Conversation,
    NetworkError,
    ReasoningBudgetExhausted,
    StatusEvent,
)
from chatls.emulator.fixture import RunningEmulator

CONVERSATION = Conversation("Be brief.", (ChatMessage("user", "tell me a long story"),))
LONG_STORY = " ".join(f"word{n}" for n in range(400))


async def test_a_stream_arrives_in_pieces_with_usage(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_reply("long story", LONG_STORY)
    events = await collect(make_client("gpt-4o"), CONVERSATION, ChatOptions())
    pieces = [e.text for e in events if isinstance(e, ContentEvent)]
    result = events[-1]
    assert len(pieces) > 1 and "".join(pieces) == LONG_STORY
    assert isinstance(result, ChatResult) and result.content == LONG_STORY
    assert result.usage.completion_tokens > 0


@pytest.mark.parametrize("deployment", ["gpt-4o", "o1"])  # the usage chunk of a stream; a completion
async def test_usage_reports_cached_and_reasoning_tokens(
    emulator: RunningEmulator, make_client: MakeClient, deployment: str
) -> None:
    long_context = Conversation("Context: " + "lorem ipsum " * 400, (ChatMessage("user", "Summarise."),))
    client = make_client(deployment)
    first = (await collect(client, long_context, ChatOptions()))[-1]
    second = (await collect(client, long_context, ChatOptions()))[-1]
    assert isinstance(first, ChatResult) and isinstance(second, ChatResult)
    assert first.usage.cached_tokens == 0
    assert first.usage.prompt_tokens == second.usage.prompt_tokens >= 1024
    assert 1024 <= second.usage.cached_tokens <= second.usage.prompt_tokens
    assert (second.usage.reasoning_tokens > 0) is (deployment == "o1")
    assert second.usage.completion_tokens > second.usage.reasoning_tokens


async def test_a_non_streaming_model_reports_thinking_then_one_content_event(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_timing("o1", thinking_time=1.6)
    events = await collect(make_client("o1"), CONVERSATION, ChatOptions(reasoning_effort="medium"))
    assert isinstance(events[-1], ChatResult)
    body = events[:-1]
    thinking = [e.text for e in body if isinstance(e, StatusEvent)]
    assert thinking and all(text.startswith("thinking ") and text.endswith(" s") for text in thinking)
    assert [type(e) for e in body] == [StatusEvent] * len(thinking) + [ContentEvent]
    assert "streaming off: o1 does not stream, so the reply arrives in one piece" in events[-1].adaptations
    (record,) = await emulator.chat_requests()
    assert record["stream"] is False


async def test_adaptation_notes_reach_the_user_once_per_client(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    client = make_client("o3-mini")
    first = await collect(client, CONVERSATION, ChatOptions(temperature=0.2))
    second = await collect(client, CONVERSATION, ChatOptions(temperature=0.2))
    assert isinstance(first[-1], ChatResult) and isinstance(second[-1], ChatResult)
    assert first[-1].adaptations == ("temperature 0.2 not sent: o3-mini only accepts the default",)
    assert second[-1].adaptations == ()


@pytest.mark.parametrize(("deployment", "streamed"), [("gpt-4o", True), ("o1", False)])
async def test_completion_filtered(
    deployment: str, streamed: bool, emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_reply("long story", LONG_STORY)
    await emulator.add_fault("content_filter_completion", category="violence", after_chunks=3)
    events: list[object] = []
    with pytest.raises(ContentFilterError) as caught:
        async with contextlib.aclosing(make_client(deployment).chat(CONVERSATION, ChatOptions())) as stream:
            async for event in stream:
                events.append(event)
    error = caught.value
    assert (error.where, error.categories) == ("completion", ("violence",))
    assert "stopped the reply (violence)" in error.user_message
    shown = "".join(e.text for e in events if isinstance(e, ContentEvent))
    assert error.partial == shown
    assert LONG_STORY.startswith(shown)
    (record,) = await emulator.chat_requests()
    assert record["stream"] is streamed


async def test_prompt_filtered(emulator: RunningEmulator, make_client: MakeClient) -> None:
    await emulator.add_fault("content_filter_prompt", category="sexual")
    with pytest.raises(ContentFilterError) as caught:
        await collect(make_client("gpt-4o-mini"), CONVERSATION, ChatOptions())
    assert (caught.value.where, caught.value.categories) == ("prompt", ("sexual",))
    assert "blocked the prompt (sexual)" in caught.value.user_message


@pytest.mark.parametrize("deployment", ["o3-mini", "o1"])
async def test_reasoning_budget_exhausted(
    deployment: str, emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("reasoning_exhausted")
    with pytest.raises(ReasoningBudgetExhausted) as caught:
        await collect(make_client(deployment), CONVERSATION, ChatOptions(max_completion_tokens=300))
    assert caught.value.completion_tokens > 0
    assert (
        f"spent all {caught.value.completion_tokens} completion tokens on reasoning"
        in caught.value.user_message
    )
    assert "raise maxCompletionTokens or lower reasoningEffort" in caught.value.user_message


async def test_a_connection_dropped_mid_stream_keeps_the_partial_and_is_not_retried(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_reply("long story", LONG_STORY)
    await emulator.add_fault("drop_connection", after_chunks=3)
    shown: list[str] = []
    with pytest.raises(NetworkError) as caught:
        async with contextlib.aclosing(make_client("gpt-4o").chat(CONVERSATION, ChatOptions())) as stream:
            async for event in stream:
                if isinstance(event, ContentEvent):
                    shown.append(event.text)
    assert shown
    assert "broke during the reply" in caught.value.user_message
    assert len(await emulator.chat_requests()) == 1


async def test_a_connection_dropped_before_any_content_is_retried(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("drop_connection", after_chunks=0)
    events = await collect(make_client("o1"), CONVERSATION, ChatOptions())
    assert isinstance(events[-1], ChatResult)
    assert "connection failed, retrying in 1 s" in [e.text for e in events if isinstance(e, StatusEvent)]
    assert len(await emulator.chat_requests()) == 2


@pytest.mark.parametrize(("deployment", "first_event"), [("gpt-4o", ContentEvent), ("o1", StatusEvent)])
async def test_cancelling_the_consumer_closes_the_upstream_connection(
    deployment: str, first_event: type, emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_reply("long story", LONG_STORY)
    await emulator.set_timing(deployment, tokens_per_second=20, thinking_time=30)
    await cancel_when(make_client(deployment), CONVERSATION, lambda event: isinstance(event, first_event))
    record = await emulator.wait_for_request(lambda r: r["deployment"] == deployment)
    assert record["disconnected"] is True


async def test_an_api_version_too_old_for_the_model_is_refused_before_sending(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        await collect(make_client("o3-mini", apiVersion="2024-10-21"), CONVERSATION, ChatOptions())
    assert caught.value.key == "apiVersion"
    assert await emulator.chat_requests() == []
