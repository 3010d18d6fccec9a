"""Azure refuses any one string over 1,048,576 characters (../shared/azure/errors/
string-above-max-length.json): so does the emulator, wherever the string is — a message's content or one of
its parts — while a body over 1 MiB whose strings are each under the limit is served, and its log entry
keeps the body's outline."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from chatls.emulator.fixture import RunningEmulator, StartEmulator

LIMIT = 1_048_576  # from the shared error body, not from the adapter
DEPLOYMENT = "gpt-41-long"
CONFIG = {
    "deployments": {DEPLOYMENT: {"model": "gpt-4.1-2025-04-14", "context_window": 1_047_576}},
    "replies": [{"pattern": "Review this$", "reply": "Looks fine."}],
}


def client(emulator: RunningEmulator) -> openai.AsyncAzureOpenAI:
    return openai.AsyncAzureOpenAI(
        azure_endpoint=emulator.url, api_key=emulator.api_key, api_version="2024-10-21", max_retries=0
    )


def user(content: Any) -> Any:
    return {"role": "user", "content": content}


def text_of(length: int, word: str) -> str:
    return (f"{word} " * (length // (len(word) + 1) + 1))[:length]


async def refused(emulator: RunningEmulator, content: Any) -> dict[str, Any]:
    async with client(emulator) as sdk:
        with pytest.raises(openai.BadRequestError) as caught:
            await sdk.chat.completions.create(model=DEPLOYMENT, messages=[user(content)])
    assert caught.value.status_code == 400
    body: dict[str, Any] = caught.value.body  # type: ignore[assignment]
    return body


async def test_one_content_string_over_the_limit_is_refused_naming_it(start_emulator: StartEmulator) -> None:
    emulator = await start_emulator(CONFIG)
    error = await refused(emulator, text_of(LIMIT + 1, "alpha"))
    assert error["code"] == "string_above_max_length"
    assert error["param"] == "messages[0].content"
    assert error["message"] == (
        "Invalid 'messages[0].content': string too long. Expected a string with maximum length 1048576, "
        "but got a string with length 1048577 instead."
    )


async def test_one_content_part_over_the_limit_is_refused_naming_the_part(
    start_emulator: StartEmulator,
) -> None:
    emulator = await start_emulator(CONFIG)
    parts = [{"type": "text", "text": "short"}, {"type": "text", "text": text_of(LIMIT + 1, "beta")}]
    error = await refused(emulator, parts)
    assert (error["code"], error["param"]) == ("string_above_max_length", "messages[0].content[1].text")


async def test_parts_each_under_the_limit_are_served_and_logged_in_outline(
    start_emulator: StartEmulator,
) -> None:
    emulator = await start_emulator(CONFIG)
    first, second = text_of(900_000, "gamma"), text_of(300_000, "delta")
    parts = [
        {"type": "text", "text": first},
        {"type": "text", "text": second},
        {"type": "text", "text": "Review this"},
    ]
    async with client(emulator) as sdk:
        answer = await sdk.chat.completions.create(model=DEPLOYMENT, messages=[user(parts)])
    assert answer.choices[0].message.content == "Looks fine."

    (record,) = await emulator.chat_requests()
    body = record["body"]
    assert body["omitted_bytes"] > LIMIT  # too large to log whole …
    logged = body["outline"]["messages"][0]["content"]  # … but its shape is kept
    assert [part["type"] for part in logged] == ["text", "text", "text"]
    assert logged[0]["text"].startswith("gamma gamma") and logged[0]["text"].endswith("…[900,000 characters]")
    assert logged[1]["text"].startswith("delta delta") and logged[1]["text"].endswith("…[300,000 characters]")
    assert logged[2]["text"] == "Review this"
