"""`textDocument/codeAction` latency at p99: on an idle server, and while 20 chats stream in the same server.

The emulator streams slowly (long scripted replies at a low tokens/s) so the 20 chats are all mid-stream
while the code actions are timed; each chat is checked to have produced a delta before timing starts, and is
cancelled afterwards. The idle figure is the baseline of the loaded one. Each code-action request is followed
by a no-op request (hover returning null) to bench/fixtures/minimal_pygls_server.py: its p99 over the same
period shows how much of a tail the machine itself adds (a busy shared machine deschedules any process).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from pathlib import Path
from typing import Any

from bench.chatls_server import start_server
from bench.emulator_proc import LONG_PROMPT_PREFIX, RunningEmulator, config_toml, emulator_process
from bench.lsp_client import LspClient, LspError
from bench.procs import PYTHON, REPO_ROOT
from bench.results import Row, Target
from bench.scenario import RunContext, Scenario
from bench.stats import median, percentile

STREAMING_CHATS = 20
STREAM_TOKENS_PER_SECOND = 20.0
STREAM_WORDS = 4_000
"""At 20 tokens/s a 4,000-token reply streams for minutes: far longer than the measurement."""

IDLE = Row(
    scenario="code_actions",
    metric="code actions on a selection, idle server (p99)",
    unit="ms",
    target=Target("value", "<", 5, "ms"),
    baseline_label="no-op request p99, minimal pygls server",
)
LOADED = Row(
    scenario="code_actions",
    metric=f"code actions on a selection, {STREAMING_CHATS} chats streaming (p99)",
    unit="ms",
    target=Target("value", "<", 5, "ms"),
    baseline_label="idle p99",
)

SOURCE = "\n".join(
    f"def function_{n}(value):\n    total = value * {n}\n    return total + {n}\n" for n in range(100)
)


def code_action_params(uri: str) -> dict[str, Any]:
    return {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 12, "character": 0}, "end": {"line": 18, "character": 0}},
        "context": {"diagnostics": [], "triggerKind": 2},
    }


async def sample(
    client: LspClient, uri: str, minimal: LspClient, count: int
) -> tuple[list[float], list[float]]:
    """`count` code-action requests to ChatLS, each followed by a no-op request to the minimal server."""
    chatls_ms: list[float] = []
    minimal_ms: list[float] = []
    params = code_action_params(uri)
    hover = {"textDocument": {"uri": uri}, "position": {"line": 12, "character": 4}}
    for _ in range(count):
        elapsed, actions = await client.timed_request("textDocument/codeAction", params)
        if not actions:
            raise RuntimeError("the server offered no code action for a non-empty selection")
        chatls_ms.append(elapsed)
        minimal_ms.append((await minimal.timed_request("textDocument/hover", hover))[0])
        await asyncio.sleep(0.002)  # an editor asks on cursor moves, not in a tight loop
    return chatls_ms, minimal_ms


async def start_streams(client: LspClient, root: Path, deltas: dict[str, int]) -> list[asyncio.Future[Any]]:
    chats = [
        client.send_request(
            "chatls/chat", {"prompt": f"{LONG_PROMPT_PREFIX} {n}", "workspaceUri": root.as_uri()}
        )
        for n in range(STREAMING_CHATS)
    ]
    for _ in range(300):  # up to 30 s for every chat to be streaming
        if len(deltas) >= STREAMING_CHATS:
            return chats
        failed = [c for c in chats if c.done()]
        if failed:
            raise RuntimeError(f"a chat ended before the measurement: {failed[0].exception() or 'finished'}")
        await asyncio.sleep(0.1)
    raise RuntimeError(f"only {len(deltas)} of {STREAMING_CHATS} chats started streaming")


async def stop_streams(client: LspClient, chats: list[asyncio.Future[Any]]) -> None:
    for chat in chats:
        client.cancel(chat)
    for chat in chats:
        with contextlib.suppress(LspError):  # -32800 RequestCancelled is the expected answer
            await asyncio.wait_for(chat, 15)


async def run(context: RunContext) -> list[Row]:
    root = context.workdir / "project"
    root.mkdir()
    document = root / "module.py"
    document.write_text(SOURCE, encoding="utf-8")
    config = config_toml(long_reply_words=STREAM_WORDS, tokens_per_second=STREAM_TOKENS_PER_SECOND)
    minimal = await LspClient.spawn([PYTHON, str(REPO_ROOT / "bench/fixtures/minimal_pygls_server.py")])
    try:
        await minimal.initialize(root)
        async with emulator_process(context.workdir, config, core=1) as emulator:
            idle, idle_noop, loaded, loaded_noop, during = await measure(
                context, emulator, root, document, minimal
            )
    finally:
        await minimal.close()
    return [
        dataclasses.replace(
            IDLE,
            measured=percentile(idle, 99),
            baseline=percentile(idle_noop, 99),
            note=f"{len(idle)} requests, median {median(idle):.2f} ms",
            details={"samples_ms": idle, "noop_ms": idle_noop},
        ),
        dataclasses.replace(
            LOADED,
            measured=percentile(loaded, 99),
            baseline=percentile(idle, 99),
            note=f"{len(loaded)} requests, median {median(loaded):.2f} ms; {during} deltas arrived "
            f"meanwhile; no-op p99 on the minimal pygls server {percentile(loaded_noop, 99):.2f} ms",
            details={"samples_ms": loaded, "noop_ms": loaded_noop, "deltas_during": during},
        ),
    ]


async def measure(
    context: RunContext, emulator: RunningEmulator, root: Path, document: Path, minimal: LspClient
) -> tuple[list[float], list[float], list[float], list[float], int]:
    count = context.size(full=1_000, quick=100)
    client = await start_server(
        context.workdir,
        emulator_url=emulator.url,
        api_key=emulator.api_key,
        state_dir=context.workdir / "state",
        root=root,
    )
    try:
        deltas: dict[str, int] = {}
        client.on_notification("chatls/delta", lambda p: count_delta(deltas, p))
        uri = document.as_uri()
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": SOURCE}},
        )
        # Settled first: at `initialized` the server loads the SDK and token counter (about a second);
        # `chatls/models` answers once that is done.
        await client.request("chatls/models", {})
        await sample(client, uri, minimal, 20)  # warm-up
        idle, idle_noop = await sample(client, uri, minimal, count)
        chats = await start_streams(client, root, deltas)
        before = sum(deltas.values())
        loaded, loaded_noop = await sample(client, uri, minimal, count)
        during = sum(deltas.values()) - before
        await stop_streams(client, chats)
    finally:
        await client.close()
    if during == 0:
        raise RuntimeError("no delta arrived while code actions were timed: the chats were not streaming")
    return idle, idle_noop, loaded, loaded_noop, during


def count_delta(deltas: dict[str, int], params: Any) -> None:
    key = str(params.get("messageId") or params.get("conversationId"))
    deltas[key] = deltas.get(key, 0) + 1


SCENARIO = Scenario(
    name="code_actions",
    summary="code-action listing p99, idle and with 20 chats streaming",
    rows=(IDLE, LOADED),
    requires=("chatls.cli", "chatls.server", "chatls.features.code_actions", "chatls.emulator.__main__"),
    run=run,
)
