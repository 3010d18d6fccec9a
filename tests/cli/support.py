"""Shared by the terminal tests: a clean environment pointing `chatls ask` at the test's emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from chatls.emulator.fixture import ThreadedEmulator

_AZURE = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_DEPLOYMENT", "OPENAI_API_VERSION")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No Azure settings and private config/state directories, so only what a test sets is configured."""
    env = {k: v for k, v in os.environ.items() if k not in _AZURE and k != "CHATLS_CONFIG_FILE"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env.update(extra)
    return env


def azure_env(
    tmp_path: Path, emulator: ThreadedEmulator, deployment: str = "gpt-4o", **extra: str
) -> dict[str, str]:
    settings = {
        "AZURE_OPENAI_ENDPOINT": emulator.url,
        "AZURE_OPENAI_API_KEY": emulator.api_key,
        "AZURE_OPENAI_DEPLOYMENT": deployment,
        "OPENAI_API_VERSION": "2024-12-01-preview",
    }
    return clean_env(tmp_path, **{**settings, **extra})


def chatls(
    *args: str, env: dict[str, str], stdin: str | None = None, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`chatls ARGS` to completion; stdin is /dev/null unless text is piped in."""
    base = command or [sys.executable, "-m", "chatls"]
    return subprocess.run(
        [*base, *args],
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def conversation_of(stderr: str) -> str:
    match = re.search(r"conversation ([0-9a-f]{32})", stderr)
    assert match, stderr
    return match.group(1)
