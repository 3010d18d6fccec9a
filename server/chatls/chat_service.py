"""One chat turn end to end: store the prompt → fit the context → call the adapter → stream deltas → store
the reply.

Used by the `chatls/chat` request, the `chatls.chat` command and the code-action commands alike, so all of
them share the same guarantees:

- the user's message is committed before anything goes upstream, so a failure never loses what was typed;
- the reply is stored as it ends: `complete`, `truncated` (hit the length limit), `cancelled` (partial text
  kept) or `error` (partial text kept);
- the first delta of every turn (a status) carries the conversation and reply ids, before anything goes
  upstream, so a client can show and cancel the turn at once;
- a retry (`Turn.retry_of`) answers the stored question again: no second copy of the question is stored and
  the failed reply is kept but left out of the context;
- deltas reach `on_delta` coalesced (at most one content delta per `DELTA_INTERVAL`), always as increments,
  in order, and all of them before `run_turn` returns;
- history is read newest first and only as far as the context budget reaches, so a turn costs the same with 10
  or 10,000 earlier messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from pygls.exceptions import JsonRpcException

from chatls import protocol
from chatls.errors import CONTEXT_TOO_LONG, ChatLSError, invalid_params, to_jsonrpc
from chatls.workspaces import NO_FOLDER

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from chatls.azure.profile import Profile
    from chatls.azure.types import ChatEvent, ChatMessage, ChatOptions, Conversation, ModelCapabilities
    from chatls.azure.types import ChatResult as AdapterResult
    from chatls.config import Settings
    from chatls.store import ConversationStore
    from chatls.store.records import MessageRecord
    from chatls.tokens import FittedContext

log = logging.getLogger(__name__)

DELTA_INTERVAL = 0.02
"""Content arriving faster than one piece per 20 ms (~50/s) is batched into one delta."""

PARTIAL_SAVE_INTERVAL = 1.0
"""Seconds between saves of a streaming reply's new text."""

HEARTBEAT_INTERVAL = 60.0
"""Seconds between touches of a pending reply while no text arrives (a reasoning model thinking for minutes),
so its `updated_at` shows that a live server still owns it."""

ABANDONED_AFTER = 600.0
"""A `pending` reply untouched this long was left by a killed server (a live one touches it at least every
HEARTBEAT_INTERVAL): it is settled as `error` when the store opens."""

RETRYABLE = frozenset({protocol.STATUS_ERROR, protocol.STATUS_CANCELLED})

TITLE_LENGTH = 60

DeltaSink = Callable[[protocol.DeltaNotification], None]


@dataclass(frozen=True)
class Turn:
    """What one chat turn is about."""

    prompt: str
    """Stored exactly as typed."""
    workspace_uri: str | None
    """Normalised workspace (see chatls.workspaces); None continues `conversation_id` wherever it lives."""
    conversation_id: str | None = None
    profile: str | None = None
    reasoning_effort: str | None = None
    attachment: str | None = None
    """Selection block etc.: sent with the prompt, stored apart from it."""
    task_instructions: str | None = None
    """Added to the configured instructions for this turn only (code actions)."""
    retry_of: str | None = None
    """Id of a failed or cancelled reply to the conversation's latest question: answer that question again
    (`prompt` must equal it) instead of storing it a second time. Needs `conversation_id`."""


class ChatBackend(Protocol):
    """The part of `chatls.azure.AzureChatClient` a turn needs."""

    @property
    def capabilities(self) -> ModelCapabilities: ...

    def chat(self, conversation: Conversation, options: ChatOptions) -> AsyncIterator[ChatEvent]: ...


class TurnEnvironment(Protocol):
    """What the server provides to a turn: settings, the adapter client for a profile, and the store."""

    async def ready(self) -> None:
        """Wait until the settings are loaded."""
        ...

    def turn_settings(self, profile: str | None, workspace_uri: str | None) -> tuple[Settings, Profile]:
        """The settings for the workspace and the chosen profile (`ConfigError` saying what to set)."""
        ...

    def backend(self, profile: Profile, settings: Settings) -> ChatBackend: ...

    @property
    def store(self) -> ConversationStore: ...


