"""Upstream faults end to end through the real server process: the emulator misbehaves mid-chat.

Each fault must reach the editor as one JSON-RPC error with an actionable message (no traceback, no URL, no
key), leave the partial reply stored with the right status next to the user's message, be retryable
(`retryOf`) without storing the question twice, and leave the server able to chat again.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    chat,
    lsp_session,
    request,
    session_settings,
)

from chatls import errors
from chatls.emulator.fixture import RunningEmulator, StartEmulator

pytestmark = SPEC_WARNINGS_ARE_ERRORS


LONG_REPLY = " ".join(f"word{n}" for n in range(60))
"""Long enough that a fault after a few chunks leaves a visible partial reply."""


@dataclass
class Fault:
    name: str
    spec: dict[str, Any]
    code: int
    kind: str
    stored_status: str
    partial: bool
    """Whether some of the reply was streamed (and so must be kept) before the fault."""
    attempts: int
    """Requests the emulator saw for the turn: retries only before anything was shown, within budget."""
    says: tuple[str, ...] = field(default=())
    """Words the message must contain (case-insensitive) to be actionable."""


FAULTS = [
    Fault(
        "connection dropped mid-stream",
        {"kind": "drop_connection", "after_chunks": 3},
        errors.UNAVAILABLE,
        "network",
        "error",
        partial=True,
        attempts=1,
        says=("try again",),
    ),
    Fault(
        "503 until the retries are used up",
        {"kind": "server_error", "status": 503, "count": 2},
        errors.UNAVAILABLE,
        "service",
        "error",
        partial=False,
        attempts=2,
        says=("503", "try again"),
    ),
    Fault(
        "429 asking for a wait beyond the retry budget",
        {"kind": "rate_limit", "retry_after": 120},
        errors.RATE_LIMITED,
        "rate_limit",
        "error",
        partial=False,
        attempts=1,
        says=("120 s", "quota"),
    ),
    Fault(
        "content filter mid-stream",
        {"kind": "content_filter_completion", "after_chunks": 3, "category": "violence"},
        errors.CONTENT_FILTERED,
        "content_filter",
        "error",
        partial=True,
        attempts=1,
        says=("violence", "rephrase"),
    ),
]


def assert_clean(text: str, secret: str, emulator: RunningEmulator) -> None:
    assert "Traceback" not in text and 'File "' not in text
    assert secret not in text
    assert emulator.url not in text and "127.0.0.1" not in text
    assert "api-key" not in text.lower()


@pytest.mark.guarantee(
    "every Azure failure reaches the editor as one actionable error; the partial reply is kept and retryable"
)
async def test_upstream_faults_reach_the_editor_as_actionable_errors(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    key = f"canary-{uuid.uuid4().hex}"
    emulator = await start_emulator()
    await emulator.add_reply("(?i)fault", LONG_REPLY)
    # two attempts, at most 2 s of waiting per request: the 503s use it up, the 429 asks for more
    session = session_settings(tmp_path, emulator.url, api_key=key, retryMaxAttempts=2, retryMaxWaitSeconds=2)
    async with lsp_session("visual-studio-code", **session) as client:
        for fault in FAULTS:
            reply, shown = await fails_actionably_and_keeps_the_partial_reply(client, emulator, fault, key)
            await retry_answers_without_storing_the_question_twice(client, fault, reply, shown)

        after = await chat(client, "and now a normal question")
        assert after["content"] == "Echo from gpt-4o: and now a normal question"
        listed = await request(client, "chatls/conversations", {})
        assert len(listed) == len(FAULTS) + 1


async def fails_actionably_and_keeps_the_partial_reply(
    client: LanguageClient, emulator: RunningEmulator, fault: Fault, key: str
) -> tuple[dict[str, Any], str]:
    """One chat meets `fault`: one actionable JSON-RPC error, and the reply stored with what was shown.
    Returns the stored reply and the text the editor showed."""
    await emulator.add_fault(**fault.spec)
    sent_before = len(await emulator.chat_requests())
    client.deltas.clear()  # type: ignore[attr-defined]
    with pytest.raises(JsonRpcException) as failure:
        await chat(client, f"fault: {fault.name}")
    error = failure.value
    assert isinstance(error.data, dict), error
    attempts = len(await emulator.chat_requests()) - sent_before
    assert (error.code, error.data["kind"]) == (fault.code, fault.kind), (fault.name, error.data)
    assert attempts == fault.attempts, (fault.name, attempts)
    if fault.kind == "rate_limit":
        assert error.data["retryAfter"] == 120  # the editor can offer "retry in 2 minutes"
    message = error.message
    assert len(message) > 20 and message.strip() == message
    for word in fault.says:
        assert word.lower() in message.lower(), (fault.name, message)
    assert_clean(json.dumps([message, error.data]), key, emulator)

    deltas = client.deltas  # type: ignore[attr-defined]
    assert deltas, fault.name  # the turn started and said so
    conversation_id = deltas[0]["conversationId"]
    stored = await request(client, "chatls/conversation", {"conversationId": conversation_id})
    user, reply = stored["messages"]
    assert (user["role"], user["content"], user["status"]) == ("user", f"fault: {fault.name}", "complete")
    assert (reply["role"], reply["status"]) == ("assistant", fault.stored_status), fault.name
    shown = "".join(d.get("content") or "" for d in deltas)
    assert reply["content"] == shown  # what the editor showed is what is kept
    assert bool(shown) == fault.partial and LONG_REPLY.startswith(shown), (fault.name, shown)
    return {**reply, "conversationId": conversation_id}, shown


async def retry_answers_without_storing_the_question_twice(
    client: LanguageClient, fault: Fault, reply: dict[str, Any], shown: str
) -> None:
    """Retry (the fault is used up): the question is answered again, not stored twice."""
    question, conversation_id = f"fault: {fault.name}", reply["conversationId"]
    retried = await chat(client, question, conversationId=conversation_id, retryOf=reply["id"])
    assert retried["content"] == LONG_REPLY
    stored = await request(client, "chatls/conversation", {"conversationId": conversation_id})
    assert [(m["role"], m["content"], m["status"]) for m in stored["messages"]] == [
        ("user", question, "complete"),
        ("assistant", shown, fault.stored_status),
        ("assistant", LONG_REPLY, "complete"),
    ]
