"""Successful replies: Azure's shape, deterministic content, both routes."""

from __future__ import annotations

import openai
import pytest
from tests.emulator.helpers import AzureFactory, user

from chatls.emulator.families import FAMILIES
from chatls.emulator.fixture import RunningEmulator, StartEmulator

REASONING = [name for name, family in FAMILIES.items() if family.reasoning]


async def test_dated_route_echoes_the_last_user_message(azure: AzureFactory) -> None:
    reply = await azure().chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "system", "content": "be brief"}, *user("what is 2+2?")],
        max_tokens=100,
    )
    assert reply.choices[0].message.content == "Echo from gpt-4o: what is 2+2?"
    assert reply.model == "gpt-4o-2024-11-20"
    assert reply.choices[0].finish_reason == "stop"


async def test_reply_has_azure_annotations_and_usage_details(azure: AzureFactory) -> None:
    raw = await azure().chat.completions.with_raw_response.create(model="o1", messages=user("hi"))
    body = raw.http_response.json()
    assert body["id"].startswith("chatcmpl-")
    assert body["object"] == "chat.completion"
    assert body["model"] == "o1-2024-12-17"
    choice = body["choices"][0]
    assert set(choice["content_filter_results"]) >= {"hate", "self_harm", "sexual", "violence"}
    assert body["prompt_filter_results"][0]["prompt_index"] == 0
    assert "jailbreak" in body["prompt_filter_results"][0]["content_filter_results"]
    usage = body["usage"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] > 0
    assert usage["completion_tokens"] > usage["completion_tokens_details"]["reasoning_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


async def test_classic_model_reports_no_reasoning_tokens(azure: AzureFactory) -> None:
    reply = await azure().chat.completions.create(model="gpt-4o-mini", messages=user())
    assert reply.usage is not None and reply.usage.completion_tokens_details is not None
    assert reply.usage.completion_tokens_details.reasoning_tokens == 0


async def test_v1_route_takes_the_deployment_from_model(v1: openai.AsyncOpenAI) -> None:
    reply = await v1.chat.completions.create(model="gpt-5", messages=user("ping"))
    assert reply.choices[0].message.content == "Echo from gpt-5: ping"
    assert reply.model == "gpt-5-2025-08-07"


CHAT_FAMILIES = [name for name, family in FAMILIES.items() if "chat" in family.wires and not family.router]


@pytest.mark.parametrize("family", CHAT_FAMILIES)
async def test_every_default_deployment_answers_on_v1(v1: openai.AsyncOpenAI, family: str) -> None:
    reply = await v1.chat.completions.create(model=family, messages=user("x"))
    assert reply.model.startswith(family + "-")
    assert reply.choices[0].message.content == f"Echo from {family}: x"


async def test_models_are_listed_on_both_routes(v1: openai.AsyncOpenAI, azure: AzureFactory) -> None:
    v1_ids = [m.id for m in (await v1.models.list()).data]
    dated_ids = [m.id for m in (await azure().models.list()).data]
    assert v1_ids == dated_ids == list(FAMILIES)


async def test_scripted_reply_from_config_with_a_code_block(start_emulator: StartEmulator) -> None:
    config = """
[[replies]]
pattern = "(?i)write a function"
reply = "Here:\\n```python\\ndef f():\\n    return 1\\n```\\n"
"""
    emu = await start_emulator(config)
    client = openai.AsyncAzureOpenAI(
        azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21", max_retries=0
    )
    reply = await client.chat.completions.create(model="gpt-4o", messages=user("Please WRITE A FUNCTION"))
    assert reply.choices[0].message.content == "Here:\n```python\ndef f():\n    return 1\n```\n"
    other = await client.chat.completions.create(model="gpt-4o", messages=user("something else"))
    assert other.choices[0].message.content == "Echo from gpt-4o: something else"
    await client.close()


async def test_run_time_reply_wins_and_can_target_one_deployment(
    emulator: RunningEmulator, v1: openai.AsyncOpenAI
) -> None:
    await emulator.add_reply("hello", "general reply")
    await emulator.add_reply("hello", "o1 only reply", deployment="o1")
    assert (await v1.chat.completions.create(model="o1", messages=user("hello"))).choices[
        0
    ].message.content == ("o1 only reply")
    reply = await v1.chat.completions.create(model="gpt-4o", messages=user("hello"))
    assert reply.choices[0].message.content == "general reply"


async def test_small_output_cap_truncates_with_length(azure: AzureFactory) -> None:
    reply = await azure().chat.completions.create(
        model="gpt-4o", messages=user("a fairly long prompt that the echo repeats back"), max_tokens=3
    )
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 3
    assert reply.choices[0].message.content == "Echo from gpt-4o"


async def test_request_log_records_body_and_redacts_the_key(
    emulator: RunningEmulator, azure: AzureFactory
) -> None:
    secret = "canary-secret-123"
    await azure(api_key=secret).chat.completions.create(model="gpt-4o", messages=user("logged"))
    (record,) = await emulator.chat_requests()
    assert record["deployment"] == "gpt-4o"
    assert record["api_version"] == "2024-12-01-preview"
    assert record["body"]["messages"] == user("logged")
    assert record["status"] == 200
    assert record["headers"]["api-key"] == "<redacted>"
    assert secret not in repr(await emulator.requests())
