"""Start-to-`initialize`-response of `chatls serve` against a minimal pygls server, spawned alternately.

Each sample is the wall time from spawning the process to reading its `initialize` response, so it includes
interpreter start, imports and whatever the server does before answering. ChatLS runs with the settings
a real editor would send (a profile and a state directory); the baseline is
bench/fixtures/minimal_pygls_server.py.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from bench.chatls_server import init_options, server_argv, server_env
from bench.lsp_client import LspClient
from bench.procs import PYTHON, REPO_ROOT
from bench.results import Row, Target
from bench.scenario import RunContext, Scenario
from bench.stats import interleave, median, paired_ratios

UNREACHABLE_ENDPOINT = "http://127.0.0.1:9"
"""Nothing is asked of the model during startup; a profile must only be present."""

STARTUP = Row(
    scenario="server_startup",
    metric="spawn to `initialize` response (median)",
    unit="ms",
    target=Target("ratio", "<=", 1.3),
    baseline_label="minimal pygls server",
)


async def time_start(argv: list[str], env: dict[str, str], root: Path, options: object, log: Path) -> float:
    start = time.perf_counter_ns()
    client = await LspClient.spawn(argv, env=env, stderr_path=log)
    try:
        await client.initialize(root, initialization_options=options, timeout=30)
        elapsed = (time.perf_counter_ns() - start) / 1e6
    finally:
        await client.kill()  # the clean shutdown is not what is measured, and would double the run time
    return elapsed


async def run(context: RunContext) -> list[Row]:
    root = context.workdir / "project"
    root.mkdir()
    env = server_env(context.workdir, "unused-key")
    options = init_options(UNREACHABLE_ENDPOINT, context.workdir / "state")
    chatls_argv = server_argv()
    minimal_argv = [PYTHON, str(REPO_ROOT / "bench/fixtures/minimal_pygls_server.py")]

    async def chatls() -> float:
        return await time_start(chatls_argv, env, root, options, context.workdir / "chatls.stderr")

    async def minimal() -> float:
        return await time_start(minimal_argv, env, root, None, context.workdir / "minimal.stderr")

    if not context.quick:
        await chatls()  # warm the OS file cache and bytecode for both before sampling
        await minimal()
    rounds = context.size(full=15, quick=2)
    chatls_ms, minimal_ms = await interleave(chatls, minimal, rounds)
    return [
        dataclasses.replace(
            STARTUP,
            measured=median(chatls_ms),
            baseline=median(minimal_ms),
            note=f"{rounds} spawns of each, interleaved",
            details={
                "chatls_ms": chatls_ms,
                "minimal_ms": minimal_ms,
                "median_paired_ratio": median(paired_ratios(chatls_ms, minimal_ms)),
            },
        )
    ]


SCENARIO = Scenario(
    name="server_startup",
    summary="`chatls serve` start-to-initialize vs a minimal pygls server",
    rows=(STARTUP,),
    requires=("chatls.cli", "chatls.server"),
    run=run,
)
