"""Fixtures for the adapter's integration tests: the real SDK against the emulator over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from chatls.azure import AzureChatClient, ChatEvent, ChatOptions, Conversation, Profile
from chatls.emulator.fixture import RunningEmulator

MakeClient = Callable[..., AzureChatClient]


class MemoryLessons:
    """A LessonStore in a dict: what the server's SQLite store does, minus the disk."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], dict[str, Any]] = {}
        self.saves = 0

    def load_lessons(self, endpoint: str, deployment: str) -> dict[str, Any]:
        return dict(self.data.get((endpoint, deployment), {}))

    def save_lessons(self, endpoint: str, deployment: str, lessons: dict[str, Any]) -> None:
        self.saves += 1
        self.data[(endpoint, deployment)] = dict(lessons)


async def collect(
    client: AzureChatClient, conversation: Conversation, options: ChatOptions
) -> list[ChatEvent]:
    async with contextlib.aclosing(client.chat(conversation, options)) as events:
        return [event async for event in events]


async def cancel_when(
    client: AzureChatClient, conversation: Conversation, seen: Callable[[ChatEvent], bool]
) -> None:
    """Consume a chat in a task until `seen(event)`, then cancel the task, as an editor's stop does."""
    reached = asyncio.Event()

    async def consume() -> None:
        async with contextlib.aclosing(client.chat(conversation, ChatOptions())) as stream:
            async for event in stream:
                if seen(event):
                    reached.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(reached.wait(), timeout=20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def profile_for(emu: RunningEmulator, deployment: str | list[str], **settings: Any) -> Profile:
    data: dict[str, Any] = {"name": "test", "endpoint": emu.url, "deployment": deployment, "apiVersion": "v1"}
    data.update(settings)
    return Profile.from_dict(data)


@pytest.fixture
def lessons() -> MemoryLessons:
    return MemoryLessons()


@pytest.fixture
async def make_client(emulator: RunningEmulator, lessons: MemoryLessons) -> AsyncIterator[MakeClient]:
    """``make_client(deployment, **profile_settings)``: a client on the emulator, closed after the test."""
    clients: list[AzureChatClient] = []

    def make(
        deployment: str | list[str],
        *,
        store: Any = lessons,
        emu: RunningEmulator = emulator,
        client_options: dict[str, Any] | None = None,
        **settings: Any,
    ) -> AzureChatClient:
        options = {"api_key": emu.api_key, **(client_options or {})}
        client = AzureChatClient(profile_for(emu, deployment, **settings), lessons=store, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
