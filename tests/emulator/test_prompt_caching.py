"""Prompt caching: `prompt_tokens_details.cached_tokens` for a repeated prefix of 1,024 tokens or more."""

from __future__ import annotations

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from tests.emulator.helpers import AzureFactory

from chatls.emulator.caching import PromptCache
from chatls.emulator.fixture import RunningEmulator

CONTEXT: ChatCompletionMessageParam = {"role": "system", "content": "Context: " + "lorem ipsum dolor " * 300}
LONG: list[ChatCompletionMessageParam] = [CONTEXT, {"role": "user", "content": "Summarise it."}]


async def prompt_usage(
    client: openai.AsyncAzureOpenAI, deployment: str, messages: list[ChatCompletionMessageParam]
) -> tuple[int, int | None]:
    reply = await client.chat.completions.create(model=deployment, messages=messages)
    assert reply.usage is not None and reply.usage.prompt_tokens_details is not None
    return reply.usage.prompt_tokens, reply.usage.prompt_tokens_details.cached_tokens


async def test_a_repeated_long_prompt_reports_cached_tokens_in_128_steps(azure: AzureFactory) -> None:
    client = azure("2024-10-21")
    prompt_tokens, cached = await prompt_usage(client, "gpt-4o", LONG)
    assert prompt_tokens >= 1024 and cached == 0  # first time: nothing cached yet

    again, cached = await prompt_usage(client, "gpt-4o", LONG)
    assert again == prompt_tokens
    assert cached is not None and 1024 <= cached <= prompt_tokens and (cached - 1024) % 128 == 0
    assert prompt_tokens - cached < 128

    follow_up: list[ChatCompletionMessageParam] = [
        *LONG,
        {"role": "assistant", "content": "Lorem."},
        {"role": "user", "content": "More."},
    ]
    longer, cached_follow_up = await prompt_usage(client, "gpt-4o", follow_up)
    assert longer > prompt_tokens and cached_follow_up == cached  # the earlier turns are the cached prefix


async def test_the_cache_is_per_deployment_and_reset_clears_it(
    azure: AzureFactory, emulator: RunningEmulator
) -> None:
    client = azure("2024-10-21")
    await prompt_usage(client, "gpt-4o", LONG)
    assert (await prompt_usage(client, "gpt-4.1", LONG))[1] == 0
    assert (await prompt_usage(client, "gpt-4o", LONG))[1] != 0
    await emulator.reset()
    assert (await prompt_usage(client, "gpt-4o", LONG))[1] == 0


@pytest.mark.parametrize(
    ("deployment", "api_version", "messages", "why"),
    [
        ("gpt-4o", "2024-10-21", [{"role": "user", "content": "short " * 100}], "under 1,024 tokens"),
        ("gpt-35-turbo", "2024-10-21", LONG, "older than GPT-4o"),
        ("gpt-4o", "2024-09-01-preview", LONG, "api-version before 2024-10-01-preview"),
    ],
)
async def test_no_cached_tokens(
    azure: AzureFactory,
    deployment: str,
    api_version: str,
    messages: list[ChatCompletionMessageParam],
    why: str,
) -> None:
    client = azure(api_version)
    for _ in range(2):
        _, cached = await prompt_usage(client, deployment, messages)
        assert cached == 0, why


def test_cached_tokens_arithmetic() -> None:
    cache = PromptCache()
    body = {"messages": [{"role": "user", "content": "x" * 8000}]}  # 2,000 + 7 tokens
    assert cache.cached_tokens("d", body, 2007) == 0
    assert cache.cached_tokens("d", body, 2007) == 1024 + 7 * 128  # 1,920: whole steps only
    other_tools = {**body, "tools": [{"type": "function", "function": {"name": "f"}}]}
    assert cache.cached_tokens("d", other_tools, 2020) == 0  # tools come first: a different prefix
    cache.reset()
    assert cache.cached_tokens("d", body, 2007) == 0
