"""Small helpers for the emulator tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam

DATED = "2024-12-01-preview"
AzureFactory = Callable[..., openai.AsyncAzureOpenAI]


def user(text: str = "hello") -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


async def send(client: openai.AsyncOpenAI, deployment: str, body: dict[str, Any]) -> Any:
    """POST a chat-completions body through the SDK (everything but messages/stream via extra_body)."""
    rest = dict(body)
    messages = rest.pop("messages")
    stream = rest.pop("stream", None)
    if stream:
        return await client.chat.completions.create(
            model=deployment, messages=messages, stream=True, extra_body=rest
        )
    return await client.chat.completions.create(model=deployment, messages=messages, extra_body=rest)


def v1_client(url: str, api_key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{url}/openai/v1/", api_key=api_key, max_retries=0)


def azure_client(url: str, api_key: str, api_version: str = DATED) -> openai.AsyncAzureOpenAI:
    return openai.AsyncAzureOpenAI(
        azure_endpoint=url, api_key=api_key, api_version=api_version, max_retries=0
    )
