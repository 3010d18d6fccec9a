"""Model resolution: profile model, then deployment name, then the model Azure reports (remembered)."""

from __future__ import annotations

import pytest
from tests.adapter.conftest import MakeClient, MemoryLessons, collect

from chatls.azure import (
    ChatMessage,
    ChatOptions,
    ChatResult,
    ContextLengthExceeded,
    Conversation,
    ModelRetired,
)
from chatls.emulator.fixture import RunningEmulator

CONVERSATION = Conversation("Be brief.", (ChatMessage("user", "hello"),))


async def assert_right_first_time_as_o1_after_a_restart(
    emulator: RunningEmulator, make_client: MakeClient, deployment: str
) -> None:
    """A new client on the same lesson store (a restart) treats the deployment as o1 from the start."""
    await emulator.reset()
    await emulator.set_deployment(deployment, model="o1-2024-12-17")
    restarted = make_client(deployment)
    assert restarted.capabilities.family == "o1"
    events = await collect(restarted, CONVERSATION, ChatOptions(reasoning_effort="high"))
    assert isinstance(events[-1], ChatResult)
    (only,) = await emulator.chat_requests(deployment)
    assert only["status"] == 200
    assert only["body"]["messages"][0]["role"] == "developer"
    assert only["body"]["reasoning_effort"] == "high"


async def test_an_unnamed_deployment_learns_its_model_from_the_first_response(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    await emulator.set_deployment("chat-prod", model="o1-2024-12-17")
    client = make_client("chat-prod")
    assert client.capabilities.family == "unknown"

    events = await collect(client, CONVERSATION, ChatOptions(temperature=0.4, reasoning_effort="high"))
    result = events[-1]
    assert isinstance(result, ChatResult) and result.model == "o1-2024-12-17"
    first, healed = await emulator.chat_requests("chat-prod")
    assert first["body"]["messages"][0]["role"] == "system"  # conservative: no sampling parameters
    assert "temperature" not in first["body"] and "reasoning_effort" not in first["body"]
    assert (first["status"], first["error_param"], healed["status"]) == (400, "stream", 200)
    assert (
        "deployment 'chat-prod' runs o1-2024-12-17; its requests now follow o1's rules" in result.adaptations
    )
    assert client.capabilities.family == "o1"
    assert client.capabilities.details["resolvedFrom"] == "response"

    await assert_right_first_time_as_o1_after_a_restart(emulator, make_client, "chat-prod")


async def test_the_profile_model_wins_over_a_misleading_deployment_name(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_deployment("gpt-4o-legacy", model="o3-mini-2025-01-31")
    client = make_client("gpt-4o-legacy", model="o3-mini")
    assert client.capabilities.family == "o3-mini"
    events = await collect(client, CONVERSATION, ChatOptions(temperature=0.2, max_completion_tokens=200))
    assert isinstance(events[-1], ChatResult)
    (only,) = await emulator.chat_requests()
    assert only["status"] == 200 and only["body"]["max_completion_tokens"] == 200


async def test_a_stale_deployment_name_is_followed_first_then_the_reported_model_wins(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    # Named after gpt-4o but upgraded to o1: the name decides the first request (the order),
    # healing gets it through, and the reported model decides every request after that.
    await emulator.set_deployment("gpt-4o", model="o1-2024-12-17")
    client = make_client("gpt-4o")
    assert client.capabilities.details["resolvedFrom"] == "deployment name"

    events = await collect(client, CONVERSATION, ChatOptions(temperature=0.3, reasoning_effort="high"))
    result = events[-1]
    assert isinstance(result, ChatResult) and result.model == "o1-2024-12-17"
    *healing, answered = await emulator.chat_requests("gpt-4o")
    assert healing[0]["body"]["messages"][0]["role"] == "system"
    assert healing[0]["body"]["temperature"] == 0.3
    assert all(r["status"] == 400 for r in healing) and answered["status"] == 200
    assert (
        "deployment 'gpt-4o' runs o1-2024-12-17 (not gpt-4o, as its name suggests); "
        "its requests now follow o1's rules"
    ) in result.adaptations
    assert (client.capabilities.family, client.capabilities.details["resolvedFrom"]) == ("o1", "response")

    await assert_right_first_time_as_o1_after_a_restart(emulator, make_client, "gpt-4o")


async def test_a_profile_model_contradicted_by_azure_is_kept_but_flagged(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_deployment("chat", model="gpt-4.1-2025-04-14")
    client = make_client("chat", model="gpt-4o")
    events = await collect(client, CONVERSATION, ChatOptions())
    result = events[-1]
    assert isinstance(result, ChatResult)
    assert (
        "deployment 'chat' runs gpt-4.1-2025-04-14, but the profile says model 'gpt-4o'; "
        "correct the profile's model setting (requests follow gpt-4o's rules until then)"
    ) in result.adaptations
    assert client.capabilities.family == "gpt-4o"


async def test_a_context_window_azure_states_is_learned_for_later_turns(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    await emulator.set_deployment("small-window", model="gpt-4o", context_window=3000)
    long_prompt = Conversation(None, (ChatMessage("user", "lorem ipsum " * 2000),))
    with pytest.raises(ContextLengthExceeded) as caught:
        await collect(make_client("small-window"), long_prompt, ChatOptions())
    assert caught.value.limit == 3000
    (stored,) = lessons.data.values()
    assert stored["context_window"] == 3000
    assert make_client("small-window").capabilities.context_window == 3000  # a restart fits it at once


async def test_a_retired_model_says_so_and_names_the_replacement(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_deployment("old-4o", model="gpt-4o-2024-05-13", retired=True)
    with pytest.raises(ModelRetired) as caught:
        await collect(make_client("old-4o", model="gpt-4o-2024-05-13"), QUESTION_FOR_RETIRED, ChatOptions())
    assert "retired" in caught.value.user_message and "old-4o" in caught.value.user_message


QUESTION_FOR_RETIRED = Conversation(None, (ChatMessage("user", "hello"),))
