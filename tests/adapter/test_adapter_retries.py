"""Retries, waits and failover against the emulator over HTTP.

Each 429 header form is the emulator's own (`retry_headers` of its rate_limit fault); an event hook
records the headers that reached the SDK so each test shows which form it exercised. Where the forms
could agree by accident, the numbers are chosen so only the intended source gives the observed waits.
"""

from __future__ import annotations

import contextlib

import httpx2
import pytest
from tests.adapter.conftest import MakeClient, cancel_when, collect, profile_for

from chatls.azure import (
    AzureChatClient,
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ChatResult,
    Conversation,
    DeploymentNotFound,
    NetworkError,
    RateLimitExhausted,
    RetryPolicy,
    ServiceError,
    StatusEvent,
)
from chatls.emulator.fixture import RunningEmulator

CONVERSATION = Conversation(None, (ChatMessage("user", "hello"),))
FAST = RetryPolicy(base_delay=0.01, max_backoff=0.05, jitter=0.0)
WAIT_HEADERS = ("retry-after", "retry-after-ms", "x-ratelimit-remaining-requests")


def waits(events: list[ChatEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, StatusEvent)]


def recording_429s(seen: list[dict[str, str]]) -> httpx2.AsyncClient:
    """An HTTP client that notes the wait headers of every 429 it receives (and changes nothing)."""

    async def record(response: httpx2.Response) -> None:
        if response.status_code == 429:
            seen.append({name: response.headers[name] for name in WAIT_HEADERS if name in response.headers})

    return httpx2.AsyncClient(event_hooks={"response": [record]})


async def rate_limited_chat(
    emulator: RunningEmulator, make_client: MakeClient, policy: RetryPolicy | None = None, **fault: object
) -> tuple[list[ChatEvent], dict[str, str]]:
    """One chat on gpt-4o whose first request meets the given rate_limit fault."""
    await emulator.add_fault("rate_limit", **fault)
    seen: list[dict[str, str]] = []
    options: dict[str, object] = {"retry": policy} if policy else {}
    async with recording_429s(seen) as http:
        client = make_client("gpt-4o", client_options={"http_client": http, **options})
        events = await collect(client, CONVERSATION, ChatOptions())
    assert [r["status"] for r in await emulator.chat_requests()] == [429, 200]
    assert isinstance(events[-1], ChatResult)
    (headers,) = seen
    return events, headers


# 0.6 s fits this budget; the 1 s in the message or in retry-after would not (the client would give up).
SUB_SECOND_BUDGET = RetryPolicy(max_total_wait=0.8)


@pytest.mark.parametrize("form", ["ms", "both"])
async def test_429_retry_after_ms_is_honoured_first(
    form: str, emulator: RunningEmulator, make_client: MakeClient
) -> None:
    events, headers = await rate_limited_chat(
        emulator, make_client, SUB_SECOND_BUDGET, retry_after=0.6, retry_headers=form
    )
    assert headers["retry-after-ms"] == "600"
    assert headers.get("retry-after") == ("1" if form == "both" else None)
    assert waits(events) == ["rate limited, retrying in 1 s"]


async def test_429_retry_after_seconds(emulator: RunningEmulator, make_client: MakeClient) -> None:
    events, headers = await rate_limited_chat(
        emulator, make_client, retry_after=2, retry_headers="seconds", ratelimit_headers=False
    )
    assert headers == {"retry-after": "2"}
    # Two one-second ticks: the announced 2 s, not a sub-second backoff.
    assert waits(events) == ["rate limited, retrying in 2 s", "rate limited, retrying in 1 s"]


async def test_429_retry_after_as_an_http_date(emulator: RunningEmulator, make_client: MakeClient) -> None:
    events, headers = await rate_limited_chat(emulator, make_client, retry_after=2.4, retry_headers="date")
    assert headers["retry-after"].endswith(" GMT") and "retry-after-ms" not in headers
    # The date is 2.4-3.4 s ahead when sent, so the first tick says 3 or 4 s; the message says 2.
    assert waits(events)[0] in ("rate limited, retrying in 3 s", "rate limited, retrying in 4 s")


