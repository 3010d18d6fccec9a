"""One chat turn end to end: fit the context → store the prompt and a pending reply → call the adapter →
stream deltas → store the reply; and resuming the background runs a server that is gone left behind.

Used by the `chatls/chat` request, the `chatls.chat` command and the code-action commands alike, so all of
them share the same guarantees:

- the context is fitted (tokens counted in a worker thread, so a huge prompt never blocks other requests)
  before anything is stored: a prompt that cannot fit is refused and leaves nothing behind;
- the question, its `pending` reply (linked to it by `reply_to`) and a new conversation are committed in ONE
  transaction before anything goes upstream, so a failure never loses what was typed and two windows
  interleaving their turns never separate a question from its reply;
- the reply is stored as it ends: `complete`, `truncated` (hit the length limit), `cancelled` (partial text
  kept) or `error` (partial text kept, one log line naming profile, deployment and error kind), with its
  reasoning summary and the wire's replay state;
- while it is pending, this server's lease in the store says a live server owns it; a reply whose server died
  is `interrupted` (retryable), and a background run's reply is resumed instead (`resume_runs`);
- a background run's handle is stored the moment upstream accepts it; a user's Stop cancels the run
  upstream, a server shutting down leaves it for the next server to resume;
- the first delta of every turn (a status) carries the conversation and reply ids, before anything goes
  upstream, so a client can show and cancel the turn at once;
- a retry (`Turn.retry_of`) answers the stored question again: no second copy of the question is stored and
  the failed reply is kept but left out of the context;
- deltas reach `on_delta` coalesced (at most one content or reasoning delta per `DELTA_INTERVAL`), always as
  increments, in order, each echoing the request's `clientToken`, and all of them before `run_turn` returns;
- history is read newest first and only as far as the context budget reaches, so a turn costs the same with 10
  or 10,000 earlier messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pygls.exceptions import JsonRpcException

from chatls import protocol, tokens
from chatls.agent.loop import AgentRun, StepEvent, run_agent
from chatls.agent.transcript import steps_json
from chatls.attachments import Attached, restored, stored, texts, too_long
from chatls.azure.errors import ContextLengthExceeded
from chatls.azure.types import (
    MAX_STRING_CHARS,
    ChatMessage,
    ChatOptions,
    CitationsEvent,
    ContentEvent,
    Conversation,
    ReasoningEvent,
    RunStartedEvent,
    StatusEvent,
)
from chatls.azure.types import ChatResult as AdapterResult
from chatls.deltas import DeltaCoalescer, DeltaSink
from chatls.errors import CONFIGURATION_ERROR, CONTEXT_TOO_LONG, ChatLSError, invalid_params, to_jsonrpc
from chatls.history import before, chat_messages
from chatls.store.liveness import RENEW_INTERVAL
from chatls.workspaces import NO_FOLDER

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from chatls.agent.tools import AgentTools
    from chatls.azure.profile import Profile
    from chatls.azure.types import ChatEvent, ModelCapabilities
    from chatls.config import Settings
    from chatls.store import ConversationStore
    from chatls.store.records import MessageRecord, TurnIds
    from chatls.tokens import FittedContext

log = logging.getLogger(__name__)

PARTIAL_SAVE_INTERVAL = 1.0
"""Seconds between saves of a streaming reply's new text."""

HEARTBEAT_INTERVAL = RENEW_INTERVAL
"""Seconds between renewals of this server's lease while a turn runs (a reasoning model may think for
minutes without a word), so other servers see that a live one owns its pending replies."""

CANCEL_RUN_TIMEOUT = 10.0
"""Seconds a Stop waits for upstream to confirm that a background run is cancelled."""

RETRYABLE = protocol.RETRYABLE_STATUSES

