"""Importing the adapter's types and errors (and what the server builds on them) loads no SDK: the openai SDK
and httpx cost about a second and are loaded once, after `initialize` has been answered."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = {"openai", "httpx"}


def imported_modules(module: str) -> set[str]:
    """Every module `python -X importtime -c "import <module>"` reports, in a fresh interpreter."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    names = set()
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.parametrize(
    "module", ["chatls.azure.types", "chatls.azure.errors", "chatls.errors", "chatls.chat_service"]
)
def test_importing_costs_no_sdk(module: str) -> None:
    modules = imported_modules(module)
    assert module in modules  # the report was read
    assert {name for name in modules if name.split(".")[0] in HEAVY} == set()


def test_the_check_sees_the_sdk_when_it_is_imported() -> None:
    assert "openai" in imported_modules("chatls.azure.client")
