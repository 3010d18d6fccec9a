"""The heartbeat: "thinking N s" while the next event keeps the consumer waiting, until the answer flows;
errors pass through; closing the consumer closes the source."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from chatls.azure import ContentEvent, ReasoningEvent, StatusEvent
from chatls.azure.pacing import paced


class Source:
    """Events released one at a time by the test (no clock decides anything)."""

    def __init__(self) -> None:
        self.released: asyncio.Queue[object] = asyncio.Queue()
        self.closed = False

    async def events(self) -> AsyncIterator[object]:
        try:
            while True:
                item = await self.released.get()
                if isinstance(item, Exception):
                    raise item
                if item is None:
                    return
                yield item
        finally:
            self.closed = True


async def test_events_pass_in_order_and_heartbeats_fill_only_the_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("chatls.azure.pacing.HEARTBEAT", 0.01)
    source = Source()
    loop = asyncio.get_running_loop()
    seen: list[object] = []
    async with contextlib.aclosing(paced(source.events(), loop.time())) as events:
        source.released.put_nowait(ReasoningEvent("hmm"))
        async for event in events:
            seen.append(event)
            if len([e for e in seen if isinstance(e, StatusEvent)]) == 2 and ContentEvent("a") not in seen:
                for item in (ContentEvent("a"), ContentEvent("b"), None):
                    source.released.put_nowait(item)
    assert seen[0] == ReasoningEvent("hmm")
    assert all(isinstance(e, StatusEvent) and e.text.startswith("thinking ") for e in seen[1:3])
    assert seen[3:] == [ContentEvent("a"), ContentEvent("b")]  # no heartbeat once the answer flows
    assert source.closed


async def test_an_error_of_the_source_reaches_the_consumer() -> None:
    source = Source()
    source.released.put_nowait(ReasoningEvent("x"))
    source.released.put_nowait(ValueError("upstream broke"))
    loop = asyncio.get_running_loop()
    with pytest.raises(ValueError, match="upstream broke"):
        async with contextlib.aclosing(paced(source.events(), loop.time())) as events:
            async for _ in events:
                pass


async def test_closing_the_consumer_while_it_waits_closes_the_source() -> None:
    source = Source()
    loop = asyncio.get_running_loop()
    events = paced(source.events(), loop.time())
    source.released.put_nowait(ReasoningEvent("x"))
    assert await anext(events) == ReasoningEvent("x")
    waiting = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)  # not a clock: one turn of the loop, so the consumer is waiting when cancelled
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await events.aclose()
    assert source.closed
