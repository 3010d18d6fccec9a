"""On Your Data (issue 15 item 4, adapter side): a profile's `dataSources` shaped into `data_sources` on Chat
Completions with credentials read at send time, citations read streamed and not, and the clear refusal —
before sending where the table is certain, from Azure's answer where it is not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.adapter.conftest import MakeClient, collect

from chatls.azure import ChatMessage, ChatOptions, ChatResult, ConfigurationError, Conversation
from chatls.azure.data_sources import SOURCE_TYPES, citations_from, read_sources
from chatls.azure.profile import Profile, ProfileError
from chatls.azure.types import Citation, CitationsEvent, ContentEvent
from chatls.emulator.fixture import RunningEmulator, StartEmulator

SEARCH_KEY_ENV = "CHATLS_TEST_SEARCH_KEY"
CITED = [
    {"content": "Refunds within 30 days.", "title": "policy.md", "url": "https://x/p", "chunk_id": "0"},
    {"content": "Keep the receipt.", "filepath": "faq/receipts.md", "chunk_id": "3"},
]


def search(**auth: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": "azure_search",
            "endpoint": "https://contoso.search.windows.net",
            "index": "policies",
            "queryType": "semantic",
            "semanticConfiguration": "default",
            "topNDocuments": 5,
            "strictness": 3,
            "inScope": True,
            "authentication": auth or {"type": "api_key", "keyEnv": SEARCH_KEY_ENV},
        }
    ]


def ask(text: str = "What is the refund policy?") -> Conversation:
    return Conversation(None, (ChatMessage("user", text),))


@pytest.fixture
def search_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = "srchCanary" + "7f3a9c0d1e2b4a5968ab"
    monkeypatch.setenv(SEARCH_KEY_ENV, key)
    return key


@pytest.mark.parametrize("stream", [True, False])
async def test_citations_arrive_once_and_in_the_result(
    make_client: MakeClient, emulator: RunningEmulator, search_key: str, stream: bool
) -> None:
    await emulator.set_deployment("gpt-4o", citations=CITED)
    client = make_client("gpt-4o", dataSources=search())
    events = await collect(client, ask(), ChatOptions(stream=stream))

    expected = (
        Citation(title="policy.md", url="https://x/p", chunk_id="0"),
        Citation(filepath="faq/receipts.md", chunk_id="3"),
    )
    cited = [e for e in events if isinstance(e, CitationsEvent)]
    assert [e.citations for e in cited] == [expected]
    first_content = next(i for i, e in enumerate(events) if isinstance(e, ContentEvent))
    assert events.index(cited[0]) < first_content  # the references come before the text cites them
    result = events[-1]
    assert isinstance(result, ChatResult)
    assert result.citations == expected
    assert result.wire == "chat"
    assert result.content.endswith("[doc1] [doc2]")
    (request,) = await emulator.chat_requests("gpt-4o")
    (sent,) = request["body"]["data_sources"]
    assert sent["type"] == "azure_search"
    assert sent["parameters"]["index_name"] == "policies"
    assert sent["parameters"]["top_n_documents"] == 5
    assert sent["parameters"]["authentication"] == {"type": "api_key", "key": "<redacted>"}  # it was sent


async def test_data_sources_force_chat_completions(
    make_client: MakeClient, emulator: RunningEmulator, search_key: str
) -> None:
    # gpt-4o answers on both wires; with data sources the turn must take Chat Completions.
    client = make_client("gpt-4o", dataSources=search(), background=True)
    events = await collect(client, ask(), ChatOptions())
    assert isinstance(events[-1], ChatResult) and events[-1].wire == "chat"
    assert await emulator.responses_requests() == []


async def test_a_secret_handed_over_by_the_editor_is_used(
    make_client: MakeClient, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SEARCH_KEY_ENV, raising=False)
    sources = search(type="api_key", keyEnv=SEARCH_KEY_ENV, keySecret="search")
    missing = make_client("gpt-4o", dataSources=sources)
    with pytest.raises(ConfigurationError) as refused:
        await collect(missing, ask(), ChatOptions())
    assert SEARCH_KEY_ENV in str(refused.value) and "'search'" in str(refused.value)
    assert await emulator.chat_requests() == []  # nothing was sent without the key

    handed = make_client(
        "gpt-4o", dataSources=sources, client_options={"data_source_secrets": {"search": "handedOver123"}}
    )
    events = await collect(handed, ask(), ChatOptions())
    assert isinstance(events[-1], ChatResult) and len(events[-1].citations) == 2


async def test_managed_identity_sends_no_key(make_client: MakeClient, emulator: RunningEmulator) -> None:
    client = make_client("gpt-4o-mini", dataSources=search(type="system_assigned_managed_identity"))
    events = await collect(client, ask(), ChatOptions())
    assert isinstance(events[-1], ChatResult) and events[-1].citations
    (request,) = await emulator.chat_requests()
    auth = request["body"]["data_sources"][0]["parameters"]["authentication"]
    assert auth == {"type": "system_assigned_managed_identity"}


@pytest.mark.parametrize("deployment", ["gpt-5.4-mini", "o3-mini", "gpt-4.1"])
async def test_refused_before_sending_for_models_the_table_knows(
    make_client: MakeClient, emulator: RunningEmulator, search_key: str, deployment: str
) -> None:
    client = make_client(deployment, dataSources=search())
    with pytest.raises(ConfigurationError) as refused:
        await collect(client, ask(), ChatOptions())
    message = str(refused.value)
    assert "gpt-4o and gpt-4o-mini" in message
    assert "deprecated" in message
    assert "Azure AI Foundry Agents" in message
    assert refused.value.key == "dataSources"
    assert search_key not in message
    assert await emulator.requests() == []


async def test_azures_refusal_for_a_model_not_in_the_table_gets_the_same_words(
    start_emulator: StartEmulator, make_client: MakeClient, search_key: str
) -> None:
    emu = await start_emulator({"deployments": {"team-chat": "gpt-4.1-2025-04-14"}})
    client = make_client("team-chat", emu=emu, dataSources=search())
    with pytest.raises(ConfigurationError) as refused:
        await collect(client, ask(), ChatOptions())
    assert "gpt-4o and gpt-4o-mini" in str(refused.value)
    assert search_key not in str(refused.value)
    log = await emu.chat_requests()
    assert len(log) == 1  # sent once (the model was not certain), never resent without the sources
    assert "data_sources" in log[0]["body"]


# ----- the profile key (pure logic) -----------------------------------------------------------------


def test_profile_round_trip_keeps_names_of_secrets_only() -> None:
    profile = Profile.from_dict(
        {"name": "p", "dataSources": search(type="api_key", keyEnv="K", keySecret="s")}
    )
    again = Profile.from_dict(profile.to_dict())
    assert again == profile and hash(again) == hash(profile)
    assert profile.to_dict()["dataSources"][0]["authentication"] == {
        "type": "api_key",
        "keyEnv": "K",
        "keySecret": "s",
    }


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"authentication": {"type": "api_key", "key": "abc"}}, "authentication.key", "never holds a secret"),
        ({"authentication": {"type": "api_key"}}, "authentication", "keyEnv or keySecret"),
        ({"authentication": {"type": "magic"}}, "authentication.type", "api_key"),
        ({"strictness": 9}, "strictness", "from 1 to 5"),
        ({"topNDocuments": 0}, "topNDocuments", "at least 1"),
        ({"queryType": "fuzzy"}, "queryType", "vector_semantic_hybrid"),
        ({"indexNmae": "x"}, "indexNmae", "unknown azure_search key"),
        ({"endpoint": "contoso"}, "endpoint", "https://NAME.search.windows.net"),
        ({"type": "sharepoint"}, "type", ", ".join(SOURCE_TYPES)),
    ],
)
def test_bad_entries_name_the_key(change: dict[str, Any], path: str, words: str) -> None:
    entry = {**search()[0], **change}
    with pytest.raises(ProfileError) as bad:
        Profile.from_dict({"dataSources": [entry]})
    assert bad.value.key == f"dataSources[0].{path}"
    assert words in bad.value.reason


def test_a_pasted_key_is_never_repeated() -> None:
    pasted = "0123456789abcdef0123456789ABCDEF"
    with pytest.raises(ProfileError) as bad:
        Profile.from_dict({"dataSources": search(type="api_key", keyEnv=pasted)})
    assert pasted not in str(bad.value)


def test_data_sources_with_the_responses_wire_are_refused() -> None:
    with pytest.raises(ProfileError) as bad:
        Profile.from_dict({"wire": "responses", "dataSources": search()})
    assert bad.value.key == "wire"


def test_other_source_types_pass_through_in_the_specs_shape() -> None:
    (source,) = read_sources(
        "dataSources",
        [
            {
                "type": "elasticsearch",
                "parameters": {"endpoint": "https://es", "index_name": "i"},
                "authentication": {"type": "encoded_api_key", "encodedApiKeyEnv": "ES_KEY"},
            }
        ],
    )
    assert source.parameters == {
        "endpoint": "https://es",
        "index_name": "i",
        "authentication": {"type": "encoded_api_key"},
    }
    assert [(ref.field, ref.env) for ref in source.secrets] == [("encoded_api_key", "ES_KEY")]


def test_citations_read_defensively() -> None:
    context = json.loads('{"citations": [{"content": "c", "title": "", "url": 3}, "junk"], "intent": "x"}')
    assert citations_from(context) == (Citation(),)
    assert citations_from(None) == ()
    assert citations_from({"citations": "no"}) == ()
