"""A turn's edges end to end: the first delta names the ids, `retryOf` answers a failed reply's question
again, and replies a killed server left pending are settled when the store opens."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from socket import gethostname
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from tests.support.lsp import SPEC_WARNINGS_ARE_ERRORS, OpenSession, chat, init_options, request
from tests.support.waiting import wait_until_async

from chatls.emulator.fixture import RunningEmulator
from chatls.store import ConversationStore

pytestmark = SPEC_WARNINGS_ARE_ERRORS


async def test_the_first_delta_names_the_ids_before_any_content(session: OpenSession) -> None:
    async with session() as client:
        result = await chat(client, "Say hello")

    deltas = client.deltas  # type: ignore[attr-defined]
    first = deltas[0]
    assert first == {
        "conversationId": result["conversationId"],
        "messageId": result["messageId"],
        "status": "waiting for gpt-4o",
    }
    assert all(d.get("content") is None for d in deltas[:1]) and any(d.get("content") for d in deltas)


async def test_a_command_cancelled_before_any_content_still_returns_the_ids(
    session: OpenSession, emulator: RunningEmulator, preset: str
) -> None:
    await emulator.set_timing("gpt-4o", time_to_first_token=30)
    async with session() as client:
        pending = asyncio.ensure_future(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="chatls.chat", arguments=[{"prompt": "Wait for it"}])
            )
        )
        await wait_until_async(lambda: client.deltas and client.progress_reports, "the first delta")  # type: ignore[attr-defined]
        token = next(iter(client.progress_reports))
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(pending, 20)
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})

    first = client.deltas[0]  # type: ignore[attr-defined]
    assert (result["conversationId"], result["messageId"]) == (first["conversationId"], first["messageId"])
    assert (result["content"], result["status"]) == ("", "cancelled")
    assert [(m["role"], m["status"]) for m in stored["messages"]] == [
        ("user", "complete"),
        ("assistant", "cancelled"),
    ]
    reports = client.progress_reports[token]
    assert any(getattr(r, "message", None) == "waiting for gpt-4o" for r in reports)


async def failed_chat(client: Any, prompt: str, **params: Any) -> dict[str, Any]:
    """A chat that fails upstream; returns its stored failed reply."""
    with pytest.raises(JsonRpcException):
        await chat(client, prompt, **params)
    conversation_id = client.deltas[-1]["conversationId"]
    stored = await request(client, "chatls/conversation", {"conversationId": conversation_id})
    failed: dict[str, Any] = stored["messages"][-1]
    failed["conversationId"] = conversation_id
    return failed


async def test_retry_answers_the_stored_question_again_and_keeps_the_failed_reply(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path
) -> None:
    options = init_options(emulator.url, state_dir=state_dir, retryMaxAttempts=1)
    async with session(init_options=options) as client:
        first = await chat(client, "First question")
        await emulator.add_fault("server_error", status=500, count=1)
        failed = await failed_chat(client, "Second question", conversationId=first["conversationId"])
        retried = await chat(
            client, "Second question", conversationId=first["conversationId"], retryOf=failed["id"]
        )
        stored = await request(client, "chatls/conversation", {"conversationId": first["conversationId"]})

    assert failed["status"] == "error"
    assert retried["messageId"] != failed["id"]
    assert retried["content"] == "Echo from gpt-4o: Second question"
    assert [(m["role"], m["status"], m["content"]) for m in stored["messages"]] == [
        ("user", "complete", "First question"),
        ("assistant", "complete", first["content"]),
        ("user", "complete", "Second question"),
        ("assistant", "error", ""),
        ("assistant", "complete", retried["content"]),
    ]
    sent = (await emulator.chat_requests())[-1]["body"]["messages"]
    assert [m["content"] for m in sent if m["role"] != "system"] == [
        "First question",
        first["content"],
        "Second question",
    ]


async def test_a_wrong_retry_is_invalid_params_and_stores_nothing(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path
) -> None:
    options = init_options(emulator.url, state_dir=state_dir, retryMaxAttempts=1)
    async with session(init_options=options) as client:
        await emulator.add_fault("server_error", status=500, count=1)
        failed = await failed_chat(client, "Why?")
        conversation = failed["conversationId"]
        before = await request(client, "chatls/conversation", {"conversationId": conversation})
        refusals = {}
        for name, params in {
            "edited prompt": {"prompt": "Why not?", "conversationId": conversation, "retryOf": failed["id"]},
            "no conversation": {"prompt": "Why?", "retryOf": failed["id"]},
            "unknown reply": {"prompt": "Why?", "conversationId": conversation, "retryOf": "nope"},
            "a question": {
                "prompt": "Why?",
                "conversationId": conversation,
                "retryOf": before["messages"][0]["id"],
            },
        }.items():
            with pytest.raises(JsonRpcException) as refused:
                await request(client, "chatls/chat", params)
            refusals[name] = refused.value
        after = await request(client, "chatls/conversation", {"conversationId": conversation})

    assert {name: error.code for name, error in refusals.items()} == dict.fromkeys(refusals, -32602)
    assert "prompt must equal the question of the retried reply" in refusals["edited prompt"].message
    assert "'Why?'" in refusals["edited prompt"].message
    assert "retryOf needs the conversationId" in refusals["no conversation"].message
    assert "unknown message 'nope'" in refusals["unknown reply"].message
    assert "only a reply that failed (error) or was cancelled" in refusals["a question"].message
    assert after == before


async def test_replies_a_killed_server_left_pending_are_interrupted_when_read(
    session: OpenSession, state_dir: Path, project: Path
) -> None:
    with ConversationStore.open(state_dir) as store:  # this test process plays a live server's part
        interrupted = store.begin_turn(
            conversation_id=None,
            workspace_uri=project.as_uri(),
            title="interrupted",
            question="Are you there?",
        )
        store.append_to_message(interrupted.reply_id, "I was saying")
        live = store.begin_turn(
            conversation_id=None, workspace_uri=project.as_uri(), title="another window, still streaming",
            question="Still going?",
        )  # fmt: skip
        store.append_to_message(live.reply_id, "Yes, and")
    with sqlite3.connect(state_dir / "chatls.db") as db:  # its server was killed: that process is gone
        db.execute(
            "INSERT INTO owners VALUES ('killed', ?, ?, '2999-01-01T00:00:00Z')", (gethostname(), 2**22 + 3)
        )
        db.execute("UPDATE messages SET owner = 'killed' WHERE id = ?", (interrupted.reply_id,))
    conversation, abandoned = interrupted.conversation_id, interrupted.reply_id

    async with session() as client:
        settled = await request(client, "chatls/conversation", {"conversationId": conversation})
        untouched = await request(client, "chatls/conversation", {"conversationId": live.conversation_id})
        retried = await chat(client, "Are you there?", conversationId=conversation, retryOf=abandoned)

    assert [(m["id"], m["status"], m["content"]) for m in settled["messages"][1:]] == [
        (abandoned, "interrupted", "I was saying")
    ]
    assert [(m["id"], m["status"]) for m in untouched["messages"][1:]] == [(live.reply_id, "pending")]
    assert retried["content"] == "Echo from gpt-4o: Are you there?"
