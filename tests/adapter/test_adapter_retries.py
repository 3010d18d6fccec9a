"""Retries, waits and failover against the emulator over HTTP.

The emulator always sends both `retry-after-ms` and `retry-after` with a 429 (and the seconds in the
message). To exercise each form on its own, a small transport rewrites the headers of the emulator's
real 429 responses on their way to the SDK; everything else is untouched loopback HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx2
import pytest
from tests.adapter.conftest import MakeClient, collect, profile_for

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
HeaderRewrite = Callable[[httpx2.Headers], None]


class Rewrite429(httpx2.AsyncBaseTransport):
    """Passes everything to the real transport; rewrites the headers of 429 answers."""

    def __init__(self, rewrite: HeaderRewrite) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self._rewrite = rewrite

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        if response.status_code != 429:
            return response
        headers = httpx2.Headers(response.headers)
        self._rewrite(headers)
        return httpx2.Response(429, headers=headers, stream=response.stream, extensions=response.extensions)

    async def aclose(self) -> None:
        await self._inner.aclose()


def only_ms(headers: httpx2.Headers) -> None:
    headers["retry-after-ms"] = "300"
    headers["retry-after"] = "5"


def only_seconds(headers: httpx2.Headers) -> None:
    del headers["retry-after-ms"]
    headers["retry-after"] = "2"


def only_date(headers: httpx2.Headers) -> None:
    del headers["retry-after-ms"]
    headers["retry-after"] = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=5), usegmt=True)


def only_message(headers: httpx2.Headers) -> None:
    del headers["retry-after-ms"]
    del headers["retry-after"]


def waits(events: list[ChatEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, StatusEvent)]


@pytest.mark.parametrize(
    ("rewrite", "expected"),
    [
        (only_ms, ["rate limited, retrying in 1 s"]),  # 0.3 s from retry-after-ms, not 5 s
        (only_seconds, ["rate limited, retrying in 2 s", "rate limited, retrying in 1 s"]),
        (only_message, ["rate limited, retrying in 1 s"]),  # "Please retry after 1 seconds"
    ],
)
async def test_429_waits_what_each_header_form_says(
    rewrite: HeaderRewrite, expected: list[str], emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("rate_limit", retry_after=1)
    async with httpx2.AsyncClient(transport=Rewrite429(rewrite)) as http:
        events = await collect(
            make_client("gpt-4o", client_options={"http_client": http}), CONVERSATION, ChatOptions()
        )
    assert waits(events) == expected
    assert [r["status"] for r in await emulator.chat_requests()] == [429, 200]
    assert isinstance(events[-1], ChatResult)


async def test_429_with_an_http_date(emulator: RunningEmulator, make_client: MakeClient) -> None:
    await emulator.add_fault("rate_limit", retry_after=1)
    async with httpx2.AsyncClient(transport=Rewrite429(only_date)) as http:
        events = await collect(
            make_client("gpt-4o", client_options={"http_client": http}), CONVERSATION, ChatOptions()
        )
    first = waits(events)[0]
    # A second-resolution date 5 s ahead: 4-5 s left when parsed (the message alone would say 1 s).
    assert first in ("rate limited, retrying in 5 s", "rate limited, retrying in 4 s")
    assert [r["status"] for r in await emulator.chat_requests()] == [429, 200]


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
    client = AzureChatClient(closed_port, api_key="k", retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    events: list[ChatEvent] = []
    with pytest.raises(NetworkError) as caught:
        async with contextlib.aclosing(client.chat(CONVERSATION, ChatOptions())) as stream:
            async for event in stream:
                events.append(event)
    await client.aclose()
    assert waits(events) == ["connection failed, retrying in 1 s"]
    assert "http://127.0.0.1:9" in caught.value.user_message


async def test_cancelling_during_a_retry_wait_stops_at_once(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("rate_limit", retry_after=30)
    client = make_client("gpt-4o")
    waiting = asyncio.Event()

    async def consume() -> None:
        async with contextlib.aclosing(client.chat(CONVERSATION, ChatOptions())) as stream:
            async for event in stream:
                if isinstance(event, StatusEvent) and event.text.startswith("rate limited"):
                    waiting.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(waiting.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (record,) = await emulator.chat_requests()
    assert (record["status"], record["finished"]) == (429, True)
    await asyncio.sleep(0.2)
    assert len(await emulator.chat_requests()) == 1


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
    assert len(await emulator.chat_requests()) == 2
