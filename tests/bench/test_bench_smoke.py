"""The benchmark suite runs: every scenario executes in quick mode and reports its rows.

Timings are never asserted here (speed targets are judged by `python -m bench`, on a quiet machine); this
proves the harness, the fixtures and every scenario still work against the current code, and checks the pure
helpers that turn samples into verdicts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.results import Row, Target, markdown_table  # noqa: E402
from bench.scenarios import all_scenarios  # noqa: E402
from bench.stats import interleave, median, percentile  # noqa: E402


def run_in_own_group(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run in a new process group, so that a timeout also ends the servers the suite spawned."""
    with subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            pytest.fail(f"python -m bench --quick took over {timeout:.0f} s:\n{stderr[-4000:]}")
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


@pytest.mark.timeout(420)
def test_quick_run_reports_every_row_of_every_scenario(tmp_path: Path) -> None:
    markdown = tmp_path / "results.md"
    completed = run_in_own_group(
        [sys.executable, "-m", "bench", "--quick", "--json-dir", str(tmp_path), "--markdown", str(markdown)],
        timeout=400,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert report["mode"] == "quick"
    reported = {(row["scenario"], row["metric"]): row for row in report["rows"]}
    expected = [(row.scenario, row.metric) for scenario in all_scenarios() for row in scenario.rows]
    assert sorted(reported) == sorted(expected)
    not_measured = {key: row["unavailable"] for key, row in reported.items() if row["measured"] is None}
    assert not_measured == {}
    for row in report["rows"]:
        assert row["verdict"] in ("pass", "FAIL", "report")
        assert isinstance(row["measured"], (int, float))
    table = markdown.read_text(encoding="utf-8")
    for scenario in all_scenarios():
        assert f"| {scenario.name} |" in table


def test_list_names_every_scenario() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--list"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    listed = [line.split()[0] for line in completed.stdout.splitlines()]
    assert listed == [scenario.name for scenario in all_scenarios()]


def test_percentile_is_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)


async def test_interleave_alternates_the_order_of_each_pair() -> None:
    calls: list[str] = []

    async def first() -> float:
        calls.append("a")
        return 1.0

    async def second() -> float:
        calls.append("b")
        return 2.0

    a, b = await interleave(first, second, 4)
    assert (a, b) == ([1.0] * 4, [2.0] * 4)
    assert "".join(calls) == "abbaabba"


def test_verdicts_follow_the_target_on_value_or_ratio() -> None:
    faster = Row("s", "latency", "ms", Target("value", "<", 5, "ms"), measured=4.0)
    slower = Row("s", "latency", "ms", Target("value", "<", 5, "ms"), measured=5.0)
    ratio = Row("s", "startup", "ms", Target("ratio", "<=", 1.3), measured=130.0, baseline=100.0)
    missing = Row(
        "s", "startup", "ms", Target("ratio", "<=", 1.3), unavailable="chatls.cli not in the tree yet"
    )
    assert [faster.verdict, slower.verdict, ratio.verdict, missing.verdict] == [
        "pass",
        "FAIL",
        "pass",
        "not run",
    ]
    table = markdown_table([ratio, missing])
    assert "| s | startup | 130 ms | 100 ms | 1.30× | ratio ≤ 1.3× | pass |" in table
    assert "not run: chatls.cli not in the tree yet" in table
