"""`kill -9` of the real server mid-stream, then a new server on the same state directory.

Nothing the user typed may be lost: the question is stored before the model is asked, the reply so far is
saved about once a second while it streams, SQLite's WAL keeps the file consistent, and the next server
continues the conversation.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    chat,
    lsp_session,
    request,
    session_settings,
)
from tests.support.waiting import wait_until_async

from chatls import protocol
from chatls.emulator.fixture import StartEmulator
from chatls.store import DB_FILENAME

pytestmark = SPEC_WARNINGS_ARE_ERRORS


LONG_REPLY = " ".join(f"token{n}" for n in range(400))
"""At 20 tokens/s this streams for about 20 s: the kill always lands mid-stream."""
WAIT_LIMIT = 30.0
"""Upper bound for waiting on the partial reply to reach the database (a hang guard, not a speed check)."""


def stored_reply(db_path: Path) -> tuple[str, str] | None:
    """The assistant reply's (content, status), read as another process would, or None before it exists."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute("SELECT content, status FROM messages WHERE role = 'assistant'").fetchone()
    except sqlite3.OperationalError:  # the file exists but the server has not created its tables yet
        return None
    finally:
        db.close()
    return None if row is None else (row[0], row[1])


async def partial_reply_saved(db_path: Path) -> str:
    """Wait until some of the streaming reply has been saved; its content."""

    def saved_part() -> tuple[str, str] | None:
        row = stored_reply(db_path) if db_path.exists() else None
        return row if row is not None and row[0] else None

    content, status = await wait_until_async(
        saved_part, "part of the streaming reply to be saved", timeout=WAIT_LIMIT
    )
    assert status == protocol.STATUS_PENDING
    return str(content)


def integrity(db_path: Path) -> list[Any]:
    db = sqlite3.connect(db_path)
    try:
        return [row[0] for row in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()


@pytest.mark.guarantee(
    "kill -9 mid-stream loses nothing: the question and the saved partial reply survive a restart"
)
async def test_sigkill_mid_stream_loses_nothing(start_emulator: StartEmulator, tmp_path: Path) -> None:
    emulator = await start_emulator()
    await emulator.add_reply("(?i)long story", LONG_REPLY)
    await emulator.set_timing("gpt-4o", tokens_per_second=20)
    db_path = tmp_path / "state" / DB_FILENAME
    session = session_settings(tmp_path, emulator.url)
    prompt = "tell me a long story"

    async with lsp_session("visual-studio-code", shutdown=False, **session) as client:
        turn = asyncio.create_task(chat(client, prompt))
        try:
            saved = await partial_reply_saved(db_path)
            assert not turn.done()
            server = client._server
            assert server is not None
            server.kill()  # SIGKILL: no shutdown, no cleanup, no final write
            assert await asyncio.wait_for(server.wait(), WAIT_LIMIT) == -9
        finally:
            turn.cancel()
            await asyncio.gather(turn, return_exceptions=True)  # it fails: its server is gone
        shown = "".join(d.get("content") or "" for d in client.deltas)  # type: ignore[attr-defined]
        conversation_id = client.deltas[0]["conversationId"]  # type: ignore[attr-defined]

    assert integrity(db_path) == ["ok"]
    await emulator.set_timing("gpt-4o", tokens_per_second=0)
    async with lsp_session("visual-studio-code", **session) as client:
        listed = await request(client, "chatls/conversations", {})
        assert [c["id"] for c in listed] == [conversation_id]
        stored = await request(client, "chatls/conversation", {"conversationId": conversation_id})
        user, reply = stored["messages"]
        assert (user["role"], user["content"], user["status"]) == ("user", prompt, "complete")
        # its server is gone (no live owner): interrupted at once, not after a ten-minute clock
        assert (reply["role"], reply["status"]) == ("assistant", protocol.STATUS_INTERRUPTED)
        # at least what was saved before the kill; the store and the editor saw the same stream (either may
        # be a chunk ahead: the store saves before the delta goes out, the editor sees deltas between saves)
        assert reply["content"].startswith(saved)
        assert LONG_REPLY.startswith(reply["content"]) and LONG_REPLY.startswith(shown)
        assert reply["content"] != LONG_REPLY

        after = await chat(client, "are you still there?", conversationId=conversation_id)
        assert after["content"] == "Echo from gpt-4o: are you still there?"
        last = (await emulator.chat_requests())[-1]["body"]["messages"]
        assert {"role": "user", "content": prompt} in last  # the question survived into the history

    async with lsp_session("visual-studio-code", **session) as client:
        stored = await request(client, "chatls/conversation", {"conversationId": conversation_id})
        # the interrupted reply stays so (the editor offers Retry), its text kept
        assert [(m["content"], m["status"]) for m in stored["messages"]] == [
            (prompt, "complete"),
            (reply["content"], protocol.STATUS_INTERRUPTED),
            ("are you still there?", "complete"),
            (after["content"], "complete"),
        ]

    assert integrity(db_path) == ["ok"]
