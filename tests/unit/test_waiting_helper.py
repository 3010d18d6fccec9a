"""The tests' one waiting helper (tests/support/waiting.py): it returns what it waited for, and on timeout
fails with a message naming what was awaited and what was last seen."""

from __future__ import annotations

import asyncio
import threading

import pytest
from tests.support.waiting import WaitTimeout, wait_for, wait_for_event, wait_until, wait_until_async


def test_wait_until_returns_the_first_truthy_value() -> None:
    answers = iter([None, [], ["ready"]])
    assert wait_until(lambda: next(answers), "the answer", interval=0) == ["ready"]


def test_wait_until_sees_a_change_made_by_another_thread() -> None:
    done = threading.Event()
    threading.Thread(target=done.set).start()
    assert wait_until(done.is_set, "the other thread") is True


def test_wait_until_names_what_was_awaited_and_what_was_last_seen() -> None:
    with pytest.raises(WaitTimeout) as failure:
        wait_until(lambda: 0, "the count to grow", timeout=0, last_seen=lambda: {"count": 0})
    assert str(failure.value) == "timed out after 0 s waiting for the count to grow (last seen: {'count': 0})"
    assert isinstance(failure.value, AssertionError)  # pytest reports it as a failed check


async def test_wait_until_async_lets_the_loop_deliver_what_it_waits_for() -> None:
    seen: list[str] = []
    asyncio.get_running_loop().call_soon(seen.append, "delta")
    assert await wait_until_async(lambda: list(seen), "the delta") == ["delta"]


async def test_wait_until_async_names_what_was_awaited() -> None:
    with pytest.raises(WaitTimeout, match=r"^timed out after 0 s waiting for the first delta$"):
        await wait_until_async(lambda: False, "the first delta", timeout=0)


async def test_wait_for_event_returns_once_the_event_is_set() -> None:
    event = asyncio.Event()
    asyncio.get_running_loop().call_soon(event.set)
    await wait_for_event(event, "the event")
    assert event.is_set()


async def test_wait_for_event_names_what_was_awaited() -> None:
    with pytest.raises(WaitTimeout, match=r"waiting for the server to start$"):
        await wait_for_event(asyncio.Event(), "the server to start", timeout=0)


async def test_wait_for_returns_the_awaited_result() -> None:
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(future.set_result, 7)
    assert await wait_for(future, "the result") == 7
