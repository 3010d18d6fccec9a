"""`tests.support.lsp.lsp_session` itself: a test that fails inside a session must end at once, not hang.

pygls' `client.stop()` waits for the server process to exit, and a server that never got `shutdown`/`exit`
never does; the session kills it instead when its body raises.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import init_options, lsp_session, server_env

from chatls.emulator.fixture import RunningEmulator


async def test_a_failing_assertion_inside_a_session_kills_the_server_and_propagates(
    preset: str, emulator: RunningEmulator, tmp_path: Path
) -> None:
    processes: list[Any] = []

    async def failing_test() -> None:
        async with lsp_session(
            preset,
            init_options=init_options(emulator.url, state_dir=tmp_path / "state"),
            env=server_env(emulator.api_key, config_home=tmp_path / "config"),
        ) as client:
            processes.append(client._server)
            raise AssertionError("deliberate failure inside the session")

    with pytest.raises(AssertionError, match="deliberate failure"):
        await asyncio.wait_for(failing_test(), 60)  # the guard turns a hang into a failure of this test
    assert processes[0].returncode is not None
