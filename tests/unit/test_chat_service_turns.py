"""ChatService on the real SQLite store with a scripted backend: what is stored when, and what is sent."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException
from tests.support.waiting import wait_until_async

from chatls import chat_service, protocol, tokens
from chatls.attachments import Attached, restored
from chatls.azure.errors import ContextLengthExceeded, ServiceError
from chatls.azure.profile import Profile
from chatls.azure.types import (
    MAX_STRING_CHARS,
    ChatEvent,
    ChatOptions,
    ChatResult,
    ContentEvent,
    Conversation,
    ModelCapabilities,
    ReasoningEvent,
    RunStartedEvent,
    StatusEvent,
    Usage,
)
from chatls.chat_service import ChatService, Turn, TurnParts
from chatls.config import Settings
from chatls.errors import CONFIGURATION_ERROR, CONTEXT_TOO_LONG, UNAVAILABLE
from chatls.store import ConversationStore, MessageRecord, liveness

WORKSPACE = "file:///work/project"


@dataclass
class ScriptedBackend:
    """Plays back `script` (a list of events, or an exception to raise, per call) and records each request."""

    script: list[list[Any]]
    capabilities: ModelCapabilities = field(
        default_factory=lambda: ModelCapabilities("gpt-4o", False, True, 128_000, 16_384)
    )
    sent: list[Conversation] = field(default_factory=list)
    options: list[ChatOptions] = field(default_factory=list)
    closed: int = 0
    on_call: Any = None
    on_event: Any = None
    """Called before each scripted event is yielded (to look at the store at that moment)."""
    resumed: list[dict[str, Any]] = field(default_factory=list)
    cancelled_runs: list[dict[str, Any]] = field(default_factory=list)

    async def chat(self, conversation: Conversation, options: ChatOptions) -> AsyncIterator[ChatEvent]:
        self.sent.append(conversation)
        self.options.append(options)
        if self.on_call is not None:
            self.on_call()
        async for event in self._play():
            yield event

    async def resume(self, handle: dict[str, Any]) -> AsyncIterator[ChatEvent]:
        self.resumed.append(handle)
        async for event in self._play():
            yield event

    async def cancel_run(self, handle: dict[str, Any]) -> None:
        self.cancelled_runs.append(handle)

    async def _play(self) -> AsyncIterator[ChatEvent]:
        try:
            for item in self.script.pop(0):
                if isinstance(item, BaseException):
                    raise item
                if item == "hang":
                    await asyncio.Event().wait()
                if self.on_event is not None:
                    self.on_event(item)
                yield item
                await asyncio.sleep(0)  # not a barrier: a real stream lets the loop run between events
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
        self.stopping = False

    async def ready(self) -> None:
        return None

    def turn_settings(self, profile: str | None, workspace_uri: str | None) -> tuple[Settings, Profile]:
        return self.settings, self.settings.profile(profile)

    def backend(self, profile: Profile, settings: Settings) -> ScriptedBackend:
        return self.backend_

    @property
    def store(self) -> ConversationStore:
        return self._store


def service_for(env: Environment) -> ChatService:
    """A chat service given the environment's parts (no server): later changes to `env` are seen."""
    return ChatService(
        TurnParts(
            ready=env.ready,
            turn_settings=env.turn_settings,
            backend=env.backend,
            store=lambda: env.store,
            stopping=lambda: env.stopping,
        )
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore.open(tmp_path) as opened:
        yield opened


def reply(*pieces: str, finish: str = "complete") -> list[Any]:
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
    result = await service_for(Environment(store, backend)).run_turn(Turn("Hi", WORKSPACE), deltas.append)

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
    await service_for(Environment(store, backend)).run_turn(Turn("keep me", WORKSPACE), lambda d: None)
    assert seen == [["keep me", ""]]


async def test_a_failure_keeps_the_partial_reply_and_raises_a_user_facing_error(
    store: ConversationStore,
) -> None:
    backend = ScriptedBackend([[ContentEvent("partial "), ServiceError("Azure kept failing; try later.")]])
    with pytest.raises(JsonRpcException) as failure:
        await service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), lambda d: None)

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
        service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), deltas.append)
    )
    await wait_until_async(lambda: any(d.content for d in deltas), "the first content delta")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert backend.closed == 1
    conversation = store.list_conversations(WORKSPACE)[0].id
    assert roles_and_statuses(store, conversation)[-1] == ("assistant", "cancelled", "so far")


