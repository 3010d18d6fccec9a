"""Server memory: RSS after start (against a minimal pygls server) and its growth over 100 chats.

RSS is read from /proc/PID/status (VmRSS). Chats go through the real server to the emulator (zero pacing),
in 10 conversations so histories grow as they do in use. The first WARMUP chats are not counted: they load
the SDK, the HTTP client, tiktoken or its fallback and SQLite's page cache, which are paid once. The bound on
growth over the counted chats is explained in docs/benchmarks.md.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from bench.chatls_server import chat, start_server, token_counter
from bench.emulator_proc import config_toml, emulator_process
from bench.lsp_client import LspClient
from bench.procs import PYTHON, REPO_ROOT, rss_kib
from bench.results import Row, Target
from bench.scenario import RunContext, Scenario

WARMUP = 10
CONVERSATIONS = 10
GROWTH_BOUND_MB = 10.0
"""100 KB per counted chat: ~20× the text one turn stores, far below one leaked SDK client or reply buffer."""

STARTUP_RSS = Row(
    scenario="memory",
    metric="server RSS after `initialize`",
    unit="MB",
    target=None,
    baseline_label="minimal pygls server",
)
WARM_RSS = Row(
    scenario="memory",
    metric=f"server RSS after {WARMUP} warm-up chats",
    unit="MB",
    target=None,
    baseline_label="after `initialize`",
)
GROWTH = Row(
    scenario="memory",
    metric="RSS growth over chats after warm-up",
    unit="MB",
    target=Target("value", "<", GROWTH_BOUND_MB, "MB"),
)


def rss_mb(client: LspClient) -> float:
    kib = rss_kib(client.proc.pid)
    if kib is None:
        raise RuntimeError("RSS needs /proc (Linux)")
    return kib / 1024


async def minimal_server_rss(root: Path) -> float:
    client = await LspClient.spawn([PYTHON, str(REPO_ROOT / "bench/fixtures/minimal_pygls_server.py")])
    try:
        await client.initialize(root)
        return rss_mb(client)
    finally:
        await client.close()


async def run(context: RunContext) -> list[Row]:
    if not sys.platform.startswith("linux"):
        raise RuntimeError("RSS is read from /proc; run on Linux")
    root = context.workdir / "project"
    root.mkdir()
    counted = context.size(full=100, quick=10)
    async with emulator_process(context.workdir, config_toml(), core=1) as emulator:
        client = await start_server(
            context.workdir,
            emulator_url=emulator.url,
            api_key=emulator.api_key,
            state_dir=context.workdir / "state",
            root=root,
        )
        try:
            at_start = rss_mb(client)
            conversations: list[str | None] = [None] * CONVERSATIONS
            for n in range(WARMUP + counted):
                if n == WARMUP:
                    after_warmup = rss_mb(client)
                slot = n % CONVERSATIONS
                result = await chat(
                    client, f"question {n}: {'lorem ipsum ' * 20}", workspace_uri=root.as_uri(),
                    conversation_id=conversations[slot],
                )  # fmt: skip
                conversations[slot] = str(result["conversationId"])
            at_end = rss_mb(client)
        finally:
            await client.close()
    baseline = await minimal_server_rss(root)
    return [
        dataclasses.replace(STARTUP_RSS, measured=at_start, baseline=baseline),
        dataclasses.replace(
            WARM_RSS,
            measured=after_warmup,
            baseline=at_start,
            note=f"the first chat loads the SDK, HTTP client and token counter ({token_counter()[1]})",
        ),
        dataclasses.replace(
            GROWTH,
            measured=at_end - after_warmup,
            note=f"{counted} chats after {WARMUP} warm-up chats; {after_warmup:.1f} → {at_end:.1f} MB",
            details={"start_mb": at_start, "after_warmup_mb": after_warmup, "end_mb": at_end},
        ),
    ]


SCENARIO = Scenario(
    name="memory",
    summary="server RSS after start and growth over 100 chats",
    rows=(STARTUP_RSS, WARM_RSS, GROWTH),
    requires=("chatls.cli", "chatls.server", "chatls.emulator.__main__"),
    run=run,
)
