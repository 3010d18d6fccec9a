"""chatls/chat end to end: coalesced streaming, reasoning models, cancellation, failures, workspaces."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from pytest_lsp import LanguageClient
from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    OpenSession,
    chat,
    delta_text,
    folder,
    init_options,
    profile,
    request,
    statuses,
)
from tests.support.waiting import wait_until_async

from chatls.emulator.fixture import RunningEmulator
from chatls.emulator.replies import split_pieces

pytestmark = SPEC_WARNINGS_ARE_ERRORS

LONG_REPLY = " ".join(f"word{i}" for i in range(400))


async def slow_replies(emulator: RunningEmulator, tokens_per_second: float = 40) -> None:
    """Prompts containing "slowly" get LONG_REPLY, streamed at `tokens_per_second`."""
    await emulator.add_reply("slowly", LONG_REPLY)
    await emulator.set_timing("gpt-4o", tokens_per_second=tokens_per_second)


def start_chat(client: LanguageClient, prompt: str, msg_id: str) -> asyncio.Future[object]:
    """Send `chatls/chat` without waiting, under a known id (to cancel it)."""
    request = client.protocol.send_request_async("chatls/chat", {"prompt": prompt}, msg_id=msg_id)
    return asyncio.ensure_future(request)


async def test_streaming_reply_arrives_as_coalesced_increments(
    session: OpenSession, emulator: RunningEmulator, project: Path
) -> None:
    await emulator.add_reply("long story", LONG_REPLY)
    async with session() as client:
        result = await chat(client, "Tell me a long story", workspaceUri=project.as_uri())

    assert result["content"] == LONG_REPLY
    deltas = [d for d in client.deltas if d["messageId"] == result["messageId"]]  # type: ignore[attr-defined]
    assert delta_text(deltas) == result["content"]  # increments, in order, all before the response
    assert all(d["conversationId"] == result["conversationId"] for d in deltas)
    pieces = len(split_pieces(LONG_REPLY))
    assert 1 <= len(deltas) < pieces, f"{len(deltas)} deltas for {pieces} streamed chunks"
    assert result["finishReason"] == "stop"
    assert result["model"].startswith("gpt-4o")
    assert result["usage"]["completionTokens"] > 0


async def test_reasoning_model_without_streaming_reports_thinking_then_content(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path
) -> None:
    await emulator.set_timing("o1-preview", thinking_time=2.5)
    options = init_options(
        emulator.url,
        state_dir=state_dir,
        profiles=[
            profile(emulator.url, name="reasoning", deployment="o1-preview", api_version="2024-12-01-preview")
        ],
        defaultProfile="reasoning",
    )
    async with session(init_options=options) as client:
        result = await chat(client, "Think about primes")

    deltas = client.deltas  # type: ignore[attr-defined]
    thinking = [s for s in statuses(deltas) if s.startswith("thinking")]
    assert thinking, deltas
    first_content = next(i for i, d in enumerate(deltas) if d.get("content"))
    last_status = max(i for i, d in enumerate(deltas) if d.get("status"))
    assert last_status < first_content  # status events first, then the reply
    assert delta_text(deltas) == result["content"]
    assert "Think about primes" in result["content"]
    sent = (await emulator.chat_requests("o1-preview"))[-1]["body"]
    assert sent.get("stream") in (None, False)
    assert all(m["role"] != "system" for m in sent["messages"])  # o1-preview takes no system message


async def test_cancelling_a_chat_closes_the_stream_and_keeps_the_partial_reply(
    session: OpenSession, emulator: RunningEmulator
) -> None:
    await slow_replies(emulator)
    async with session() as client:
        pending = start_chat(client, "Answer slowly", "chat-1")
        await wait_until_async(lambda: delta_text(client.deltas).count("word") >= 3, "the first words")  # type: ignore[attr-defined]
        client.cancel_request(types.CancelParams(id="chat-1"))
        with pytest.raises(JsonRpcRequestCancelled):
            await asyncio.wait_for(pending, 20)

        record = await emulator.wait_for_request(lambda r: r["deployment"] == "gpt-4o")
        assert record["disconnected"] is True

        conversation_id = client.deltas[0]["conversationId"]  # type: ignore[attr-defined]
        stored = await request(client, "chatls/conversation", {"conversationId": conversation_id})
    user, reply = stored["messages"]
    assert (user["role"], user["content"], user["status"]) == ("user", "Answer slowly", "complete")
    assert reply["status"] == "cancelled"
    assert reply["content"] and LONG_REPLY.startswith(reply["content"])
    assert len(reply["content"]) < len(LONG_REPLY)


async def test_the_prompt_survives_an_upstream_failure(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path
) -> None:
    await emulator.add_fault("server_error", status=500, count=50)
    options = init_options(emulator.url, state_dir=state_dir, retryMaxAttempts=2, retryMaxWaitSeconds=1)
    async with session(init_options=options) as client:
        with pytest.raises(JsonRpcException) as failure:
            await chat(client, "Please keep this question")
        listed = await request(client, "chatls/conversations", {})
        stored = await request(client, "chatls/conversation", {"conversationId": listed[0]["id"]})

    error = failure.value
    assert -32099 <= error.code <= -32000
    assert error.data["kind"] in ("service", "network")
    assert "Traceback" not in error.message and "traceback" not in (error.data or {})
    assert len(listed) == 1
    user, reply = stored["messages"]
    assert (user["content"], user["status"]) == ("Please keep this question", "complete")
    assert reply["status"] == "error"
    assert len(await emulator.chat_requests()) == 2  # both attempts went upstream


async def test_conversations_of_two_folders_never_mix(
    session: OpenSession, emulator: RunningEmulator, tmp_path: Path
) -> None:
    first, second = tmp_path / "alpha", tmp_path / "beta"
    first.mkdir()
    second.mkdir()
    source = second / "main.py"
    source.write_text("print('beta')\n")
    async with session(folders=[folder(first), folder(second)]) as client:
        in_first = await chat(client, "about alpha", workspaceUri=first.as_uri())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=source.as_uri(), language_id="python", version=1, text=source.read_text()
                )
            )
        )
        in_second = await chat(client, "about beta", context={"uri": source.as_uri()})
        default = await chat(client, "no folder named")
        listed_first = await request(client, "chatls/conversations", {"workspaceUri": first.as_uri()})
        listed_second = await request(client, "chatls/conversations", {"workspaceUri": second.as_uri()})
        with pytest.raises(JsonRpcException) as crossing:
            await chat(client, "mix", conversationId=in_first["conversationId"], workspaceUri=second.as_uri())

    assert {c["id"] for c in listed_first} == {in_first["conversationId"], default["conversationId"]}
    assert [c["id"] for c in listed_second] == [in_second["conversationId"]]
    assert crossing.value.code == -32602
    assert "belongs to workspace" in crossing.value.message
    attached, _prompt = (await emulator.chat_requests())[1]["body"]["messages"][-1]["content"]
    sent = attached["text"]  # the attached file, a part of its own, not stored with the prompt
    assert "main.py" in sent and "print('beta')" in sent


async def test_history_survives_a_restart(session: OpenSession, emulator: RunningEmulator) -> None:
    async with session() as client:
        first = await chat(client, "Remember the word pelican")
    async with session() as client:
        listed = await request(client, "chatls/conversations", {})
        again = await chat(client, "Which word?", conversationId=first["conversationId"])
        stored = await request(client, "chatls/conversation", {"conversationId": first["conversationId"]})

    assert [c["id"] for c in listed] == [first["conversationId"]]
    assert again["conversationId"] == first["conversationId"]
    assert [m["content"] for m in stored["messages"] if m["role"] == "user"] == [
        "Remember the word pelican",
        "Which word?",
    ]
    sent = (await emulator.chat_requests())[-1]["body"]["messages"]
    assert [m["content"] for m in sent if m["role"] != "system"][:2] == [
        "Remember the word pelican",
        first["content"],
    ]


async def test_chat_command_is_cancellable_through_its_progress(
    session: OpenSession, emulator: RunningEmulator, preset: str
) -> None:
    await slow_replies(emulator)
    async with session() as client:
        pending = asyncio.ensure_future(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="chatls.chat", arguments=[{"prompt": "Answer slowly"}])
            )
        )
        await wait_until_async(lambda: delta_text(client.deltas).count("word") >= 3, "the first words")  # type: ignore[attr-defined]
        tokens = list(client.progress_reports)
        assert len(tokens) == 1
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=tokens[0]))
        result = await asyncio.wait_for(pending, 20)
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})

    assert result["status"] == "cancelled"
    assert LONG_REPLY.startswith(result["content"]) and result["content"]
    assert stored["messages"][1]["status"] == "cancelled"
    kinds = [type(report).__name__ for report in client.progress_reports[tokens[0]]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    assert (await emulator.wait_for_request())["disconnected"] is True


async def test_chat_command_returns_the_reply(session: OpenSession) -> None:
    async with session() as client:
        result = await execute_command_chat(client, "Say hello")
    assert result["status"] == "complete"
    assert result["content"] == "Echo from gpt-4o: Say hello"
    assert delta_text(client.deltas) == result["content"]  # type: ignore[attr-defined]


async def execute_command_chat(client: LanguageClient, prompt: str) -> dict[str, object]:
    params = types.ExecuteCommandParams(command="chatls.chat", arguments=[{"prompt": prompt}])
    result: dict[str, object] = await asyncio.wait_for(client.workspace_execute_command_async(params), 30)
    return result


async def test_context_length_exceeded_trims_history_and_retries_once(
    session: OpenSession, emulator: RunningEmulator
) -> None:
    async with session() as client:
        first = await chat(client, "turn one")
        for prompt in ("turn two", "turn three"):
            await chat(client, prompt, conversationId=first["conversationId"])
        await emulator.add_fault("context_length_exceeded", count=1)
        result = await chat(client, "turn four", conversationId=first["conversationId"])

        await emulator.add_fault("context_length_exceeded", count=2)
        with pytest.raises(JsonRpcException) as failure:
            await chat(client, "turn five", conversationId=first["conversationId"])
        stored = await request(client, "chatls/conversation", {"conversationId": first["conversationId"]})

    requests = await emulator.chat_requests()
    refused, retried = requests[3]["body"]["messages"], requests[4]["body"]["messages"]
    assert (requests[3]["status"], requests[4]["status"]) == (400, 200)
    assert len(retried) < len(refused)  # older turns went first
    assert retried[-1] == refused[-1] == {"role": "user", "content": "turn four"}
    assert result["content"] == "Echo from gpt-4o: turn four"
    assert len(requests) == 7  # one retry for "turn five", never a loop
    assert failure.value.data["kind"] == "context_length"
    assert [m["status"] for m in stored["messages"][-2:]] == ["complete", "error"]
    assert stored["messages"][-2]["content"] == "turn five"


def replies_with_text(client: LanguageClient) -> set[str]:
    """Ids of the replies some text has arrived for (every reply's first delta is a status)."""
    return {d["messageId"] for d in client.deltas if d.get("content")}  # type: ignore[attr-defined]


async def test_shutdown_finishes_a_chat_and_a_command_in_flight(
    session: OpenSession, emulator: RunningEmulator
) -> None:
    await slow_replies(emulator, tokens_per_second=20)
    async with session() as client:
        chatting = start_chat(client, "Answer slowly", "chat-9")
        commanding = asyncio.ensure_future(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="chatls.chat", arguments=[{"prompt": "Also slowly"}])
            )
        )
        await wait_until_async(lambda: len(replies_with_text(client)) == 2, "both replies' first words")
        # the session's exit sends shutdown + exit while both are streaming (pygls#606 would fail it)
    with pytest.raises(JsonRpcRequestCancelled):
        await chatting
    command_result = await commanding
    assert command_result["status"] == "cancelled"

    async with session() as client:
        listed = await request(client, "chatls/conversations", {})
        replies = [
            (await request(client, "chatls/conversation", {"conversationId": c["id"]}))["messages"][1]
            for c in listed
        ]
    assert sorted(r["status"] for r in replies) == ["cancelled", "cancelled"]
    assert all(r["content"] and LONG_REPLY.startswith(r["content"]) for r in replies)


