"""`chatls serve` options: TCP transport, log file and levels; `python -m chatls` basics."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from tests.support.lsp import chat, folder, init_options, lsp_session, server_command, server_env
from tests.support.waiting import wait_until_async

from chatls import __version__
from chatls.emulator.fixture import RunningEmulator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def connect(port: int) -> LanguageClient:
    client = LanguageClient("tcp-test", "0")

    async def connected() -> bool:
        try:
            await client.start_tcp("127.0.0.1", port)
        except OSError:
            return False  # not listening yet
        return True

    await wait_until_async(connected, f"the server to listen on port {port}", timeout=60, interval=0.1)
    return client


async def test_serve_over_tcp(tmp_path: Path) -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        *server_command("--tcp", f"127.0.0.1:{port}"), env=server_env(config_home=tmp_path)
    )
    try:
        client = await connect(port)
        result = await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(),
                    initialization_options={"stateDir": str(tmp_path)},
                )
            ),
            30,
        )
        client.initialized(types.InitializedParams())
        listed = await asyncio.wait_for(client.protocol.send_request_async("chatls/conversations", {}), 30)
        await asyncio.wait_for(client.shutdown_async(None), 30)
        client.exit(None)
        await asyncio.wait_for(server.wait(), 30)
        await client.stop()
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    assert result.server_info is not None and result.server_info.name == "chatls"
    assert "chatls.chat" in (result.capabilities.execute_command_provider.commands or [])  # type: ignore[union-attr]
    assert list(listed) == []
    assert server.returncode == 0


async def test_log_file_gets_prompts_only_at_debug(emulator: RunningEmulator, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    logs = {}
    for level in ("DEBUG", "INFO"):
        log_file = tmp_path / f"{level}.log"
        async with lsp_session(
            "visual-studio-code",
            init_options=init_options(emulator.url, state_dir=tmp_path / "state"),
            env=server_env(emulator.api_key, config_home=tmp_path / "config"),
            folders=[folder(project)],
            server_args=["--log-file", str(log_file), "--log-level", level],
        ) as client:
            await chat(client, f"secret plan at {level}")
        logs[level] = log_file.read_text(encoding="utf-8")
    assert "secret plan at DEBUG" in logs["DEBUG"]
    assert "chatls" in logs["INFO"] and "secret plan at INFO" not in logs["INFO"]


def test_version_and_bad_tcp_address() -> None:
    version = subprocess.run([sys.executable, "-m", "chatls", "--version"], capture_output=True, text=True)
    assert version.stdout.strip() == f"chatls {__version__}"
    bad = subprocess.run(
        [sys.executable, "-m", "chatls", "serve", "--tcp", "localhost"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0
    assert "--tcp expects HOST:PORT" in bad.stderr
