"""Running an editor headless against `chatls serve` and collecting what its driver observed.

A driver (`nvim_*.lua`, `eglot_*.el` next to this file) gets a plan as JSON in CHATLS_E2E_PLAN: the server
command, settings, files, ranges and prompts. It talks to the server through the editor's own LSP client,
writes what it saw as JSON to plan.result and exits 0; the tests assert on that. See e2e.lua / e2e.el.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.editors.scenario import (
    ABOUT_LINES_PROMPT,
    ABOUT_LINES_REPLY,
    CHAT_PROMPT,
    CHAT_REPLY,
    EDIT_INSTRUCTION,
    EDIT_TEXT,
    EXPLAIN_REPLY,
    EXPLAIN_TEXT,
    FOLLOW_UP_PROMPT,
    FOLLOW_UP_REPLY,
    IMPROVE_TEXT,
    REASONING_PROMPT,
    SLOW_PROMPT,
    TESTED_TEXT,
    TESTS_FILE,
    TYPED_DURING_REVIEW,
    UNCHANGED_TEXT,
    lines_range,
    make_workspace,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
KEY_ENV = "CHATLS_E2E_KEY"
INSTALL_HINT = "apt-get install -y neovim emacs-nox elpa-eglot (scripts/install-system-deps.sh)"
EDITOR_TIMEOUT_S = 45
"""Hard limit per editor run (`timeout` kills it); a healthy run takes a few seconds."""
REQUEST_TIMEOUT_MS = 15_000
"""How long a driver waits for one server answer before recording a failure."""
DRIVER_BUDGET_MS = 35_000
"""All of a driver's waits together; it then still writes what it saw before `timeout` strikes."""


@dataclass
class EditorRun:
    """One editor session: the JSON its driver wrote, and its console output for failure messages."""

    obs: dict[str, Any]
    log: str
    base: Path
    """The run's directory: workspace `ws`, server state `state`, the editor's private `home`."""
    requests: list[dict[str, Any]]
    """What the emulator logged while this editor ran (oldest first)."""

    def get(self, key: str) -> Any:
        value = self.obs.get(key)
        assert value is not None, f"the driver recorded no {key!r}; errors: {self.errors()}\n{self.log}"
        return value

    def result(self, key: str) -> Any:
        """The `result` of a recorded request (JSON), failing with the JSON-RPC error if there was one."""
        response = self.get(key)
        assert "error" not in response or not response["error"], f"{key}: {response['error']}"
        return response["result"]

    def errors(self) -> dict[str, str]:
        errors = self.obs.get("errors") or {}
        return {k: v for k, v in errors.items() if v} if isinstance(errors, dict) else {}


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; CI installs it with: {INSTALL_HINT}")
    return path


def make_plan(base: Path, emulator_url: str) -> dict[str, Any]:
    """Everything a driver needs: server command, settings, files, ranges and prompts."""
    workspace = base / "ws"
    files = make_workspace(workspace)
    profile = {
        "endpoint": emulator_url,
        "apiVersion": "2024-12-01-preview",
        "auth": "apiKey",
        "apiKeyEnv": KEY_ENV,
    }
    return {
        "serverCmd": [sys.executable, "-m", "chatls", "serve"],
        "workspace": str(workspace),
        "workspaceUri": workspace.as_uri(),
        "initOptions": {
            "profiles": [
                {"name": "emu", "deployment": "gpt-4o", **profile},
                {"name": "slow", "deployment": "gpt-4o-slow", **profile},
                {"name": "thinker", "deployment": "o1-thinker", **profile},
                # gpt-5-mini on the v1 API: the Responses wire, which streams reasoning summaries.
                {"name": "reasoner", "deployment": "gpt-5-mini", **profile, "apiVersion": "v1"},
            ],
            "defaultProfile": "emu",
            "stateDir": str(base / "state"),
        },
        "chat": {
            "prompt": CHAT_PROMPT,
            "reply": CHAT_REPLY,
            "followUp": FOLLOW_UP_PROMPT,
            "followUpReply": FOLLOW_UP_REPLY,
            "aboutLines": ABOUT_LINES_PROMPT,
            "aboutLinesReply": ABOUT_LINES_REPLY,
        },
        "files": {
            "chat": str(files["chat"]),
            "explain": {"path": str(files["explain"]), "range": lines_range(EXPLAIN_TEXT, 0, 4)},
            "edit": {
                "path": str(files["edit"]),
                "range": lines_range(EDIT_TEXT, 1, 5),
                "instruction": EDIT_INSTRUCTION,
            },
            "improve": {"path": str(files["improve"]), "range": lines_range(IMPROVE_TEXT, 0, 4)},
            "unchanged": {"path": str(files["unchanged"]), "range": lines_range(UNCHANGED_TEXT, 0, 1)},
            "tested": {
                "path": str(files["tested"]),
                "range": lines_range(TESTED_TEXT, 0, 1),
                "testsPath": str(workspace / TESTS_FILE),
            },
        },
        "diagnostic": {
            "range": lines_range(EXPLAIN_TEXT, 3, 3),
            "message": "'total' may be undefined",
            "severity": 1,
            "source": "pyflakes",
        },
        "explainReply": EXPLAIN_REPLY,
        "cancel": {"prompt": SLOW_PROMPT, "profile": "slow"},
        "reasoning": {"prompt": REASONING_PROMPT, "profile": "reasoner"},
        "typedDuringReview": TYPED_DURING_REVIEW,
        "timeoutMs": REQUEST_TIMEOUT_MS,
        "budgetMs": DRIVER_BUDGET_MS,
        "result": str(base / "observations.json"),
    }


