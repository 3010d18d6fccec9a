"""What a scenario is, and how one is run so that it always yields its rows (measured or not, and why)."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench.procs import tail
from bench.results import Row


@dataclass
class RunContext:
    quick: bool
    workdir: Path
    """A fresh temporary directory for this scenario's files (state dirs, configs, logs)."""

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def log(self, message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    rows: tuple[Row, ...]
    """The rows this scenario reports, unmeasured; `run` fills them in with dataclasses.replace."""
    requires: tuple[str, ...]
    """Modules that must exist for the scenario to mean anything (code still being written elsewhere)."""
    run: Callable[[RunContext], Awaitable[list[Row]]]
    timeout_full: float = 240.0
    timeout_quick: float = 60.0


def missing_modules(modules: tuple[str, ...]) -> list[str]:
    missing = []
    for module in modules:
        try:
            if importlib.util.find_spec(module) is None:
                missing.append(module)
        except ModuleNotFoundError:
            missing.append(module)
    return missing


def print_logs(workdir: Path) -> None:
    """The end of every process log the scenario left, to explain a failure."""
    for log in sorted(workdir.glob("*.stderr")):
        print(f"--- last lines of {log.name}:\n{tail(log)}", file=sys.stderr)


def _unmeasured(scenario: Scenario, reason: str, produced: list[Row]) -> list[Row]:
    done = {row.metric for row in produced}
    return [dataclasses.replace(row, unavailable=reason) for row in scenario.rows if row.metric not in done]


async def run_scenario(scenario: Scenario, quick: bool, scratch: Path) -> tuple[list[Row], bool]:
    """The scenario's rows and whether it ran without an error. Never raises."""
    missing = missing_modules(scenario.requires)
    if missing:
        reason = f"{', '.join(missing)} not in the tree yet"
        print(f"[{scenario.name}] skipped: {reason}", file=sys.stderr, flush=True)
        return _unmeasured(scenario, reason, []), True
    print(f"[{scenario.name}] {scenario.summary}", file=sys.stderr, flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"{scenario.name}-", dir=scratch) as workdir:
        context = RunContext(quick=quick, workdir=Path(workdir))
        timeout = scenario.timeout_quick if quick else scenario.timeout_full
        try:
            rows = await asyncio.wait_for(scenario.run(context), timeout)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            print_logs(Path(workdir))
            detail = (
                f"timed out after {timeout:.0f} s" if isinstance(exc, asyncio.TimeoutError) else repr(exc)
            )
            return _unmeasured(scenario, f"error: {detail}"[:200], []), False
    print(f"[{scenario.name}] done in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return rows + _unmeasured(scenario, "scenario did not report this row", rows), True
