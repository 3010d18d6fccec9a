"""``chatls emulator``: serve the emulator on a local port until Ctrl-C or SIGTERM.

stdout carries exactly what a user copies: the URL, a ready ``config.toml`` profile (TOML, what the docs
recommend) and the same profile as JSON (for the VS Code settings). Diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from chatls.emulator.config import ConfigError, EmulatorConfig, load_config
from chatls.emulator.control import TOKEN_HEADER, is_loopback_host
from chatls.emulator.fixture import RunningEmulator, start_emulator, stop_emulator

PROFILE_API_VERSION = "2024-10-21"
PROFILE_KEY_ENV = "AZURE_OPENAI_API_KEY"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free port)")
    parser.add_argument(
        "--config", metavar="FILE", default=None, help="config file (TOML), see docs/emulator.md"
    )


def profile_for(url: str, config: EmulatorConfig) -> dict[str, Any]:
    """A ChatLS profile pointing at this emulator."""
    names = list(config.deployments)
    deployment = "gpt-4o" if "gpt-4o" in names else (names[0] if names else "gpt-4o")
    profile = {
        "name": "emulator",
        "endpoint": url,
        "deployment": deployment,
        "apiVersion": PROFILE_API_VERSION,
        "auth": "apiKey",
        "apiKeyEnv": PROFILE_KEY_ENV,
    }
    if config.api_key_header:  # the emulator plays a gateway: the profile should use its header
        profile["apiKeyHeader"] = config.api_key_header
    return profile


def _say(text: str) -> None:
    """The command's own output (stdout is this command's interface, not an LSP stream)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _warn(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(None if args.config is None else Path(args.config))
    except ConfigError as exc:
        _warn(f"chatls emulator: bad config: {exc}")
        return 2
    try:
        return asyncio.run(_serve(config, args.host, args.port))
    except KeyboardInterrupt:  # Ctrl-C before the signal handler was installed
        return 0


async def _serve(config: EmulatorConfig, host: str, port: int) -> int:
    try:
        emulator = await start_emulator(config, host=host, port=port)
    except OSError as exc:
        _warn(f"chatls emulator: cannot listen on {host}:{port}: {exc.strerror or exc}")
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
    _announce(emulator)
    await stop.wait()
    await stop_emulator(emulator)
    _warn("chatls emulator: stopped")
    return 0


def profile_toml(profile: dict[str, Any]) -> str:
    """The profile as a ``[[profiles]]`` table of ChatLS's ``config.toml`` (strings only, so JSON quoting is
    valid TOML basic-string quoting)."""
    lines = ["[[profiles]]", *(f"{key} = {json.dumps(value)}" for key, value in profile.items())]
    return "\n".join(lines)


def _announce(emulator: RunningEmulator) -> None:
    profile = profile_for(emulator.url, emulator.config)
    _say(f"Azure OpenAI emulator listening on {emulator.url}")
    _say("ChatLS profile for config.toml:")
    _say(profile_toml(profile))
    _say("ChatLS profile (JSON, for editor settings):")
    _say(json.dumps(profile, indent=2))
    if not is_loopback_host(emulator.host):
        _warn(
            f"chatls emulator: WARNING: listening on {emulator.host}, not a loopback address: anyone who can "
            "reach this port can use the emulator; control requests from elsewhere need the token below"
        )
    _warn(f"chatls emulator: control token ({TOKEN_HEADER}): {emulator.state.control_token}")
    _warn(
        f"chatls emulator: set {PROFILE_KEY_ENV}={emulator.api_key}; "
        f"{len(emulator.config.deployments)} deployments; Ctrl-C stops"
    )
