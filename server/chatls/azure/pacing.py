"""The heartbeat: "thinking N s" status events while a reply's next event is awaited.

A reasoning model thinks for minutes before it writes, so until the first answer text arrives the
events are read ahead by one pump task into a small queue, and the consumer, finding it empty, waits on
a future with a timer rather than a task per event (cheap enough for the 0.3 ms first-delta budget).
Once the answer flows, events are read directly. Cancelling or closing the consumer cancels the pump,
which closes the events (and with them the HTTP stream).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from chatls.azure.types import ContentEvent, StatusEvent

T = TypeVar("T")
HEARTBEAT = 1.0
"""Seconds between "thinking N s" events."""


class _End:
    """What the pump queues last: the events ended (error is None) or raised."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


async def paced(events: AsyncIterator[T], started: float) -> AsyncIterator[T | StatusEvent]:
    """`events` as they come; until the first ContentEvent, "thinking N s" about once a second (counted
    from `started`, a loop time) whenever the next event keeps the consumer waiting."""
    loop = asyncio.get_running_loop()
    queued: deque[Any] = deque()
    waiting: asyncio.Future[None] | None = None
    """The consumer's wake-up call while it waits for the queue."""

    def wake() -> None:
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def pump() -> None:
        try:
            while True:
                event = await anext(events)
                queued.append(event)
                if waiting is not None:
                    wake()
                    await asyncio.sleep(0)  # the waiting consumer passes it on before more is read
                if isinstance(event, ContentEvent):
                    return  # the consumer reads the rest directly
        except StopAsyncIteration:
            queued.append(_End())
        except BaseException as exc:
            queued.append(_End(exc))
        finally:
            wake()

    reader = loop.create_task(pump())
    try:
        while True:
            while not queued:
                waiting = loop.create_future()
                elapsed = loop.time() - started
                timer = loop.call_later(HEARTBEAT - (elapsed % HEARTBEAT), wake)
                try:
                    await waiting
                finally:
                    timer.cancel()
                    waiting = None
                if not queued:
                    yield StatusEvent(f"thinking {round(loop.time() - started)} s")
            item = queued.popleft()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
            if isinstance(item, ContentEvent):
                break
        async for event in events:
            yield event
    finally:
        if not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