async def test_a_selection_in_utf16_units_is_attached_with_file_name_and_language(
    session: OpenSession, emulator: RunningEmulator, project: Path
) -> None:
    source = project / "src" / "snack.py"
    source.parent.mkdir()
    source.write_text('a = "😋" + b\nprint(a)\n', encoding="utf-8")
    selection = {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 8}}
    async with session() as client:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=source.as_uri(),
                    language_id="python",
                    version=1,
                    text=source.read_text(encoding="utf-8"),
                )
            )
        )
        result = await chat(client, "What is this?", context={"uri": source.as_uri(), "range": selection})
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})

    sent = (await emulator.chat_requests())[-1]["body"]["messages"][-1]["content"]
    attached, prompt = (part["text"] for part in sent)  # the selection is a part of its own
    assert attached.startswith("File: src/snack.py (lines 1-1, language: python)")
    assert '```python\n"😋"\n```' in attached and "print(a)" not in attached
    assert prompt == "What is this?"
    assert stored["messages"][0]["content"] == "What is this?"  # stored as typed, without the code


async def test_reasoning_effort_of_the_request_reaches_the_model(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path
) -> None:
    options = init_options(
        emulator.url,
        state_dir=state_dir,
        profiles=[
            profile(
                emulator.url, deployment="o3-mini", api_version="2024-12-01-preview", reasoningEffort="high"
            )
        ],
    )
    async with session(init_options=options) as client:
        await chat(client, "quick one", reasoningEffort="low")
        await chat(client, "default one")
    bodies = [r["body"] for r in await emulator.chat_requests("o3-mini")]
    assert [b.get("reasoning_effort") for b in bodies] == ["low", "high"]
    assert all("max_tokens" not in b for b in bodies)
