"""The `context` scenario's fixtures: what it attaches is what its row says, and Azure would take it.

Timings are judged by `python -m bench --only context`; the quick run in test_bench_smoke.py proves the
scenario runs end to end.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.scenarios import MODULES, context  # noqa: E402

from chatls.emulator.rules import MAX_STRING_LENGTH  # noqa: E402


def test_the_file_is_one_megabyte_of_text(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    context.big_file(path, context.FILE_BYTES)
    assert path.stat().st_size == context.FILE_BYTES
    assert path.read_text(encoding="utf-8").count("\n") > 10_000  # code-like lines, not one long string


def test_the_diff_has_five_thousand_lines_and_each_attachment_fits_azures_string_limit(
    tmp_path: Path,
) -> None:
    lines = context.repository_with_diff(tmp_path, context.DIFF_LINES)
    assert context.DIFF_LINES <= lines <= context.DIFF_LINES + 10  # plus the headers and hunk line
    diff_bytes = sum(len(line) + 2 for line in (tmp_path / "module.py").read_text().splitlines()) * 2
    # Each attachment is a content part of its own, labelled: each must stay under 1 MiB characters. (The
    # diff is still small enough for both to fit in one string, as when they were joined: the same load.)
    assert context.FILE_BYTES + 1_000 < MAX_STRING_LENGTH and diff_bytes + 1_000 < MAX_STRING_LENGTH
    assert context.FILE_BYTES + diff_bytes + 1_000 < MAX_STRING_LENGTH


def test_the_scenario_is_listed_and_reports_the_issue_target() -> None:
    assert "context" in MODULES
    judged = [row for row in context.SCENARIO.rows if row.target is not None]
    assert [(row.target.on, row.target.op, row.target.bound) for row in judged if row.target] == [
        ("value", "<", 20)
    ]
