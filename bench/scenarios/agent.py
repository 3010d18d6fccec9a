"""Agent mode's own costs: searching a large tree through the tool, and the loop's overhead per tool step.

Search: a generated tree of 50,000 files (quick: 5,000); `search` through `ReadTools` (ripgrep underneath,
JSON output parsed, results capped) against running `rg` directly with plain output on the same query, in
ABBA order. The figures are the medians; the note gives the
median of the paired ratios.

Per step: `run_agent` over a scripted model that asks for one cheap tool per round (`list_files` on a
one-file folder); each step is timed from one model call to the next, and the model's and the tool's own
time in that step are timed there and subtracted, so what is left is the loop's own bookkeeping per step
(messages, events, dispatch, JSON); the figure is the median over the steps.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import time
from pathlib import Path
from typing import Any

from bench.results import Row, Target
from bench.scenario import RunContext, Scenario
from bench.stats import interleave, median, paired_ratios

SEARCH = Row(
    scenario="agent",
    metric="search a 50,000-file tree through the agent tool vs rg directly (medians)",
    unit="ms",
    target=Target("ratio", "<=", 1.3),
    baseline_label="rg on the command line",
)
STEP = Row(
    scenario="agent",
    metric="the server's own overhead per agent tool step (median)",
    unit="ms",
    target=Target("value", "<", 5, "ms"),
)


def make_tree(root: Path, files: int) -> None:
    for n in range(files):
        folder = root / f"pkg{n // 500}" / f"mod{(n // 50) % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "".join(f"def function_{n}_{i}(value):\n    return value + {i}\n" for i in range(8))
        if n % 997 == 0:
            body += "NEEDLE_MARKER = True\n"
        (folder / f"file{n}.py").write_text(body, encoding="utf-8")


async def measure_search(root: Path, rounds: int) -> tuple[list[float], list[float]]:
    from chatls.agent.files import ReadTools
    from chatls.agent.paths import Workspace
    from chatls.agent.rg import rg_binary

    tools = ReadTools(Workspace.of([root]))
    binary = rg_binary()

    async def via_tool() -> float:
        start = time.perf_counter_ns()
        found = await tools.search("NEEDLE_MARKER")
        if "matches" not in found:
            raise RuntimeError(found)
        return (time.perf_counter_ns() - start) / 1e6

    async def direct() -> float:
        start = time.perf_counter_ns()
        process = await asyncio.create_subprocess_exec(
            binary, "--fixed-strings", "-e", "NEEDLE_MARKER", ".", cwd=str(root),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        out, _ = await process.communicate()
        if b"NEEDLE_MARKER" not in out:
            raise RuntimeError("rg found nothing")
        return (time.perf_counter_ns() - start) / 1e6

    await via_tool()
    await direct()
    return await interleave(via_tool, direct, rounds)


async def measure_step(root: Path, steps: int) -> tuple[float, float, float]:
    """(median loop overhead ms per step, median step ms in all, median tool ms per step).

    Each step is timed from one model call to the next; the tool's own time (inside `AgentTools.call`) and
    the model's (inside its `chat`) are timed in the same step and subtracted, so what is left is the loop's
    own work for that step.
    """
    from chatls import edits
    from chatls.agent.commands import CommandRunner
    from chatls.agent.files import ReadTools
    from chatls.agent.loop import run_agent
    from chatls.agent.paths import Workspace
    from chatls.agent.tools import AgentTools
    from chatls.azure.types import ChatMessage, ChatOptions, ChatResult, Conversation, ToolCall, Usage

    (root / "one").mkdir()
    (root / "one" / "a.py").write_text("x = 1\n", encoding="utf-8")
    workspace = Workspace.of([root / "one"])

    async def never(_: Any) -> bool:
        return False

    async def none(_: Any) -> str:
        return ""

    read = ReadTools(workspace)
    tools = AgentTools(read, CommandRunner(workspace, never), lambda _p: None, lambda _e, _l: never(None),
                       none, never, edits.EditSupport())  # fmt: skip
    arguments = json.dumps({"path": "."})
    model_starts: list[int] = []
    model_ns: list[int] = []
    tool_ns: list[int] = []

    class TimedTools:
        """The real tools, each call's own time recorded."""

        @property
        def specs(self) -> Any:
            return tools.specs

        async def call(self, call: ToolCall) -> Any:
            t0 = time.perf_counter_ns()
            outcome = await tools.call(call)
            tool_ns.append(time.perf_counter_ns() - t0)
            return outcome

    class Model:
        async def chat(self, conversation: Conversation, options: ChatOptions) -> Any:
            t0 = time.perf_counter_ns()
            model_starts.append(t0)
            calls = len(model_starts)
            if calls > steps:
                result = ChatResult("done", "m", "complete", Usage())
            else:
                call = ToolCall(f"c{calls}", "list_files", arguments)
                result = ChatResult("", "m", "tool_calls", Usage(), tool_calls=(call,))
            model_ns.append(time.perf_counter_ns() - t0)
            yield result

    question = Conversation(None, (ChatMessage("user", "go"),))
    await run_agent(Model(), question, ChatOptions(), TimedTools(), lambda e: None, max_steps=steps + 1)  # type: ignore[arg-type]
    step_ns = [after - before for before, after in itertools.pairwise(model_starts)]
    overhead_ms = [
        (step - model - tool) / 1e6 for step, model, tool in zip(step_ns, model_ns, tool_ns, strict=False)
    ]
    return median(overhead_ms), median([s / 1e6 for s in step_ns]), median([t / 1e6 for t in tool_ns])


async def run(context: RunContext) -> list[Row]:
    files = context.size(full=50_000, quick=5_000)
    root = context.workdir / "tree"
    context.log(f"generating {files:,} files")
    await asyncio.to_thread(make_tree, root, files)
    tool_ms, rg_ms = await measure_search(root, context.size(full=30, quick=6))
    ratios = paired_ratios(tool_ms, rg_ms)
    steps = context.size(full=200, quick=30)
    overhead_ms, step_ms, tool_step_ms = await measure_step(context.workdir, steps)
    return [
        dataclasses.replace(
            SEARCH,
            measured=median(tool_ms),
            baseline=median(rg_ms),
            note=f"{files:,} files, {len(ratios)} ABBA pairs; median paired ratio {median(ratios):.2f}×",
            details={"tool_ms": tool_ms, "rg_ms": rg_ms},
        ),
        dataclasses.replace(
            STEP,
            measured=overhead_ms,
            note=f"{steps} steps, medians: {step_ms:.2f} ms per step in all, of which the tool (list_files) "
            f"{tool_step_ms:.2f} ms",
        ),
    ]


SCENARIO = Scenario(
    name="agent",
    summary="agent tools: search through the tool vs rg; loop overhead per step",
    rows=(SEARCH, STEP),
    requires=("chatls.agent.loop", "chatls.agent.files"),
    run=run,
)
