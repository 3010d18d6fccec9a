"""SDK clients pointed at the in-process emulator (retries off, so every status is seen as sent)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import openai
import pytest
from tests.emulator.helpers import DATED

from chatls.emulator.fixture import RunningEmulator


@pytest.fixture
async def azure(emulator: RunningEmulator) -> AsyncIterator[Callable[..., openai.AsyncAzureOpenAI]]:
    """``azure(api_version=...)`` → ``AsyncAzureOpenAI`` on the dated route."""
    clients: list[openai.AsyncAzureOpenAI] = []

    def make(
        api_version: str = DATED, *, api_key: str | None = None, emu: RunningEmulator | None = None
    ) -> openai.AsyncAzureOpenAI:
        target = emu or emulator
        client = openai.AsyncAzureOpenAI(
            azure_endpoint=target.url,
            api_key=api_key or target.api_key,
            api_version=api_version,
            max_retries=0,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def v1(emulator: RunningEmulator) -> AsyncIterator[openai.AsyncOpenAI]:
    """Stock ``AsyncOpenAI`` on the v1 route (deployment in ``model``)."""
    client = openai.AsyncOpenAI(base_url=emulator.v1_base_url, api_key=emulator.api_key, max_retries=0)
    yield client
    await client.close()
