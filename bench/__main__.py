"""`python -m bench [--quick] [--only NAME ...]`: run the benchmark scenarios and write their results.

A full, unfiltered run regenerates bench/results.md and the table in docs/benchmarks.md; every run writes
JSON to bench/results/ (gitignored) and prints the table. Exit status: 0 when every scenario ran (verdicts
are reported, not enforced, unless --strict), 2 when a scenario raised.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from bench.results import (
    Row,
    load_average,
    markdown_table,
    now,
    update_doc,
    write_json,
    write_markdown,
)
from bench.scenario import run_scenario
from bench.scenarios import MODULES, all_scenarios

BENCH_DIR = Path(__file__).resolve().parent
DOC = BENCH_DIR.parent / "docs" / "benchmarks.md"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="few samples: proves every scenario runs (~1 min)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=MODULES,
        metavar="NAME",
        help=f"run only NAME ({', '.join(MODULES)})",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--markdown", type=Path, help="write the table here (default: bench/results.md, full runs)"
    )
    parser.add_argument("--json-dir", type=Path, default=BENCH_DIR / "results", help="where JSON results go")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> tuple[list[Row], bool]:
    chosen = [s for s in all_scenarios() if not args.only or s.name in args.only]
    rows: list[Row] = []
    all_ran = True
    with tempfile.TemporaryDirectory(prefix="chatls-bench-") as scratch:
        for scenario in chosen:
            scenario_rows, ran = await run_scenario(scenario, args.quick, Path(scratch))
            rows.extend(scenario_rows)
            all_ran = all_ran and ran
    return rows, all_ran


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for scenario in all_scenarios():
            print(f"{scenario.name:22} {scenario.summary}")
        return 0
    started = now()
    load_at_start = load_average()
    mode = "quick" if args.quick else "full"
    rows, all_ran = asyncio.run(run(args))
    table = markdown_table(rows)
    print(table)
    json_path = write_json(args.json_dir, rows, mode, started, load_at_start)
    print(f"JSON: {json_path}", file=sys.stderr)
    complete_run = not args.quick and not args.only
    markdown = args.markdown or (BENCH_DIR / "results.md" if complete_run else None)
    if markdown is not None:
        write_markdown(markdown, rows, mode, started, load_at_start)
        print(f"Markdown: {markdown}", file=sys.stderr)
    if complete_run and args.markdown is None and update_doc(DOC, rows, mode, started, load_at_start):
        print(f"Table copied into {DOC}", file=sys.stderr)
    if not all_ran:
        return 2
    if args.strict and any(row.verdict == "FAIL" for row in rows):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
