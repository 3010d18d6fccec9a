"""Fixtures shared by every test suite.

``emulator``: an in-process Azure OpenAI emulator (default deployments, any non-empty key) on a free
loopback port, fresh for each test. For a custom configuration use ``start_emulator`` (a factory
fixture) or ``chatls.emulator.fixture.run_emulator(config)`` directly::

    async def test_slow(start_emulator):
        emu = await start_emulator({"deployments": {"slow": {"model": "gpt-4o", "tokens_per_second": 5}}})

``emulator_thread``: the same on its own event loop in a background thread, for sync tests and tests
that spawn subprocess clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

import pytest

from chatls.emulator.fixture import (
    ConfigSource,
    RunningEmulator,
    StartEmulator,
    ThreadedEmulator,
    emulator_in_thread,
    run_emulator,
)


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    async with run_emulator() as emu:
        yield emu


@pytest.fixture
async def start_emulator() -> AsyncIterator[StartEmulator]:
    """Factory: ``await start_emulator(config)``; every emulator started is stopped after the test."""
    async with AsyncExitStack() as stack:

        async def start(
            config: ConfigSource = None, *, host: str = "127.0.0.1", port: int = 0
        ) -> RunningEmulator:
            return await stack.enter_async_context(run_emulator(config, host=host, port=port))

        yield start


@pytest.fixture
def emulator_thread() -> Iterator[ThreadedEmulator]:
    with emulator_in_thread() as emu:
        yield emu
