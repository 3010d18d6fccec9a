"""The Responses API through the real openai SDK on both route styles: events, background runs, resume,
cancel, encrypted reasoning, chaining, tool scripts, faults, and the family rules."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from tests.support.waiting import wait_until_async

from chatls.emulator.fixture import RunningEmulator

DATED_RESPONSES = "2025-04-01-preview"


def clients(emulator: RunningEmulator) -> dict[str, openai.AsyncOpenAI]:
    return {
        "v1": openai.AsyncOpenAI(base_url=emulator.v1_base_url, api_key=emulator.api_key, max_retries=0),
        "dated": openai.AsyncAzureOpenAI(
            azure_endpoint=emulator.url, api_key=emulator.api_key, api_version=DATED_RESPONSES, max_retries=0
        ),
    }


@pytest.fixture(params=["v1", "dated"])
async def client(request: pytest.FixtureRequest, emulator: RunningEmulator) -> Any:
    made = clients(emulator)
    yield made[request.param]
    for c in made.values():
        await c.close()


@pytest.mark.parametrize("deployment", ["gpt-4o", "gpt-5.6-terra", "gpt-5.1-codex", "o3-pro"])
async def test_create_not_streamed_for_each_kind_of_family(
    client: openai.AsyncOpenAI, deployment: str
) -> None:
    reply = await client.responses.create(model=deployment, input="Which module?", instructions="Be brief.")
    assert reply.status == "completed"
    assert reply.output_text == f"Echo from {deployment}: Which module?"
    assert reply.model.startswith(deployment)
    assert reply.usage is not None and reply.usage.input_tokens > 0
    reasoning = [item for item in reply.output if item.type == "reasoning"]
    assert (reply.usage.output_tokens_details.reasoning_tokens > 0) is bool(reasoning)


async def test_summary_events_come_before_the_answer_with_sequence_numbers(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.set_deployment("gpt-5.6-terra", summary="Recalling the path module.")
    stream = await client.responses.create(
        model="gpt-5.6-terra", input="paths?", reasoning={"effort": "low", "summary": "auto"}, stream=True
    )
    events = [event async for event in stream]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.reasoning_summary_part.added",
    ]
    assert kinds[-1] == "response.completed"
    summary = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert summary == "Recalling the path module."
    first_text = kinds.index("response.output_text.delta")
    assert max(i for i, k in enumerate(kinds) if k == "response.reasoning_summary_text.delta") < first_text
    final = events[-1].response
    assert final.usage is not None and final.usage.output_tokens_details.reasoning_tokens > 0
    assert final.output_text == "Echo from gpt-5.6-terra: paths?"


async def test_the_sse_has_event_lines_and_no_done(emulator: RunningEmulator) -> None:
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{emulator.v1_base_url}responses",
            json={"model": "gpt-4o", "input": "x", "stream": True},
            headers={"api-key": emulator.api_key},
        ) as response,
    ):
        text = await response.text()
    assert text.startswith("event: response.created\ndata: {")
    assert "[DONE]" not in text


async def test_background_run_survives_its_client_and_resumes_after_a_sequence_number(
    emulator: RunningEmulator,
) -> None:
    await emulator.set_timing("o3-pro", tokens_per_second=200)
    await emulator.add_reply("long", "word " * 40, deployment="o3-pro")
    first = clients(emulator)["v1"]
    created = await first.responses.create(model="o3-pro", input="long run", background=True, store=True)
    assert created.status == "queued" and created.background is True
    await first.close()  # the client goes away; the run goes on in the emulator
    second = clients(emulator)["v1"]

    async def finished() -> Any:
        polled = await second.responses.retrieve(created.id)
        return polled if polled.status not in ("queued", "in_progress") else None

    polled = await wait_until_async(finished, "the background run to finish")
    assert polled.status == "completed"
    assert polled.output_text == "word " * 40
    await second.close()


async def test_streamed_background_run_resumes_where_the_client_stopped(client: openai.AsyncOpenAI) -> None:
    stream = await client.responses.create(
        model="gpt-5.4-pro", input="resume me", background=True, stream=True
    )
    seen: list[Any] = []
    async for event in stream:
        seen.append(event)
        if event.type == "response.output_item.added":
            break
    await stream.close()
    resumed = await client.responses.retrieve(
        seen[0].response.id, stream=True, starting_after=seen[-1].sequence_number
    )
    rest = [event async for event in resumed]
    assert rest[0].sequence_number == seen[-1].sequence_number + 1
    replayed = await client.responses.retrieve(seen[0].response.id, stream=True, starting_after=-7)
    numbers = [e.sequence_number async for e in replayed]
    assert numbers == list(range(len(numbers)))  # a negative cursor replays from the start
    assert rest[-1].type == "response.completed"
    text = "".join(e.delta for e in rest if e.type == "response.output_text.delta")
    assert text == "Echo from gpt-5.4-pro: resume me"


async def test_cancel_a_background_run_is_idempotent_and_logged(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.set_timing("o3-pro", thinking_time=30)
    created = await client.responses.create(model="o3-pro", input="think", background=True)
    cancelled = await client.responses.cancel(created.id)
    again = await client.responses.cancel(created.id)
    assert cancelled.status == again.status == "cancelled"
    assert (await client.responses.retrieve(created.id)).status == "cancelled"
    log = [r for r in await emulator.requests() if r["path"].endswith("/cancel")]
    assert [r["response_id"] for r in log] == [created.id, created.id]


async def test_background_needs_store_and_synchronous_runs_cannot_be_cancelled(
    client: openai.AsyncOpenAI,
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(model="o3-pro", input="x", background=True, store=False)
    assert caught.value.param == "background"
    done = await client.responses.create(model="gpt-4o", input="x")
    with pytest.raises(openai.BadRequestError):
        await client.responses.cancel(done.id)


async def test_delete_then_retrieve_is_not_found(client: openai.AsyncOpenAI) -> None:
    reply = await client.responses.create(model="gpt-4o", input="x")
    deleted = await client.responses.delete(reply.id)
    assert deleted is None
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve(reply.id)


async def test_encrypted_reasoning_is_recognised_when_sent_back(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    first = await client.responses.create(
        model="gpt-5.4", input="first", store=False, include=["reasoning.encrypted_content"]
    )
    (reasoning,) = [item for item in first.output if item.type == "reasoning"]
    assert reasoning.encrypted_content
    replay = [item.model_dump(exclude_none=True) for item in first.output]
    second = await client.responses.create(
        model="gpt-5.4",
        store=False,
        input=[{"role": "user", "content": "first"}, *replay, {"role": "user", "content": "second"}],
    )
    assert second.output_text == "Echo from gpt-5.4: second"
    record = (await emulator.requests())[-1]
    assert record["replayed_reasoning"] == [reasoning.id]
    forged = {"type": "reasoning", "id": "rs_x", "summary": [], "encrypted_content": "gAAAAB-forged"}
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(
            model="gpt-5.4", store=False, input=[forged, {"role": "user", "content": "x"}]
        )
    assert caught.value.code == "invalid_encrypted_content"


async def test_previous_response_id_continues_a_stored_conversation(client: openai.AsyncOpenAI) -> None:
    first = await client.responses.create(model="gpt-5.1", input="one")
    second = await client.responses.create(model="gpt-5.1", input="two", previous_response_id=first.id)
    assert second.previous_response_id == first.id and second.output_text == "Echo from gpt-5.1: two"
    assert second.usage is not None and first.usage is not None
    assert second.usage.input_tokens > first.usage.input_tokens
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(model="gpt-5.1", input="x", previous_response_id="resp_missing")
    assert caught.value.code == "previous_response_not_found"


async def test_output_limit_is_an_incomplete_200(client: openai.AsyncOpenAI) -> None:
    reply = await client.responses.create(model="gpt-5", input="x", max_output_tokens=20)
    assert reply.status == "incomplete"
    assert reply.incomplete_details is not None and reply.incomplete_details.reason == "max_output_tokens"


@pytest.mark.parametrize(
    ("fault", "status", "reason"),
    [
        ({"kind": "content_filter_completion", "after_chunks": 1}, "incomplete", "content_filter"),
        ({"kind": "reasoning_exhausted"}, "incomplete", "max_output_tokens"),
        ({"kind": "failed"}, "failed", None),
    ],
)
async def test_faults_that_end_the_response(
    client: openai.AsyncOpenAI,
    emulator: RunningEmulator,
    fault: dict[str, Any],
    status: str,
    reason: str | None,
) -> None:
    await emulator.add_fault(fault)
    reply = await client.responses.create(model="o4-mini", input="x")
    assert reply.status == status
    if reason:
        assert reply.incomplete_details is not None and reply.incomplete_details.reason == reason
    else:
        assert reply.error is not None and reply.error.code == "server_error"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "rate_limit", "retry_headers": "ms"}, openai.RateLimitError),
        ({"kind": "server_error", "status": 503}, openai.InternalServerError),
        ({"kind": "content_filter_prompt", "category": "jailbreak"}, openai.BadRequestError),
        ({"kind": "context_length_exceeded"}, openai.BadRequestError),
    ],
)
async def test_http_faults_on_responses(
    client: openai.AsyncOpenAI, emulator: RunningEmulator, fault: dict[str, Any], error: type[Exception]
) -> None:
    await emulator.add_fault(fault)
    with pytest.raises(error) as caught:
        await client.responses.create(model="gpt-5.4", input="x")
    if fault["kind"] == "content_filter_prompt":
        body = caught.value.body  # type: ignore[attr-defined]
        assert body["innererror"]["content_filter_result"]["jailbreak"] == {
            "filtered": True,
            "detected": True,
        }


@pytest.mark.parametrize("form", ["clean_close", "chunked_end", "done"])
async def test_stream_without_a_terminal_event(
    client: openai.AsyncOpenAI, emulator: RunningEmulator, form: str
) -> None:
    await emulator.add_fault("no_terminal", form=form)
    stream = await client.responses.create(model="gpt-4o", input="cut", stream=True)
    kinds = [event.type async for event in stream]
    assert "response.output_text.delta" in kinds
    assert not {"response.completed", "response.incomplete", "response.failed"} & set(kinds)


async def test_dropped_stream_on_responses(client: openai.AsyncOpenAI, emulator: RunningEmulator) -> None:
    await emulator.add_fault("drop_connection", after_chunks=2)
    stream = await client.responses.create(model="gpt-4o", input="one two three four", stream=True)
    with pytest.raises(openai.APIError):
        async for _ in stream:
            pass


async def test_stream_error_event(client: openai.AsyncOpenAI, emulator: RunningEmulator) -> None:
    await emulator.add_fault("stream_error")
    stream = await client.responses.create(model="gpt-4o", input="x", stream=True)
    events = [event async for event in stream]
    assert events[-1].type == "error" and events[-1].code == "context_length_exceeded"


@pytest.mark.parametrize(
    ("deployment", "kwargs", "code", "param"),
    [
        ("o3", {"temperature": 0.2}, "unsupported_value", "temperature"),
        ("gpt-5-codex", {"temperature": 0.2}, "unsupported_parameter", "temperature"),
        ("gpt-5-pro", {"reasoning": {"effort": "low"}}, "unsupported_value", "reasoning.effort"),
        ("gpt-5.4", {"reasoning": {"effort": "max"}}, "unsupported_value", "reasoning.effort"),
        ("o4-mini", {"parallel_tool_calls": True}, "unsupported_parameter", "parallel_tool_calls"),
        ("o3-pro", {"stream": True}, "unsupported_value", "stream"),
        ("gpt-35-turbo", {}, "OperationNotSupported", None),
    ],
)
async def test_family_rules_on_responses(
    client: openai.AsyncOpenAI, deployment: str, kwargs: dict[str, Any], code: str, param: str | None
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(model=deployment, input="x", **kwargs)
    assert (caught.value.code, caught.value.param) == (code, param)


async def test_max_effort_and_pro_mode_on_gpt_5_6(client: openai.AsyncOpenAI) -> None:
    reply = await client.responses.create(model="gpt-5.6-sol", input="x", reasoning={"effort": "max"})
    assert reply.status == "completed" and reply.reasoning is not None and reply.reasoning.effort == "max"


async def test_overridden_limits_on_responses(client: openai.AsyncOpenAI, emulator: RunningEmulator) -> None:
    await emulator.set_deployment("gpt-5.4", context_window=100, max_output=50)
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(model="gpt-5.4", input="word " * 500)
    assert (caught.value.code, caught.value.param) == ("context_length_exceeded", "input")
    with pytest.raises(openai.BadRequestError) as too_large:
        await client.responses.create(model="gpt-5.4", input="x", max_output_tokens=60)
    assert "supports at most 50" in too_large.value.message


async def test_retired_model_is_gone_on_both_wires(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.set_deployment("old-4o", model="gpt-4o-2024-05-13")
    with pytest.raises(openai.APIStatusError) as caught:
        await client.responses.create(model="old-4o", input="x")
    assert caught.value.status_code == 410 and "gpt-5.1" in caught.value.message


async def test_model_router_reports_a_different_model_each_time(client: openai.AsyncOpenAI) -> None:
    models = [(await client.responses.create(model="model-router", input="x")).model for _ in range(3)]
    chat = openai.AsyncOpenAI(base_url=str(client.base_url).split("/openai")[0] + "/openai/v1/", api_key="k")
    models.append(
        (
            await chat.chat.completions.create(
                model="model-router", messages=[{"role": "user", "content": "x"}]
            )
        ).model
    )
    await chat.close()
    assert len(set(models)) == 4


async def test_a_reply_rule_carries_its_own_summary_and_thinking_time_comes_first(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.add_reply("(?i)plan", "Here is the plan.", summary="Weighing two designs.")
    await emulator.set_timing("o4-mini", thinking_time=0.2)
    stream = await client.responses.create(
        model="o4-mini", input="plan it", reasoning={"summary": "detailed"}, stream=True
    )
    kinds_and_text = [(e.type, getattr(e, "delta", "")) async for e in stream]
    summary = "".join(d for k, d in kinds_and_text if k == "response.reasoning_summary_text.delta")
    text = "".join(d for k, d in kinds_and_text if k == "response.output_text.delta")
    assert (summary, text) == ("Weighing two designs.", "Here is the plan.")
    record = (await emulator.responses_requests("o4-mini"))[-1]
    assert record["reply"] == "Here is the plan." and record["response_id"].startswith("resp_")
    assert record["started"] <= record["first_reasoning_at"] <= record["first_text_at"]
