"""The linters are part of the suite (ruff on everything Python, mypy --strict on the package), and tests wait
on events, not clocks."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "server", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_the_package() -> None:
    result = run("mypy", "--no-error-summary")
    assert result.returncode == 0, result.stdout + result.stderr


def fixed_sleeps(path: Path) -> list[int]:
    """Lines calling `sleep(<number>)` (time or asyncio) without a comment saying why it is not a barrier."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "sleep"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and "#" not in lines[node.lineno - 1]
    ]


def test_tests_wait_on_events_not_on_fixed_sleeps() -> None:
    """Tests wait with tests/support/waiting.py; a sleep that is a test's subject says so in a comment."""
    offenders = {
        f"{path.relative_to(ROOT).as_posix()}:{line}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for line in fixed_sleeps(path)
    }
    assert offenders == set(), "wait on an event or condition (tests/support/waiting.py) instead"


def test_editor_drivers_wait_on_the_page_not_on_fixed_pauses() -> None:
    """The code-server drivers wait for what the page shows (or waitUntil in workbench.mjs), never a pause."""
    offenders = [
        f"{path.relative_to(ROOT).as_posix()}:{number}"
        for path in sorted((ROOT / "tests" / "vscode" / "e2e").glob("*.mjs"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "waitForTimeout(" in line
    ]
    assert offenders == [], offenders
