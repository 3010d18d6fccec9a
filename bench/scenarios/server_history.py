"""A chat turn's cost with 10 versus 10,000 earlier messages in the conversation.

Both conversations are seeded with `chatls.store` before the server starts, with messages of the same size,
and the profile's `contextWindow` is small enough that both fill it: each turn therefore sends the same
number of equally long messages upstream, and any difference is what the 9,990 older messages cost the server
(reading, counting, fitting). Round trips of `chatls/chat` through the real server to the emulator (zero
pacing) alternate between the two conversations; the figure is the ratio of the medians.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from bench.chatls_server import chat, start_server, token_counter
from bench.emulator_proc import config_toml, emulator_process, request_log
from bench.results import Row, Target
from bench.scenario import RunContext, Scenario
from bench.seeding import seed_history
from bench.stats import interleave, median, paired_ratios

SHORT = 10
LONG = 10_000
LONG_QUICK = 1_000
"""--quick only proves the scenario runs; seeding 10,000 messages one commit at a time takes seconds."""
MESSAGE_WORDS = 300
"""About 1,000 tokens a message: 10 of them already overflow the 8,000-token window below."""
CONTEXT_WINDOW = 8_000
SHORT_TAG = "[short-history] "
LONG_TAG = "[long-history] "

ROUND_TRIP = Row(
    scenario="server_history",
    metric="`chatls/chat` round trip, long history (median)",
    unit="ms",
    target=Target("ratio", "<=", 1.2),
    baseline_label=f"{SHORT} earlier messages",
)


async def run(context: RunContext) -> list[Row]:
    root = context.workdir / "project"
    root.mkdir()
    state = context.workdir / "state"
    started = time.monotonic()
    short_id = seed_history(state, root.as_uri(), SHORT, MESSAGE_WORDS, tag=SHORT_TAG)
    long = context.size(full=LONG, quick=LONG_QUICK)
    long_id = seed_history(state, root.as_uri(), long, MESSAGE_WORDS, tag=LONG_TAG)
    context.log(f"seeded {SHORT + long:,} messages in {time.monotonic() - started:.1f} s")
    rounds = context.size(full=40, quick=4)
    async with emulator_process(context.workdir, config_toml(), core=1) as emulator:
        client = await start_server(
            context.workdir,
            emulator_url=emulator.url,
            api_key=emulator.api_key,
            state_dir=state,
            root=root,
            contextWindow=CONTEXT_WINDOW,
            maxCompletionTokens=1_000,
        )
        try:

            async def turn(conversation_id: str) -> float:
                start = time.perf_counter_ns()
                await chat(
                    client, "one more question", workspace_uri=root.as_uri(), conversation_id=conversation_id
                )
                return (time.perf_counter_ns() - start) / 1e6

            async def long_turn() -> float:
                return await turn(long_id)

            async def short_turn() -> float:
                return await turn(short_id)

            for _ in range(3):  # warm-up: SDK, connection pool, token counter
                await short_turn()
                await long_turn()
            long_ms, short_ms = await interleave(long_turn, short_turn, rounds)
        finally:
            await client.close()
        sent = messages_sent(await request_log(emulator))
    return [
        dataclasses.replace(
            ROUND_TRIP,
            measured=median(long_ms),
            baseline=median(short_ms),
            note=f"{long:,} earlier messages; {rounds} turns each, interleaved; "
            f"{MESSAGE_WORDS}-word messages; "
            f"{CONTEXT_WINDOW:,}-token window; token counter {token_counter()[1]}; "
            f"messages sent per turn: {describe(sent, long)}",
            details={
                "long_ms": long_ms,
                "short_ms": short_ms,
                "median_paired_ratio": median(paired_ratios(long_ms, short_ms)),
                "messages_sent": sent,
            },
        )
    ]


def messages_sent(log: list[dict[str, Any]]) -> dict[str, list[int]]:
    """How many messages each turn sent upstream, per conversation (told apart by the seeded tags)."""
    sent: dict[str, list[int]] = {SHORT_TAG: [], LONG_TAG: []}
    for record in log:
        messages = (record.get("body") or {}).get("messages") or []
        text = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        for tag, counts in sent.items():
            if tag in text:
                counts.append(len(messages))
    if not sent[SHORT_TAG] or not sent[LONG_TAG]:
        raise RuntimeError("the emulator's log holds no turn of one of the conversations")
    return sent


def describe(sent: dict[str, list[int]], long: int) -> str:
    def span(counts: list[int]) -> str:
        low, high = min(counts), max(counts)
        return str(low) if low == high else f"{low}–{high}"

    return f"{span(sent[SHORT_TAG])} ({SHORT} earlier), {span(sent[LONG_TAG])} ({long:,} earlier)"


SCENARIO = Scenario(
    name="server_history",
    summary=f"chat turn cost with {LONG:,} vs {SHORT} earlier messages",
    rows=(ROUND_TRIP,),
    requires=("chatls.cli", "chatls.server", "chatls.store", "chatls.emulator.__main__"),
    run=run,
)
