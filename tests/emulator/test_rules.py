"""Every model-family and api-version rule, through the official SDK on the routes it applies to."""

from __future__ import annotations

from typing import Any

import aiohttp
import openai
import pytest
from tests.emulator.cases import ACCEPTED_CASES, RULE_CASES, Case
from tests.emulator.helpers import azure_client, send, v1_client

from chatls.emulator.fixture import RunningEmulator, StartEmulator

ROUTED = [pytest.param(case, route, id=f"{case.id}-{route}") for case in RULE_CASES for route in case.routes]


def client_for(emulator: RunningEmulator, route: str, api_version: str) -> openai.AsyncOpenAI:
    if route == "v1":
        return v1_client(emulator.url, emulator.api_key)
    return azure_client(emulator.url, emulator.api_key, api_version)


@pytest.mark.parametrize(("case", "route"), ROUTED)
async def test_rule_answers_like_azure(emulator: RunningEmulator, case: Case, route: str) -> None:
    if case.overrides:
        await emulator.set_deployment(case.deployment, **case.overrides)
    client = client_for(emulator, route, case.api_version)
    with pytest.raises(case.sdk_error) as caught:
        await send(client, case.deployment, case.body())
    await client.close()
    error = caught.value
    assert error.status_code == case.status
    assert error.code == case.code
    assert error.param == case.param
    assert isinstance(error.body, dict)
    assert case.message in error.body["message"]
    assert set(error.body) >= {"code", "message"}
    (record,) = await emulator.chat_requests()
    assert (record["status"], record["error_code"], record["error_param"]) == (
        case.status,
        case.code,
        case.param,
    )


@pytest.mark.parametrize(
    ("name", "deployment", "request_body", "api_version"), ACCEPTED_CASES, ids=[c[0] for c in ACCEPTED_CASES]
)
async def test_accepted_on_the_dated_route(
    emulator: RunningEmulator, name: str, deployment: str, request_body: dict[str, object], api_version: str
) -> None:
    client = azure_client(emulator.url, emulator.api_key, api_version)
    body: dict[str, Any] = {"messages": [{"role": "user", "content": name}], **request_body}
    expected = f"Echo from {deployment}: {body['messages'][-1]['content']}"
    reply = await send(client, deployment, body)
    if body.get("stream"):
        text = "".join([c.choices[0].delta.content or "" async for c in reply if c.choices])
    else:
        text = reply.choices[0].message.content
    await client.close()
    assert text == expected


async def test_unknown_api_version_is_resource_not_found(emulator: RunningEmulator) -> None:
    client = azure_client(emulator.url, emulator.api_key, "2019-01-01")
    with pytest.raises(openai.NotFoundError) as caught:
        await send(client, "gpt-4o", {"messages": [{"role": "user", "content": "x"}]})
    await client.close()
    assert caught.value.code == "404"
    assert caught.value.body == {"code": "404", "message": "Resource not found"}


@pytest.mark.parametrize(
    "headers", [{}, {"api-key": ""}, {"Authorization": "Bearer "}, {"Authorization": "Basic x"}]
)
async def test_missing_key_is_401(emulator: RunningEmulator, headers: dict[str, str]) -> None:
    url = f"{emulator.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"messages": []}, headers=headers) as resp,
    ):
        assert resp.status == 401
        body = await resp.json()
    assert body["error"]["code"] == "401"
    assert body["error"]["message"].startswith("Access denied due to invalid subscription key")


async def test_wrong_key_parses_as_the_sdk_authentication_error(start_emulator: StartEmulator) -> None:
    emu = await start_emulator({"server": {"api_keys": ["right-key"]}})
    client = azure_client(emu.url, "wrong-key")
    with pytest.raises(openai.AuthenticationError) as caught:
        await send(client, "gpt-4o", {"messages": [{"role": "user", "content": "x"}]})
    await client.close()
    assert caught.value.status_code == 401
    assert caught.value.code == "401"
    assert caught.value.param is None


async def test_configured_keys_reject_others_and_accept_bearer(start_emulator: StartEmulator) -> None:
    emu = await start_emulator({"server": {"api_keys": ["right-key"]}})
    assert emu.api_key == "right-key"
    wrong = azure_client(emu.url, "wrong-key")
    with pytest.raises(openai.AuthenticationError) as caught:
        await send(wrong, "gpt-4o", {"messages": [{"role": "user", "content": "x"}]})
    assert caught.value.code == "401"
    bearer = v1_client(emu.url, "right-key")  # the stock client sends Authorization: Bearer <key>
    reply = await send(bearer, "gpt-4o", {"messages": [{"role": "user", "content": "x"}]})
    assert reply.choices[0].message.content == "Echo from gpt-4o: x"
    entra = openai.AsyncAzureOpenAI(
        azure_endpoint=emu.url, azure_ad_token="right-key", api_version="2024-10-21", max_retries=0
    )
    assert (await send(entra, "gpt-4o", {"messages": [{"role": "user", "content": "y"}]})).choices
    for client in (wrong, bearer, entra):
        await client.close()


async def test_any_bearer_token_is_accepted_without_configured_keys(emulator: RunningEmulator) -> None:
    client = openai.AsyncAzureOpenAI(
        azure_endpoint=emulator.url,
        azure_ad_token="some-entra-token",
        api_version="2024-10-21",
        max_retries=0,
    )
    reply = await send(client, "gpt-4o", {"messages": [{"role": "user", "content": "x"}]})
    await client.close()
    assert reply.choices[0].message.content == "Echo from gpt-4o: x"