def editor_env(base: Path, api_key: str, plan: dict[str, Any]) -> dict[str, str]:
    """A private home for the editor (no user config, logs or packages leak in) and the emulator's key."""
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI", "OPENAI_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local/state"),
        XDG_DATA_HOME=str(home / ".local/share"),
        CHATLS_E2E_PLAN=json.dumps(plan),
    )
    env[KEY_ENV] = api_key
    return env


def run_editor(
    argv: list[str],
    base: Path,
    emulator: Any,
    env: dict[str, str] | None = None,
    *,
    timeout_s: int = EDITOR_TIMEOUT_S,
    **plan_extra: Any,
) -> EditorRun:
    plan = {**make_plan(base, emulator.url), **plan_extra}
    logged_before = max((r["id"] for r in emulator.requests()), default=0)
    proc = subprocess.run(
        ["timeout", "-k", "5", str(timeout_s), *argv],
        cwd=plan["workspace"],
        env={**editor_env(base, emulator.api_key, plan), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout_s + 15,
        check=False,
    )
    log = f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
    result = Path(plan["result"])
    assert proc.returncode == 0 and result.exists(), f"{argv[0]} did not finish its script:\n{log}"
    requests = [r for r in emulator.requests() if r["id"] > logged_before]
    obs = json.loads(result.read_text(encoding="utf-8"))
    return EditorRun(obs, f"{log}\n--- seconds per step\n{obs.get('seconds')}", base, requests)


def nvim_argv(script: str) -> list[str]:
    # CHATLS_E2E_NVIM runs the same tests on another Neovim build (e.g. 0.10; see docs/editors.md).
    nvim = os.environ.get("CHATLS_E2E_NVIM") or require("nvim")
    return [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {HERE / script}"]


def emacs_argv(script: str) -> list[str]:
    return [require("emacs"), "--batch", "-Q", "-l", str(HERE / script)]


RUNS = {
    "nvim": lambda: nvim_argv("nvim_protocol.lua"),
    "nvim-plugin": lambda: nvim_argv("nvim_plugin.lua"),
    "emacs": lambda: emacs_argv("eglot_protocol.el"),
    "emacs-plugin": lambda: emacs_argv("eglot_plugin.el"),
}
"""Each editor twice: bare (the protocol as any client speaks it) and with the helper from editors/."""
DOCUMENTED = {
    "nvim-docs": lambda: nvim_argv("nvim_docs.lua"),
    "emacs-docs": lambda: emacs_argv("eglot_docs.el"),
}
"""Each editor running the setup block docs/editors.md marks as tested, exactly as written."""
DOCS = REPO / "docs" / "editors.md"
DOCS_ENDPOINT = "https://my-resource.openai.azure.com"
"""The endpoint the documented setups use; the test points it at the emulator."""
DOCS_SERVER = "/path/to/chatls/.venv/bin/chatls"
"""The server the documented setups run (the venv's `chatls`); the test puts a script there."""
PLUGIN_DIRS = {"nvim-plugin": REPO / "editors" / "nvim", "emacs-plugin": REPO / "editors" / "emacs"}
DISCOVERY_RUN = "nvim-discovery"
"""Neovim's helper finding (or not finding) the server with no `cmd` configured; see nvim_discovery.lua."""
SLOW_RUNS = {
    "emacs-review": lambda: emacs_argv("eglot_review.el"),
}
"""Runs around a reasoning model that thinks for THINKING_S seconds: longer limits, run once each."""
SLOW_RUN_TIMEOUT_S = 150
SLOW_RUN_PLAN = {"timeoutMs": 90_000, "budgetMs": 130_000, "pluginDir": str(REPO / "editors" / "emacs")}


def documented_block(editor: str) -> tuple[str, str]:
    """The block docs/editors.md marks `<!-- tested by tests/editors: EDITOR -->`: (language, code)."""
    marker = re.escape(f"<!-- tested by tests/editors: {editor} -->")
    blocks = re.findall(marker + r"\n```(\w+)\n(.*?)\n```\n", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1, f"docs/editors.md should mark exactly one {editor} block as tested"
    language, code = blocks[0]
    return language, code


def documented_setup(editor: str, base: Path, emulator: Any) -> tuple[Path, dict[str, str]]:
    """The documented block as a file, pointed at the emulator, and the environment it expects.

    The docs run the venv's `chatls serve` (DOCS_SERVER, here a script starting this checkout's server) and
    read the key from AZURE_OPENAI_API_KEY; so does the test. PATH has no `chatls`: the docs must not need it.
    """
    language, code = documented_block(editor)
    assert DOCS_ENDPOINT in code, f"the {editor} block no longer uses the endpoint {DOCS_ENDPOINT}"
    assert DOCS_SERVER in code, f"the {editor} block no longer runs the venv's server {DOCS_SERVER}"
    bin_dir = base / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    shim = bin_dir / "chatls"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m chatls "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    snippet = base / ("setup.lua" if language == "lua" else "setup.el")
    snippet.write_text(
        code.replace(DOCS_ENDPOINT, emulator.url).replace(DOCS_SERVER, str(shim)), encoding="utf-8"
    )
    return snippet, {"PATH": os.pathsep.join(["/usr/bin", "/bin"]), "AZURE_OPENAI_API_KEY": emulator.api_key}
