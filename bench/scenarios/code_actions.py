"""`textDocument/codeAction` latency at p99: on an idle server, and while 20 chats stream in the same server.

The emulator streams slowly (long scripted replies at a low tokens/s) so the 20 chats are all mid-stream
while the code actions are timed; each chat is checked to have produced a delta before timing starts, and is
cancelled afterwards. The idle figure is the baseline of the loaded one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from pathlib import Path
from typing import Any

from bench.chatls_server import start_server
from bench.emulator_proc import LONG_PROMPT_PREFIX, config_toml, emulator_process
from bench.lsp_client import LspClient, LspError
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


async def sample(client: LspClient, uri: str, count: int) -> list[float]:
    samples = []
    params = code_action_params(uri)
    for _ in range(count):
        elapsed, actions = await client.timed_request("textDocument/codeAction", params)
        if not actions:
            raise RuntimeError("the server offered no code action for a non-empty selection")
        samples.append(elapsed)
        await asyncio.sleep(0.002)  # an editor asks on cursor moves, not in a tight loop
    return samples


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
    count = context.size(full=1_000, quick=100)
    config = config_toml(long_reply_words=STREAM_WORDS, tokens_per_second=STREAM_TOKENS_PER_SECOND)
    async with emulator_process(context.workdir, config, core=1) as emulator:
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
            await sample(client, uri, 20)  # warm-up
            idle = await sample(client, uri, count)
            chats = await start_streams(client, root, deltas)
            before = sum(deltas.values())
            loaded = await sample(client, uri, count)
            during = sum(deltas.values()) - before
            await stop_streams(client, chats)
        finally:
            await client.close()
    if during == 0:
        raise RuntimeError("no delta arrived while code actions were timed: the chats were not streaming")
    return [
        dataclasses.replace(
            IDLE,
            measured=percentile(idle, 99),
            note=f"{count} requests, median {median(idle):.2f} ms",
            details={"samples_ms": idle},
        ),
        dataclasses.replace(
            LOADED,
            measured=percentile(loaded, 99),
            baseline=percentile(idle, 99),
            note=f"{count} requests, median {median(loaded):.2f} ms; {during} deltas arrived meanwhile",
            details={"samples_ms": loaded, "deltas_during": during},
        ),
    ]


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
