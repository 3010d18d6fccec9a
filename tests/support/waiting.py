"""Waiting in tests on a condition or an event, never on the clock.

A test that must see something happen waits for it with one of these; the timeout only keeps a broken run
from hanging (it is generous on purpose and is never a speed check). On timeout the error names what was
awaited, and what was last seen when the caller says how to describe it::

    reply = await wait_until_async(lambda: stored_reply(db), "the partial reply to be stored")
    wait_until(lambda: port_open(url), "code-server to answer /healthz", timeout=60)
    await wait_for_event(started, "the slow command to start")

Prefer an event the code offers (an `asyncio.Event`, a process's exit, a queue) over polling a condition;
to prove that something did *not* happen, wait for a later event that orders after it (a subsequent request
answered) rather than sleeping.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
"""Seconds before a wait gives up: a hang guard for loaded CI machines, not a speed check."""
POLL_INTERVAL = 0.02
"""Seconds between two looks at a condition that offers no event to wait on."""


class WaitTimeout(AssertionError):
    """What a test waited for never came; an AssertionError, so pytest reports it as a failed check."""


def _timed_out(what: str, timeout: float, last_seen: Callable[[], object] | None) -> WaitTimeout:
    message = f"timed out after {timeout:g} s waiting for {what}"
    if last_seen is not None:
        message += f" (last seen: {last_seen()!r})"
    return WaitTimeout(message)


def wait_until(
    predicate: Callable[[], T],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = POLL_INTERVAL,
    last_seen: Callable[[], object] | None = None,
) -> T:
    """Call `predicate` until it returns something truthy, and return that (for sync tests and fixtures).

    `what` completes "timed out waiting for …"; `last_seen` describes the state in that message.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout, last_seen)
        time.sleep(interval)


async def wait_until_async(
    predicate: Callable[[], T] | Callable[[], Awaitable[T]],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = POLL_INTERVAL,
    last_seen: Callable[[], object] | None = None,
) -> T:
    """`wait_until` for async tests: the event loop keeps running (and delivering messages) meanwhile.

    `predicate` may be a coroutine function (e.g. one that asks the emulator's request log).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise _timed_out(what, timeout, last_seen)
        await asyncio.sleep(interval)


async def wait_for_event(event: asyncio.Event, what: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until `event` is set."""
    await wait_for(event.wait(), what, timeout=timeout)


async def wait_for(awaitable: Awaitable[T], what: str, *, timeout: float = DEFAULT_TIMEOUT) -> T:
    """Await `awaitable` (a future, a process's `wait()`, a queue's `get()`), failing clearly on timeout."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise _timed_out(what, timeout, None) from None
