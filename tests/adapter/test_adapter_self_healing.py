"""Self-healing against the emulator: a deployment rejects something the table thinks is fine.

Each case: the first chat is answered after exactly one healing retry (400, then 200), the lesson is
stored, and a new client on the same lesson store (a restart) is right the first time. These are the
Chat Completions cases (the profile pins the wire: several families prefer Responses); the Responses
wire's own are in test_adapter_responses.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from tests.adapter.conftest import MakeClient, MemoryLessons, collect

from chatls.azure import (
    BadRequest,
    ChatMessage,
    ChatOptions,
    ChatResult,
    ContentFilterError,
    ContextLengthExceeded,
    Conversation,
)
from chatls.emulator.fixture import RunningEmulator
from chatls.store.conversations import ConversationStore

CONVERSATION = Conversation("Be brief.", (ChatMessage("user", "hello"),))


class Case(NamedTuple):
    deployment: str
    override: dict[str, Any]
    options: ChatOptions
    error_code: str | None  # what the emulator answers first
    healed: dict[str, Any]  # lesson stored, besides the model
    check: Callable[[dict[str, Any]], bool]  # on the healed request body
    api_version: str = "v1"


CASES = {
    "temperature-unsupported-parameter": Case(
        "gpt-4o",
        {"reject_parameters": {"temperature": "unsupported_parameter"}},
        ChatOptions(temperature=0.3),
        "unsupported_parameter",
        {"rejected_parameters": ["temperature"]},
        lambda body: "temperature" not in body,
    ),
    "temperature-unsupported-value": Case(
        "gpt-4o",
        {"reject_values": {"temperature": [0.3]}},
        ChatOptions(temperature=0.3),
        "unsupported_value",
        {"rejected_parameters": ["temperature"]},
        lambda body: "temperature" not in body,
    ),
    "max-tokens-unsupported": Case(
        "gpt-4o",
        {"reject_parameters": {"max_tokens": "unsupported_parameter"}},
        ChatOptions(max_completion_tokens=100),
        "unsupported_parameter",
        {"token_parameter": "max_completion_tokens"},
        lambda body: body["max_completion_tokens"] == 100 and "max_tokens" not in body,
    ),
    "max-completion-tokens-unrecognized": Case(
        # The table now gives gpt-5-chat max_tokens; a reasoning family that asks for the other token
        # parameter, on a deployment that takes max_tokens (and enough tokens to think and answer).
        "gpt-chat-latest",
        {
            "allow_parameters": ["max_tokens"],
            "reject_parameters": {"max_completion_tokens": "unrecognized_argument"},
        },
        ChatOptions(max_completion_tokens=4000),
        None,
        {"token_parameter": "max_tokens"},
        lambda body: body["max_tokens"] == 4000 and "max_completion_tokens" not in body,
    ),
    "reasoning-effort-none-invalid": Case(
        "gpt-5.1",
        {"reject_values": {"reasoning_effort": ["none"]}},
        ChatOptions(reasoning_effort="none"),
        "invalid_value",
        {"reasoning_efforts": ["low", "medium", "high"]},
        lambda body: "reasoning_effort" not in body,
    ),
    "reasoning-effort-unknown": Case(
        "o4-mini",
        {"reject_parameters": {"reasoning_effort": "unknown_parameter"}},
        ChatOptions(reasoning_effort="high"),
        "unknown_parameter",
        {"rejected_parameters": ["reasoning_effort"]},
        lambda body: "reasoning_effort" not in body,
    ),
    "system-role-unsupported": Case(
        "gpt-4o",
        {"reject_roles": ["system"]},
        ChatOptions(),
        "unsupported_value",
        {"instructions": "fold"},
        lambda body: body["messages"] == [{"role": "user", "content": "Be brief.\n\nhello"}],
    ),
    "developer-role-unsupported": Case(
        "o3-mini",
        {"reject_roles": ["developer"]},
        ChatOptions(),
        "unsupported_value",
        {"instructions": "fold"},
        lambda body: body["messages"] == [{"role": "user", "content": "Be brief.\n\nhello"}],
    ),
    "developer-role-invalid-value": Case(
        # The deployment answers as an api-version predating the developer role: system is the fix.
        "o3-mini",
        {"unknown_roles": ["developer"]},
        ChatOptions(),
        "invalid_value",
        {"instructions": "system"},
        lambda body: (
            body["messages"]
            == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello"}]
        ),
    ),
    "temperature-unrecognized": Case(
        "gpt-4o",
        {"reject_parameters": {"temperature": "unrecognized_argument"}},
        ChatOptions(temperature=0.3),
        None,
        {"rejected_parameters": ["temperature"]},
        lambda body: "temperature" not in body and body["messages"][0]["role"] == "system",
        "2024-10-21",
    ),
    "reasoning-effort-unrecognized": Case(
        "o3-mini",
        {"reject_parameters": {"reasoning_effort": "unrecognized_argument"}},
        ChatOptions(reasoning_effort="low"),
        None,
        {"rejected_parameters": ["reasoning_effort"]},
        lambda body: "reasoning_effort" not in body,
        "2024-12-01-preview",
    ),
    "verbosity-unsupported-parameter": Case(
        "gpt-5",
        {"reject_parameters": {"verbosity": "unsupported_parameter"}},
        ChatOptions(verbosity="low"),
        "unsupported_parameter",
        {"rejected_parameters": ["verbosity"]},
        lambda body: "verbosity" not in body,
    ),
    "stream-unsupported": Case(
        "gpt-4o",
        {"streaming": False},
        ChatOptions(),
        "unsupported_value",
        {"streaming": False},
        lambda body: body["stream"] is False and "stream_options" not in body,
    ),
    "stream-options-unrecognized": Case(
        "gpt-4o",
        {"reject_parameters": {"stream_options": "unrecognized_argument"}},
        ChatOptions(),
        None,
        {"rejected_parameters": ["stream_options"]},
        lambda body: body["stream"] is True and "stream_options" not in body,
        "2024-10-21",
    ),
    "max-tokens-too-large": Case(
        "gpt-4o",
        {"max_output": 1000},
        ChatOptions(max_completion_tokens=4000),
        "invalid_value",
        {"max_output_tokens": 1000},
        lambda body: body["max_tokens"] == 1000,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_heals_once_then_is_right_after_a_restart(
    name: str, emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    case = CASES[name]
    await emulator.set_deployment(case.deployment, **case.override)

    first = await collect(
        make_client(case.deployment, apiVersion=case.api_version, wire="chat"), CONVERSATION, case.options
    )
    rejected, healed = await emulator.chat_requests(case.deployment)
    assert (rejected["status"], rejected["error_code"]) == (400, case.error_code)
    assert healed["status"] == 200
    assert case.check(healed["body"]), healed["body"]
    result = first[-1]
    assert isinstance(result, ChatResult) and result.content == healed["reply"]
    assert any(case.deployment in note for note in result.adaptations), result.adaptations
    (stored,) = lessons.data.values()
    assert {key: value for key, value in stored.items() if key != "model"} == case.healed

    await emulator.reset()
    await emulator.set_deployment(case.deployment, **case.override)
    restarted = make_client(case.deployment, apiVersion=case.api_version, wire="chat")
    again = await collect(restarted, CONVERSATION, case.options)
    (only,) = await emulator.chat_requests(case.deployment)
    assert only["status"] == 200
    assert only["body"] == healed["body"]
    assert isinstance(again[-1], ChatResult)


async def test_several_distinct_fixes_in_one_chat(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    await emulator.set_deployment(
        "gpt-4o",
        reject_parameters={"temperature": "unsupported_parameter", "max_tokens": "unsupported_parameter"},
    )
    events = await collect(
        make_client("gpt-4o"), CONVERSATION, ChatOptions(temperature=0.5, max_completion_tokens=50)
    )
    statuses = [r["status"] for r in await emulator.chat_requests("gpt-4o")]
    assert statuses == [400, 400, 200]
    assert isinstance(events[-1], ChatResult)


async def test_a_fix_that_does_not_take_is_raised_not_healed_again(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    # Both token parameters refused: swapping one for the other, then back, would loop.
    await emulator.set_deployment(
        "gpt-4o",
        reject_parameters={
            "max_tokens": "unsupported_parameter",
            "max_completion_tokens": "unknown_parameter",
        },
    )
    with pytest.raises(BadRequest) as caught:
        await collect(make_client("gpt-4o"), CONVERSATION, ChatOptions(max_completion_tokens=50))
    requests = await emulator.chat_requests("gpt-4o")
    assert [(r["status"], r["error_param"]) for r in requests] == [
        (400, "max_tokens"),
        (400, "max_completion_tokens"),
    ]
    assert "max_completion_tokens" in caught.value.user_message
    (stored,) = lessons.data.values()
    assert stored["token_parameter"] == "max_completion_tokens"  # the first lesson stays; no second swap


@pytest.mark.parametrize(
    ("fault", "error"),
    [("content_filter_prompt", ContentFilterError), ("context_length_exceeded", ContextLengthExceeded)],
)
async def test_a_400_that_names_nothing_is_never_retried(
    fault: str,
    error: type[Exception],
    emulator: RunningEmulator,
    make_client: MakeClient,
    lessons: MemoryLessons,
) -> None:
    await emulator.add_fault(fault, count=5)
    with pytest.raises(error):
        await collect(make_client("gpt-4o"), CONVERSATION, ChatOptions())
    assert len(await emulator.chat_requests("gpt-4o")) == 1
    assert lessons.saves == 0


async def test_a_rejection_it_cannot_fix_is_reported_not_looped(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    # The messages themselves are refused: nothing in the request can be dropped to fix that.
    await emulator.set_deployment("gpt-4o", reject_roles=["user"])
    with pytest.raises(BadRequest) as caught:
        await collect(make_client("gpt-4o"), Conversation(None, (ChatMessage("user", "hi"),)), ChatOptions())
    assert "messages[0].role" in caught.value.user_message
    assert len(await emulator.chat_requests("gpt-4o")) == 1


async def test_a_lesson_survives_a_restart_in_the_servers_sqlite_store(
    emulator: RunningEmulator, make_client: MakeClient, tmp_path: Path
) -> None:
    # The real LessonStore: the server's SQLite state, closed and reopened as a restart would.
    await emulator.set_deployment("gpt-4o", reject_parameters={"temperature": "unsupported_parameter"})
    with ConversationStore.open(tmp_path) as store:
        first = await collect(make_client("gpt-4o", store=store), CONVERSATION, ChatOptions(temperature=0.3))
    assert isinstance(first[-1], ChatResult)
    assert [r["status"] for r in await emulator.chat_requests("gpt-4o")] == [400, 200]

    await emulator.reset()
    await emulator.set_deployment("gpt-4o", reject_parameters={"temperature": "unsupported_parameter"})
    with ConversationStore.open(tmp_path) as reopened:
        again = await collect(
            make_client("gpt-4o", store=reopened), CONVERSATION, ChatOptions(temperature=0.3)
        )
    assert isinstance(again[-1], ChatResult)
    (only,) = await emulator.chat_requests("gpt-4o")
    assert only["status"] == 200 and "temperature" not in only["body"]


NEVER_SENT = (
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "logit_bias",
    "parallel_tool_calls",
)


@pytest.mark.parametrize("deployment", ["gpt-4o", "gpt-4.1", "o3-mini", "gpt-5"])
async def test_parameters_it_has_no_option_for_are_never_sent(
    deployment: str, emulator: RunningEmulator, make_client: MakeClient
) -> None:
    # ChatOptions has no top_p, penalties, logprobs or tools, so Azure can never refuse one of them and
    # there is nothing to heal. This pins that: sending one later needs its own healing case above.
    options = ChatOptions(temperature=0.3, max_completion_tokens=200, reasoning_effort="low", verbosity="low")
    events = await collect(make_client(deployment, wire="chat"), CONVERSATION, options)
    assert isinstance(events[-1], ChatResult)
    (request,) = await emulator.chat_requests(deployment)
    assert request["status"] == 200
    assert not set(NEVER_SENT) & set(request["body"]), request["body"]
