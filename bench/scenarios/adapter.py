"""The adapter's own costs: shaping a 200-message request, and what it adds to the first streamed token on
both wires and to the first reasoning summary.

Shaping: `chatls.azure.wires.chat.shape_request` on a conversation of instructions plus 200 messages, for a
classic, a reasoning and an o1-preview-style model (instructions folded into the first user message); the
figure is the slowest family's median. The baseline builds the same message dicts by hand, for scale.

First token: `AzureChatClient.chat` and the bare `openai` SDK (`AsyncAzureOpenAI`, same request body as the
adapter sends) stream from the same emulator process (pinned to core 1, zero pacing), alternately; each
sample is the time from the call to the first content. The figure is the median of the paired differences.
The same on the Responses wire (`AsyncOpenAI` on `/openai/v1/`, a gpt-5 deployment, the adapter's own
Responses body): the first delta there is a reasoning summary (the adapter's first ReasoningEvent vs the
SDK's first `response.reasoning_summary_text.delta`), and the first answer text is timed too. (The whole
path of a summary to the editor — server and protocol included — is the server's to measure.)
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Any

from bench.emulator_proc import config_toml, emulator_process
from bench.results import Row, Target
from bench.scenario import RunContext, Scenario
from bench.stats import interleave, median, paired_differences, time_sync

HISTORY = 200
API_VERSION = "2024-12-01-preview"
SHAPING_FAMILIES = ("gpt-4o", "o3-mini", "o1-preview")
DEPLOYMENT = "gpt-4o"

SHAPING = Row(
    scenario="adapter",
    metric=f"shape a request with {HISTORY} messages (median, slowest family)",
    unit="ms",
    target=Target("value", "<", 1, "ms"),
    baseline_label="plain dict build",
)
FIRST_TOKEN = Row(
    scenario="adapter",
    metric="added to the first streamed token vs the bare SDK (median paired difference)",
    unit="ms",
    target=Target("value", "<", 1, "ms"),
)
RESPONSES_DEPLOYMENT = "gpt-5"
RESPONSES_FIRST_DELTA = Row(
    scenario="adapter",
    metric="Responses wire: added to the first delta (a summary) vs the bare SDK (median paired difference)",
    unit="ms",
    target=Target("value", "<", 0.3, "ms"),
)
RESPONSES_FIRST_TOKEN = Row(
    scenario="adapter",
    metric="Responses wire: added to the first answer text vs the bare SDK (median paired difference)",
    unit="ms",
    target=Target("value", "<", 1, "ms"),
)


def history() -> Any:
    from chatls.azure.types import ChatMessage, Conversation

    messages = tuple(
        ChatMessage("user" if n % 2 == 0 else "assistant", f"message {n}: " + "some words of text " * 10)
        for n in range(HISTORY)
    )
    return Conversation("You are a helpful assistant.", messages)


def measure_shaping(context: RunContext) -> tuple[dict[str, float], float]:
    from chatls.azure.capabilities import resolve_capabilities
    from chatls.azure.types import ChatOptions
    from chatls.azure.wires.chat import shape_request

    conversation = history()
    options = ChatOptions(max_completion_tokens=1000, temperature=0.2, reasoning_effort="low")
    repeat = context.size(full=3_000, quick=200)
    per_family = {}
    for family in SHAPING_FAMILIES:
        caps = resolve_capabilities(deployment=family)
        shaped = shape_request(conversation, options, caps, API_VERSION, family)
        if len(shaped.payload["messages"]) < HISTORY:
            raise RuntimeError(f"{family}: shaping dropped messages")
        samples = time_sync(
            functools.partial(shape_request, conversation, options, caps, API_VERSION, family), repeat
        )
        per_family[family] = median(samples)

    def plain() -> dict[str, Any]:
        messages = [{"role": "system", "content": conversation.instructions}]
        messages += [{"role": m.role, "content": m.content} for m in conversation.messages]
        return {"model": DEPLOYMENT, "messages": messages, "stream": True}

    return per_family, median(time_sync(plain, repeat))


async def measure_first_token(url: str, api_key: str, rounds: int) -> tuple[list[float], list[float]]:
    from openai import AsyncAzureOpenAI

    from chatls.azure import AzureChatClient
    from chatls.azure.capabilities import resolve_capabilities
    from chatls.azure.profile import Profile
    from chatls.azure.types import ChatMessage, ChatOptions, ContentEvent, Conversation
    from chatls.azure.wires.chat import shape_request

    conversation = Conversation("Be brief.", (ChatMessage("user", "hello there"),))
    options = ChatOptions()
    profile = Profile.from_dict(
        {
            "name": "bench",
            "endpoint": url,
            "deployment": DEPLOYMENT,
            "apiVersion": API_VERSION,
            "auth": "apiKey",
        }
    )
    payload = shape_request(
        conversation, options, resolve_capabilities(deployment=DEPLOYMENT), API_VERSION, DEPLOYMENT
    )
    adapter = AzureChatClient(profile, api_key=api_key)
    sdk = AsyncAzureOpenAI(azure_endpoint=url, api_key=api_key, api_version=API_VERSION, max_retries=0)

    async def via_adapter() -> float:
        start = time.perf_counter_ns()
        first: float | None = None
        async for event in adapter.chat(conversation, options):
            if first is None and isinstance(event, ContentEvent) and event.text:
                first = (time.perf_counter_ns() - start) / 1e6
        if first is None:
            raise RuntimeError("the adapter streamed no content")
        return first

    async def via_sdk() -> float:
        start = time.perf_counter_ns()
        first: float | None = None
        stream = await sdk.chat.completions.create(**payload.payload)
        async for chunk in stream:
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = (time.perf_counter_ns() - start) / 1e6
        if first is None:
            raise RuntimeError("the SDK streamed no content")
        return first

    try:
        for _ in range(5):  # warm-up: imports, connection pools, capability resolution
            await via_adapter()
            await via_sdk()
        return await interleave(via_adapter, via_sdk, rounds)
    finally:
        await adapter.aclose()
        await sdk.close()


async def measure_responses(
    url: str, api_key: str, rounds: int
) -> dict[str, tuple[list[float], list[float]]]:
    """(adapter, bare SDK) milliseconds to the first answer text and to the first summary text."""
    from openai import AsyncOpenAI

    from chatls.azure import AzureChatClient
    from chatls.azure.capabilities import resolve_capabilities
    from chatls.azure.profile import Profile
    from chatls.azure.types import ChatMessage, ChatOptions, ContentEvent, Conversation, ReasoningEvent
    from chatls.azure.wires.responses import shape_responses

    conversation = Conversation("Be brief.", (ChatMessage("user", "hello there"),))
    options = ChatOptions(reasoning_effort="low")
    profile = Profile.from_dict(
        {"name": "bench", "endpoint": url, "deployment": RESPONSES_DEPLOYMENT, "apiVersion": "v1"}
    )
    caps = resolve_capabilities(deployment=RESPONSES_DEPLOYMENT)
    payload = shape_responses(conversation, options, caps, profile, RESPONSES_DEPLOYMENT).payload
    adapter = AzureChatClient(profile, api_key=api_key)
    sdk = AsyncOpenAI(base_url=f"{url}/openai/v1/", api_key=api_key, max_retries=0)
    timings: dict[str, list[float]] = {
        "adapter_text": [],
        "adapter_summary": [],
        "sdk_text": [],
        "sdk_summary": [],
    }

    async def via_adapter() -> float:
        start = time.perf_counter_ns()
        marks: dict[str, float] = {}
        async for event in adapter.chat(conversation, options):
            kind = (
                "summary"
                if isinstance(event, ReasoningEvent)
                else "text"
                if isinstance(event, ContentEvent)
                else ""
            )
            if kind and kind not in marks:
                marks[kind] = (time.perf_counter_ns() - start) / 1e6
        if set(marks) != {"summary", "text"}:
            raise RuntimeError(f"the adapter streamed only {sorted(marks)} on Responses")
        timings["adapter_summary"].append(marks["summary"])
        return marks["text"]

    async def via_sdk() -> float:
        start = time.perf_counter_ns()
        marks: dict[str, float] = {}
        stream = await sdk.responses.create(**payload)
        async for event in stream:
            kind = {
                "response.reasoning_summary_text.delta": "summary",
                "response.output_text.delta": "text",
            }.get(event.type, "")
            if kind and kind not in marks:
                marks[kind] = (time.perf_counter_ns() - start) / 1e6
        if set(marks) != {"summary", "text"}:
            raise RuntimeError(f"the SDK streamed only {sorted(marks)} on Responses")
        timings["sdk_summary"].append(marks["summary"])
        return marks["text"]

    try:
        for _ in range(5):  # warm-up
            await via_adapter()
            await via_sdk()
        for values in timings.values():
            values.clear()
        adapter_text, sdk_text = await interleave(via_adapter, via_sdk, rounds)
    finally:
        await adapter.aclose()
        await sdk.close()
    return {"text": (adapter_text, sdk_text), "summary": (timings["adapter_summary"], timings["sdk_summary"])}


async def run(context: RunContext) -> list[Row]:
    per_family, plain = measure_shaping(context)
    slowest = max(per_family, key=lambda family: per_family[family])
    rounds = context.size(full=300, quick=20)
    async with emulator_process(context.workdir, config_toml(), core=1) as emulator:
        adapter_ms, sdk_ms = await measure_first_token(emulator.url, emulator.api_key, rounds)
        responses = await measure_responses(emulator.url, emulator.api_key, rounds)
    differences = paired_differences(adapter_ms, sdk_ms)
    responses_rows = []
    for row, key, what in (
        (RESPONSES_FIRST_DELTA, "summary", "summary"),
        (RESPONSES_FIRST_TOKEN, "text", "answer text"),
    ):
        ours, bare = responses[key]
        responses_rows.append(
            dataclasses.replace(
                row,
                measured=median(paired_differences(ours, bare)),
                note=f"{rounds} pairs; first {what} {median(ours):.2f} ms via adapter, "
                f"{median(bare):.2f} ms via SDK (medians)",
                details={"adapter_ms": ours, "sdk_ms": bare},
            )
        )
    return [
        dataclasses.replace(
            SHAPING,
            measured=per_family[slowest],
            baseline=plain,
            note=f"slowest: {slowest}; " + ", ".join(f"{f} {v * 1000:.0f} µs" for f, v in per_family.items()),
            details={"per_family_ms": per_family},
        ),
        dataclasses.replace(
            FIRST_TOKEN,
            measured=median(differences),
            note=f"{rounds} pairs; first token {median(adapter_ms):.2f} ms via adapter, "
            f"{median(sdk_ms):.2f} ms via SDK (medians)",
            details={"adapter_ms": adapter_ms, "sdk_ms": sdk_ms},
        ),
        *responses_rows,
    ]


SCENARIO = Scenario(
    name="adapter",
    summary=f"request shaping with {HISTORY} messages; adapter overhead on the first token (both wires) "
    "and on the first reasoning summary",
    rows=(SHAPING, FIRST_TOKEN, RESPONSES_FIRST_DELTA, RESPONSES_FIRST_TOKEN),
    requires=("chatls.azure.wires.chat", "chatls.azure.client", "chatls.emulator.__main__"),
    run=run,
)
