"""`chatls/conversations` in a workspace holding 1,000 conversations, through the real server over stdio.

The store is seeded with `chatls.store` before the server starts. The baseline is the same request for a
workspace with no conversations on the same server, i.e. the fixed cost of an LSP round trip.
"""

from __future__ import annotations

import dataclasses

from bench.chatls_server import start_server
from bench.results import Row, Target
from bench.scenario import RunContext, Scenario
from bench.seeding import seed_conversations
from bench.stats import interleave, median, percentile

CONVERSATIONS = 1_000
UNREACHABLE_ENDPOINT = "http://127.0.0.1:9"
"""Listing conversations never calls the model."""

LISTING = Row(
    scenario="server_conversations",
    metric=f"`chatls/conversations` with {CONVERSATIONS:,} conversations (median)",
    unit="ms",
    target=Target("value", "<", 20, "ms"),
    baseline_label="empty workspace",
)
LISTING_P95 = Row(
    scenario="server_conversations",
    metric=f"`chatls/conversations` with {CONVERSATIONS:,} conversations (p95)",
    unit="ms",
    target=None,
    baseline_label="empty workspace",
)


async def run(context: RunContext) -> list[Row]:
    root = context.workdir / "project"
    empty_root = context.workdir / "elsewhere"
    root.mkdir()
    empty_root.mkdir()
    state = context.workdir / "state"
    seed_conversations(state, root.as_uri(), CONVERSATIONS)
    client = await start_server(
        context.workdir, emulator_url=UNREACHABLE_ENDPOINT, api_key="unused", state_dir=state, root=root
    )
    try:

        async def full() -> float:
            elapsed, result = await client.timed_request(
                "chatls/conversations", {"workspaceUri": root.as_uri()}
            )
            if len(result) != CONVERSATIONS:
                raise RuntimeError(f"expected {CONVERSATIONS} conversations, got {len(result)}")
            return elapsed

        async def empty() -> float:
            elapsed, _ = await client.timed_request(
                "chatls/conversations", {"workspaceUri": empty_root.as_uri()}
            )
            return elapsed

        for _ in range(5):  # warm-up: first queries load pages into SQLite's cache
            await full()
            await empty()
        rounds = context.size(full=300, quick=20)
        seeded, baseline = await interleave(full, empty, rounds)
    finally:
        await client.close()
    note = f"{rounds} requests each, interleaved"
    return [
        dataclasses.replace(
            LISTING,
            measured=median(seeded),
            baseline=median(baseline),
            note=note,
            details={"seeded_ms": seeded, "empty_ms": baseline},
        ),
        dataclasses.replace(LISTING_P95, measured=percentile(seeded, 95), baseline=percentile(baseline, 95)),
    ]


SCENARIO = Scenario(
    name="server_conversations",
    summary=f"`chatls/conversations` latency with {CONVERSATIONS:,} conversations",
    rows=(LISTING, LISTING_P95),
    requires=("chatls.cli", "chatls.server", "chatls.store"),
    run=run,
)
