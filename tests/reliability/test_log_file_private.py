"""`chatls serve --log-file`: the log holds file names, profiles and (at DEBUG) prompts and replies, so it is
created readable by its owner only, and an existing one is tightened (it was 0644 before)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from tests.reliability.wire import WireServer, chat_works, start_server

from chatls.emulator.fixture import emulator_in_thread


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.guarantee("--log-file is created 0600, and an existing log file is tightened to 0600")
def test_log_file_is_private(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.log"
    existing = tmp_path / "existing.log"
    existing.write_text("an older session\n")
    existing.chmod(0o644)
    with emulator_in_thread() as emu:
        for log_file in (fresh, existing):
            server: WireServer = start_server(
                emu, tmp_path, "--log-file", str(log_file), "--log-level", "DEBUG"
            )
            try:
                chat_works(server, f"logged to {log_file.name}")
                assert server.shutdown() == 0
            finally:
                server.close()
            assert mode(log_file) == 0o600, oct(mode(log_file))
            assert f"logged to {log_file.name}" in log_file.read_text()  # the log really was written
    assert existing.read_text().startswith("an older session\n")  # appended to, not replaced