async def test_a_length_finish_is_stored_as_truncated(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("cut", finish="truncated")])
    result = await service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), lambda d: None)
    assert store.get_messages(result.conversation_id)[-1].status == "truncated"


FILE_A = Attached("file a.py", "File: a.py\n```\nx = 1\n```", kind="file", name="a.py")
DIFF = Attached("diff (working tree)", "The git diff (working tree):\n```diff\n-x\n+y\n```", kind="diff")


async def test_attachments_are_sent_as_parts_and_stored_apart_from_the_prompt(
    store: ConversationStore,
) -> None:
    backend = ScriptedBackend([reply("a"), reply("b")])
    service = service_for(Environment(store, backend))
    first = await service.run_turn(Turn("Explain", WORKSPACE, attachments=(FILE_A, DIFF)), lambda d: None)
    await service.run_turn(Turn("And now?", None, conversation_id=first.conversation_id), lambda d: None)

    user = store.get_messages(first.conversation_id)[0]
    assert user.content == "Explain"
    assert restored(user.attachment, user.attachments) == (FILE_A, DIFF)
    asked = backend.sent[0].messages[-1]
    assert (asked.content, asked.parts) == ("Explain", (FILE_A.text, DIFF.text))
    # the next turn sends the earlier question as it was sent: the same parts
    assert [(m.content, m.parts) for m in backend.sent[1].messages] == [
        ("Explain", (FILE_A.text, DIFF.text)),
        ("a", ()),
        ("And now?", ()),
    ]


async def test_an_attachment_azure_would_refuse_is_refused_before_anything_is_stored(
    store: ConversationStore,
) -> None:
    backend = ScriptedBackend([reply("never")])
    huge = Attached("file big.py", "x" * (MAX_STRING_CHARS + 1), kind="file", name="big.py")
    with pytest.raises(JsonRpcException) as refused:
        await service_for(Environment(store, backend)).run_turn(
            Turn("Explain", WORKSPACE, attachments=(FILE_A, huge)), lambda d: None
        )
    assert refused.value.code == -32602
    assert "file big.py is 1,048,577 characters" in refused.value.message
    assert "at most 1,048,576" in refused.value.message
    assert store.list_conversations(WORKSPACE) == [] and backend.sent == []
    backend.capabilities = ModelCapabilities("gpt-4.1", False, True, 10_000_000, 32_768)  # it would fit
    with pytest.raises(JsonRpcException) as refused:
        await service_for(Environment(store, backend)).run_turn(
            Turn("w" * (MAX_STRING_CHARS + 1), WORKSPACE), lambda d: None
        )
    assert "the prompt is 1,048,577 characters" in refused.value.message
    assert refused.value.message.endswith("@ $.prompt")
    assert store.list_conversations(WORKSPACE) == [] and backend.sent == []


async def test_instructions_and_task_instructions_are_combined(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("x")])
    env = Environment(store, backend, instructions="Be brief.")
    await service_for(env).run_turn(
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
    await service_for(Environment(store, backend, max_history_messages=20)).run_turn(
        Turn("next", WORKSPACE, conversation_id=conversation), lambda d: None
    )
    assert len(backend.sent[0].messages) == 21
    assert read <= 40  # the 20 kept, this turn's two, one page of look-ahead at most
    assert backend.sent[0].messages[-2].content == "message 1999"


async def test_context_length_exceeded_retries_once_with_less_history(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("1"), reply("2"), [ContextLengthExceeded("too long")], reply("3")])
    service = service_for(Environment(store, backend))
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
        await service_for(Environment(store, backend)).run_turn(
            Turn("word " * 20_000, WORKSPACE), lambda d: None
        )
    assert failure.value.code == CONTEXT_TOO_LONG
    assert backend.sent == []


