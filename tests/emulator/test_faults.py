"""Every scriptable fault, queued at run time or from the config, observed through the SDK."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import aiohttp
import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from tests.emulator.helpers import azure_client, v1_client

from chatls.emulator.fixture import RunningEmulator, StartEmulator

MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "tell me something fairly long please"}
]


def client_for(emulator: RunningEmulator, route: int) -> openai.AsyncOpenAI:
    """Route 0: dated ``AsyncAzureOpenAI``; route 1: ``AsyncOpenAI`` on /openai/v1."""
    if route == 1:
        return v1_client(emulator.url, emulator.api_key)
    return azure_client(emulator.url, emulator.api_key)


on_both_routes = pytest.mark.parametrize("route", [0, 1], ids=["dated", "v1"])
"""Run a test once with the dated ``AsyncAzureOpenAI`` and once with ``AsyncOpenAI`` on /openai/v1."""


@pytest.mark.parametrize("route", [0, 1], ids=["dated", "v1"])
async def test_rate_limit_with_retry_headers(emulator: RunningEmulator, route: int) -> None:
    await emulator.add_fault("rate_limit", retry_after=7)
    client = client_for(emulator, route)
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    error = caught.value
    assert error.status_code == 429
    assert error.code == "429" and error.param is None
    assert "Please retry after 7 seconds." in error.message
    headers = error.response.headers
    assert headers["retry-after"] == "7"
    assert headers["retry-after-ms"] == "7000"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-tokens"] == "7"
    assert "x-ratelimit-remaining-tokens" in headers and "x-ratelimit-limit-tokens" in headers
    reply = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # the fault was used up
    assert reply.choices[0].finish_reason == "stop"
    await client.close()


RETRY_HEADERS = ("retry-after", "retry-after-ms")
RATELIMIT_HEADERS = (
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
    "x-ratelimit-remaining-requests",
)


def announced(headers: httpx2.Headers) -> dict[str, str]:
    """The wait-related headers of a 429, as sent."""
    return {name: headers[name] for name in (*RETRY_HEADERS, *RATELIMIT_HEADERS) if name in headers}


@pytest.mark.parametrize("route", [0, 1], ids=["dated", "v1"])
@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("ms", {"retry-after-ms": "1500"}),
        ("seconds", {"retry-after": "2"}),
        ("none", {}),
    ],
)
async def test_rate_limit_announces_the_wait_in_one_header_form(
    emulator: RunningEmulator, form: str, expected: dict[str, str], route: int
) -> None:
    await emulator.add_fault("rate_limit", retry_after=1.5, retry_headers=form, ratelimit_headers=False)
    client = client_for(emulator, route)
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    await client.close()
    assert announced(caught.value.response.headers) == expected
    assert "Please retry after 2 seconds." in caught.value.message
    assert caught.value.code == "429"


async def test_rate_limit_with_an_http_date(emulator: RunningEmulator) -> None:
    await emulator.add_fault("rate_limit", retry_after=30, retry_headers="date")
    client = azure_client(emulator.url, emulator.api_key)
    before = datetime.now(timezone.utc)
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    after = datetime.now(timezone.utc)
    await client.close()
    headers = caught.value.response.headers
    assert "retry-after-ms" not in headers
    when = parsedate_to_datetime(headers["retry-after"])
    # A whole-second date at least 30 s after the request and at most 31 s after the answer.
    assert before + timedelta(seconds=30) <= when <= after + timedelta(seconds=31)
    assert headers["retry-after"].endswith(" GMT")
    assert all(name in headers for name in RATELIMIT_HEADERS)


async def test_rate_limit_header_forms_from_the_control_endpoint_and_the_config(
    start_emulator: StartEmulator,
) -> None:
    emu = await start_emulator(
        """
