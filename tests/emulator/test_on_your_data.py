"""On Your Data (`data_sources`): validated against the 2024-12-01-preview schema, refused for models
that don't take them, citations and intent in `message.context` streamed and not, keys never logged."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from chatls.emulator.fixture import RunningEmulator

CANARY = "search-key-canary-7f3a"


def search(**parameters: Any) -> list[dict[str, Any]]:
    base = {
        "endpoint": "https://contoso.search.windows.net",
        "index_name": "docs",
        "authentication": {"type": "api_key", "key": CANARY},
        "top_n_documents": 3,
        "strictness": 3,
        "in_scope": True,
    }
    return [{"type": "azure_search", "parameters": {**base, **parameters}}]


def clients(emulator: RunningEmulator) -> list[openai.AsyncOpenAI]:
    return [
        openai.AsyncOpenAI(base_url=emulator.v1_base_url, api_key=emulator.api_key, max_retries=0),
        openai.AsyncAzureOpenAI(
            azure_endpoint=emulator.url,
            api_key=emulator.api_key,
            api_version="2024-12-01-preview",
            max_retries=0,
        ),
    ]


async def test_citations_and_intent_not_streamed(emulator: RunningEmulator) -> None:
    for client in clients(emulator):
        reply = await client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "What is our refund policy?"}],
            extra_body={"data_sources": search()},
        )
        await client.close()
        message = reply.choices[0].message
        context = message.model_extra["context"]  # type: ignore[index]
        assert [c["title"] for c in context["citations"]] == ["doc1.md", "doc2.md"]
        assert context["intent"] == '["What is our refund policy?"]'
        assert message.content is not None and message.content.endswith("[doc1] [doc2]")
    assert CANARY not in str(emulator.state.requests())


async def test_citations_streamed_in_the_first_delta(emulator: RunningEmulator) -> None:
    await emulator.set_deployment(
        "gpt-4o-mini",
        citations=[{"content": "Refunds within 30 days.", "title": "policy.md", "url": "https://x/p"}],
    )
    (client, other) = clients(emulator)
    await other.close()
    stream = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "refunds?"}],
        stream=True,
        extra_body={"data_sources": search()},
    )
    contexts = [
        c.choices[0].delta.model_extra["context"]  # type: ignore[index]
        async for c in stream
        if c.choices and c.choices[0].delta.model_extra and "context" in c.choices[0].delta.model_extra
    ]
    await client.close()
    assert contexts == [
        {
            "citations": [{"content": "Refunds within 30 days.", "title": "policy.md", "url": "https://x/p"}],
            "intent": '["refunds?"]',
        }
    ]


@pytest.mark.parametrize("deployment", ["o3", "gpt-5.4", "gpt-4.1"])
async def test_refused_for_models_that_do_not_take_them(emulator: RunningEmulator, deployment: str) -> None:
    client = clients(emulator)[0]
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(
            model=deployment,
            messages=[{"role": "user", "content": "x"}],
            extra_body={"data_sources": search()},
        )
    await client.close()
    assert (caught.value.code, caught.value.param) == ("unsupported_parameter", "data_sources")
    assert CANARY not in str(emulator.state.requests())


@pytest.mark.parametrize(
    ("sources", "where"),
    [
        (
            [
                {
                    "type": "azure_search",
                    "parameters": {
                        "endpoint": "https://x",
                        "authentication": {"type": "api_key", "key": "k"},
                    },
                }
            ],
            "data_sources.0.parameters",
        ),
        (search(strictness=9), "data_sources.0.parameters.strictness"),
        ([{"type": "bing", "parameters": {}}], "data_sources.0.type"),
        (
            search(authentication={"type": "api_token", "key": CANARY}),
            "data_sources.0.parameters.authentication",
        ),
    ],
)
async def test_invalid_data_sources_name_the_field(
    emulator: RunningEmulator, sources: list[dict[str, Any]], where: str
) -> None:
    client = clients(emulator)[0]
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "x"}], extra_body={"data_sources": sources}
        )
    await client.close()
    assert caught.value.message.endswith(f"- '{where}'")
    assert CANARY not in caught.value.message
    assert CANARY not in str(emulator.state.requests())
