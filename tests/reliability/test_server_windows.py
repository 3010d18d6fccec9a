"""Two real server processes on one state directory and workspace: two editor windows on one project.

Both chat at the same time, into their own conversations and into one they share; every message of both
is stored, and both list the same conversations with the same message counts.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient
from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    chat,
    lsp_session,
    request,
    session_settings,
)

from chatls.emulator.fixture import StartEmulator
from chatls.store import DB_FILENAME

pytestmark = SPEC_WARNINGS_ARE_ERRORS


TURNS = 2
"""Turns each window sends into its own conversation and into the shared one."""


async def window_chats(client: LanguageClient, name: str, shared: str) -> str:
    """Chat in a new conversation of this window and, interleaved, in the shared one; the own id."""
    first = await chat(client, f"{name} own 0")
    own = first["conversationId"]
    for turn in range(1, TURNS):
        await asyncio.gather(
            chat(client, f"{name} own {turn}", conversationId=own),
            chat(client, f"{name} shared {turn}", conversationId=shared),
        )
    await chat(client, f"{name} shared 0", conversationId=shared)
    return str(own)


async def listing(client: LanguageClient) -> dict[str, int]:
    return {c["id"]: c["messageCount"] for c in await request(client, "chatls/conversations", {})}


@pytest.mark.guarantee("two editor windows on one history chat at once and lose nothing")
async def test_two_windows_chat_at_once_and_lose_nothing(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = await start_emulator()
    await emulator.set_timing("gpt-4o", tokens_per_second=400)  # streams overlap across the two windows
    session = session_settings(tmp_path, emulator.url)
    async with AsyncExitStack() as stack:
        a, b = await asyncio.gather(
            stack.enter_async_context(lsp_session("visual-studio-code", **session)),
            stack.enter_async_context(lsp_session("neovim@v0.7.0", **session)),
        )
        shared = (await chat(a, "shared start"))["conversationId"]
        own_a, own_b = await asyncio.gather(window_chats(a, "A", shared), window_chats(b, "B", shared))

        seen_from_a, seen_from_b = await asyncio.gather(listing(a), listing(b))
        assert seen_from_a == seen_from_b
        assert seen_from_a == {shared: 2 + 4 * TURNS, own_a: 2 * TURNS, own_b: 2 * TURNS}

        for conversation, expected in (
            (own_a, [f"A own {n}" for n in range(TURNS)]),
            (own_b, [f"B own {n}" for n in range(TURNS)]),
            (shared, ["shared start"] + [f"{w} shared {n}" for w in "AB" for n in range(TURNS)]),
        ):
            from_a, from_b = await asyncio.gather(
                request(a, "chatls/conversation", {"conversationId": conversation}),
                request(b, "chatls/conversation", {"conversationId": conversation}),
            )
            assert from_a == from_b
            messages = from_a["messages"]
            users = [m["content"] for m in messages if m["role"] == "user"]
            replies = [m["content"] for m in messages if m["role"] == "assistant"]
            assert Counter(users) == Counter(expected)
            assert Counter(replies) == Counter(f"Echo from gpt-4o: {text}" for text in expected)
            assert {m["status"] for m in messages} == {"complete"}

    db = sqlite3.connect(tmp_path / "state" / DB_FILENAME)
    try:
        assert [row[0] for row in db.execute("PRAGMA integrity_check")] == ["ok"]
    finally:
        db.close()