[[faults]]
kind = "rate_limit"
retry_after = 4
retry_headers = "seconds"
ratelimit_headers = false
"""
    )
    fault = {"kind": "rate_limit", "retry_after": 0.25, "retry_headers": "ms"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emu.control_url}/faults", json=fault) as response,
    ):
        assert response.status == 200
        queued = (await response.json())["faults"]
    forms = [(f["retry_headers"], f["ratelimit_headers"]) for f in queued]
    assert forms == [("seconds", False), ("ms", True)]
    client = v1_client(emu.url, emu.api_key)
    seen: list[dict[str, str]] = []
    for _ in range(2):
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        seen.append(announced(caught.value.response.headers))
    await client.close()
    assert seen[0] == {"retry-after": "4"}
    assert seen[1]["retry-after-ms"] == "250" and "retry-after" not in seen[1]
    assert seen[1]["x-ratelimit-remaining-requests"] == "0"


async def test_a_bad_header_form_is_refused_by_the_control_endpoint(emulator: RunningEmulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{emulator.control_url}/faults", json={"kind": "rate_limit", "retry_headers": "rfc3339"}
        ) as response,
    ):
        body = await response.json()
    assert response.status == 400
    assert body["error"]["param"] == "retry_headers"
    assert "expected one of: both, ms, seconds, date, none" in body["error"]["message"]


async def test_rate_limit_newer_message_and_count(emulator: RunningEmulator) -> None:
    await emulator.add_fault("rate_limit", retry_after=2.5, message="new", count=2)
    client = azure_client(emulator.url, emulator.api_key, "2025-04-01-preview")
    for _ in range(2):
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(model="gpt-5", messages=MESSAGES)
        assert "Your requests to gpt-5 for gpt-5-2025-08-07" in caught.value.message
        assert "API version 2025-04-01-preview. Please retry after 2 seconds." in caught.value.message
        assert caught.value.response.headers["retry-after-ms"] == "2500"
    assert (await client.chat.completions.create(model="gpt-5", messages=MESSAGES)).choices
    await client.close()


async def test_fault_for_one_deployment_leaves_others_alone(emulator: RunningEmulator) -> None:
    await emulator.add_fault("server_error", deployment="o1")
    client = azure_client(emulator.url, emulator.api_key)
    assert (await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)).choices
    with pytest.raises(openai.InternalServerError):
        await client.chat.completions.create(model="o1", messages=MESSAGES)
    await client.close()


async def test_tokens_per_minute_limiter(emulator: RunningEmulator) -> None:
    await emulator.set_deployment("gpt-4o", tokens_per_minute=60)
    client = azure_client(emulator.url, emulator.api_key)
    first = await client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    assert first.headers["x-ratelimit-limit-tokens"] == "60"
    remaining = int(first.headers["x-ratelimit-remaining-tokens"])
    assert 0 <= remaining < 60
    with pytest.raises(openai.RateLimitError) as caught:
        for _ in range(5):
            await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    retry_after = int(caught.value.response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert f"Please retry after {retry_after} seconds" in caught.value.message
    assert (await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)).choices
    await client.close()


@on_both_routes
@pytest.mark.parametrize(("status", "code"), [(500, None), (502, "502"), (503, "503"), (504, "504")])
async def test_server_errors(emulator: RunningEmulator, status: int, code: str | None, route: int) -> None:
    await emulator.add_fault("server_error", status=status)
    client = client_for(emulator, route)
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    await client.close()
    assert caught.value.status_code == status
    assert caught.value.code == code
    if status == 500:
        body = caught.value.body
        assert isinstance(body, dict)
        assert body == {**body, "type": "server_error", "param": None}
        assert "The server had an error processing your request." in caught.value.message


def impatient_client(emulator: RunningEmulator, api_version: str, route: int = 0) -> openai.AsyncOpenAI:
    """A client that gives up after 0.3 s, so a delayed answer shows as a timeout."""
    if route == 1:
        return openai.AsyncOpenAI(
            base_url=f"{emulator.url}/openai/v1/",
            api_key=emulator.api_key,
            max_retries=0,
            timeout=httpx2.Timeout(0.3),
        )
    return openai.AsyncAzureOpenAI(
        azure_endpoint=emulator.url,
        api_key=emulator.api_key,
        api_version=api_version,
        max_retries=0,
        timeout=httpx2.Timeout(0.3),
    )


@on_both_routes
async def test_slow_first_byte_outlasts_a_short_client_timeout(emulator: RunningEmulator, route: int) -> None:
    await emulator.add_fault("slow_first_byte", delay=30)
    client = impatient_client(emulator, "2024-10-21", route)
    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    await client.close()
    record = await emulator.wait_for_request(lambda r: r["fault"] == "slow_first_byte")
    assert record["disconnected"] is True


@on_both_routes
async def test_thinking_time_delays_a_non_streaming_reasoning_reply(
    emulator: RunningEmulator, route: int
) -> None:
    await emulator.set_timing("o1", thinking_time=30)
    client = impatient_client(emulator, "2024-12-01-preview", route)
    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(model="o1", messages=MESSAGES, reasoning_effort="low")
    assert (await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)).choices  # no thinking
    await client.close()


@on_both_routes
async def test_connection_dropped_mid_stream(emulator: RunningEmulator, route: int) -> None:
    await emulator.add_fault("drop_connection", after_chunks=2)
    client = client_for(emulator, route)
    stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    pieces: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        async for chunk in stream:
            if chunk.choices:
                assert chunk.choices[0].finish_reason is None
                pieces.append(chunk.choices[0].delta.content or "")
    await client.close()
    assert "".join(pieces) == "Echo from"
    (record,) = await emulator.chat_requests()
    assert record["fault"] == "drop_connection"


@on_both_routes
async def test_connection_dropped_before_a_non_streaming_answer(
    emulator: RunningEmulator, route: int
) -> None:
    await emulator.add_fault("drop_connection")
    client = client_for(emulator, route)
    with pytest.raises(openai.APIConnectionError):
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    await client.close()


@on_both_routes
async def test_content_filter_on_the_prompt(emulator: RunningEmulator, route: int) -> None:
    await emulator.add_fault("content_filter_prompt", category="sexual")
    client = client_for(emulator, route)
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    await client.close()
    error = caught.value
    assert error.code == "content_filter" and error.param == "prompt"
    assert isinstance(error.body, dict)
    assert error.body["type"] is None and error.body["status"] == 400
    inner = error.body["innererror"]
    assert inner["code"] == "ResponsibleAIPolicyViolation"
    assert inner["content_filter_result"]["sexual"] == {"filtered": True, "severity": "medium"}
    assert inner["content_filter_result"]["violence"] == {"filtered": False, "severity": "safe"}


@on_both_routes
async def test_content_filter_on_the_completion(emulator: RunningEmulator, route: int) -> None:
    await emulator.add_fault("content_filter_completion")
    client = client_for(emulator, route)
    raw = await client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    await client.close()
    choice = raw.http_response.json()["choices"][0]
    assert choice["finish_reason"] == "content_filter"
    assert choice["message"]["content"] is None
    assert choice["content_filter_results"]["violence"] == {"filtered": True, "severity": "high"}


@on_both_routes
async def test_content_filter_mid_stream(emulator: RunningEmulator, route: int) -> None:
    await emulator.add_fault("content_filter_completion", after_chunks=3, category="hate")
    client = client_for(emulator, route)
    stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    chunks = [c async for c in stream if c.choices]
    await client.close()
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "Echo from gpt-4o"
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    last = chunks[-1].model_dump()["choices"][0]
    assert last["content_filter_results"]["hate"]["filtered"] is True


@on_both_routes
@pytest.mark.parametrize("stream", [False, True])
async def test_reasoning_budget_exhausted(emulator: RunningEmulator, stream: bool, route: int) -> None:
    await emulator.add_fault("reasoning_exhausted")
    client = client_for(emulator, route)
    if stream:
        chunks = [
            c
            async for c in await client.chat.completions.create(
                model="o3-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
            )
        ]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        finish = next(c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason)
        usage = chunks[-1].usage
    else:
        reply = await client.chat.completions.create(model="o3-mini", messages=MESSAGES)
        text, finish, usage = (
            reply.choices[0].message.content or "",
            reply.choices[0].finish_reason,
            reply.usage,
        )
    await client.close()
    assert (text, finish) == ("", "length")
    assert usage is not None and usage.completion_tokens_details is not None
    reasoning = usage.completion_tokens_details.reasoning_tokens
    assert reasoning is not None and usage.completion_tokens == reasoning > 0


@on_both_routes
async def test_small_reasoning_budget_runs_out_naturally(emulator: RunningEmulator, route: int) -> None:
    client = client_for(emulator, route)
    reply = await client.chat.completions.create(
        model="o1", messages=MESSAGES, max_completion_tokens=100, reasoning_effort="high"
    )
    await client.close()
    assert reply.choices[0].finish_reason == "length"
    assert reply.choices[0].message.content == ""
    assert reply.usage is not None and reply.usage.completion_tokens == 100


async def test_context_length_fault(emulator: RunningEmulator) -> None:
    await emulator.add_fault("context_length_exceeded")
    client = azure_client(emulator.url, emulator.api_key)
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    await client.close()
    assert (caught.value.code, caught.value.param) == ("context_length_exceeded", "messages")
    assert "maximum context length is 128000 tokens" in caught.value.message


async def test_faults_from_the_config_file(start_emulator: StartEmulator) -> None:
    emu = await start_emulator(
        """
