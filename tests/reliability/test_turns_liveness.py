"""Real liveness for pending replies, and turns of two windows interleaving on one store (real servers).

A pending reply belongs to the server process writing it (a lease in the store, and on the same machine a
check that the process exists). When that process is killed, any other server shows the reply
`interrupted` at once — not ten minutes later — and Retry answers the question again. Two windows chatting
into one conversation at once keep every question next to its own reply, so the next turn's context lacks
nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    chat,
    lsp_session,
    profile,
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
"""Upper bound for waiting on a condition (a hang guard, not a speed check)."""


def sessions(tmp_path: Path, url: str, deployment: str = "gpt-4o") -> dict[str, Any]:
    """Settings for a window on the shared state directory and project of this test."""
    return session_settings(tmp_path, url, profiles=[profile(url, deployment=deployment)])


def saved_text(db_path: Path, message_id: str) -> str:
    """The reply's stored text, read as another process would."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute("SELECT content FROM messages WHERE id = ?", (message_id,)).fetchone()
    finally:
        db.close()
    return "" if row is None else str(row[0])


async def test_a_reply_whose_server_was_killed_shows_interrupted_at_once_and_retry_works(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """A reply whose server was killed shows `interrupted` in another window at once, and Retry answers it."""
    emulator = await start_emulator()
    await emulator.add_reply("(?i)long story", LONG_REPLY)
    await emulator.set_timing("gpt-4o", tokens_per_second=20)
    session = sessions(tmp_path, emulator.url)
    prompt = "tell me a long story"

    async with AsyncExitStack() as stack:
        doomed = await stack.enter_async_context(lsp_session("visual-studio-code", shutdown=False, **session))
        watcher = await stack.enter_async_context(lsp_session("visual-studio-code", **session))
        turn = asyncio.create_task(chat(doomed, prompt))
        try:
            await wait_until_async(lambda: bool(doomed.deltas), "the first delta")  # type: ignore[attr-defined]
            first = doomed.deltas[0]  # type: ignore[attr-defined]
            conversation_id, reply_id = first["conversationId"], first["messageId"]
            db_path = tmp_path / "state" / DB_FILENAME
            await wait_until_async(lambda: bool(saved_text(db_path, reply_id)), "a saved part")

            # another window sees the reply in progress: its server is alive
            stored = await request(watcher, "chatls/conversation", {"conversationId": conversation_id})
            assert [m["status"] for m in stored["messages"]] == ["complete", protocol.STATUS_PENDING]

            server = doomed._server
            assert server is not None
            server.kill()  # SIGKILL: no shutdown, no cleanup, no final write
            assert await asyncio.wait_for(server.wait(), WAIT_LIMIT) == -9
        finally:
            turn.cancel()
            await asyncio.gather(turn, return_exceptions=True)  # it fails: its server is gone

        # the same window, at once: no clock to wait for, the owner is gone
        stored = await request(watcher, "chatls/conversation", {"conversationId": conversation_id})
        question, reply = stored["messages"]
        assert (reply["id"], reply["status"]) == (reply_id, protocol.STATUS_INTERRUPTED)
        assert reply["content"] and LONG_REPLY.startswith(reply["content"]) and reply["content"] != LONG_REPLY

        await emulator.set_timing("gpt-4o", tokens_per_second=0)
        retried = await chat(watcher, question["content"], conversationId=conversation_id, retryOf=reply_id)
        assert retried["content"] == LONG_REPLY
        stored = await request(watcher, "chatls/conversation", {"conversationId": conversation_id})
        assert [(m["role"], m["status"]) for m in stored["messages"]] == [
            ("user", "complete"),
            ("assistant", protocol.STATUS_INTERRUPTED),
            ("assistant", "complete"),
        ]


async def test_two_windows_interleaving_turns_in_one_conversation_lose_nothing(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """Two windows interleaving turns in one conversation lose nothing: every reply stays with its question.

    Window A's reply streams slowly; meanwhile window B asks and is answered in the same conversation."""
    emulator = await start_emulator()
    await emulator.set_deployment("slow-4o", model="gpt-4o")
    await emulator.add_reply("(?i)question a", "answer a " + "word " * 300)  # ~15 s: B's turn fits inside
    await emulator.set_timing("slow-4o", tokens_per_second=20)
    slow, fast = sessions(tmp_path, emulator.url, "slow-4o"), sessions(tmp_path, emulator.url)

    async with (
        lsp_session("visual-studio-code", **slow) as window_a,
        lsp_session("visual-studio-code", **fast) as window_b,
    ):
        turn_a = asyncio.create_task(chat(window_a, "question a"))
        await wait_until_async(
            lambda: any(d.get("content") for d in window_a.deltas),  # type: ignore[attr-defined]
            "window A's reply to start streaming",
        )
        conversation_id = window_a.deltas[0]["conversationId"]  # type: ignore[attr-defined]
        answer_b = await chat(window_b, "question b", conversationId=conversation_id)
        assert not turn_a.done()  # B's whole turn happened while A's reply streamed
        answer_a = await turn_a

        await chat(window_b, "question c", conversationId=conversation_id)
        sent = (await emulator.chat_requests("gpt-4o"))[-1]["body"]["messages"]
        turns = [(m["role"], m["content"]) for m in sent if m["role"] in ("user", "assistant")]
        assert turns == [
            ("user", "question a"),
            ("assistant", answer_a["content"]),
            ("user", "question b"),
            ("assistant", answer_b["content"]),
            ("user", "question c"),
        ]