async def test_429_with_the_wait_only_in_the_message(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    events, headers = await rate_limited_chat(
        emulator, make_client, retry_after=2, retry_headers="none", ratelimit_headers=False
    )
    assert headers == {}
    # "Please retry after 2 seconds.": two ticks, where a backoff would have been one sub-second wait.
    assert waits(events) == ["rate limited, retrying in 2 s", "rate limited, retrying in 1 s"]


async def test_429_newer_message_and_both_headers_as_sent(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("rate_limit", retry_after=1, message="new")
    events = await collect(make_client("gpt-5.1"), CONVERSATION, ChatOptions())
    assert waits(events) == ["rate limited, retrying in 1 s"]
    assert isinstance(events[-1], ChatResult)


async def test_a_wait_longer_than_the_budget_gives_up_at_once(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("rate_limit", retry_after=86400)
    with pytest.raises(RateLimitExhausted) as caught:
        await collect(make_client("gpt-4o"), CONVERSATION, ChatOptions())
    assert caught.value.retry_after == 86400.0
    assert "wait 86400 s" in caught.value.user_message
    assert len(await emulator.chat_requests()) == 1


async def test_server_errors_back_off_then_succeed(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("server_error", status=503, count=2)
    client = make_client("gpt-4o", client_options={"retry": FAST})
    events = await collect(client, CONVERSATION, ChatOptions())
    assert waits(events) == ["Azure error 503, retrying in 1 s"] * 2
    assert [r["status"] for r in await emulator.chat_requests()] == [503, 503, 200]
    assert isinstance(events[-1], ChatResult)


async def test_attempts_are_bounded(emulator: RunningEmulator, make_client: MakeClient) -> None:
    await emulator.add_fault("server_error", status=500, count=10)
    client = make_client("gpt-4o", client_options={"retry": RetryPolicy(max_attempts=3, base_delay=0.01)})
    with pytest.raises(ServiceError) as caught:
        await collect(client, CONVERSATION, ChatOptions())
    assert "(500)" in caught.value.user_message
    assert len(await emulator.chat_requests()) == 3


async def test_failover_to_the_next_deployment_when_one_is_exhausted(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("rate_limit", retry_after=3600, deployment="gpt-4o", count=5)
    events = await collect(make_client(["gpt-4o", "gpt-4o-mini"]), CONVERSATION, ChatOptions())
    assert "gpt-4o unavailable, trying gpt-4o-mini" in waits(events)
    result = events[-1]
    assert isinstance(result, ChatResult) and result.model.startswith("gpt-4o-mini")
    assert "deployment 'gpt-4o' unavailable (rate limit); used 'gpt-4o-mini'" in result.adaptations
    assert [(r["deployment"], r["status"]) for r in await emulator.chat_requests()] == [
        ("gpt-4o", 429),
        ("gpt-4o-mini", 200),
    ]


async def test_failover_past_a_missing_deployment_and_the_last_error_when_all_fail(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    events = await collect(make_client(["gone", "o4-mini"]), CONVERSATION, ChatOptions())
    assert isinstance(events[-1], ChatResult)
    with pytest.raises(DeploymentNotFound) as caught:
        await collect(make_client(["gone", "also-gone"]), CONVERSATION, ChatOptions())
    assert caught.value.deployment == "also-gone"


async def test_connection_errors_are_retried_then_reported(emulator: RunningEmulator) -> None:
    closed_port = profile_for(emulator, "gpt-4o")
    closed_port = type(closed_port).from_dict({**closed_port.to_dict(), "endpoint": "http://127.0.0.1:9"})
    client = AzureChatClient(
        closed_port, api_key="a-test-key-0123", retry=RetryPolicy(max_attempts=2, base_delay=0.01)
    )
    events: list[ChatEvent] = []
    with pytest.raises(NetworkError) as caught:
        async with contextlib.aclosing(client.chat(CONVERSATION, ChatOptions())) as stream:
            async for event in stream:
                events.append(event)
    await client.aclose()
    assert waits(events) == ["connection failed, retrying in 1 s"]
    assert caught.value.user_message.startswith("The connection to http://127.0.0.1:9 failed (")
    assert 'Check "endpoint" and your network' in caught.value.user_message


async def test_cancelling_during_a_retry_wait_stops_at_once(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("rate_limit", retry_after=30)
    client = make_client("gpt-4o")
    await cancel_when(
        client,
        CONVERSATION,
        lambda event: isinstance(event, StatusEvent) and event.text.startswith("rate limited"),
    )
    (record,) = await emulator.chat_requests()
    assert (record["status"], record["finished"]) == (429, True)
    # No retry follows the cancel: the next request the emulator logs is the next chat, answered.
    await collect(client, CONVERSATION, ChatOptions())
    assert [r["status"] for r in await emulator.chat_requests()] == [429, 200]


async def test_a_reply_that_never_starts_times_out_retries_and_says_so(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("slow_first_byte", delay=2, count=2)
    client = make_client(
        "gpt-4o", timeout=0.3, client_options={"retry": RetryPolicy(max_attempts=2, base_delay=0.01)}
    )
    with pytest.raises(NetworkError) as caught:
        await collect(client, CONVERSATION, ChatOptions())
    assert "timed out" in caught.value.user_message
    assert 'larger "timeout" in the profile' in caught.value.user_message
    assert len(await emulator.chat_requests()) == 2