TITLE_LENGTH = 60


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
    attachments: tuple[Attached, ...] = ()
    """The selection block, attached files, the diff …: each sent before the prompt as a content part of its
    own, stored with the question but apart from its text."""
    task_instructions: str | None = None
    """Added to the configured instructions for this turn only (code actions)."""
    retry_of: str | None = None
    """Id of a failed, cancelled or interrupted reply to the conversation's latest question: answer that
    question again (`prompt` must equal it) instead of storing it a second time. Needs `conversation_id`."""
    client_token: str | None = None
    """Echoed in every delta of the turn."""
    agent: AgentTurn | None = None
    """Agent mode: the model may use these tools (docs/agent.md); plain chat when None."""


@dataclass(frozen=True)
class AgentTurn:
    tools: AgentTools
    max_steps: int


class ChatBackend(Protocol):
    """The part of `chatls.azure.AzureChatClient` a turn needs."""

    @property
    def capabilities(self) -> ModelCapabilities: ...

    def chat(self, conversation: Conversation, options: ChatOptions) -> AsyncIterator[ChatEvent]: ...


@runtime_checkable
class RunControl(Protocol):
    """What an adapter that runs background responses offers besides `chat`."""

    def resume(self, handle: dict[str, Any]) -> AsyncIterator[ChatEvent]: ...

    async def cancel_run(self, handle: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class TurnParts:
    """What a turn needs from its host, handed over rather than looked up: the server builds one from its
    own state (`ChatLSServer.turn_parts`); tests build one from a real store and a scripted backend."""

    ready: Callable[[], Awaitable[None]]
    """Wait until the settings are loaded."""
    turn_settings: Callable[[str | None, str | None], tuple[Settings, Profile]]
    """(profile name, workspace) → the workspace's settings and the chosen profile (`ConfigError` saying
    what to set)."""
    backend: Callable[[Profile, Settings], ChatBackend]
    """The adapter client for a profile (cached by the host)."""
    store: Callable[[], ConversationStore]
    """The conversation store (opened on first use, so a settings change can still move it)."""
    stopping: Callable[[], bool]
    """The host is shutting down: a cancelled background turn is left to be resumed, not cancelled."""


class ChatService:
    def __init__(self, parts: TurnParts) -> None:
        self._parts = parts

    async def run_turn(self, turn: Turn, on_delta: DeltaSink) -> protocol.ChatResult:
        """Run one turn; see the module docstring for what is stored when.

        Raises the JSON-RPC errors of `chatls.errors` (never anything else); on cancellation the partial reply
        is stored as `cancelled` and `CancelledError` propagates.
        """
        try:
            await self._parts.ready()
            return await self._run(turn, on_delta)
        except (asyncio.CancelledError, JsonRpcException):
            raise
        except Exception as exc:
            raise to_jsonrpc(exc) from None

    async def _run(self, turn: Turn, on_delta: DeltaSink) -> protocol.ChatResult:
        _check_attachments(turn)
        plan = self._plan(turn)
        store = self._parts.store()
        conversation_id = self._existing_conversation(turn)
        question: MessageRecord | None = None
        if conversation_id is not None:
            store.settle_orphaned_replies(conversation_id)  # a reply its dead server left is retryable now
        if turn.retry_of is not None:
            assert conversation_id is not None  # build_turn and _existing_conversation made sure
            question = self._question_to_retry(turn, conversation_id, turn.retry_of)
            turn = replace(turn, attachments=restored(question.attachment, question.attachments))
        # Counting a huge prompt takes seconds: off the event loop, and before anything is stored.
        fitted = await asyncio.to_thread(self._fit, turn, plan, conversation_id, question)
        _check_prompt(turn)  # after fitting: a prompt too large for the window says so (counted off the loop)
        attachment, described = stored(turn.attachments) if question is None else (None, None)
        ids = store.begin_turn(
            conversation_id=conversation_id,
            workspace_uri=turn.workspace_uri or NO_FOLDER,
            title=_title(turn.prompt),
            question=None if question is not None else turn.prompt,
            attachment=attachment,
            attachments=described,
            retry_of_question=None if question is None else question.id,
            profile=plan.profile.name,
        )
        reply_id = ids.reply_id
        log.debug("turn %s: prompt %r", reply_id, turn.prompt)
        deltas = DeltaCoalescer(on_delta, ids.conversation_id, reply_id, client_token=turn.client_token)
        deltas.status(f"waiting for {_display_name(plan)}")
        parts = _Reply(store, reply_id)
        heartbeat = asyncio.ensure_future(_keep_alive(store))
        try:
            result = await self._stream(turn, plan, fitted, deltas, parts)
        except asyncio.CancelledError:
            deltas.close()
            await self._stopped(plan, ids, parts)
            raise
        except Exception as exc:
            deltas.close()
            error = to_jsonrpc(exc)
            if parts.handle is not None:  # the reply is settled: a run left upstream would only cost money
                await _cancel_run(plan.backend, parts.handle, reply_id)
            parts.settle(protocol.STATUS_ERROR)
            _log_failure(plan, reply_id, exc, error)
            raise error from None
        finally:
            heartbeat.cancel()
        deltas.close()
        return _answer(ids, parts.finish(result), result)

    async def _stopped(self, plan: _Plan, ids: TurnIds, parts: _Reply) -> None:
        """The turn was cancelled: by the user (Stop), or by a server shutting down."""
        store = self._parts.store()
        if parts.handle is not None and self._parts.stopping():
            # The run goes on upstream: the next server resumes it (see `resume_runs`).
            store.update_message(ids.reply_id, content=parts.text, reasoning=parts.reasoning)
            store.disown(ids.reply_id)
            log.info("turn %s: left background run to be resumed by the next server", ids.reply_id)
            return
        if parts.handle is not None:
            await _cancel_run(plan.backend, parts.handle, ids.reply_id)
        parts.settle(protocol.STATUS_CANCELLED)
        log.info("turn %s cancelled after %d characters", ids.reply_id, len(parts.text))

    async def resume_runs(self, on_delta: DeltaSink) -> int:
        """Resume every pending background reply no live server owns (left by a server that stopped or died):
        each is claimed by this server, streamed to `on_delta` (the client may not know the reply; its
        deltas carry the ids) and stored once, complete with its full text. Returns how many were resumed."""
        await self._parts.ready()
        claimed = self._parts.store().claim_resumable_replies()
        if claimed:
            log.info("resuming %d background reply(s) left by an earlier server", len(claimed))
            await asyncio.gather(*(self._resume(reply, on_delta) for reply in claimed))
        return len(claimed)

    async def _resume(self, reply: MessageRecord, on_delta: DeltaSink) -> None:
        store = self._parts.store()
        assert reply.run_handle is not None
        deltas = DeltaCoalescer(on_delta, reply.conversation_id, reply.id)
        parts = _Reply(store, reply.id, text=reply.content, reasoning=reply.reasoning, save_partial=False)
        heartbeat = asyncio.ensure_future(_keep_alive(store))
        try:
            settings, profile = self._parts.turn_settings(reply.profile, None)
            backend = self._parts.backend(profile, settings)
            if not isinstance(backend, RunControl):
                raise ChatLSError("this profile's client cannot resume background runs", kind="internal")
            deltas.status(f"resuming the reply from {profile.deployment or profile.name}")
            parts.restart()  # resuming yields the whole reply again; the stored text stays until it ends
            result = await _consume(backend.resume(reply.run_handle), deltas, parts)
        except asyncio.CancelledError:
            deltas.close()
            store.disown(reply.id)  # shutting down again: the next server resumes it
            raise
        except Exception as exc:
            deltas.close()
            parts.settle(protocol.STATUS_ERROR, keep_stored_text=True)
            log.warning("resuming reply %s failed: %s", reply.id, to_jsonrpc(exc).message)
            return
        finally:
            heartbeat.cancel()
        deltas.close()
        parts.finish(result)
        log.info("resumed reply %s: %d characters, complete", reply.id, len(result.content))

    def _plan(self, turn: Turn) -> _Plan:
        settings, profile = self._parts.turn_settings(turn.profile, turn.workspace_uri)
        backend = self._parts.backend(profile, settings)
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
            reasoning_summaries=settings.reasoning_summaries,
        )
        return _Plan(
            profile=profile,
            backend=backend,
            caps=caps,
            options=options,
            instructions=_join(settings.instructions, turn.task_instructions),
            completion_reserve=settings.completion_reserve(
                profile.max_completion_tokens, reasoning=reasoning, output_limit=caps.max_output_tokens
            ),
            max_history_messages=settings.max_history_messages,
        )

    def _question_to_retry(self, turn: Turn, conversation_id: str, reply_id: str) -> MessageRecord:
        """The stored question a failed reply answered; InvalidParams unless the retry is well-formed."""
        store = self._parts.store()
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
                "cancelled (or interrupted) can be retried @ $.retryOf"
            )
        replies_to_latest: set[str] = set()
        question: MessageRecord | None = None
        for message in store.iter_recent_messages(conversation_id):
            if message.role == "user":
                question = message
                break
            replies_to_latest.add(message.id)
        answers_latest = (
            question is not None and reply.reply_to == question.id
            if reply.reply_to is not None
            else reply_id in replies_to_latest  # stored before replies named their question
        )
        if question is None or not answers_latest:
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

    def _existing_conversation(self, turn: Turn) -> str | None:
        """The conversation the turn continues (checked), or None when the turn starts a new one."""
        if turn.conversation_id is None:
            return None
        record = self._parts.store().get_conversation(turn.conversation_id)
        if record is None:
            raise invalid_params(f"unknown conversationId {turn.conversation_id!r}")
        if turn.workspace_uri is not None and record.workspace_uri != turn.workspace_uri:
            raise invalid_params(
                f"conversation {turn.conversation_id!r} belongs to workspace {record.workspace_uri}, "
                f"not {turn.workspace_uri}"
            )
        return str(record.id)

    async def _stream(
        self,
        turn: Turn,
        plan: _Plan,
        fitted: FittedContext[ChatMessage],
        deltas: DeltaCoalescer,
        parts: _Reply,
    ) -> AdapterResult:
        question = ChatMessage("user", turn.prompt, parts=texts(turn.attachments))
        if turn.agent is not None:
            conversation = Conversation(plan.instructions, (*fitted.history, question))
            return await _run_agent(turn.agent, plan, conversation, deltas, parts)
        try:
            conversation = Conversation(plan.instructions, (*fitted.history, question))
            return await _consume(plan.backend.chat(conversation, plan.options), deltas, parts)
        except ContextLengthExceeded:
            if parts or not fitted.history:
                raise  # nothing left to trim (or text already shown): a retry cannot help
        fitted = tokens.trim_further(fitted)
        log.info("context length exceeded: retrying once with %d earlier messages", len(fitted.history))
        conversation = Conversation(plan.instructions, (*fitted.history, question))
        return await _consume(plan.backend.chat(conversation, plan.options), deltas, parts)

    async def budget(self, turn: Turn) -> protocol.BudgetResult:
        """What `run_turn(turn)` would send, counted the same way, storing nothing and sending nothing."""
        await self._parts.ready()
        plan = self._plan(turn)
        conversation_id = self._existing_conversation(turn)
        return await asyncio.to_thread(self._count, turn, plan, conversation_id)

    def _count(self, turn: Turn, plan: _Plan, conversation_id: str | None) -> protocol.BudgetResult:
        counter = tokens.counter_for(plan.caps.family)
        reserve = plan.completion_reserve
        window = min(plan.caps.context_window, plan.caps.input_limit + reserve)
        input_budget = window - reserve
        prompt = tokens.REPLY_PRIMER + tokens.message_tokens(counter, turn.prompt)
        instructions = tokens.message_tokens(counter, plan.instructions) if plan.instructions else 0
        # Each attachment is counted once: fitting the history below reuses these counts.
        items = [protocol.BudgetItem(a.label, tokens.part_tokens(counter, a.text)) for a in turn.attachments]
        earlier = list(chat_messages(self._parts.store().iter_recent_messages(conversation_id))) if (
            conversation_id is not None) else []  # fmt: skip
        fixed = prompt + instructions + sum(item.tokens for item in items)
        left_out_attachments: list[str] = []
        kept = list(items)
        while kept and fixed > input_budget:  # what would have to go for the question itself to fit
            dropped = kept.pop()
            left_out_attachments.insert(0, dropped.label)
            fixed -= dropped.tokens
        history_tokens, history_messages = 0, 0
        if not left_out_attachments and fixed <= input_budget:
            fitted = tokens.fit_history(
                earlier, prompt=turn.prompt, counter=counter, context_window=window,
                completion_reserve=reserve, instructions=plan.instructions,
                attachment_tokens=[item.tokens for item in items], max_messages=plan.max_history_messages,
            )  # fmt: skip
            history_tokens, history_messages = sum(fitted.history_tokens), len(fitted.history)
        total = prompt + instructions + sum(item.tokens for item in items) + history_tokens
        return protocol.BudgetResult(
            model=_display_name(plan), tokens=total, input_budget=input_budget, context_window=window,
            reply_reserve=reserve, prompt_tokens=prompt, instructions_tokens=instructions, attachments=items,
            history_tokens=history_tokens, history_messages=history_messages,
            left_out_messages=len(earlier) - history_messages, left_out_attachments=left_out_attachments,
            fits=total <= input_budget,
        )  # fmt: skip

    def _fit(
        self, turn: Turn, plan: _Plan, conversation_id: str | None, question: MessageRecord | None
    ) -> FittedContext[ChatMessage]:
        """The history that fits beside the prompt (runs in a worker thread: it counts tokens)."""
        earlier: Iterable[ChatMessage] = ()
        if conversation_id is not None:
            history = self._parts.store().iter_recent_messages(conversation_id)
            earlier = chat_messages(history if question is None else before(history, question.id))
        # Input and reply share the context window, and some models cap the input below the rest of the
        # window (GPT-5: 272k of 400k): the budget is whichever is smaller.
        reserve = plan.completion_reserve
        window = min(plan.caps.context_window, plan.caps.input_limit + reserve)
        counter = tokens.counter_for(plan.caps.family)
        try:
            return tokens.fit_history(
                earlier,
                prompt=turn.prompt,
                counter=counter,
                context_window=window,
                completion_reserve=reserve,
                instructions=plan.instructions,
                attachment_tokens=[tokens.part_tokens(counter, a.text) for a in turn.attachments],
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
    """The reply so far, and how it is stored.

    Answer text is saved about once a second while it streams, so even a killed server keeps most of a long
    reply; a background run's handle is stored the moment it is known.
    """

    def __init__(
        self,
        store: ConversationStore,
        message_id: str,
        *,
        text: str = "",
        reasoning: str = "",
        save_partial: bool = True,
    ) -> None:
        self._store = store
        self._message_id = message_id
        self._parts: list[str] = [text] if text else []
        self._reasoning: list[str] = [reasoning] if reasoning else []
        self._saved = len(self._parts)
        self._save_partial = save_partial
        self._last_save = time.monotonic()
        self._stored_text = text
        self.handle: dict[str, Any] | None = None
        self.steps: Callable[[], list[dict[str, Any]]] | None = None
        """An agent turn's steps so far (stored with the reply whenever it is stored)."""

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def __bool__(self) -> bool:
        return bool(self._parts)

    def restart(self) -> None:
        """Forget the text in memory (a resumed run streams the reply again); the stored text stays."""
        self._parts.clear()
        self._reasoning.clear()
        self._saved = 0

    def add(self, text: str) -> None:
        self._parts.append(text)
        if self._save_partial and time.monotonic() - self._last_save >= PARTIAL_SAVE_INTERVAL:
            self._save()

    def add_reasoning(self, text: str) -> None:
        self._reasoning.append(text)

    def run_started(self, handle: dict[str, Any]) -> None:
        """Store the handle now (its own commit): whatever happens next, the run can be resumed or
        cancelled."""
        self._store.set_run_handle(self._message_id, handle)
        self.handle = handle

    def save_steps(self) -> None:
        if self.steps is not None:
            self._store.update_message(self._message_id, content=self.text, steps=self.steps())

    def settle(self, status: str, *, keep_stored_text: bool = False) -> None:
        """Store the reply as ended early (`error`, `cancelled`): the partial text and reasoning kept."""
        text = (
            self._stored_text if keep_stored_text and len(self._stored_text) > len(self.text) else self.text
        )
        steps = self.steps() if self.steps is not None else None
        self._store.update_message(
            self._message_id, content=text, status=status, reasoning=self.reasoning, steps=steps, settled=True
        )

    def finish(self, result: AdapterResult) -> str:
        """Store the whole reply once it is complete (or truncated); its status."""
        truncated = result.stop_reason == protocol.STOP_TRUNCATED
        status = protocol.STATUS_TRUNCATED if truncated else protocol.STATUS_COMPLETE
        self._store.update_message(
            self._message_id, content=result.content, status=status, model=result.model,
            usage=protocol.unstructure(_usage(result)), reasoning=result.reasoning or self.reasoning,
            replay=result.replay, steps=self.steps() if self.steps is not None else None,
            citations=protocol.unstructure(citations_of(result)) if result.citations else None, settled=True,
        )  # fmt: skip
        log.debug("reply %s: %r", self._message_id, result.content)
        return status

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
    try:
        async for event in events:
            if isinstance(event, AdapterResult):
                return event
            _take(event, deltas, parts)
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()  # closes the HTTP stream now, not whenever the generator is collected
    raise RuntimeError("the adapter's stream ended without a result")


def _take(event: object, deltas: DeltaCoalescer, parts: _Reply) -> None:
    """One adapter event before the result: to the client and into the reply."""
    if isinstance(event, CitationsEvent):
        deltas.citations([_citation(c) for c in event.citations])
    elif isinstance(event, ContentEvent):
        parts.add(event.text)
        deltas.content(event.text)
    elif isinstance(event, ReasoningEvent):
        parts.add_reasoning(event.text)
        deltas.reasoning(event.text)
    elif isinstance(event, StatusEvent):
        deltas.status(event.text)
    elif isinstance(event, RunStartedEvent):
        parts.run_started(event.handle)


async def _run_agent(
    agent: AgentTurn, plan: _Plan, conversation: Conversation, deltas: DeltaCoalescer, parts: _Reply
) -> AdapterResult:
    """Model → tools → model until the model answers; every finished step is stored with the reply at once,
    so a Stop (or a killed server) keeps the steps so far."""
    if not plan.caps.tools:
        model = plan.caps.model or plan.profile.deployment or plan.profile.name
        raise ChatLSError(
            f"Agent mode is unavailable for {model}: the model takes no function tools. Chat still works; "
            "for agent mode pick a profile whose model takes tools (e.g. o3-mini, gpt-4.1, gpt-5.x).",
            kind="agent_unavailable",
            code=CONFIGURATION_ERROR,  # docs/protocol.md: -32010, pick another profile
        )
    run = AgentRun()
    parts.steps = lambda: steps_json(run)

    def on_event(event: object) -> None:
        if isinstance(event, StepEvent):
            deltas.step(protocol.AgentStep(event.index, event.phase, event.name, event.summary, event.ok))
            if event.phase == "finished":
                parts.save_steps()
        else:
            _take(event, deltas, parts)

    await run_agent(plan.backend, conversation, plan.options, agent.tools, on_event,
                    max_steps=agent.max_steps, run=run)  # fmt: skip
    assert run.result is not None
    notes = (
        ("the step limit was reached; the model answered without more tools",)
        if run.step_limit_reached
        else ()
    )
    # The client showed every piece of text the model wrote between the steps: the stored reply says the same.
    return replace(run.result, content=parts.text, adaptations=(*run.result.adaptations, *notes))


async def _cancel_run(backend: ChatBackend, handle: dict[str, Any], reply_id: str) -> None:
    """A user's Stop on a background run: cancel it upstream too (else it runs on, and is billed)."""
    if not isinstance(backend, RunControl):
        log.warning("turn %s: the client cannot cancel its background run upstream", reply_id)
        return
    try:
        await asyncio.wait_for(backend.cancel_run(handle), CANCEL_RUN_TIMEOUT)
    except Exception as exc:  # the reply is stored as cancelled anyway; say why upstream may run on
        log.warning("turn %s: cancelling the background run upstream failed: %s", reply_id, exc)


async def _keep_alive(store: ConversationStore) -> None:
    """Renew this server's lease while a turn runs, so no other server takes its pending reply for dead."""
    while True:
        await asyncio.sleep(HEARTBEAT_INTERVAL)
        try:
            store.renew_lease()
        except Exception:  # a busy database; the next renewal is well within the lease
            log.warning("renewing the lease on pending replies failed", exc_info=True)


def _answer(ids: TurnIds, status: str, result: AdapterResult) -> protocol.ChatResult:
    truncated = status == protocol.STATUS_TRUNCATED
    return protocol.ChatResult(
        conversation_id=ids.conversation_id,
        message_id=ids.reply_id,
        content=result.content,
        model=result.model,
        finish_reason="length" if truncated else "stop",
        stop_reason=result.stop_reason,
        reasoning=result.reasoning or None,
        usage=_usage(result),
        adaptations=list(result.adaptations),
        citations=citations_of(result) or None,
    )


def citations_of(result: AdapterResult) -> list[protocol.Citation]:
    """A grounded reply's references, as the client sees them (and as they are stored)."""
    return [_citation(c) for c in result.citations]


def _citation(citation: Any) -> protocol.Citation:
    return protocol.Citation(citation.title, citation.url, citation.filepath, citation.chunk_id)


def _display_name(plan: _Plan) -> str:
    """Who the turn waits for: the model once its name is known, else the deployment; never "unknown"."""
    model = plan.caps.model
    if model and model.lower() != "unknown":
        return model
    return plan.profile.deployment or plan.profile.name


def _log_failure(plan: _Plan, reply_id: str, exc: Exception, error: JsonRpcException) -> None:
    """One line at the default level for every turn that fails (never a secret: the message is the user's)."""
    data = error.data if isinstance(error.data, dict) else {}
    deployment = getattr(exc, "deployment", None) or plan.profile.deployment or "-"
    log.warning(
        "turn %s failed: profile %s, deployment %s, %s: %s",
        reply_id, plan.profile.name, deployment, data.get("kind", "error"), error.message,
    )  # fmt: skip


def _check_attachments(turn: Turn) -> None:
    """Refuse, before anything is stored, an attachment Azure would refuse whatever else is sent (items are
    refused as they are read, naming their position; this covers the selection and code actions too)."""
    for attached in turn.attachments:
        problem = too_long(attached)
        if problem is not None:
            raise invalid_params(f"invalid params: {problem}")


def _check_prompt(turn: Turn) -> None:
    """Refuse, before anything is stored, a prompt Azure would refuse whatever else is sent."""
    if len(turn.prompt) > MAX_STRING_CHARS:
        raise invalid_params(
            f"invalid params: the prompt is {len(turn.prompt):,} characters; Azure takes at most "
            f"{MAX_STRING_CHARS:,} characters in one part of a message (string_above_max_length) @ $.prompt"
        )


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