class DeltaCoalescer:
    """Batches content so the editor gets at most one content delta per `interval`, order preserved.

    A piece arriving after a quiet `interval` goes out at once; pieces arriving faster wait (at most
    `interval`) and go out together. A status flushes pending content first, so the client sees things in
    the order they happened. `close()` flushes the rest: call it before answering the request.
    """

    def __init__(
        self, send: DeltaSink, conversation_id: str, message_id: str, interval: float = DELTA_INTERVAL
    ):
        self._send = send
        self._conversation_id = conversation_id
        self._message_id = message_id
        self._interval = interval
        self._pending: list[str] = []
        self._last_sent = float("-inf")
        self._timer: asyncio.TimerHandle | None = None
        self.sent_count = 0

    def content(self, text: str) -> None:
        if not text:
            return
        self._pending.append(text)
        wait = self._last_sent + self._interval - time.monotonic()
        if wait <= 0:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._flush)

    def status(self, text: str) -> None:
        self._flush()
        self._emit(protocol.DeltaNotification(self._conversation_id, self._message_id, status=text))

    def close(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._last_sent = time.monotonic()
        self._emit(protocol.DeltaNotification(self._conversation_id, self._message_id, content=text))

    def _emit(self, delta: protocol.DeltaNotification) -> None:
        self.sent_count += 1
        try:
            self._send(delta)
        except Exception:  # a broken pipe to the editor must not lose the reply in the store
            log.warning("could not send a delta", exc_info=True)


@dataclass(frozen=True)
class _TurnContext:
    conversation_id: str
    question_id: str
    """The user message this turn answers (sent as the prompt, so left out of the history)."""


class ChatService:
    def __init__(self, env: TurnEnvironment) -> None:
        self._env = env

    async def run_turn(self, turn: Turn, on_delta: DeltaSink) -> protocol.ChatResult:
        """Run one turn; see the module docstring for what is stored when.

        Raises the JSON-RPC errors of `chatls.errors` (never anything else); on cancellation the partial reply
        is stored as `cancelled` and `CancelledError` propagates.
        """
        try:
            await self._env.ready()
            return await self._run(turn, on_delta)
        except (asyncio.CancelledError, JsonRpcException):
            raise
        except Exception as exc:
            raise to_jsonrpc(exc) from None

    async def _run(self, turn: Turn, on_delta: DeltaSink) -> protocol.ChatResult:
        plan = self._plan(turn)
        store = self._env.store
        conversation_id = self._conversation_for(turn)
        if turn.retry_of is not None:
            question = self._question_to_retry(turn, conversation_id, turn.retry_of)
            user_id, turn = question.id, replace(turn, attachment=question.attachment)
        else:
            user_id = store.add_message(
                conversation_id, "user", turn.prompt, protocol.STATUS_COMPLETE,
                profile=plan.profile.name, attachment=turn.attachment,
            )  # fmt: skip
        reply_id = store.add_message(
            conversation_id, "assistant", "", protocol.STATUS_PENDING, profile=plan.profile.name
        )
        log.debug("turn %s: prompt %r", reply_id, turn.prompt)
        deltas = DeltaCoalescer(on_delta, conversation_id, reply_id)
        # An unresolved model is "unknown", which names nothing: the deployment then does.
        known_model = plan.caps.model if plan.caps.model != "unknown" else ""
        deltas.status(f"waiting for {known_model or plan.profile.deployment or plan.profile.name}")
        parts = _Reply(store, reply_id)
        context = _TurnContext(conversation_id, user_id)
        heartbeat = asyncio.ensure_future(_keep_alive(store, reply_id))
        try:
            result = await self._stream(turn, plan, context, deltas, parts)
        except asyncio.CancelledError:
            deltas.close()
            store.update_message(reply_id, content=parts.text, status=protocol.STATUS_CANCELLED)
            log.info("turn %s cancelled after %d characters", reply_id, len(parts.text))
            raise
        except Exception as exc:
            deltas.close()
            store.update_message(reply_id, content=parts.text, status=protocol.STATUS_ERROR)
            raise to_jsonrpc(exc) from None
        finally:
            heartbeat.cancel()
        deltas.close()
        truncated = result.stop_reason == protocol.STOP_TRUNCATED
        status = protocol.STATUS_TRUNCATED if truncated else protocol.STATUS_COMPLETE
        usage = _usage(result)
        store.update_message(
            reply_id, content=result.content, status=status, model=result.model,
            usage=protocol.unstructure(usage),
        )  # fmt: skip
        log.debug("turn %s: reply %r", reply_id, result.content)
        return protocol.ChatResult(
            conversation_id=conversation_id,
            message_id=reply_id,
            content=result.content,
            model=result.model,
            finish_reason="length" if truncated else "stop",
            stop_reason=result.stop_reason,
            reasoning=result.reasoning or None,
            usage=usage,
            adaptations=list(result.adaptations),
        )

    def _plan(self, turn: Turn) -> _Plan:
        from chatls.azure.types import ChatOptions

        settings, profile = self._env.turn_settings(turn.profile, turn.workspace_uri)
        backend = self._env.backend(profile, settings)
        caps = backend.capabilities
        reasoning = caps.reasoning
        default_budget = (
            settings.reasoning_max_completion_tokens if reasoning else settings.max_completion_tokens
        )
        options = ChatOptions(
            max_completion_tokens=profile.max_completion_tokens or default_budget,
            reasoning_effort=turn.reasoning_effort or settings.reasoning_effort or profile.reasoning_effort,
            temperature=profile.temperature,
            verbosity=profile.verbosity,
        )
        return _Plan(
            profile=profile,
            backend=backend,
            caps=caps,
            options=options,
            instructions=_join(settings.instructions, turn.task_instructions),
            completion_reserve=settings.completion_reserve(
                profile.max_completion_tokens, reasoning=reasoning
            ),
            max_history_messages=settings.max_history_messages,
        )

    def _question_to_retry(self, turn: Turn, conversation_id: str, reply_id: str) -> MessageRecord:
        """The stored question a failed reply answered; InvalidParams unless the retry is well-formed."""
        store = self._env.store
        reply = store.get_message(reply_id)
        if reply is None:
            raise invalid_params(f"invalid params: unknown message {reply_id!r} @ $.retryOf")
        if reply.conversation_id != conversation_id:
            raise invalid_params(
                f"invalid params: message {reply_id!r} is not in conversation {conversation_id!r} @ $.retryOf"
            )
        if reply.role != "assistant" or reply.status not in RETRYABLE:
            what = "a question" if reply.role == "user" else f"a {reply.status} reply"
            raise invalid_params(
                f"invalid params: message {reply_id!r} is {what}; only a reply that failed (error) or was "
                "cancelled can be retried @ $.retryOf"
            )
        replies_to_latest: set[str] = set()
        question: MessageRecord | None = None
        for message in store.iter_recent_messages(conversation_id):
            if message.role == "user":
                question = message
                break
            replies_to_latest.add(message.id)
        if question is None or reply_id not in replies_to_latest:
            raise invalid_params(
                f"invalid params: reply {reply_id!r} answers an earlier question; only a reply to the "
                "conversation's latest question can be retried (ask again instead) @ $.retryOf"
            )
        if turn.prompt != question.content:
            raise invalid_params(
                f"invalid params: prompt must equal the question of the retried reply {reply_id!r} as stored "
                f"({_preview(question.content)}) @ $.prompt"
            )
        return question

    def _conversation_for(self, turn: Turn) -> str:
        store = self._env.store
        if turn.conversation_id is None:
            workspace = turn.workspace_uri or NO_FOLDER
            return str(store.create_conversation(workspace, _title(turn.prompt)))
        record = store.get_conversation(turn.conversation_id)
        if record is None:
            raise invalid_params(f"unknown conversationId {turn.conversation_id!r}")
        if turn.workspace_uri is not None and record.workspace_uri != turn.workspace_uri:
            raise invalid_params(
                f"conversation {turn.conversation_id!r} belongs to workspace {record.workspace_uri}, "
                f"not {turn.workspace_uri}"
            )
        return str(record.id)

    async def _stream(
        self, turn: Turn, plan: _Plan, context: _TurnContext, deltas: DeltaCoalescer, parts: _Reply
    ) -> AdapterResult:
        from chatls import tokens
        from chatls.azure.errors import ContextLengthExceeded
        from chatls.azure.types import ChatMessage, Conversation

        fitted = self._fit(turn, plan, context)
        prompt = _join(turn.attachment, turn.prompt) or turn.prompt
        try:
            conversation = Conversation(plan.instructions, (*fitted.history, ChatMessage("user", prompt)))
            return await _consume(plan.backend.chat(conversation, plan.options), deltas, parts)
        except ContextLengthExceeded:
            if parts or not fitted.history:
                raise  # nothing left to trim (or text already shown): a retry cannot help
        fitted = tokens.trim_further(fitted)
        log.info("context length exceeded: retrying once with %d earlier messages", len(fitted.history))
        conversation = Conversation(plan.instructions, (*fitted.history, ChatMessage("user", prompt)))
        return await _consume(plan.backend.chat(conversation, plan.options), deltas, parts)

    def _fit(self, turn: Turn, plan: _Plan, context: _TurnContext) -> FittedContext[ChatMessage]:
        from chatls import tokens

        history = self._env.store.iter_recent_messages(context.conversation_id)
        earlier = _chat_messages(_before(history, context.question_id))
        # Input and reply share the context window, and some models cap the input below the rest of the
        # window (GPT-5: 272k of 400k): the budget is whichever is smaller.
        reserve = plan.completion_reserve
        window = min(plan.caps.context_window, plan.caps.input_limit + reserve)
        try:
            return tokens.fit_history(
                earlier,
                prompt=turn.prompt,
                counter=tokens.counter_for(plan.caps.family),
                context_window=window,
                completion_reserve=reserve,
                instructions=plan.instructions,
                attachment=turn.attachment,
                max_messages=plan.max_history_messages,
            )
        except tokens.PromptTooLarge as exc:
            model = plan.caps.model or plan.caps.family
            raise ChatLSError(
                f"The prompt is too large: it needs about {exc.needed} tokens with its instructions and "
                f"attached code, but {model} takes at most {max(exc.budget, 0)} input tokens here (its input "
                f"limit is {plan.caps.input_limit} and {reserve} are kept for the reply); select less code, "
                "shorten the prompt, or lower maxCompletionTokens.",
                kind="context_length",
                code=CONTEXT_TOO_LONG,
            ) from None


class _Reply:
    """The reply so far; saved about once a second, so even a killed server keeps most of a long reply."""

    def __init__(self, store: ConversationStore, message_id: str) -> None:
        self._store = store
        self._message_id = message_id
        self._parts: list[str] = []
        self._saved = 0
        self._last_save = time.monotonic()

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def __bool__(self) -> bool:
        return bool(self._parts)

    def add(self, text: str) -> None:
        self._parts.append(text)
        if time.monotonic() - self._last_save >= PARTIAL_SAVE_INTERVAL:
            self._save()

    def _save(self) -> None:
        unsaved = "".join(self._parts[self._saved :])
        self._saved, self._last_save = len(self._parts), time.monotonic()
        try:
            self._store.append_to_message(self._message_id, unsaved)
        except Exception:  # the final update stores the whole text anyway
            log.warning("saving a partial reply failed", exc_info=True)


@dataclass(frozen=True)
class _Plan:
    """How a turn will be sent, decided before anything is stored."""

    profile: Profile
    backend: ChatBackend
    caps: ModelCapabilities
    options: ChatOptions
    instructions: str | None
    completion_reserve: int
    max_history_messages: int


async def _consume(events: AsyncIterator[ChatEvent], deltas: DeltaCoalescer, parts: _Reply) -> AdapterResult:
    from chatls.azure.types import ChatResult, ContentEvent, StatusEvent

    try:
        async for event in events:
            if isinstance(event, ContentEvent):
                parts.add(event.text)
                deltas.content(event.text)
            elif isinstance(event, StatusEvent):
                deltas.status(event.text)
            elif isinstance(event, ChatResult):
                return event
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()  # closes the HTTP stream now, not whenever the generator is collected
    raise RuntimeError("the adapter's stream ended without a result")


async def _keep_alive(store: ConversationStore, reply_id: str) -> None:
    """Touch the pending reply now and then, so no other window settles it as abandoned (ABANDONED_AFTER)."""
    while True:
        await asyncio.sleep(HEARTBEAT_INTERVAL)
        try:
            store.append_to_message(reply_id, "")
        except Exception:  # e.g. the conversation was deleted meanwhile; the turn reports that itself
            log.warning("touching the pending reply %s failed", reply_id, exc_info=True)


def _before(history: Iterable[MessageRecord], question_id: str) -> Iterator[MessageRecord]:
    """The messages older than this turn's question (newest first): later ones are this turn's own replies
    (the pending one, and for a retry the failed ones)."""
    found = False
    for message in history:
        if found:
            yield message
        elif message.id == question_id:
            found = True


def _chat_messages(history: Iterable[MessageRecord]) -> Iterator[ChatMessage]:
    """Earlier turns newest first, as the model sees them.

    Failed, empty and pending replies are left out, and a question answered more than once (retried) keeps
    only its newest usable reply, so the model never sees two answers in a row.
    """
    from chatls.azure.types import ChatMessage

    answered = False  # whether a newer reply to the same question was already kept
    for message in history:
        if message.role == "user":
            answered = False
        elif (
            answered
            or not message.content
            or message.status in (protocol.STATUS_ERROR, protocol.STATUS_PENDING)
        ):
            continue
        else:
            answered = True
        content = _join(message.attachment, message.content) or message.content
        yield ChatMessage(message.role, content)


def _preview(text: str, limit: int = 80) -> str:
    line = " ".join(text.split())
    return repr(line if len(line) <= limit else line[: limit - 1] + "…")


def _usage(result: AdapterResult) -> protocol.Usage:
    u = result.usage
    return protocol.Usage(u.prompt_tokens, u.completion_tokens, u.reasoning_tokens, u.cached_tokens)


def _join(*parts: str | None) -> str | None:
    present = [p for p in parts if p]
    return "\n\n".join(present) if present else None


def _title(prompt: str) -> str:
    line = " ".join(prompt.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"
