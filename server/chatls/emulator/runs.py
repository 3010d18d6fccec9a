"""Responses API runs: a response's events as they are produced, and the store of responses.

A run is produced by one task and read by any number of streams (the create request, and later
``GET /responses/{id}?stream=true&starting_after=N`` resumes). A background run's task belongs to the
store, not to a request, so it goes on while no client is connected, as Azure's does (responses-api.md §6).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any

TERMINAL = ("completed", "incomplete", "failed", "cancelled")
STORED_RUNS_LIMIT = 2_000
"""Stored responses kept; the oldest finished ones are forgotten first (a long benchmark stays bounded)."""


def new_id(prefix: str) -> str:
    return f"{prefix}_" + secrets.token_hex(16)


@dataclass
class Run:
    """One response: its current object, every event sent so far, and how it was created."""

    id: str
    response: dict[str, Any]
    background: bool
    stored: bool
    streamed: bool
    deployment: str
    transcript: list[dict[str, Any]] = field(default_factory=list)
    """Input items plus output items: what ``previous_response_id`` continues from."""
    events: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def status(self) -> str:
        return str(self.response.get("status"))

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def emit(self, event: dict[str, Any]) -> dict[str, Any]:
        """Append an event with the next ``sequence_number`` and wake every follower."""
        event = {"type": event["type"], "sequence_number": len(self.events), **event}
        self.events.append(event)
        self._notify()
        return event

    def set_status(self, status: str) -> None:
        self.response["status"] = status
        self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def follow(self, after: int = -1) -> AsyncIterator[dict[str, Any]]:
        """Every event after sequence number ``after``, waiting for new ones until the run ends."""
        index = after + 1
        while True:
            while index < len(self.events):
                yield self.events[index]
                index += 1
            if self.finished:
                return
            await self._changed.wait()


class RunStore:
    """Stored responses (``store: true``), running tasks, and the encrypted reasoning handed out."""

    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.encrypted: dict[str, tuple[str, str]] = {}
        """Opaque ``encrypted_content`` → (response id, reasoning item id)."""

    def add(self, run: Run) -> None:
        if not run.stored:
            return
        self.runs[run.id] = run
        if len(self.runs) > STORED_RUNS_LIMIT:
            for old in [r for r in self.runs.values() if r.finished][: len(self.runs) - STORED_RUNS_LIMIT]:
                del self.runs[old.id]
                self.encrypted = {k: v for k, v in self.encrypted.items() if v[0] != old.id}

    def get(self, response_id: str) -> Run | None:
        return self.runs.get(response_id)

    def delete(self, response_id: str) -> bool:
        return self.runs.pop(response_id, None) is not None

    def start(self, run: Run, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``work`` as the run's own task, kept alive by the store (not by a request)."""
        task = asyncio.get_running_loop().create_task(work, name=f"emulator-run-{run.id}")
        run.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def seal(self, response_id: str, item_id: str) -> str:
        """A new opaque ``encrypted_content`` the emulator recognises when it is sent back."""
        token = "gAAAAB" + secrets.token_urlsafe(48)
        self.encrypted[token] = (response_id, item_id)
        return token

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def reset(self) -> None:
        self.cancel_all()
        self.runs.clear()
        self.encrypted.clear()
