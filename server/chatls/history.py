"""Earlier turns as the model sees them: each question followed by its reply, newest first.

Pure: reads `MessageRecord`s (lazily, newest first, as the store yields them) and builds adapter messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from chatls import protocol
from chatls.attachments import restored, texts

if TYPE_CHECKING:
    from chatls.azure.types import ChatMessage
    from chatls.store.records import MessageRecord


def before(history: Iterable[MessageRecord], question_id: str) -> Iterator[MessageRecord]:
    """The messages older than this turn's question (newest first): later ones are this turn's own replies
    (the pending one, and for a retry the failed ones)."""
    found = False
    for message in history:
        if found:
            yield message
        elif message.id == question_id:
            found = True


_UNUSABLE = frozenset({protocol.STATUS_ERROR, protocol.STATUS_PENDING, protocol.STATUS_INTERRUPTED})
"""Replies never sent back to the model: failed, still streaming, or cut by a dead server."""


def chat_messages(history: Iterable[MessageRecord]) -> Iterator[ChatMessage]:
    """Earlier turns newest first, as the model sees them: each question followed by its reply.

    Replies are paired with the question they name (`reply_to`), wherever they were stored: two windows
    interleaving Q_a, Q_b, R_a, R_b give Q_a R_a Q_b R_b. Failed, empty, pending and interrupted replies are
    left out, and a question answered more than once (retried) keeps only its newest usable reply. Replies
    stored before the link existed pair with the question before them. A reply carries its replay state;
    its reasoning summary is never sent as answer text. A question's attachments go as its content parts,
    as they went when it was asked.
    """
    from chatls.agent.transcript import step_messages
    from chatls.azure.types import ChatMessage

    linked: dict[str, MessageRecord] = {}  # question id -> its newest usable reply seen so far
    unlinked: MessageRecord | None = None  # the newest usable reply without a link since the last question
    for message in history:
        if message.role == "assistant":
            if not message.content or message.status in _UNUSABLE:
                continue
            if message.reply_to is not None:
                linked.setdefault(message.reply_to, message)
            elif unlinked is None:
                unlinked = message
            continue
        reply = linked.pop(message.id, None) or unlinked
        unlinked = None
        if reply is not None:
            yield ChatMessage("assistant", reply.content, replay=reply.replay)
            if reply.steps:  # an agent turn: its tool calls and results came before the answer
                yield from reversed(step_messages(reply.steps))
        attached = restored(message.attachment, message.attachments)
        yield ChatMessage("user", message.content, parts=texts(attached))
