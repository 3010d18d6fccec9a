"""The emulator is an independent witness: it must not read the adapter's rules (issue 2)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import chatls.emulator

EMULATOR = Path(chatls.emulator.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_emulator_module_imports_other_chatls_code() -> None:
    sources = sorted(EMULATOR.rglob("*.py"))
    assert len(sources) > 10
    outside = {
        f"{path.relative_to(EMULATOR)}: {name}"
        for path in sources
        for name in imported_modules(path)
        if name.split(".")[0] == "chatls" and not name.startswith("chatls.emulator")
    }
    assert outside == set()


def test_running_the_emulator_loads_nothing_of_the_adapter() -> None:
    code = (
        "import sys, chatls.emulator.app, chatls.emulator.command, chatls.emulator.fixture\n"
        "print(sorted(m for m in sys.modules if m.startswith('chatls.') and 'emulator' not in m))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"
