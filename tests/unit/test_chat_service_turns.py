"""ChatService on the real SQLite store with a scripted backend: what is stored when, and what is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from chatls import chat_service, protocol
from chatls.azure.errors import ContextLengthExceeded, ServiceError
from chatls.azure.profile import Profile
from chatls.azure.types import (
    ChatEvent,
    ChatOptions,
    ChatResult,
    ContentEvent,
    Conversation,
    ModelCapabilities,
    StatusEvent,
    Usage,
)
from chatls.chat_service import ChatService, Turn
from chatls.config import Settings
from chatls.errors import CONTEXT_TOO_LONG, UNAVAILABLE
from chatls.store import ConversationStore, MessageRecord

WORKSPACE = "file:///work/project"


@dataclass
class ScriptedBackend:
    """Plays back `script` (a list of events, or an exception to raise, per call) and records each request."""

    script: list[list[Any]]
    capabilities: ModelCapabilities = field(
        default_factory=lambda: ModelCapabilities("gpt-4o", False, True, 128_000, 16_384)
    )
    sent: list[Conversation] = field(default_factory=list)
    closed: int = 0
    on_call: Any = None

    async def chat(self, conversation: Conversation, options: ChatOptions) -> AsyncIterator[ChatEvent]:
        self.sent.append(conversation)
        if self.on_call is not None:
            self.on_call()
        try:
            for item in self.script.pop(0):
                if isinstance(item, BaseException):
                    raise item
                if item == "hang":
                    await asyncio.Event().wait()
                yield item
                await asyncio.sleep(0)
        finally:
            self.closed += 1


class Environment:
    def __init__(self, store: ConversationStore, backend: ScriptedBackend, **settings: Any) -> None:
        self.profile = Profile(
            name="default", endpoint="https://example.openai.azure.com", deployments=("d",)
        )
        self.settings = Settings(profiles=(self.profile,), **settings)
        self._store = store
        self.backend_ = backend

    async def ready(self) -> None:
        return None

    def turn_settings(self, profile: str | None, workspace_uri: str | None) -> tuple[Settings, Profile]:
        return self.settings, self.settings.profile(profile)

    def backend(self, profile: Profile, settings: Settings) -> ScriptedBackend:
        return self.backend_

    @property
    def store(self) -> ConversationStore:
        return self._store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore.open(tmp_path) as opened:
        yield opened


def reply(*pieces: str, finish: str = "stop") -> list[Any]:
    text = "".join(pieces)
    return [
        *(ContentEvent(p) for p in pieces),
        ChatResult(text, "gpt-4o-2024-11-20", finish, Usage(5, len(pieces))),
    ]


def roles_and_statuses(store: ConversationStore, conversation_id: str) -> list[tuple[str, str, str]]:
    return [(m.role, m.status, m.content) for m in store.get_messages(conversation_id)]


async def test_a_turn_stores_prompt_and_reply_and_returns_the_result(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("Hel", "lo")])
    deltas: list[protocol.DeltaNotification] = []
    result = await ChatService(Environment(store, backend)).run_turn(Turn("Hi", WORKSPACE), deltas.append)

    assert (result.content, result.finish_reason, result.usage.completion_tokens) == ("Hello", "stop", 2)
    assert "".join(d.content or "" for d in deltas) == "Hello"
    assert roles_and_statuses(store, result.conversation_id) == [
        ("user", "complete", "Hi"),
        ("assistant", "complete", "Hello"),
    ]
    assert [s.id for s in store.list_conversations(WORKSPACE)] == [result.conversation_id]


async def test_the_prompt_is_committed_before_the_backend_is_called(store: ConversationStore) -> None:
    seen: list[list[str]] = []
    backend = ScriptedBackend([reply("ok")])
    backend.on_call = lambda: seen.append(
        [m.content for c in store.list_conversations(WORKSPACE) for m in store.get_messages(c.id)]
    )
    await ChatService(Environment(store, backend)).run_turn(Turn("keep me", WORKSPACE), lambda d: None)
    assert seen == [["keep me", ""]]


async def test_a_failure_keeps_the_partial_reply_and_raises_a_user_facing_error(
    store: ConversationStore,
) -> None:
    backend = ScriptedBackend([[ContentEvent("partial "), ServiceError("Azure kept failing; try later.")]])
    with pytest.raises(JsonRpcException) as failure:
        await ChatService(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), lambda d: None)

    assert (failure.value.code, failure.value.message) == (UNAVAILABLE, "Azure kept failing; try later.")
    assert failure.value.data == {"kind": "service"}
    conversation = store.list_conversations(WORKSPACE)[0].id
    assert roles_and_statuses(store, conversation) == [
        ("user", "complete", "q"),
        ("assistant", "error", "partial "),
    ]


async def test_cancelling_stores_the_partial_reply_and_closes_the_stream(store: ConversationStore) -> None:
    backend = ScriptedBackend([[ContentEvent("so far"), "hang"]])
    deltas: list[protocol.DeltaNotification] = []
    task = asyncio.ensure_future(
        ChatService(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), deltas.append)
    )
    while not deltas:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert backend.closed == 1
    conversation = store.list_conversations(WORKSPACE)[0].id
    assert roles_and_statuses(store, conversation)[-1] == ("assistant", "cancelled", "so far")


async def test_a_length_finish_is_stored_as_truncated(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("cut", finish="length")])
    result = await ChatService(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), lambda d: None)
    assert store.get_messages(result.conversation_id)[-1].status == "truncated"


async def test_the_attachment_is_sent_but_not_stored_in_the_prompt(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("a"), reply("b")])
    service = ChatService(Environment(store, backend))
    first = await service.run_turn(
        Turn("Explain", WORKSPACE, attachment="File: a.py\n```\nx = 1\n```"), lambda d: None
    )
    await service.run_turn(Turn("And now?", None, conversation_id=first.conversation_id), lambda d: None)

    user = store.get_messages(first.conversation_id)[0]
    assert (user.content, user.attachment) == ("Explain", "File: a.py\n```\nx = 1\n```")
    assert backend.sent[0].messages[-1].content == "File: a.py\n```\nx = 1\n```\n\nExplain"
    assert [m.content for m in backend.sent[1].messages] == [
        backend.sent[0].messages[-1].content,
        "a",
        "And now?",
    ]


async def test_instructions_and_task_instructions_are_combined(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("x")])
    env = Environment(store, backend, instructions="Be brief.")
    await ChatService(env).run_turn(
        Turn("q", WORKSPACE, task_instructions="Reply with code only."), lambda d: None
    )
    assert backend.sent[0].instructions == "Be brief.\n\nReply with code only."


async def test_history_is_read_only_as_far_as_needed(store: ConversationStore) -> None:
    conversation = store.create_conversation(WORKSPACE, "long")
    for index in range(2_000):
        store.add_message(
            conversation, "user" if index % 2 == 0 else "assistant", f"message {index}", "complete"
        )
    read = 0
    original = store.iter_recent_messages

    def counting(conversation_id: str, **kwargs: Any) -> Iterator[MessageRecord]:
        nonlocal read
        for message in original(conversation_id, **kwargs):
            read += 1
            yield message

    store.iter_recent_messages = counting  # type: ignore[method-assign]
    backend = ScriptedBackend([reply("x")])
    await ChatService(Environment(store, backend, max_history_messages=20)).run_turn(
        Turn("next", WORKSPACE, conversation_id=conversation), lambda d: None
    )
    assert len(backend.sent[0].messages) == 21
    assert read <= 40  # the 20 kept, this turn's two, one page of look-ahead at most
    assert backend.sent[0].messages[-2].content == "message 1999"


async def test_context_length_exceeded_retries_once_with_less_history(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("1"), reply("2"), [ContextLengthExceeded("too long")], reply("3")])
    service = ChatService(Environment(store, backend))
    first = await service.run_turn(Turn("a", WORKSPACE), lambda d: None)
    await service.run_turn(Turn("b", None, conversation_id=first.conversation_id), lambda d: None)
    result = await service.run_turn(Turn("c", None, conversation_id=first.conversation_id), lambda d: None)

    assert result.content == "3"
    assert len(backend.sent[3].messages) < len(backend.sent[2].messages)
    assert backend.sent[3].messages[-1].content == "c"


async def test_a_prompt_larger_than_the_window_is_refused_before_anything_is_sent(
    store: ConversationStore,
) -> None:
    backend = ScriptedBackend([reply("x")])
    backend.capabilities = ModelCapabilities("gpt-4o", False, True, 5_000, 1_000)
    with pytest.raises(JsonRpcException) as failure:
        await ChatService(Environment(store, backend)).run_turn(
            Turn("word " * 20_000, WORKSPACE), lambda d: None
        )
    assert failure.value.code == CONTEXT_TOO_LONG
    assert backend.sent == []


async def test_status_events_become_status_deltas_in_order(store: ConversationStore) -> None:
    events = [StatusEvent("thinking 1 s"), StatusEvent("thinking 2 s"), *reply("done")]
    backend = ScriptedBackend([events])
    deltas: list[protocol.DeltaNotification] = []
    await ChatService(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), deltas.append)
    assert [(d.status, d.content) for d in deltas] == [
        ("thinking 1 s", None),
        ("thinking 2 s", None),
        (None, "done"),
    ]


async def test_an_unknown_or_foreign_conversation_is_invalid_params(store: ConversationStore) -> None:
    service = ChatService(Environment(store, ScriptedBackend([reply("x")])))
    with pytest.raises(JsonRpcException) as unknown:
        await service.run_turn(Turn("q", WORKSPACE, conversation_id="nope"), lambda d: None)
    other = store.create_conversation("file:///elsewhere", "t")
    with pytest.raises(JsonRpcException) as foreign:
        await service.run_turn(Turn("q", WORKSPACE, conversation_id=other), lambda d: None)
    assert (unknown.value.code, foreign.value.code) == (-32602, -32602)
    assert "belongs to workspace file:///elsewhere" in foreign.value.message


async def test_a_streaming_reply_is_saved_while_it_streams(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_service, "PARTIAL_SAVE_INTERVAL", 0.0)
    backend = ScriptedBackend([[ContentEvent("a"), ContentEvent("b"), "hang"]])
    deltas: list[protocol.DeltaNotification] = []
    task = asyncio.ensure_future(
        ChatService(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), deltas.append)
    )
    while "".join(d.content or "" for d in deltas) != "ab":
        await asyncio.sleep(0.01)
    conversation = store.list_conversations(WORKSPACE)[0].id
    saved = roles_and_statuses(store, conversation)[-1]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert saved == ("assistant", "pending", "ab")  # what a killed server would leave behind