[[faults]]
kind = "rate_limit"
retry_after = 3
deployment = "gpt-4o"

[[faults]]
kind = "server_error"
status = 503
"""
    )
    client = azure_client(emu.url, emu.api_key)
    with pytest.raises(openai.InternalServerError):  # the first fault is for gpt-4o only
        await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert (await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)).choices
    await emu.reset()  # back to the start-up state: the config's faults are queued again
    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    await client.close()


async def test_invalid_requests_do_not_consume_faults(emulator: RunningEmulator) -> None:
    await emulator.add_fault("server_error")
    client = azure_client(emulator.url, emulator.api_key)
    with pytest.raises(openai.BadRequestError):
        await client.chat.completions.create(model="o1", messages=MESSAGES, max_tokens=10)
    with pytest.raises(openai.InternalServerError):
        await client.chat.completions.create(model="o1", messages=MESSAGES)
    await client.close()


@pytest.mark.parametrize("form", ["clean_close", "chunked_end", "done"])
async def test_chat_stream_without_a_finish(emulator: RunningEmulator, form: str) -> None:
    """A proxy's cut: text arrives, then the stream ends with no finish_reason (and no usage)."""
    await emulator.add_fault("no_terminal", form=form)
    client = openai.AsyncOpenAI(base_url=emulator.v1_base_url, api_key=emulator.api_key, max_retries=0)
    stream = await client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "cut me"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    await client.close()
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo from gpt-4o: cut me"
    assert all(choice.finish_reason is None for c in chunks for choice in c.choices)
    assert all(c.usage is None for c in chunks)
    (record,) = await emulator.chat_requests()
    assert record["fault"] == "no_terminal"


async def test_prompt_shield_on_chat(emulator: RunningEmulator) -> None:
    await emulator.add_fault("content_filter_prompt", category="jailbreak")
    client = openai.AsyncOpenAI(base_url=emulator.v1_base_url, api_key=emulator.api_key, max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model="gpt-5.4", messages=[{"role": "user", "content": "x"}])
    await client.close()
    result = caught.value.body["innererror"]["content_filter_result"]  # type: ignore[index]
    assert result["jailbreak"] == {"filtered": True, "detected": True}
    assert not any(v.get("filtered") for k, v in result.items() if k != "jailbreak")
