"""On Your Data through the real server (issue 15 item 4): a profile with `dataSources` grounds the answer,
the citations arrive once as a delta, in the result and in `chatls/conversation`; a reasoning model is
refused with the clear message; the search key (a canary) never appears in a log, the database, a delta, a
result or a message — whether it comes from the environment or from the editor (`chatls/setApiKey`)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException
from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    OpenSession,
    chat,
    delta_text,
    folder,
    init_options,
    lsp_session,
    profile,
    request,
    server_env,
)

from chatls.emulator.fixture import RunningEmulator

pytestmark = SPEC_WARNINGS_ARE_ERRORS

SEARCH_ENV = "CHATLS_E2E_SEARCH_KEY"
CITED = [
    {"content": "Refunds within 30 days.", "title": "policy.md", "url": "https://x/policy", "chunk_id": "0"},
    {"content": "Keep the receipt.", "filepath": "faq/receipts.md", "chunk_id": "3"},
]
EXPECTED = [
    {"title": "policy.md", "url": "https://x/policy", "filepath": None, "chunkId": "0"},
    {"title": None, "url": None, "filepath": "faq/receipts.md", "chunkId": "3"},
]


def grounded(url: str, deployment: str = "gpt-4o", **auth: Any) -> dict[str, Any]:
    """A profile on the emulator whose turns are grounded in one Azure AI Search index."""
    source = {
        "type": "azure_search",
        "endpoint": "https://contoso.search.windows.net",
        "index": "policies",
        "queryType": "simple",
        "topNDocuments": 3,
        "authentication": auth or {"type": "api_key", "keyEnv": SEARCH_ENV},
    }
    return profile(url, deployment=deployment, api_version="v1", dataSources=[source])


async def test_citations_in_the_delta_the_result_and_the_conversation(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path, tmp_path: Path
) -> None:
    await emulator.set_deployment("gpt-4o", citations=CITED)
    options = init_options(emulator.url, state_dir=state_dir, profiles=[grounded(emulator.url)])
    env = server_env(emulator.api_key, config_home=tmp_path / "config", **{SEARCH_ENV: "searchKey0"})
    async with session(init_options=options, env=env) as client:
        result = await chat(client, "What is the refund policy?")
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})
        deltas = list(client.deltas)  # type: ignore[attr-defined]

    assert result["citations"] == EXPECTED
    assert result["content"].endswith("[doc1] [doc2]")
    cited = [d for d in deltas if "citations" in d]
    assert [d["citations"] for d in cited] == [EXPECTED]  # once
    assert delta_text(deltas) == result["content"]
    reply = stored["messages"][1]
    assert reply["citations"] == EXPECTED
    assert "citations" not in stored["messages"][0]
    (sent,) = (await emulator.chat_requests("gpt-4o"))[-1]["body"]["data_sources"]
    assert sent["parameters"]["index_name"] == "policies"


async def test_a_reasoning_model_is_refused_with_the_clear_message(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path, tmp_path: Path
) -> None:
    options = init_options(
        emulator.url, state_dir=state_dir, profiles=[grounded(emulator.url, deployment="gpt-5.4-mini")]
    )
    env = server_env(emulator.api_key, config_home=tmp_path / "config", **{SEARCH_ENV: "searchKey0"})
    async with session(init_options=options, env=env) as client:
        with pytest.raises(JsonRpcException) as refused:
            await chat(client, "What is the refund policy?")
    message = refused.value.message
    assert "gpt-4o and gpt-4o-mini" in message
    assert "deprecated" in message and "Azure AI Foundry Agents" in message
    assert refused.value.data["kind"] == "configuration"
    assert await emulator.chat_requests() == []  # refused before anything was sent


@pytest.mark.parametrize("preset", ["visual-studio-code"])
async def test_search_key_canaries_never_leak(
    preset: str, emulator: RunningEmulator, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    env_canary = f"srchEnvCanary{uuid.uuid4().hex}"
    handed_canary = f"srchHandedCanary{uuid.uuid4().hex}"
    state_dir = tmp_path / "state"
    project = tmp_path / "project"
    project.mkdir()
    auth = {"type": "api_key", "keyEnv": SEARCH_ENV, "keySecret": "search"}
    sources = grounded(emulator.url, **auth)
    refused_profile = grounded(emulator.url, deployment="gpt-5.4-mini", **auth) | {"name": "reasoning"}
    seen: list[Any] = []

    async with lsp_session(
        preset,
        init_options=init_options(emulator.url, state_dir=state_dir, profiles=[sources, refused_profile]),
        env=server_env(emulator.api_key, config_home=tmp_path / "config", **{SEARCH_ENV: env_canary}),
        folders=[folder(project)],
        server_args=["--log-level", "DEBUG", "--pygls-log-level", "DEBUG"],
    ) as client:
        seen.append(await chat(client, "first, with the search key from the environment"))
        seen.append(
            await request(client, "chatls/setApiKey", {"profile": "default/search", "apiKey": handed_canary})
        )
        seen.append(await chat(client, "second, with the search key handed over by the editor"))
        with pytest.raises(JsonRpcException) as refused:
            await chat(client, "third, refused", profile="reasoning")
        seen.append((refused.value.message, refused.value.data))
        listed = await request(client, "chatls/conversations", {})
        for conversation in listed:
            seen.append(await request(client, "chatls/conversation", {"conversationId": conversation["id"]}))
        seen.extend(client.deltas)  # type: ignore[attr-defined]
        seen.extend(m.message for m in client.messages)
        seen.extend(m.message for m in client.log_messages)

    assert all(r["citations"] for r in seen[:3:2])  # both grounded turns really used a key
    assert len(await emulator.chat_requests()) == 2
    server_output = capfd.readouterr().err
    assert "DEBUG" in server_output and "chatls/setApiKey" in server_output  # bodies were really logged
    stored = b"".join(p.read_bytes() for p in state_dir.iterdir() if p.is_file())
    assert stored
    emulator_log = repr(await emulator.requests())
    for canary in (env_canary, handed_canary):
        assert canary not in repr(seen)
        assert canary not in server_output
        assert canary.encode() not in stored
        assert canary not in emulator_log
