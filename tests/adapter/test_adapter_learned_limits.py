"""Limits learned from Azure: one refusal teaches a deployment's smaller window, which survives a restart.

The emulator's deployments are configured with smaller limits than the table's (a provisioned gpt-4.1
takes 128,000 where the table says 300,000; here smaller still, to keep the prompt small).
"""

from __future__ import annotations

import pytest
from tests.adapter.conftest import MakeClient, MemoryLessons, collect

from chatls.azure import ChatMessage, ChatOptions, ChatResult, Conversation
from chatls.azure.errors import ContextLengthExceeded
from chatls.emulator.fixture import RunningEmulator

BIG = Conversation("Be brief.", (ChatMessage("user", "word " * 30_000),))
SMALL = Conversation("Be brief.", (ChatMessage("user", "hello"),))


async def test_one_context_refusal_teaches_the_window_and_a_restart_keeps_it(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    await emulator.set_deployment("gpt-4.1", context_window=20_000)
    client = make_client("gpt-4.1")
    assert client.capabilities.context_window == 300_000  # the table's standard-deployment window
    with pytest.raises(ContextLengthExceeded):
        await collect(client, BIG, ChatOptions(max_completion_tokens=100))
    ((key, stored),) = lessons.data.items()
    assert stored["context_window"] == 20_000
    assert client.capabilities.context_window == 20_000
    assert client.capabilities.details["contextWindowFrom"] == "learned"

    restarted = make_client("gpt-4.1")
    assert (restarted.capabilities.context_window, restarted.capabilities.input_limit) == (20_000, 20_000)
    events = await collect(restarted, SMALL, ChatOptions(max_completion_tokens=100))
    assert isinstance(events[-1], ChatResult)
    assert lessons.data[key]["context_window"] == 20_000  # a success teaches nothing new


async def test_the_profiles_context_window_still_wins_over_a_learned_one(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    await emulator.set_deployment("gpt-4.1", context_window=20_000)
    with pytest.raises(ContextLengthExceeded):
        await collect(make_client("gpt-4.1"), BIG, ChatOptions(max_completion_tokens=100))
    told = make_client("gpt-4.1", contextWindow=250_000)
    assert told.capabilities.context_window == 250_000


async def test_an_output_limit_refusal_is_kept_for_later_turns(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_deployment("gpt-4o", max_output=1000)
    events = await collect(make_client("gpt-4o"), SMALL, ChatOptions(max_completion_tokens=4000))
    assert isinstance(events[-1], ChatResult)
    restarted = make_client("gpt-4o")
    assert restarted.capabilities.max_output_tokens == 1000
