"""Waiting with a time limit without losing a Stop.

`asyncio.wait_for` (Python 3.10, 3.11) returns the result instead of raising when the task is cancelled at
the moment the awaited thing finishes, so a Stop that lands just as an approval arrives would be lost and
the command would run anyway. `asyncio.wait` never swallows the caller's cancellation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


async def within(awaitable: Awaitable[T], seconds: float, *, cancel_late: bool = True) -> T:
    """The result of `awaitable` if it finishes within `seconds`, else `asyncio.TimeoutError`.

    On the timeout (or when the caller is cancelled) the awaitable is cancelled, unless `cancel_late` is
    False: then it is left to finish unobserved (e.g. a request to the editor whose late answer must still
    find its future).
    """
    future = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({future}, timeout=seconds)
    except asyncio.CancelledError:
        if cancel_late:
            future.cancel()
        raise
    if not done:
        if cancel_late:
            future.cancel()
        else:
            future.add_done_callback(_consume)
        raise asyncio.TimeoutError
    return future.result()


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve a late future's outcome, so asyncio does not report it as never retrieved."""
    if not future.cancelled():
        future.exception()