async def test_status_events_become_status_deltas_in_order(store: ConversationStore) -> None:
    events = [StatusEvent("thinking 1 s"), StatusEvent("thinking 2 s"), *reply("done")]
    backend = ScriptedBackend([events])
    deltas: list[protocol.DeltaNotification] = []
    await service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), deltas.append)
    assert [(d.status, d.content) for d in deltas] == [
        ("waiting for d", None),  # the profile's deployment: the scripted model has no name
        ("thinking 1 s", None),
        ("thinking 2 s", None),
        (None, "done"),
    ]


async def test_an_unknown_or_foreign_conversation_is_invalid_params(store: ConversationStore) -> None:
    service = service_for(Environment(store, ScriptedBackend([reply("x")])))
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
        service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), deltas.append)
    )
    await wait_until_async(lambda: "".join(d.content or "" for d in deltas) == "ab", 'the deltas "a", "b"')
    conversation = store.list_conversations(WORKSPACE)[0].id
    saved = roles_and_statuses(store, conversation)[-1]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert saved == ("assistant", "pending", "ab")  # what a killed server would leave behind


async def test_the_first_delta_names_the_ids_before_the_backend_is_called(store: ConversationStore) -> None:
    deltas: list[protocol.DeltaNotification] = []
    seen_at_call: list[list[protocol.DeltaNotification]] = []
    backend = ScriptedBackend([reply("ok")])
    backend.capabilities = ModelCapabilities(
        "gpt-4o", False, True, 128_000, 16_384, model="gpt-4o-2024-11-20"
    )
    backend.on_call = lambda: seen_at_call.append(list(deltas))
    result = await service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), deltas.append)

    first = protocol.DeltaNotification(
        result.conversation_id, result.message_id, status="waiting for gpt-4o-2024-11-20"
    )
    assert seen_at_call == [[first]]
    assert deltas[0] == first


# --- history fitting against the model's input limit ----------------------------------------------------
async def test_history_fits_the_input_limit_not_just_the_context_window(store: ConversationStore) -> None:
    from chatls import tokens

    conversation = store.create_conversation(WORKSPACE, "long")
    for index in range(40):
        store.add_message(
            conversation, "user" if index % 2 == 0 else "assistant", f"{index} " * 100, "complete"
        )
    capped = ModelCapabilities("gpt-4o", False, True, 20_000, 4_000, max_input_tokens=3_000)
    uncapped = ModelCapabilities("gpt-4o", False, True, 20_000, 4_000)
    sent: dict[str, Conversation] = {}
    for name, caps in (("capped", capped), ("uncapped", uncapped)):
        backend = ScriptedBackend([reply("x")], capabilities=caps)
        await service_for(Environment(store, backend)).run_turn(
            Turn("next", WORKSPACE, conversation_id=conversation), lambda d: None
        )
        sent[name] = backend.sent[0]

    counter = tokens.counter_for("gpt-4o")
    capped_tokens = sum(tokens.message_tokens(counter, m.content) for m in sent["capped"].messages)
    assert capped_tokens <= 3_000
    assert len(sent["capped"].messages) < len(sent["uncapped"].messages)


async def test_a_prompt_over_the_input_limit_is_refused(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("x")])
    backend.capabilities = ModelCapabilities("gpt-4o", False, True, 400_000, 128_000, max_input_tokens=2_000)
    with pytest.raises(JsonRpcException) as failure:
        await service_for(Environment(store, backend)).run_turn(
            Turn("word " * 3_000, WORKSPACE), lambda d: None
        )
    assert failure.value.code == CONTEXT_TOO_LONG
    assert "2000 input tokens" in failure.value.message
    assert backend.sent == []


# --- retryOf ------------------------------------------------------------------------------------------
async def failed_turn(service: ChatService, prompt: str, **turn: Any) -> tuple[str, str]:
    """Run a turn whose backend call fails; returns (conversation id, failed reply id)."""
    seen: list[protocol.DeltaNotification] = []
    with pytest.raises(JsonRpcException):
        await service.run_turn(Turn(prompt, WORKSPACE, **turn), seen.append)
    return seen[0].conversation_id, seen[0].message_id


