"""Never clobbering the user: stale documents, cancellation, UTF-16 and CRLF selections, bad arguments."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pytest_lsp import LanguageClient
from tests.actions.helpers import (
    apply_text_edits,
    change_document,
    code_actions,
    emulator_config,
    open_document,
    reply_rule,
    rng,
    selection,
    session,
    text_edits_for,
)
from tests.support.lsp import execute_command, request
from tests.support.waiting import wait_until_async

from chatls import edits, protocol
from chatls.emulator.fixture import StartEmulator

SOURCE = "def area(w, h):\n    return w + h\n"
BODY = rng((1, 4), (1, 16))
"""`return w + h`"""
CANCELLED = protocol.STATUS_CANCELLED
SLOW_REPLY = "```python\nreturn w * h\n```\n\n" + "Multiplying gives the area of the rectangle. " * 6
"""Streamed slowly (about 60 pieces at 20 per second) so the test can act while the model is working."""


async def run_in_background(client: LanguageClient, command: str, argument: Any) -> asyncio.Future[Any]:
    return asyncio.ensure_future(execute_command(client, command, argument))


async def first_delta(client: LanguageClient) -> None:
    """Wait until the model has started answering (no timing involved: the reply is still streaming)."""
    deltas: list[dict[str, Any]] = client.deltas  # type: ignore[attr-defined]
    await wait_until_async(lambda: any(d.get("content") for d in deltas), "the first answer text")


async def deltas_arrived(client: LanguageClient, count: int) -> list[dict[str, Any]]:
    """The first `count` deltas, once they have arrived."""
    deltas: list[dict[str, Any]] = client.deltas  # type: ignore[attr-defined]
    await wait_until_async(lambda: len(deltas) >= count, f"{count} deltas", last_seen=lambda: len(deltas))
    return deltas[:count]


@dataclass
class SlowImprove:
    """An Improve command whose reply is still streaming: the test acts while the model works."""

    client: LanguageClient
    emulator: Any
    uri: str
    running: asyncio.Future[Any]


@contextlib.asynccontextmanager
async def improving_slowly(
    preset: str,
    start_emulator: StartEmulator,
    workspace: Path,
    state_dir: Path,
    *,
    tokens_per_second: float = 20,
) -> AsyncIterator[SlowImprove]:
    config = emulator_config(reply_rule("Improve", SLOW_REPLY), tokens_per_second=tokens_per_second)
    emulator = await start_emulator(config)
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python", version=1)
        running = await run_in_background(client, protocol.CMD_IMPROVE, selection(uri, BODY, version=1))
        await first_delta(client)
        yield SlowImprove(client, emulator, uri, running)


async def synced(client: LanguageClient, uri: str, version: int) -> None:
    """A request after a didChange is answered after the server processed it: prove it saw `version`."""
    actions = await code_actions(client, uri, rng((0, 0), (0, 3)))
    command = actions[0].command
    assert command is not None
    (argument,) = command.arguments or []
    assert isinstance(argument, dict)
    assert argument["version"] == version


@pytest.mark.parametrize("preset", ["visual-studio-code", "neovim@v0.7.0"])
async def test_a_selection_moved_by_typing_is_edited_where_it_is_now(
    preset: str, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    async with improving_slowly(preset, start_emulator, workspace, state_dir) as slow:
        client, uri, running = slow.client, slow.uri, slow.running
        typed = '"""Shapes."""\n\n\n' + SOURCE
        change_document(client, uri, typed, version=2)
        await synced(client, uri, 2)
        result = await asyncio.wait_for(running, 60)
        assert result["applied"] is True, result
        (sent,) = client.applied_edits  # type: ignore[attr-defined]
        text_edits = text_edits_for(sent.edit, uri)
        assert [e.range for e in text_edits] == [rng((4, 4), (4, 16))]
        assert apply_text_edits(typed, text_edits) == '"""Shapes."""\n\n\ndef area(w, h):\n    return w * h\n'
        if preset == "visual-studio-code":
            (document_edit,) = sent.edit.document_changes or []
            assert document_edit.text_document.version == 2  # pinned to the version it was computed on


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("def area(w, h):\n    return (w + h)\n", "is no longer there"),
        (
            "def area(w, h):\n    return w + h\n\n\ndef perimeter(w, h):\n    return w + h\n",
            "now occurs more than once",
        ),
    ],
    ids=["gone", "twice"],
)
async def test_nothing_is_applied_when_the_selection_cannot_be_found_once(
    typed: str, why: str, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    async with improving_slowly("neovim@v0.7.0", start_emulator, workspace, state_dir) as slow:
        client, uri, running = slow.client, slow.uri, slow.running
        change_document(client, uri, typed, version=2)
        await synced(client, uri, 2)
        result = await asyncio.wait_for(running, 60)
        assert result["applied"] is False
        assert why in result["reason"]
        assert "The suggestion is kept in the conversation." in result["reason"]
        assert client.applied_edits == []  # type: ignore[attr-defined]
        warnings = [m for m in client.messages if m.type == types.MessageType.Warning]
        assert [m.message for m in warnings] == [f"ChatLS: {result['reason']}"]
        stored = await request(client, protocol.CONVERSATION, {"conversationId": result["conversationId"]})
        assert stored["messages"][1]["content"] == SLOW_REPLY


async def test_cancelling_the_progress_applies_nothing_and_closes_the_upstream_stream(
    preset: str, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    async with improving_slowly(preset, start_emulator, workspace, state_dir, tokens_per_second=5) as slow:
        client, running = slow.client, slow.running
        (token,) = client.progress_reports
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(running, 30)
        assert result["status"] == protocol.STATUS_CANCELLED
        assert result["applied"] is False
        assert result["reason"] == "Cancelled: nothing was applied."
        assert SLOW_REPLY.startswith(result["content"]) and result["content"]
        assert client.applied_edits == []  # type: ignore[attr-defined]
        closed = await slow.emulator.wait_for_request(lambda r: r["path"].endswith("/chat/completions"))
        assert closed["disconnected"] is True
        assert isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd)
        stored = await request(client, protocol.CONVERSATION, {"conversationId": result["conversationId"]})
        assert stored["messages"][1]["status"] == protocol.STATUS_CANCELLED


async def test_cancelling_before_any_text_still_answers_with_the_stored_turn(
    preset: str, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    config = emulator_config(reply_rule("Improve", SLOW_REPLY), time_to_first_token=60)
    emulator = await start_emulator(config)
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python", version=1)
        running = await run_in_background(client, protocol.CMD_IMPROVE, selection(uri, BODY, version=1))
        (first,) = await deltas_arrived(
            client, 1
        )  # the turn's first delta: its ids, before the model answers
        assert first.get("status") and not first.get("content")

        # the request is in flight, waiting for its first token
        await wait_until_async(emulator.chat_requests, "the request upstream", timeout=10)
        (token,) = client.progress_reports
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(running, 30)
        ids = (first["conversationId"], first["messageId"])
        assert (result["conversationId"], result["messageId"]) == ids
        assert (result["status"], result["applied"], result["content"]) == (CANCELLED, False, "")
        assert result["reason"] == "Cancelled: nothing was applied."
        assert client.applied_edits == []  # type: ignore[attr-defined]
        # the upstream request was closed, not left waiting out its 60 s
        closed = await emulator.wait_for_request(lambda r: r["path"].endswith("/chat/completions"))
        assert closed["disconnected"] is True
        stored = await request(client, protocol.CONVERSATION, {"conversationId": ids[0]})
        question, reply = stored["messages"]
        assert question["content"] == "Improve the selected code (geometry.py, line 2)"  # as the user asked
        assert (reply["id"], reply["status"], reply["content"]) == (ids[1], CANCELLED, "")


@pytest.mark.parametrize(
    ("preset", "encoding", "start", "end"),
    [("visual-studio-code", edits.UTF16, 23, 40), ("emacs", edits.UTF32, 22, 39)],
    ids=["utf-16", "utf-32"],
)
async def test_columns_after_emoji_cjk_and_combining_characters_follow_the_negotiated_encoding(
    preset: str,
    encoding: str,
    start: int,
    end: int,
    start_emulator: StartEmulator,
    workspace: Path,
    state_dir: Path,
) -> None:
    text = 'label = "😋 漢字 cafe\u0301"; size = len(label)\n'
    # `size = len(label)` starts at Python index (= UTF-32 column) 22 but UTF-16 column 23: 😋 takes two
    # UTF-16 units, while 漢, 字 and the combining accent take one each. VS Code speaks UTF-16; the Emacs
    # preset offers UTF-32 first, so the server negotiates that.
    assert text.index("size") == 22
    size = rng((0, start), (0, end))
    emulator = await start_emulator(
        emulator_config(reply_rule("Improve", "```python\nsize = len(label.encode())\n```"))
    )
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "text.py", text, "python")
        result = await execute_command(client, protocol.CMD_IMPROVE, selection(uri, size))
        assert result["applied"] is True, result
        (sent,) = client.applied_edits  # type: ignore[attr-defined]
        text_edits = text_edits_for(sent.edit, uri)
        assert [e.range for e in text_edits] == [size]
        assert apply_text_edits(text, text_edits, encoding) == (
            'label = "😋 漢字 cafe\u0301"; size = len(label.encode())\n'
        )


async def test_crlf_documents_get_crlf_replacements(
    preset: str, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    text = "if ready:\r\n    start()\r\n    wait()\r\nelse:\r\n    stop()\r\n"
    reply = "```python\nstart()\nwait_until_done()\nreport()\n```"
    emulator = await start_emulator(emulator_config(reply_rule("Improve", reply)))
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "flow.py", text, "python")
        result = await execute_command(client, protocol.CMD_IMPROVE, selection(uri, rng((1, 0), (3, 0))))
        assert result["applied"] is True, result
        (sent,) = client.applied_edits  # type: ignore[attr-defined]
        assert apply_text_edits(text, text_edits_for(sent.edit, uri)) == (
            "if ready:\r\n    start()\r\n    wait_until_done()\r\n    report()\r\nelse:\r\n    stop()\r\n"
        )


FIRST_CHARACTER = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}


def arg(range_: Any = FIRST_CHARACTER, uri: Any = "OPEN", **extra: Any) -> dict[str, Any]:
    return {"uri": uri, "range": range_, **extra}


def span(a: tuple[int, int], b: tuple[int, int]) -> dict[str, Any]:
    return {"start": {"line": a[0], "character": a[1]}, "end": {"line": b[0], "character": b[1]}}


BAD_ARGUMENTS: list[tuple[list[Any], str]] = [
    ([], "expected one argument"),
    ([arg(), {"extra": True}], "expected one argument"),
    (["file:///x.py"], "params must be an object"),
    ([{"range": FIRST_CHARACTER}], "$.uri"),
    ([arg(uri=5)], "$.uri"),
    ([arg({"start": {"line": 0, "character": 0}})], "$.range.end"),
    ([arg(version="1")], "$.version"),
    ([arg(span((0, 0), (9, 0)))], "line 9 is outside the document"),
    ([arg(span((1, 0), (0, 1)))], "the range ends before it starts"),
    ([arg(span((0, 3), (0, 3)))], "the selection is empty"),
    ([arg(version=7)], "the document changed since the action was offered (version 7, now 1)"),
    ([arg(uri="file:///nowhere/closed.py")], "file:///nowhere/closed.py is not open in the editor"),
    ([arg(uri="not a uri")], "expected a URI"),
]


async def test_bad_arguments_are_invalid_params_with_a_useful_message(
    emulator: Any, workspace: Path, state_dir: Path
) -> None:
    async with session("visual-studio-code", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python", version=1)
        for arguments, message in BAD_ARGUMENTS:
            resolved = [
                {**a, "uri": uri} if isinstance(a, dict) and a.get("uri") == "OPEN" else a for a in arguments
            ]
            with pytest.raises(JsonRpcInvalidParams) as caught:
                await execute_command(client, protocol.CMD_IMPROVE, *resolved)
            assert message in str(caught.value.message), (arguments, caught.value.message)
        with pytest.raises(JsonRpcInvalidParams) as caught:
            await execute_command(client, protocol.CMD_EDIT_SELECTION, selection(uri, BODY, instruction="  "))
        assert "chatls.editSelection needs an instruction" in str(caught.value.message)
        assert await emulator.chat_requests() == []
        assert client.applied_edits == []  # type: ignore[attr-defined]


def answer_apply_edit(client: LanguageClient, handler: Any) -> list[types.ApplyWorkspaceEditParams]:
    """Replace the session's applyEdit recorder with `handler` (pygls refuses a second registration)."""
    seen: list[types.ApplyWorkspaceEditParams] = []
    client.protocol.fm.features.pop(types.WORKSPACE_APPLY_EDIT)

    @client.feature(types.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
    def on_apply_edit(params: types.ApplyWorkspaceEditParams) -> Any:
        seen.append(params)
        return handler(params)

    return seen


async def test_an_edit_declined_or_refused_by_the_editor_is_reported(
    start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(emulator_config(reply_rule("Improve", "```python\nreturn w * h\n```")))
    async with session("visual-studio-code", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python", version=1)
        # VS Code's refactor preview answers a discarded edit with applied: false and no reason.
        declined = answer_apply_edit(client, lambda _p: types.ApplyWorkspaceEditResult(applied=False))
        result = await execute_command(client, protocol.CMD_IMPROVE, selection(uri, BODY))
        assert len(declined) == 1
        assert (result["applied"], result["reason"]) == (
            False,
            "The edit was not applied (it was declined in the editor).",
        )
        assert client.messages == []  # the user declined it: nothing to tell them

        locked = types.ApplyWorkspaceEditResult(applied=False, failure_reason="buffer is locked")
        failed = answer_apply_edit(client, lambda _p: locked)
        result = await execute_command(client, protocol.CMD_IMPROVE, selection(uri, BODY))
        assert len(failed) == 1
        assert (result["applied"], result["reason"]) == (
            False,
            "The editor did not apply the edit: buffer is locked",
        )
        assert [m.message for m in client.messages] == [f"ChatLS: {result['reason']}"]

        def refuse(_params: types.ApplyWorkspaceEditParams) -> Any:
            # What eglot answers for a stale versioned edit.
            raise JsonRpcInternalError("Edits on `geometry.py' require version 1, you have 2")

        refused = answer_apply_edit(client, refuse)
        result = await execute_command(client, protocol.CMD_IMPROVE, selection(uri, BODY))
        assert len(refused) == 1
        assert result["applied"] is False
        assert result["reason"].startswith("The editor refused the edit: ")
        assert "require version 1, you have 2" in result["reason"]
        assert f"ChatLS: {result['reason']}" in [m.message for m in client.messages]


@pytest.mark.parametrize(
    ("reply", "applied"),
    [
        ("```python\nreturn w * h\n```\n" + "Because the area is a product. " * 10, True),
        ("```python\nreturn (w * h) if w > 0 and h > 0 else 0  # guard against negative sizes\n```", False),
    ],
    ids=["block-complete", "block-cut-off"],
)
async def test_a_reply_cut_off_at_the_length_limit_is_applied_only_from_a_complete_block(
    reply: str, applied: bool, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(
        {
            "replies": [reply_rule("Improve", reply)],
            "server": {"include_default_deployments": True},
            "deployments": {"gpt-4o": {"model": "gpt-4o-2024-11-20", "max_output": 8}},
        }
    )
    async with session("visual-studio-code", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python")
        result = await execute_command(client, protocol.CMD_IMPROVE, selection(uri, BODY))
        assert result["status"] == protocol.STATUS_TRUNCATED
        assert result["applied"] is applied
        if applied:
            (sent,) = client.applied_edits  # type: ignore[attr-defined]
            assert apply_text_edits(SOURCE, text_edits_for(sent.edit, uri)) == SOURCE.replace(
                "w + h", "w * h"
            )
        else:
            assert result["reason"] == "The reply was cut off at the length limit, so nothing was applied."
            assert client.applied_edits == []  # type: ignore[attr-defined]
            assert [m.message for m in client.messages] == [f"ChatLS: {result['reason']}"]


async def test_nothing_is_applied_to_a_document_closed_while_the_model_worked(
    start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    async with improving_slowly("visual-studio-code", start_emulator, workspace, state_dir) as slow:
        client, uri, running = slow.client, slow.uri, slow.running
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert await code_actions(client, uri, BODY) == []  # the server has seen the close
        result = await asyncio.wait_for(running, 60)
        assert result["applied"] is False
        assert result["reason"] == "The document was closed before the reply arrived, so nothing was applied."
        assert client.applied_edits == []  # type: ignore[attr-defined]
        assert [m.message for m in client.messages] == [f"ChatLS: {result['reason']}"]


WARNING, INFO = types.MessageType.Warning, types.MessageType.Info


@pytest.mark.parametrize(
    ("reply", "reason", "level"),
    [
        (
            "```python\n```\nNothing to change.",
            "The reply holds no python code block to apply, so nothing was changed. The reply:\n\n"
            "```python\n```\nNothing to change.",
            WARNING,
        ),
        ("```python\nreturn w + h\n```\nIt is right.", "The model suggested no change.", INFO),
    ],
    ids=["empty-block", "same-code"],
)
async def test_a_reply_without_a_change_applies_nothing_and_says_so(
    reply: str,
    reason: str,
    level: types.MessageType,
    start_emulator: StartEmulator,
    workspace: Path,
    state_dir: Path,
) -> None:
    emulator = await start_emulator(emulator_config(reply_rule("Improve", reply)))
    async with session("neovim@v0.7.0", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python")
        result = await execute_command(client, protocol.CMD_IMPROVE, selection(uri, BODY))
        assert (result["applied"], result["reason"], result["content"]) == (False, reason, reply)
        assert client.applied_edits == []  # type: ignore[attr-defined]
        assert [(m.type, m.message) for m in client.messages] == [(level, f"ChatLS: {reason}")]
