"""A turn's limits on the real server: a huge prompt, a failing deployment, the privacy of the store.

- A 20 MB prompt is refused with `-32015` and stores nothing (no question, no empty conversation); while its
  tokens are counted, other requests are answered (the counting runs off the event loop).
- A turn that fails upstream leaves one log line at the default level naming the profile, the deployment
  and the kind of error — and never the key.
- The state directory is 0700 and the database 0600, and a world-readable one from an earlier ChatLS is
  tightened when the server opens it.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException
from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    chat,
    lsp_session,
    profile,
    request,
    session_settings,
)

from chatls import errors
from chatls.emulator.fixture import RunningEmulator
from chatls.store import DB_FILENAME

pytestmark = SPEC_WARNINGS_ARE_ERRORS

CANARY_KEY = "sk-canary-0123456789abcdef0123456789abcdef"


def session(tmp_path: Path, url: str, **options: Any) -> dict[str, Any]:
    return session_settings(tmp_path, url, api_key=CANARY_KEY, **options)


def stored_rows(db_path: Path) -> tuple[int, int]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return (
            db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0],
            db.execute("SELECT COUNT(*) FROM messages").fetchone()[0],
        )
    finally:
        db.close()


async def test_a_20_mb_prompt_is_refused_storing_nothing_while_other_requests_are_answered(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A 20 MB prompt is refused storing nothing, and other requests are answered while it is counted."""
    async with lsp_session("visual-studio-code", **session(tmp_path, emulator.url)) as client:
        huge = asyncio.ensure_future(
            client.protocol.send_request_async("chatls/chat", {"prompt": "word " * 4_000_000})
        )
        listed = await request(client, "chatls/conversations", {})
        assert listed == []
        assert not huge.done()  # answered while the huge prompt was still being counted
        with pytest.raises(JsonRpcException) as refused:
            await asyncio.wait_for(huge, 100)
        assert refused.value.code == errors.CONTEXT_TOO_LONG
        assert await request(client, "chatls/conversations", {}) == []
        small = await chat(client, "still there?")
        assert small["content"] == "Echo from gpt-4o: still there?"
    assert stored_rows(tmp_path / "state" / DB_FILENAME) == (1, 2)  # only the small turn
    assert await emulator.chat_requests() != [] and all(
        len(r["body"]["messages"][-1]["content"]) < 1000 for r in await emulator.chat_requests()
    )


async def test_a_turn_that_fails_upstream_leaves_one_log_line_naming_profile_deployment_and_error(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A turn that fails upstream leaves one log line naming profile, deployment and error kind, no key."""
    log_file = tmp_path / "chatls.log"
    settings = session(
        tmp_path,
        emulator.url,
        defaultProfile="work",
        profiles=[profile(emulator.url, name="work", deployment="nope")],
    )
    async with lsp_session(
        "visual-studio-code", server_args=["--log-file", str(log_file)], **settings
    ) as client:
        with pytest.raises(JsonRpcException) as failed:
            await chat(client, "hello")
        assert failed.value.code == errors.code_for_kind("deployment_not_found")
    lines = [line for line in log_file.read_text(encoding="utf-8").splitlines() if "failed" in line]
    assert len(lines) == 1, lines
    assert "profile work" in lines[0] and "deployment nope" in lines[0] and "deployment_not_found" in lines[0]
    assert CANARY_KEY not in log_file.read_text(encoding="utf-8")


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
async def test_the_store_is_private_and_an_old_readable_one_is_tightened(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The state directory is 0700 and the database files 0600; an older world-readable store is tightened."""
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    db = sqlite3.connect(state / DB_FILENAME)  # an earlier ChatLS's database, world-readable
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    (state / DB_FILENAME).chmod(0o644)

    async with lsp_session("visual-studio-code", **session(tmp_path, emulator.url)) as client:
        await chat(client, "hello")
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in state.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes
