"""Reasoning summaries, background runs and cut streams end to end: real `chatls serve`, the real adapter and
SDK over HTTP, the emulator's Responses API.

- A reasoning model's summary reaches the client as `reasoning` deltas before the first answer text, is
  stored with the reply, and is never sent back to the model as answer text.
- A background run survives `kill -9` of its server: the next server resumes it and the reply lands
  complete, with the full text, stored once.
- A user's Stop on a background run cancels it upstream (visible in the emulator's request log).
- A stream cut without a finish is stored `error` with its partial text, and Retry answers it.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
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
from chatls.emulator.fixture import RunningEmulator
from chatls.store import DB_FILENAME

pytestmark = SPEC_WARNINGS_ARE_ERRORS

WAIT_LIMIT = 60.0
"""Upper bound for waiting on a state (a hang guard, not a speed check)."""
ANSWER = "The loop never ends because its counter is never incremented."
STORY = "once upon a time there was a loop that never ended at all"


def settings(tmp_path: Path, url: str, deployment: str, **options: Any) -> dict[str, Any]:
    """A window on `deployment` over the v1 API, on this test's shared state directory and project."""
    profiles = [profile(url, deployment=deployment, api_version="v1")]
    return session_settings(tmp_path, url, profiles=profiles, **options)


def stored_reply(db_path: Path) -> dict[str, Any] | None:
    """The assistant reply as another process reads it (None before it exists)."""
    if not db_path.exists():
        return None
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute(
            "SELECT id, conversation_id, content, status, run_handle FROM messages WHERE role = 'assistant'"
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()
    if row is None:
        return None
    keys = ("id", "conversationId", "content", "status", "runHandle")
    return {**dict(zip(keys, row, strict=True)), "runHandle": json.loads(row[4]) if row[4] else None}


async def test_reasoning_summaries_stream_before_the_answer_and_are_stored(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Reasoning summaries reach the client before the answer, apart from it, and are stored."""
    await emulator.add_reply("(?i)loop", ANSWER)
    await emulator.set_timing("gpt-5-mini", thinking_time=1)
    async with lsp_session("visual-studio-code", **settings(tmp_path, emulator.url, "gpt-5-mini")) as client:
        result = await chat(client, "Why does this loop never end?", clientToken="panel-1")
        deltas = [d for d in client.deltas if d["messageId"] == result["messageId"]]  # type: ignore[attr-defined]
        follow_up = await chat(client, "And now?", conversationId=result["conversationId"])
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})

    summary = "".join(d.get("reasoning") or "" for d in deltas)
    assert summary and result["reasoning"] == summary
    assert "".join(d.get("content") or "" for d in deltas) == ANSWER
    first_answer = next(i for i, d in enumerate(deltas) if d.get("content"))
    assert any(d.get("reasoning") for d in deltas[:first_answer])  # the user watched it think first
    assert all(not (d.get("reasoning") and d.get("content")) for d in deltas)
    assert {d.get("clientToken") for d in deltas} == {"panel-1"}
    assert stored["messages"][1]["reasoning"] == summary
    assert follow_up["content"]
    sent = json.dumps((await emulator.requests("gpt-5-mini"))[-1]["body"])
    assert summary not in sent  # never fed back as answer text


async def test_a_background_run_survives_kill_9_and_lands_complete_once(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A background run survives `kill -9` of its server: the next server stores it complete, once."""
    await emulator.add_reply("(?i)prove", ANSWER)
    await emulator.set_timing("o3-pro", thinking_time=4)
    session = settings(tmp_path, emulator.url, "o3-pro")
    db_path = tmp_path / "state" / DB_FILENAME

    async with lsp_session("visual-studio-code", shutdown=False, **session) as client:
        turn = asyncio.ensure_future(chat(client, "Prove it terminates"))
        try:
            started = await wait_until_async(
                lambda: (r := stored_reply(db_path)) is not None and r["runHandle"] is not None and r,
                "the run handle to be stored",
                timeout=WAIT_LIMIT,
            )
            assert started["status"] == protocol.STATUS_PENDING
            server = client._server
            assert server is not None
            server.kill()
            assert await asyncio.wait_for(server.wait(), WAIT_LIMIT) == -9
        finally:
            turn.cancel()
            await asyncio.gather(turn, return_exceptions=True)

    async with lsp_session("visual-studio-code", **session) as client:
        await wait_until_async(
            lambda: (r := stored_reply(db_path)) is not None and r["status"] == "complete",
            "the resumed reply",
            timeout=WAIT_LIMIT,
        )
        stored = await request(client, "chatls/conversation", {"conversationId": started["conversationId"]})
        resumed = [d for d in client.deltas if d["messageId"] == started["id"]]  # type: ignore[attr-defined]

    assert [(m["role"], m["status"], m["content"]) for m in stored["messages"]] == [
        ("user", "complete", "Prove it terminates"),
        ("assistant", "complete", ANSWER),
    ]
    assert stored["messages"][1]["id"] == started["id"]
    assert "".join(d.get("content") or "" for d in resumed) == ANSWER  # the attached client was told
    creates = [
        r
        for r in await emulator.requests("o3-pro")
        if r["method"] == "POST" and r["path"].endswith("/responses")
    ]
    assert len(creates) == 1  # resumed, not asked again


async def test_stop_on_a_background_run_cancels_it_upstream(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A user's Stop on a background run cancels the run on Azure, and the reply is stored `cancelled`."""
    await emulator.set_timing("o3-pro", thinking_time=30)
    db_path = tmp_path / "state" / DB_FILENAME
    async with lsp_session("visual-studio-code", **settings(tmp_path, emulator.url, "o3-pro")) as client:
        pending = asyncio.ensure_future(
            client.protocol.send_request_async("chatls/chat", {"prompt": "think long"}, msg_id="bg-1")
        )
        started = await wait_until_async(
            lambda: (r := stored_reply(db_path)) is not None and r["runHandle"] is not None and r,
            "the run handle",
            timeout=WAIT_LIMIT,
        )
        client.cancel_request(types.CancelParams(id="bg-1"))
        with pytest.raises(JsonRpcRequestCancelled):
            await asyncio.wait_for(pending, WAIT_LIMIT)
        stored = await request(client, "chatls/conversation", {"conversationId": started["conversationId"]})

    assert stored["messages"][1]["status"] == protocol.STATUS_CANCELLED
    cancels = [r for r in await emulator.requests() if r["path"].endswith("/cancel")]
    assert len(cancels) == 1 and started["runHandle"]["response_id"] in cancels[0]["path"]


async def test_a_stream_cut_without_a_finish_is_an_error_and_retry_answers_it(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A stream that ends without a finish is stored `error` with its partial text, and Retry answers it."""
    await emulator.add_reply("(?i)story", STORY)
    await emulator.add_fault("no_terminal", form="clean_close", count=1)  # as a gateway timeout does
    async with lsp_session("visual-studio-code", **settings(tmp_path, emulator.url, "gpt-5-mini")) as client:
        with pytest.raises(JsonRpcException):
            await chat(client, "tell me a story")
        failed = client.deltas[0]  # type: ignore[attr-defined]
        stored = await request(client, "chatls/conversation", {"conversationId": failed["conversationId"]})
        reply = stored["messages"][1]
        assert reply["status"] == protocol.STATUS_ERROR
        assert reply["content"] and STORY.startswith(reply["content"])
        again = await chat(
            client, "tell me a story", conversationId=failed["conversationId"], retryOf=failed["messageId"]
        )
        assert again["content"] == STORY
