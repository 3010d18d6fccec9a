"""The Responses wire against the emulator, with the real SDK over HTTP: reasoning summaries before the
answer on both route styles, a Responses-only model behind a name that reveals nothing, stateless replay
of encrypted reasoning, the store opt-in, errors that read as on Chat Completions, and failover."""

from __future__ import annotations

import pytest
from tests.adapter.conftest import MakeClient, MemoryLessons, collect, profile_for

from chatls.azure import (
    AzureChatClient,
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ChatResult,
    ContentEvent,
    ContentFilterError,
    Conversation,
    OperationNotSupported,
    ReasoningBudgetExhausted,
    ReasoningEvent,
    RetryPolicy,
    ServiceError,
    StatusEvent,
)
from chatls.emulator.fixture import RunningEmulator

QUESTION = Conversation("Be brief.", (ChatMessage("user", "Which stdlib module handles paths?"),))
FAST = RetryPolicy(base_delay=0.01, max_backoff=0.02, jitter=0.0)


def creates(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """The turn requests (POSTs to chat/completions or responses), without polls or cancels."""
    return [r for r in records if r["method"] == "POST" and not str(r["path"]).endswith("/cancel")]


def text_of(events: list[ChatEvent], kind: type[ContentEvent] | type[ReasoningEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


@pytest.mark.parametrize("api_version", ["v1", "2025-04-01-preview"])
async def test_summaries_stream_before_the_answer_on_both_route_styles(
    api_version: str, emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_timing("gpt-5", thinking_time=0.6)
    events = await collect(
        make_client("gpt-5", apiVersion=api_version), QUESTION, ChatOptions(reasoning_effort="low")
    )
    result = events[-1]
    assert isinstance(result, ChatResult) and result.wire == "responses" and result.stop_reason == "complete"
    kinds = [type(e) for e in events]
    assert ReasoningEvent in kinds and kinds.index(ReasoningEvent) < kinds.index(ContentEvent)
    assert max(i for i, k in enumerate(kinds) if k is ReasoningEvent) < kinds.index(ContentEvent)
    assert text_of(events, ReasoningEvent) == result.reasoning != ""
    assert text_of(events, ContentEvent) == result.content
    assert result.reasoning not in result.content  # the thinking is never answer text
    (record,) = creates(await emulator.requests("gpt-5"))
    expected_path = "/openai/v1/responses" if api_version == "v1" else "/openai/responses"
    assert record["path"] == expected_path and record["reply"] == result.content
    assert record["body"]["model"] == "gpt-5"  # the deployment goes in the body on both styles
    assert record["body"]["reasoning"] == {"effort": "low", "summary": "auto"}
    assert result.usage.reasoning_tokens > 0 and result.usage.prompt_tokens > 0


async def test_summaries_off_means_none_requested_and_none_shown(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    events = await collect(make_client("gpt-5"), QUESTION, ChatOptions(reasoning_summaries=False))
    assert not any(isinstance(e, ReasoningEvent) for e in events)
    (record,) = creates(await emulator.requests("gpt-5"))
    assert "summary" not in record["body"].get("reasoning", {})


async def test_a_responses_only_model_behind_a_neutral_name_costs_one_refusal_once(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    await emulator.set_deployment("team-model", model="gpt-5.1-codex-max")
    first = await collect(make_client("team-model"), QUESTION, ChatOptions())
    refused, answered = creates(await emulator.requests("team-model"))
    assert refused["path"].endswith("/chat/completions") and refused["error_code"] == "OperationNotSupported"
    assert answered["path"].endswith("/responses") and answered["status"] == 200
    result = first[-1]
    assert (
        isinstance(result, ChatResult) and result.wire == "responses" and result.content == answered["reply"]
    )
    assert any("answers only on the Responses API" in note for note in result.adaptations)
    (stored,) = lessons.data.values()
    assert stored["wire"] == "responses"

    second = await collect(make_client("team-model"), QUESTION, ChatOptions())  # a later turn, a new client
    assert isinstance(second[-1], ChatResult)
    later = creates(await emulator.requests("team-model"))[2:]
    assert [r["path"] for r in later] == ["/openai/v1/responses"]  # no refused request any more


async def test_encrypted_reasoning_comes_back_in_replay_and_is_sent_back_next_turn(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    client = make_client("gpt-5")
    first = (await collect(client, QUESTION, ChatOptions()))[-1]
    assert isinstance(first, ChatResult) and first.replay is not None
    (create,) = creates(await emulator.requests("gpt-5"))
    assert create["body"]["store"] is False and create["body"]["include"] == ["reasoning.encrypted_content"]
    follow_up = Conversation(
        "Be brief.",
        (
            *QUESTION.messages,
            ChatMessage("assistant", first.content, replay=first.replay),
            ChatMessage("user", "Why?"),
        ),
    )
    second = (await collect(client, follow_up, ChatOptions()))[-1]
    assert isinstance(second, ChatResult)
    _, again = creates(await emulator.requests("gpt-5"))
    assert again["replayed_reasoning"]  # the emulator recognised its own encrypted reasoning
    kinds = [item.get("type", item.get("role")) for item in again["body"]["input"]]
    assert kinds == ["user", "reasoning", "assistant", "user"]


async def test_the_store_opt_in_chains_turns_by_previous_response_id(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    client = AzureChatClient(profile_for(emulator, "gpt-5", store=True), api_key=emulator.api_key)
    first = (await collect(client, QUESTION, ChatOptions()))[-1]
    assert isinstance(first, ChatResult) and first.replay and first.replay["response_id"]
    follow_up = Conversation(
        "Be brief.",
        (
            *QUESTION.messages,
            ChatMessage("assistant", first.content, replay=first.replay),
            ChatMessage("user", "Why?"),
        ),
    )
    second = (await collect(client, follow_up, ChatOptions()))[-1]
    await client.aclose()
    assert isinstance(second, ChatResult)
    _, chained = creates(await emulator.requests("gpt-5"))
    assert chained["status"] == 200 and chained["body"]["store"] is True
    assert chained["body"]["previous_response_id"] == first.replay["response_id"]
    assert chained["body"]["input"] == [{"role": "user", "content": "Why?"}]


async def test_a_filtered_completion_is_a_content_filter_error_keeping_the_partial_text(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    # Responses says `incomplete_details.reason: content_filter`; the categories' shape on Responses is
    # undocumented (responses-api.md §11.3), so the message names them only when Azure does.
    await emulator.add_fault("content_filter_completion", after_chunks=2, category="violence")
    with pytest.raises(ContentFilterError) as caught:
        await collect(make_client("gpt-5"), QUESTION, ChatOptions())
    assert (
        caught.value.where == "completion" and "content filter stopped the reply" in caught.value.user_message
    )
    assert caught.value.partial


async def test_a_prompt_filter_reads_as_on_chat_completions(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("content_filter_prompt", category="jailbreak")
    with pytest.raises(ContentFilterError) as caught:
        await collect(make_client("gpt-5"), QUESTION, ChatOptions())
    assert caught.value.where == "prompt" and caught.value.categories == ("jailbreak",)


async def test_an_output_limit_with_nothing_visible_is_a_reasoning_budget_error(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("reasoning_exhausted")
    with pytest.raises(ReasoningBudgetExhausted):
        await collect(make_client("gpt-5"), QUESTION, ChatOptions(max_completion_tokens=64))


async def test_an_output_limit_after_text_is_truncated(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_reply("paths", " ".join(f"word{n}" for n in range(300)))
    events = await collect(
        make_client("gpt-5"), QUESTION, ChatOptions(max_completion_tokens=300, reasoning_effort="minimal")
    )
    result = events[-1]
    assert isinstance(result, ChatResult) and result.stop_reason == "truncated" and result.content


async def test_a_failed_response_says_what_azure_said(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("failed", count=5)
    with pytest.raises(ServiceError) as caught:
        await collect(make_client("gpt-5", client_options={"retry": FAST}), QUESTION, ChatOptions())
    assert "Azure said:" in caught.value.user_message


async def test_a_rate_limit_on_responses_is_waited_out(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.add_fault("rate_limit", retry_after=0.2, retry_headers="ms")
    events = await collect(make_client("gpt-5"), QUESTION, ChatOptions())
    assert isinstance(events[-1], ChatResult)
    assert any(isinstance(e, StatusEvent) and e.text.startswith("rate limited") for e in events)
    assert [r["status"] for r in creates(await emulator.requests("gpt-5"))] == [429, 200]


async def test_a_deployment_refused_on_its_forced_wire_hands_the_turn_to_the_next(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_deployment("codex", model="gpt-5.1-codex-max")
    events = await collect(make_client(["codex", "gpt-4o"], wire="chat"), QUESTION, ChatOptions())
    result = events[-1]
    assert isinstance(result, ChatResult) and result.deployment == "gpt-4o"
    assert any("'codex' unavailable (operation not supported)" in note for note in result.adaptations)


async def test_a_forced_wire_the_only_deployment_refuses_says_what_to_change(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_deployment("codex", model="gpt-5.1-codex-max")
    with pytest.raises(OperationNotSupported) as caught:
        await collect(make_client("codex", wire="chat"), QUESTION, ChatOptions())
    assert '"wire"' in caught.value.user_message and "gpt-5.1-codex-max" in caught.value.user_message
    assert len(creates(await emulator.requests("codex"))) == 1


async def test_an_effort_refused_on_responses_heals_once_and_holds_after_a_restart(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    await emulator.set_deployment("gpt-5", reject_values={"reasoning_effort": ["high"]})
    first = await collect(make_client("gpt-5"), QUESTION, ChatOptions(reasoning_effort="high"))
    refused, healed = creates(await emulator.requests("gpt-5"))
    assert refused["status"] == 400 and refused["error_param"] == "reasoning.effort"
    assert healed["status"] == 200 and "effort" not in healed["body"].get("reasoning", {})
    result = first[-1]
    assert isinstance(result, ChatResult) and any(
        "rejected reasoning effort 'high'" in n for n in result.adaptations
    )
    (stored,) = lessons.data.values()
    assert "high" not in stored["reasoning_efforts"] and "low" in stored["reasoning_efforts"]

    await emulator.reset()
    await emulator.set_deployment("gpt-5", reject_values={"reasoning_effort": ["high"]})
    again = await collect(make_client("gpt-5"), QUESTION, ChatOptions(reasoning_effort="high"))
    assert isinstance(again[-1], ChatResult)
    (only,) = creates(await emulator.requests("gpt-5"))
    assert only["status"] == 200 and only["body"] == healed["body"]
