"""One module per target; each exposes `SCENARIO`. Order here is the order of the results table."""

from __future__ import annotations

import importlib

from bench.scenario import Scenario

MODULES = (
    "emulator",
    "adapter",
    "models",
    "server_startup",
    "server_history",
    "server_conversations",
    "context",
    "code_actions",
    "memory",
    "agent",
    "webview",
)


def all_scenarios() -> list[Scenario]:
    return [importlib.import_module(f"bench.scenarios.{name}").SCENARIO for name in MODULES]
