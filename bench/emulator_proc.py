"""The ChatLS emulator as its own process (`python -m chatls.emulator`), configured for a benchmark."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.procs import PYTHON, free_port, http_process, pinned

API_KEY = "bench-key"
LONG_PROMPT_PREFIX = "bench-long"
"""Prompts starting with this get the long scripted reply; everything else gets the emulator's default."""


@dataclass(frozen=True)
class RunningEmulator:
    url: str
    api_key: str
    pid: int


def config_toml(
    *,
    long_reply_words: int = 0,
    tokens_per_second: float = 0.0,
    time_to_first_token: float = 0.0,
) -> str:
    """An emulator config: one accepted key, pacing knobs, and optionally a long scripted reply."""
    lines = [
        "[server]",
        f"api_keys = [{json.dumps(API_KEY)}]",
        "include_default_deployments = true",
        "",
        "[timing]",
        f"time_to_first_token = {time_to_first_token}",
        f"tokens_per_second = {tokens_per_second}",
        "thinking_time = 0.0",
    ]
    if long_reply_words:
        reply = " ".join(f"word{i % 100}" for i in range(long_reply_words))
        lines += [
            "",
            "[[replies]]",
            f"pattern = {json.dumps('^' + LONG_PROMPT_PREFIX)}",
            f"reply = {json.dumps(reply)}",
        ]
    return "\n".join(lines) + "\n"


async def request_log(emulator: RunningEmulator) -> list[dict[str, Any]]:
    """The emulator's recorded requests (`GET /_emulator/requests`)."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{emulator.url}/_emulator/requests") as response,
    ):
        response.raise_for_status()
        records: list[dict[str, Any]] = (await response.json())["requests"]
    return records


@contextlib.asynccontextmanager
async def emulator_process(
    workdir: Path, config: str, *, core: int | None = None, name: str = "emulator"
) -> AsyncIterator[RunningEmulator]:
    """Start the emulator with `config` (TOML text) on a free loopback port, pinned to `core` if given."""
    config_path = workdir / f"{name}.toml"
    config_path.write_text(config, encoding="utf-8")
    port = free_port()
    argv = [
        *(pinned(core) if core is not None else []),
        PYTHON,
        "-m",
        "chatls.emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--config",
        str(config_path),
    ]
    async with http_process(argv, port, stderr_path=workdir / f"{name}.stderr") as proc:
        yield RunningEmulator(url=f"http://127.0.0.1:{port}", api_key=API_KEY, pid=proc.pid)