async def test_a_retry_answers_the_stored_question_again_without_storing_it_twice(
    store: ConversationStore,
) -> None:
    backend = ScriptedBackend([reply("A1"), [ContentEvent("half"), ServiceError("down")], reply("A2")])
    service = service_for(Environment(store, backend))
    first = await service.run_turn(Turn("Q1", WORKSPACE), lambda d: None)
    conversation, failed = await failed_turn(
        service, "Q2", conversation_id=first.conversation_id, attachments=(FILE_A, DIFF)
    )
    result = await service.run_turn(
        Turn("Q2", WORKSPACE, conversation_id=conversation, retry_of=failed), lambda d: None
    )

    assert result.message_id != failed
    assert roles_and_statuses(store, conversation) == [
        ("user", "complete", "Q1"),
        ("assistant", "complete", "A1"),
        ("user", "complete", "Q2"),
        ("assistant", "error", "half"),
        ("assistant", "complete", "A2"),
    ]
    retried = backend.sent[2].messages
    assert [(m.content, m.parts) for m in retried] == [
        ("Q1", ()), ("A1", ()), ("Q2", (FILE_A.text, DIFF.text))
    ]  # the same attachments, as the same parts
    assert backend.sent[1].messages[-1].parts == retried[-1].parts


async def test_a_cancelled_reply_can_be_retried_and_later_turns_see_one_answer(
    store: ConversationStore,
) -> None:
    backend = ScriptedBackend([[ContentEvent("par"), "hang"], reply("full"), reply("ok")])
    service = service_for(Environment(store, backend))
    deltas: list[protocol.DeltaNotification] = []
    task = asyncio.ensure_future(service.run_turn(Turn("Q", WORKSPACE), deltas.append))
    await wait_until_async(lambda: any(d.content for d in deltas), "the first content delta")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    conversation, cancelled = deltas[0].conversation_id, deltas[0].message_id

    await service.run_turn(Turn("Q", None, conversation_id=conversation, retry_of=cancelled), lambda d: None)
    await service.run_turn(Turn("next", None, conversation_id=conversation), lambda d: None)

    assert [m.content for m in backend.sent[1].messages] == ["Q"]  # the partial reply is not context
    assert [m.content for m in backend.sent[2].messages] == ["Q", "full", "next"]
    assert store.get_message(cancelled).status == "cancelled"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unknown", "unknown message 'nope' @ $.retryOf"),
        ("other conversation", "is not in conversation"),
        ("complete reply", "is a complete reply; only a reply that failed (error) or was cancelled"),
        ("question", "is a question; only a reply that failed"),
        ("different prompt", "prompt must equal the question of the retried reply"),
        ("earlier question", "answers an earlier question"),
    ],
)
async def test_a_bad_retry_is_invalid_params_and_stores_nothing(
    store: ConversationStore, case: str, expected: str
) -> None:
    backend = ScriptedBackend([[ServiceError("down")], reply("A"), reply("B")])
    service = service_for(Environment(store, backend))
    conversation, failed = await failed_turn(service, "Q")
    answered = await service.run_turn(Turn("R", None, conversation_id=conversation), lambda d: None)
    other = await service.run_turn(Turn("elsewhere", WORKSPACE), lambda d: None)
    question = store.get_messages(conversation)[0].id
    retry_of, prompt, target = {
        "unknown": ("nope", "Q", conversation),
        "other conversation": (other.message_id, "Q", conversation),
        "complete reply": (answered.message_id, "R", conversation),
        "question": (question, "Q", conversation),
        "different prompt": (failed, "Q, edited", conversation),
        "earlier question": (failed, "Q", conversation),
    }[case]
    if case == "different prompt":  # a failure on the latest question, retried with an edited prompt
        backend.script.append([ServiceError("down")])
        target, failed = await failed_turn(service, "Q", conversation_id=conversation)
        retry_of = failed
    before = roles_and_statuses(store, target)

    with pytest.raises(JsonRpcException) as refused:
        await service.run_turn(Turn(prompt, None, conversation_id=target, retry_of=retry_of), lambda d: None)

    assert refused.value.code == -32602
    assert expected in refused.value.message
    assert roles_and_statuses(store, target) == before


