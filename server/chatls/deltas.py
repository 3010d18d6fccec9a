"""`DeltaCoalescer`: the turn's `chatls/delta` notifications, batched so an editor is never flooded.

Answer text and reasoning-summary text stream as their own delta kinds, in the order they happened, each
delta echoing the request's `clientToken`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Literal

from chatls import protocol

log = logging.getLogger(__name__)

DELTA_INTERVAL = 0.02
"""Content arriving faster than one piece per 20 ms (~50/s) is batched into one delta."""

DeltaSink = Callable[[protocol.DeltaNotification], None]


class DeltaCoalescer:
    """Batches text so the editor gets at most one text delta per `interval`, order preserved.

    Answer text (`content`) and reasoning-summary text (`reasoning`) are kept apart: a delta carries one kind,
    and a piece of the other kind first sends what is pending, so the client sees things in the order they
    happened. A piece arriving after a quiet `interval` goes out at once; pieces arriving faster wait (at
    most `interval`) and go out together. A status flushes pending text first. `close()` flushes the rest:
    call it before answering the request. Every delta carries the request's `client_token`.
    """

    def __init__(
        self,
        send: DeltaSink,
        conversation_id: str,
        message_id: str,
        interval: float = DELTA_INTERVAL,
        *,
        client_token: str | None = None,
    ):
        self._send = send
        self._conversation_id = conversation_id
        self._message_id = message_id
        self._interval = interval
        self._client_token = client_token
        self._pending: list[str] = []
        self._pending_kind: _TextKind = "content"
        self._last_sent = float("-inf")
        self._timer: asyncio.TimerHandle | None = None
        self._cited = False
        self.sent_count = 0

    def content(self, text: str) -> None:
        self._text("content", text)

    def reasoning(self, text: str) -> None:
        self._text("reasoning", text)

    def status(self, text: str) -> None:
        self._flush()
        self._emit(self._delta(status=text))

    def step(self, step: protocol.AgentStep) -> None:
        """An agent tool step started or finished (pending text goes first)."""
        self._flush()
        delta = self._delta()
        delta.step = step
        self._emit(delta)

    def citations(self, citations: list[protocol.Citation]) -> None:
        """A grounded answer's references, once, when they arrive (pending text goes first)."""
        if self._cited:
            return
        self._cited = True
        self._flush()
        delta = self._delta()
        delta.citations = citations
        self._emit(delta)

    def close(self) -> None:
        self._flush()

    def _text(self, kind: _TextKind, text: str) -> None:
        if not text:
            return
        if self._pending and kind != self._pending_kind:
            self._flush()
        self._pending_kind = kind
        self._pending.append(text)
        wait = self._last_sent + self._interval - time.monotonic()
        if wait <= 0:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._flush)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._last_sent = time.monotonic()
        if self._pending_kind == "reasoning":
            self._emit(self._delta(reasoning=text))
        else:
            self._emit(self._delta(content=text))

    def _delta(
        self, *, content: str | None = None, status: str | None = None, reasoning: str | None = None
    ) -> protocol.DeltaNotification:
        return protocol.DeltaNotification(
            self._conversation_id, self._message_id, content=content, status=status, reasoning=reasoning,
            client_token=self._client_token,
        )  # fmt: skip

    def _emit(self, delta: protocol.DeltaNotification) -> None:
        self.sent_count += 1
        try:
            self._send(delta)
        except Exception:  # a broken pipe to the editor must not lose the reply in the store
            log.warning("could not send a delta", exc_info=True)


_TextKind = Literal["content", "reasoning"]
