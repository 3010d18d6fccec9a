"""Credentials: API keys (handed over or from the environment), gateway headers, Entra ID, and no leaks.

Entra ID runs offline with a fake async credential that follows azure-identity's contract
(`get_token(*scopes) -> AccessToken`, `close()`); the real `get_bearer_token_provider` caches its token
and refreshes it when it is within five minutes of expiring.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import Any

import httpx2
import pytest
from azure.core.credentials import AccessToken
from azure.identity import CredentialUnavailableError
from tests.adapter.conftest import MemoryLessons, collect, profile_for

from chatls.azure import (
    AuthError,
    AzureChatClient,
    AzureError,
    ChatMessage,
    ChatOptions,
    ChatResult,
    ConfigurationError,
    Conversation,
    Profile,
)
from chatls.azure.auth import ENTRA_SCOPE, default_credential
from chatls.emulator.fixture import RunningEmulator, StartEmulator

CONVERSATION = Conversation("Be brief.", (ChatMessage("user", "hello"),))
CANARY = "canary-7c1f0e9b-do-not-leak"


class FakeCredential:
    """An azure-identity style async credential issuing numbered tokens with a chosen lifetime."""

    def __init__(self, lifetime: float, error: Exception | None = None) -> None:
        self.lifetime = lifetime
        self.error = error
        self.scopes: list[tuple[str, ...]] = []
        self.closed = False

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        if self.error is not None:
            raise self.error
        return AccessToken(f"entra-token-{len(self.scopes)}", int(time.time() + self.lifetime))

    async def close(self) -> None:
        self.closed = True


def header_recorder(seen: list[dict[str, str]]) -> httpx2.AsyncClient:
    async def record(request: httpx2.Request) -> None:
        seen.append({k.lower(): v for k, v in request.headers.items()})

    return httpx2.AsyncClient(event_hooks={"request": [record]})


@pytest.mark.parametrize("api_version", ["v1", "2024-12-01-preview"])
async def test_entra_token_is_cached_then_refreshed_when_it_nears_expiry(
    api_version: str, emulator: RunningEmulator
) -> None:
    seen: list[dict[str, str]] = []
    async with header_recorder(seen) as http:
        long_lived = FakeCredential(lifetime=3600)
        client = AzureChatClient(
            profile_for(emulator, "gpt-4o", auth="entra", apiVersion=api_version),
            credential=long_lived,
            http_client=http,
        )
        for _ in range(2):
            assert isinstance((await collect(client, CONVERSATION, ChatOptions()))[-1], ChatResult)
        assert long_lived.scopes == [(ENTRA_SCOPE,)]
        assert [h["authorization"] for h in seen] == ["Bearer entra-token-1"] * 2
        assert "api-key" not in seen[0]

        seen.clear()
        expiring = FakeCredential(lifetime=60)  # inside the five-minute refresh window: refreshed every time
        client = AzureChatClient(
            profile_for(emulator, "gpt-4o", auth="entra", apiVersion=api_version),
            credential=expiring,
            http_client=http,
        )
        for _ in range(2):
            await collect(client, CONVERSATION, ChatOptions())
        assert [h["authorization"] for h in seen] == ["Bearer entra-token-1", "Bearer entra-token-2"]
    assert [r["status"] for r in await emulator.chat_requests()] == [200] * 4


async def test_entra_without_any_credential_says_how_to_sign_in(emulator: RunningEmulator) -> None:
    missing = FakeCredential(3600, error=CredentialUnavailableError("DefaultAzureCredential failed"))
    client = AzureChatClient(profile_for(emulator, "gpt-4o", auth="entra"), credential=missing)
    with pytest.raises(ConfigurationError) as caught:
        await collect(client, CONVERSATION, ChatOptions())
    await client.aclose()
    assert caught.value.key == "auth"
    assert "az login" in caught.value.user_message
    assert await emulator.chat_requests() == []


async def test_entra_without_azure_identity_installed_says_what_to_install(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity.aio", None)  # makes the import fail
    client = AzureChatClient(profile_for(emulator, "gpt-4o", auth="entra"))
    with pytest.raises(ConfigurationError) as caught:
        await collect(client, CONVERSATION, ChatOptions())
    assert "pip install 'chatls[entra]'" in caught.value.user_message
    assert caught.value.key == "auth"


async def test_default_credential_is_azure_identitys() -> None:
    credential = default_credential()
    try:
        assert type(credential).__name__ == "DefaultAzureCredential"
    finally:
        await credential.close()


async def test_missing_settings_are_reported_when_chatting_not_before(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHATLS_TEST_KEY", raising=False)
    cases = [
        (Profile.from_dict({"deployment": "gpt-4o"}), "endpoint", "AZURE_OPENAI_ENDPOINT"),
        (Profile.from_dict({"endpoint": emulator.url}), "deployment", '"deployment"'),
        (profile_for(emulator, "gpt-4o", apiKeyEnv="CHATLS_TEST_KEY"), "apiKeyEnv", "CHATLS_TEST_KEY"),
    ]
    for profile, key, hint in cases:
        client = AzureChatClient(profile)  # constructing never fails
        assert client.capabilities.family in ("gpt-4o", "unknown")
        with pytest.raises(ConfigurationError) as caught:
            await collect(client, CONVERSATION, ChatOptions())
        assert (caught.value.key, hint in caught.value.user_message) == (key, True)
    assert await emulator.chat_requests() == []


async def test_the_key_from_the_environment_and_the_handed_over_key_wins(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = await start_emulator({"server": {"api_keys": ["right-key"], "include_default_deployments": True}})
    monkeypatch.setenv("CHATLS_TEST_KEY", "right-key")
    from_env = AzureChatClient(profile_for(emu, "gpt-4o", apiKeyEnv="CHATLS_TEST_KEY"))
    assert isinstance((await collect(from_env, CONVERSATION, ChatOptions()))[-1], ChatResult)
    monkeypatch.setenv("CHATLS_TEST_KEY", "wrong-key")
    handed = AzureChatClient(profile_for(emu, "gpt-4o", apiKeyEnv="CHATLS_TEST_KEY"), api_key="right-key")
    assert isinstance((await collect(handed, CONVERSATION, ChatOptions()))[-1], ChatResult)
    wrong = AzureChatClient(profile_for(emu, "gpt-4o", apiKeyEnv="CHATLS_TEST_KEY"))
    with pytest.raises(AuthError) as caught:
        await collect(wrong, CONVERSATION, ChatOptions())
    assert caught.value.status == 401
    assert "CHATLS_TEST_KEY" in caught.value.user_message
    for client in (from_env, handed, wrong):
        await client.aclose()


@pytest.mark.parametrize("api_version", ["v1", "2024-10-21"])
async def test_a_gateway_header_carries_the_key_alone(
    api_version: str, start_emulator: StartEmulator
) -> None:
    gateway = await start_emulator(
        {"server": {"api_keys": ["gateway-key"], "api_key_header": "Ocp-Apim-Subscription-Key"}}
    )
    seen: list[dict[str, str]] = []
    async with header_recorder(seen) as http:
        clients = [
            AzureChatClient(
                profile_for(gateway, "gpt-4o", apiVersion=api_version, apiKeyHeader=header),
                api_key=key,
                http_client=http,
                lessons=MemoryLessons(),
            )
            for header, key in (
                ("Ocp-Apim-Subscription-Key", "gateway-key"),
                ("X-Wrong-Header", "gateway-key"),
                ("Ocp-Apim-Subscription-Key", "another-key"),
            )
        ]
        result = (await collect(clients[0], CONVERSATION, ChatOptions()))[-1]
        assert isinstance(result, ChatResult)
        assert result.content == "Echo from gpt-4o: hello"
        for refused in clients[1:]:
            with pytest.raises(AuthError) as caught:
                await collect(refused, CONVERSATION, ChatOptions())
            assert caught.value.status == 401
        for client in clients:
            await client.aclose()
    assert seen[0]["ocp-apim-subscription-key"] == "gateway-key"
    assert seen[1]["x-wrong-header"] == "gateway-key"
    for headers in seen:
        assert "api-key" not in headers and "authorization" not in headers
    assert [r["status"] for r in await gateway.chat_requests()] == [200, 401, 401]


class EchoKeyOn401(httpx2.AsyncBaseTransport):
    """A hostile upstream: the emulator's 401 body is rewritten to quote the key it was sent."""

    def __init__(self) -> None:
        self._inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        if response.status_code != 401:
            return response
        await response.aread()
        key = request.headers.get("api-key", "")
        body = {"error": {"code": "401", "message": f"Access denied for key {key}."}}
        return httpx2.Response(401, json=body, extensions=response.extensions)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_the_canary_key_never_leaks(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CHATLS_CANARY_KEY", CANARY)
    good = await start_emulator({"server": {"api_keys": [CANARY], "include_default_deployments": True}})
    strict = await start_emulator(
        {"server": {"api_keys": ["another-key"], "include_default_deployments": True}}
    )
    await good.add_fault("server_error", status=503)
    await good.set_deployment("gpt-4o", reject_parameters={"temperature": "unsupported_parameter"})
    errors: list[AzureError] = []
    clients: list[AzureChatClient] = []

    ok = AzureChatClient(profile_for(good, "gpt-4o", apiKeyEnv="CHATLS_CANARY_KEY"), lessons=MemoryLessons())
    clients.append(ok)
    assert isinstance((await collect(ok, CONVERSATION, ChatOptions(temperature=0.3)))[-1], ChatResult)
    for handed in (None, CANARY):
        client = AzureChatClient(profile_for(strict, "gpt-4o", apiKeyEnv="CHATLS_CANARY_KEY"), api_key=handed)
        clients.append(client)
        with pytest.raises(AzureError) as caught:
            await collect(client, CONVERSATION, ChatOptions())
        errors.append(caught.value)
    async with httpx2.AsyncClient(transport=EchoKeyOn401()) as http:
        echoed = AzureChatClient(profile_for(strict, "gpt-4o"), api_key=CANARY, http_client=http)
        clients.append(echoed)
        with pytest.raises(AuthError) as caught:
            await collect(echoed, CONVERSATION, ChatOptions())
        errors.append(caught.value)
    assert "Access denied for key [redacted]." in caught.value.user_message

    texts = [caplog.text, *(repr(c) for c in clients), *(repr(c.profile) for c in clients)]
    for error in errors:
        texts += [str(error), repr(error), error.user_message, repr(error.args)]
        cause: BaseException | None = error
        while cause is not None:
            texts.append(repr(cause))
            cause = cause.__cause__ or (None if error.__suppress_context__ else cause.__context__)
    assert caplog.records, "DEBUG logging captured nothing: the check would be vacuous"
    leaks = [text for text in texts if CANARY in text]
    assert leaks == []
    for record in await good.requests() + await strict.requests():
        assert CANARY not in str(record)
    for client in clients:
        with contextlib.suppress(Exception):
            await client.aclose()