# --- liveness: leases instead of a ten-minute clock ----------------------------------------------------
def hand_to_dead_server(store: ConversationStore, reply_id: str) -> None:
    """White box: the reply's owner is a server on this host whose process no longer exists (`kill -9`)."""
    with store._write() as db:
        db.execute(
            "INSERT INTO owners (id, host, pid, lease_expires) VALUES ('dead', ?, ?, '2999-01-01T00:00:00Z')",
            (store.owner.host, 2**22 + 11),
        )
        db.execute("UPDATE messages SET owner = 'dead' WHERE id = ?", (reply_id,))


async def test_a_long_silent_turn_keeps_renewing_its_lease(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_service, "HEARTBEAT_INTERVAL", 0.01)
    backend = ScriptedBackend([["hang"]])
    deltas: list[protocol.DeltaNotification] = []
    task = asyncio.ensure_future(
        service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), deltas.append)
    )
    await wait_until_async(lambda: deltas, "the first delta")

    def lease() -> str:
        row = store._db.execute("SELECT lease_expires FROM owners WHERE id = ?", (store.owner.id,)).fetchone()
        return str(row[0])

    first = lease()
    await wait_until_async(lambda: lease() != first, "the lease to be renewed", last_seen=lease)
    assert store.settle_orphaned_replies() == []  # a live turn's reply is never settled
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.get_message(deltas[0].message_id).status == "cancelled"  # type: ignore[union-attr]
    assert chat_service.HEARTBEAT_INTERVAL * 3 <= liveness.LEASE_SECONDS


async def test_a_reply_whose_server_died_is_interrupted_and_can_be_retried(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("answer"), reply("next")])
    service = service_for(Environment(store, backend))
    ids = store.begin_turn(conversation_id=None, workspace_uri=WORKSPACE, title="t", question="Q")
    store.append_to_message(ids.reply_id, "half an ans")
    hand_to_dead_server(store, ids.reply_id)

    result = await service.run_turn(
        Turn("Q", None, conversation_id=ids.conversation_id, retry_of=ids.reply_id), lambda d: None
    )
    await service.run_turn(Turn("more", None, conversation_id=ids.conversation_id), lambda d: None)

    assert roles_and_statuses(store, ids.conversation_id) == [
        ("user", "complete", "Q"),
        ("assistant", "interrupted", "half an ans"),
        ("assistant", "complete", "answer"),
        ("user", "complete", "more"),
        ("assistant", "complete", "next"),
    ]
    assert store.get_message(result.message_id).reply_to == ids.question_id  # type: ignore[union-attr]
    assert [m.content for m in backend.sent[1].messages] == [
        "Q",
        "answer",
        "more",
    ]  # the cut text is not sent


# --- one transaction per turn start; replies linked to their question -----------------------------------
async def test_interleaved_turns_from_two_windows_keep_each_question_next_to_its_reply(
    store: ConversationStore,
) -> None:
    """Window B asks Q_b while window A's reply streams: each question and its pending reply are one write."""
    conversation = store.create_conversation(WORKSPACE, "shared")
    a = store.begin_turn(conversation_id=conversation, workspace_uri=WORKSPACE, title="", question="Q_a")
    b = store.begin_turn(conversation_id=conversation, workspace_uri=WORKSPACE, title="", question="Q_b")
    store.update_message(b.reply_id, content="R_b", status="complete", settled=True)
    store.update_message(a.reply_id, content="R_a", status="complete", settled=True)
    assert [(m.content, m.reply_to) for m in store.get_messages(conversation)] == [
        ("Q_a", None), ("R_a", a.question_id), ("Q_b", None), ("R_b", b.question_id),
    ]  # fmt: skip


