"""The chat webview in headless Chromium: main-thread cost of a long reply, and Stop while one streams.

The page is the production webview (HTML, CSP, bundled script) loaded by the webview test harness
(vscode-client/test/webview/harness.mjs); bench/fixtures/webview_stream.mjs drives it and reports figures:

- main-thread CPU time (Chromium's Performance.ThreadTime; its TaskDuration, which also counts time
  spent waiting for a core on a busy machine, goes in the note) to stream a 1 MB reply in 200 deltas,
  one delta per animation frame (the panel commits new text at most every 50 ms), until all of it is
  on screen; baseline: the same deltas reaching a panel with no running turn (message delivery alone);
- the same for 400 KB of pathological Markdown (backtick runs, 200-deep quotes, unclosed emphasis);
- click-to-Stop handling while a 2 MB reply streams: from the click's input timestamp to the end of
  the page's click handling, so time spent queued behind a render counts (worst of the clicks);
  baseline: the same clicks on an idle panel.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import statistics
from pathlib import Path

from bench.procs import REPO_ROOT
from bench.results import Row, Target
from bench.scenario import RunContext, Scenario

CLIENT = REPO_ROOT / "vscode-client"
DRIVER = REPO_ROOT / "bench" / "fixtures" / "webview_stream.mjs"
DELTAS = 200
MAIN_THREAD_BOUND_S = 2.0
STOP_BOUND_MS = 100.0

MAIN_THREAD = Row(
    scenario="webview",
    metric=f"main-thread time to stream a 1 MB reply in {DELTAS} deltas (one per frame) into the panel",
    unit="s",
    target=Target("value", "<", MAIN_THREAD_BOUND_S, "s"),
    baseline_label="same deltas, no running turn (delivery only)",
)
PATHOLOGICAL = Row(
    scenario="webview",
    metric=f"main-thread time to stream 400 KB of pathological Markdown in {DELTAS} deltas",
    unit="s",
    target=None,
    baseline_label="1 MB realistic reply",
)
STOP = Row(
    scenario="webview",
    metric="click-to-Stop handling while a 2 MB reply streams (worst click)",
    unit="ms",
    target=Target("value", "<", STOP_BOUND_MS, "ms"),
    baseline_label="same clicks, idle panel (worst)",
)


async def _run(args: list[str], cwd: Path, timeout: float) -> str:
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed: {err.decode(errors='replace')[-1500:]}")
    return out.decode()


async def build_webview() -> None:
    """The bundle and the compiled HTML shell the harness loads (a subset of scripts/build.sh)."""
    if shutil.which("node") is None:
        raise RuntimeError("node is not installed")
    if not (CLIENT / "node_modules").is_dir():
        raise RuntimeError("vscode-client/node_modules is missing: run npm ci in vscode-client")
    await _run(["npx", "tsc", "-p", "tsconfig.test.json"], CLIENT, 300)
    await _run(["node", "scripts/bundle.mjs", "--production"], CLIENT, 120)


async def run(context: RunContext) -> list[Row]:
    await build_webview()
    clicks = context.size(full=10, quick=4)
    context.log(f"streaming in headless chromium ({clicks} Stop clicks)")
    raw = await _run(["node", str(DRIVER), f"--deltas={DELTAS}", f"--clicks={clicks}"], CLIENT, 600)
    figures = json.loads(raw)
    main = figures["mainThread"]
    delivery = figures["delivery"]
    odd = figures["pathological"]
    streaming = figures["stopStreaming"]["latencies"]
    idle = figures["stopIdle"]["latencies"]
    if main["shown"] != figures["sections"]:
        raise RuntimeError(f"{main['shown']} of {figures['sections']} section headings reached the screen")
    if figures["stopStreaming"]["stops"] != clicks:
        raise RuntimeError(f"{figures['stopStreaming']['stops']} stop messages posted for {clicks} clicks")
    return [
        dataclasses.replace(
            MAIN_THREAD,
            measured=main["seconds"],
            baseline=delivery["seconds"],
            note=(
                f"{figures['bytes']:,} characters, all {main['shown']:,} sections on screen at the end; "
                f"task wall time {main['taskSeconds']:.2f} s"
            ),
            details={"figures": figures},
        ),
        dataclasses.replace(
            PATHOLOGICAL,
            measured=odd["seconds"],
            baseline=main["seconds"],
            note=f"{figures['pathologicalBytes']:,} characters",
        ),
        dataclasses.replace(
            STOP,
            measured=max(streaming),
            baseline=max(idle),
            note=(
                f"{clicks} clicks spread over the stream; median {statistics.median(streaming):.1f} ms "
                f"(idle median {statistics.median(idle):.1f} ms)"
            ),
            details={"streaming_ms": streaming, "idle_ms": idle},
        ),
    ]


SCENARIO = Scenario(
    name="webview",
    summary="chat webview in headless chromium: streaming cost and Stop latency",
    rows=(MAIN_THREAD, PATHOLOGICAL, STOP),
    requires=(),
    run=run,
    timeout_full=900.0,
    timeout_quick=600.0,
)