async def test_history_pairs_each_reply_with_the_question_it_names(store: ConversationStore) -> None:
    """Even stored as Q_a, Q_b, R_a, R_b (as two transactions per turn once wrote them), no reply is lost."""
    conversation = store.create_conversation(WORKSPACE, "shared")
    q_a = store.add_message(conversation, "user", "Q_a", "complete")
    q_b = store.add_message(conversation, "user", "Q_b", "complete")
    for text, question in (("R_a", q_a), ("R_b", q_b)):
        reply_id = store.add_message(conversation, "assistant", text, "complete")
        with store._write() as db:  # white box: the link begin_turn writes
            db.execute("UPDATE messages SET reply_to = ? WHERE id = ?", (question, reply_id))

    backend = ScriptedBackend([reply("R_c")])
    await service_for(Environment(store, backend)).run_turn(
        Turn("Q_c", None, conversation_id=conversation), lambda d: None
    )
    assert [(m.role, m.content) for m in backend.sent[0].messages] == [
        ("user", "Q_a"), ("assistant", "R_a"), ("user", "Q_b"), ("assistant", "R_b"), ("user", "Q_c"),
    ]  # fmt: skip


async def test_a_prompt_too_large_leaves_nothing_behind_and_never_blocks_the_loop(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting runs in a worker thread: here it cannot finish until the event loop has run something else."""
    loop_ran = threading.Event()
    counting = threading.Event()

    class SlowCounter:
        def count(self, text: str) -> int:
            counting.set()
            assert loop_ran.wait(10), "the event loop was blocked while the prompt was counted"
            return len(text)

    monkeypatch.setattr(tokens, "counter_for", lambda family: SlowCounter())
    backend = ScriptedBackend([reply("x")])
    backend.capabilities = ModelCapabilities("gpt-4o", False, True, 5_000, 1_000)
    turn = asyncio.ensure_future(
        service_for(Environment(store, backend)).run_turn(Turn("w" * 1_000_000, WORKSPACE), lambda d: None)
    )
    await wait_until_async(counting.is_set, "the prompt to be counted")  # the loop runs meanwhile
    loop_ran.set()
    with pytest.raises(JsonRpcException) as failure:
        await turn
    assert failure.value.code == CONTEXT_TOO_LONG
    assert store.list_conversations(WORKSPACE) == []  # no empty conversation, no stored prompt
    assert backend.sent == []


async def test_a_failed_turn_logs_one_line_naming_profile_deployment_and_kind(
    store: ConversationStore, caplog: pytest.LogCaptureFixture
) -> None:
    backend = ScriptedBackend([[ServiceError("Azure kept failing; try later.")]])
    with caplog.at_level(logging.WARNING, logger="chatls"), pytest.raises(JsonRpcException):
        await service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), lambda d: None)
    lines = [r.getMessage() for r in caplog.records if r.name == "chatls.chat_service"]
    assert len(lines) == 1
    assert "profile default" in lines[0] and "deployment d" in lines[0] and "service" in lines[0]


async def test_a_stream_cut_without_a_finish_is_an_error_keeping_the_partial_text(
    store: ConversationStore,
) -> None:
    """The adapter raises for a stream that ended without a finish; a backend that just stops is the same."""
    backend = ScriptedBackend([[ContentEvent("def f():\n    ret")]])
    with pytest.raises(JsonRpcException):
        await service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), lambda d: None)
    conversation = store.list_conversations(WORKSPACE)[0].id
    assert roles_and_statuses(store, conversation)[-1] == ("assistant", "error", "def f():\n    ret")


# --- reasoning summaries, replay, client token, status -------------------------------------------------
async def test_reasoning_streams_apart_is_stored_and_is_never_sent_back_as_answer(
    store: ConversationStore,
) -> None:
    thinking = [ReasoningEvent("Looking at "), ReasoningEvent("the loop."), ContentEvent("It never ends.")]
    done = ChatResult("It never ends.", "o3", "complete", Usage(5, 3), reasoning="Looking at the loop.")
    backend = ScriptedBackend([[*thinking, done], reply("ok")])
    deltas: list[protocol.DeltaNotification] = []
    service = service_for(Environment(store, backend))
    result = await service.run_turn(Turn("Why?", WORKSPACE), deltas.append)
    await service.run_turn(Turn("So?", None, conversation_id=result.conversation_id), lambda d: None)

    assert "".join(d.reasoning or "" for d in deltas) == "Looking at the loop."
    assert "".join(d.content or "" for d in deltas) == "It never ends."
    assert all(not (d.reasoning and d.content) for d in deltas)
    first_content = next(i for i, d in enumerate(deltas) if d.content)
    assert all(i < first_content for i, d in enumerate(deltas) if d.reasoning)
    assert result.reasoning == "Looking at the loop."
    assert store.get_message(result.message_id).reasoning == "Looking at the loop."  # type: ignore[union-attr]
    assert [m.content for m in backend.sent[1].messages] == ["Why?", "It never ends.", "So?"]


async def test_reasoning_summaries_can_be_turned_off(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("x"), reply("y")])
    await service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), lambda d: None)
    await service_for(Environment(store, backend, reasoning_summaries=False)).run_turn(
        Turn("q", WORKSPACE), lambda d: None
    )
    assert [o.reasoning_summaries for o in backend.options] == [True, False]


async def test_replay_state_is_stored_and_handed_back_with_the_reply(store: ConversationStore) -> None:
    replay = {"wire": "responses", "items": [{"type": "reasoning", "encrypted_content": "gAAA"}]}
    first = ChatResult("A", "o3", "complete", Usage(1, 1), replay=replay)
    backend = ScriptedBackend([[ContentEvent("A"), first], reply("B")])
    service = service_for(Environment(store, backend))
    result = await service.run_turn(Turn("Q", WORKSPACE), lambda d: None)
    await service.run_turn(Turn("Q2", None, conversation_id=result.conversation_id), lambda d: None)

    assert store.get_message(result.message_id).replay == replay  # type: ignore[union-attr]
    assert [(m.role, m.content, m.replay) for m in backend.sent[1].messages] == [
        ("user", "Q", None), ("assistant", "A", replay), ("user", "Q2", None),
    ]  # fmt: skip


async def test_every_delta_echoes_the_client_token(store: ConversationStore) -> None:
    events = [StatusEvent("thinking 1 s"), ReasoningEvent("hm"), *reply("Hel", "lo")]
    backend = ScriptedBackend([events])
    deltas: list[protocol.DeltaNotification] = []
    await service_for(Environment(store, backend)).run_turn(
        Turn("q", WORKSPACE, client_token="panel-7"), deltas.append
    )
    assert len(deltas) >= 4
    assert {d.client_token for d in deltas} == {"panel-7"}


@pytest.mark.parametrize(("model", "expected"), [("unknown", "waiting for d"), ("", "waiting for d")])
async def test_the_first_status_never_says_unknown(
    store: ConversationStore, model: str, expected: str
) -> None:
    backend = ScriptedBackend([reply("x")])
    backend.capabilities = ModelCapabilities("unknown", False, True, 128_000, 16_384, model=model)
    deltas: list[protocol.DeltaNotification] = []
    await service_for(Environment(store, backend)).run_turn(Turn("q", WORKSPACE), deltas.append)
    assert deltas[0].status == expected


# --- background runs -----------------------------------------------------------------------------------
HANDLE = {"responseId": "resp_1", "deployment": "d", "wire": "responses"}


async def start_background_turn(
    service: ChatService, backend: ScriptedBackend, store: ConversationStore
) -> tuple[asyncio.Future[protocol.ChatResult], list[protocol.DeltaNotification]]:
    """A turn whose run was accepted upstream, has streamed "so far" and now waits on the model."""
    handles_at_first_content: list[Any] = []

    def look(event: Any) -> None:
        if isinstance(event, ContentEvent):
            reply_id = deltas[0].message_id
            handles_at_first_content.append(store.get_message(reply_id).run_handle)  # type: ignore[union-attr]

    backend.on_event = look
    deltas: list[protocol.DeltaNotification] = []
    task = asyncio.ensure_future(service.run_turn(Turn("long job", WORKSPACE), deltas.append))
    await wait_until_async(lambda: any(d.content for d in deltas), "the first content delta")
    assert handles_at_first_content == [HANDLE]  # stored (committed) before anything else happened
    return task, deltas


async def test_stop_on_a_background_run_cancels_it_upstream(store: ConversationStore) -> None:
    backend = ScriptedBackend([[RunStartedEvent(HANDLE), ContentEvent("so far"), "hang"]])
    service = service_for(Environment(store, backend))
    task, deltas = await start_background_turn(service, backend, store)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.cancelled_runs == [HANDLE]
    stored = store.get_message(deltas[0].message_id)
    assert stored is not None and (stored.status, stored.content, stored.run_handle) == (
        "cancelled",
        "so far",
        None,
    )


async def test_a_background_run_whose_turn_fails_is_cancelled_upstream(store: ConversationStore) -> None:
    backend = ScriptedBackend([[RunStartedEvent(HANDLE), ContentEvent("so far"), ServiceError("gone")]])
    with pytest.raises(JsonRpcException):
        await service_for(Environment(store, backend)).run_turn(Turn("long job", WORKSPACE), lambda d: None)
    assert backend.cancelled_runs == [HANDLE]
    conversation = store.list_conversations(WORKSPACE)[0].id
    assert roles_and_statuses(store, conversation)[-1] == ("assistant", "error", "so far")


async def test_a_background_run_survives_a_shutdown_and_the_next_server_completes_it_once(
    tmp_path: Path,
) -> None:
    full = "so far, and the rest of a very long answer"
    with ConversationStore.open(tmp_path) as store:
        backend = ScriptedBackend([[RunStartedEvent(HANDLE), ContentEvent("so far"), "hang"]])
        env = Environment(store, backend)
        task, deltas = await start_background_turn(service_for(env), backend, store)
        env.stopping = True  # the server is shutting down: it cancels its turns
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert backend.cancelled_runs == []  # upstream runs on
        reply_id = deltas[0].message_id
        assert store.get_message(reply_id).status == "pending"  # type: ignore[union-attr]

    with ConversationStore.open(tmp_path) as store:  # the next server
        assert store.settle_orphaned_replies() == []  # never settled: it is resumable
        done = ChatResult(full, "o3-pro", "complete", Usage(9, 9), reasoning="Thought it through.")
        resumed_backend = ScriptedBackend([[StatusEvent("thinking 90 s"), ContentEvent(full), done]])
        seen: list[protocol.DeltaNotification] = []
        service = service_for(Environment(store, resumed_backend))
        assert await service.resume_runs(seen.append) == 1
        assert await service.resume_runs(seen.append) == 0  # stored once: nothing left to resume

        assert resumed_backend.resumed == [HANDLE]
        stored = store.get_message(reply_id)
        assert stored is not None
        assert (stored.status, stored.content, stored.reasoning) == ("complete", full, "Thought it through.")
        assert stored.run_handle is None
        assert [m.content for m in store.get_messages(stored.conversation_id)] == ["long job", full]
        assert {(d.conversation_id, d.message_id) for d in seen} == {(stored.conversation_id, reply_id)}
        assert "".join(d.content or "" for d in seen) == full


async def test_a_background_run_whose_server_was_killed_is_resumed_not_interrupted(
    store: ConversationStore,
) -> None:
    ids = store.begin_turn(conversation_id=None, workspace_uri=WORKSPACE, title="t", question="long job")
    store.set_run_handle(ids.reply_id, HANDLE)
    store.append_to_message(ids.reply_id, "so f")
    hand_to_dead_server(store, ids.reply_id)
    backend = ScriptedBackend([[ServiceError("The response expired on Azure.")]])
    assert store.settle_orphaned_replies() == []
    assert await service_for(Environment(store, backend)).resume_runs(lambda d: None) == 1
    stored = store.get_message(ids.reply_id)
    assert stored is not None and (stored.status, stored.content) == ("error", "so f")  # retryable, text kept


async def test_agent_mode_with_a_model_without_tools_is_a_configuration_error(
    store: ConversationStore,
) -> None:
    backend = ScriptedBackend(
        [], capabilities=ModelCapabilities("o1-mini", True, True, 128_000, 65_536, tools=False)
    )
    agent = chat_service.AgentTurn(tools=None, max_steps=3)  # type: ignore[arg-type]  # refused before any tool
    with pytest.raises(JsonRpcException) as raised:
        await service_for(Environment(store, backend)).run_turn(
            Turn("q", WORKSPACE, agent=agent), lambda d: None
        )
    assert raised.value.code == CONFIGURATION_ERROR  # -32010, as docs/protocol.md says: pick another profile
    assert raised.value.data == {"kind": "agent_unavailable"}
    assert backend.sent == []
