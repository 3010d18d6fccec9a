"""An extra key header, as an API Management gateway takes (`Ocp-Apim-Subscription-Key`), through the SDK.

The SDK clients below send the key in the gateway header alone: `api-key` and `Authorization` are
omitted per request, as a client configured for a gateway does.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import openai
import pytest

from chatls.emulator.command import profile_for
from chatls.emulator.fixture import RunningEmulator, StartEmulator

GATEWAY_HEADER = "Ocp-Apim-Subscription-Key"
CANARY = "gateway-canary-5d1e"
NO_BUILT_IN_AUTH: dict[str, Any] = {"api-key": openai.Omit(), "Authorization": openai.Omit()}


def gateway_clients(url: str, key: str, header: str = GATEWAY_HEADER) -> list[openai.AsyncOpenAI]:
    """A dated-route and a v1-route client that carry the key only in ``header``."""
    return [
        openai.AsyncAzureOpenAI(
            azure_endpoint=url,
            api_key="unused",
            api_version="2024-10-21",
            default_headers={header: key},
            max_retries=0,
        ),
        openai.AsyncOpenAI(
            base_url=f"{url}/openai/v1/", api_key="unused", default_headers={header: key}, max_retries=0
        ),
    ]


async def ask(client: openai.AsyncOpenAI) -> str | None:
    reply = await client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "via gateway"}], extra_headers=NO_BUILT_IN_AUTH
    )
    return reply.choices[0].message.content


async def control(emulator: RunningEmulator, method: str, payload: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{emulator.control_url}/auth", json=payload) as response,
    ):
        return response.status, await response.json()


@pytest.mark.parametrize("route", [0, 1], ids=["dated", "v1"])
async def test_the_gateway_header_carries_the_key(start_emulator: StartEmulator, route: int) -> None:
    emu = await start_emulator(f'[server]\napi_keys = ["{CANARY}"]\napi_key_header = "{GATEWAY_HEADER}"\n')
    right = gateway_clients(emu.url, CANARY)[route]
    wrong_key = gateway_clients(emu.url, "not-the-key")[route]
    wrong_header = gateway_clients(emu.url, CANARY, header="X-Subscription-Key")[route]
    assert await ask(right) == "Echo from gpt-4o: via gateway"
    for refused in (wrong_key, wrong_header):
        with pytest.raises(openai.AuthenticationError) as caught:
            await ask(refused)
        assert (caught.value.status_code, caught.value.code) == (401, "401")
    for client in (right, wrong_key, wrong_header):
        await client.close()

    statuses = [(r["status"], r["headers"]) for r in await emu.chat_requests()]
    assert [status for status, _ in statuses] == [200, 401, 401]
    ok_headers = statuses[0][1]
    assert ok_headers[GATEWAY_HEADER.lower()] == "<redacted>"
    assert "api-key" not in ok_headers and "authorization" not in ok_headers
    assert statuses[2][1]["x-subscription-key"] == "<redacted>"  # a key in the wrong header is still secret
    assert CANARY not in str(await emu.requests())


async def test_the_gateway_header_is_set_at_run_time_until_reset(emulator: RunningEmulator) -> None:
    header = "X-Gateway-Key"
    client = gateway_clients(emulator.url, "any-key", header=header)[0]
    with pytest.raises(openai.AuthenticationError):  # not a header the emulator reads yet
        await ask(client)

    assert await control(emulator, "POST", {"api_key_header": header}) == (200, {"api_key_header": header})
    assert await control(emulator, "GET") == (200, {"api_key_header": header})
    assert await ask(client) == "Echo from gpt-4o: via gateway"
    assert (await emulator.chat_requests())[-1]["headers"][header.lower()] == "<redacted>"

    await emulator.reset()  # back to the config: no extra header
    with pytest.raises(openai.AuthenticationError):
        await ask(client)
    await emulator.set_api_key_header(header)  # the fixture helper does the same as the endpoint
    assert await ask(client) == "Echo from gpt-4o: via gateway"
    await emulator.set_api_key_header(None)
    with pytest.raises(openai.AuthenticationError):
        await ask(client)
    await client.close()


@pytest.mark.parametrize(
    ("payload", "param", "message"),
    [
        ({"api_key_header": "bad header"}, "api_key_header", "expected an HTTP header name"),
        ({"api_key_header": "Authorization"}, "api_key_header", "is always accepted"),
        ({"api_key_header": 7}, "api_key_header", "expected an HTTP header name"),
        ({"header": "X-Key"}, "header", "expected: api_key_header"),
    ],
)
async def test_bad_gateway_header_settings_are_refused(
    emulator: RunningEmulator, payload: dict[str, Any], param: str, message: str
) -> None:
    status, body = await control(emulator, "POST", payload)
    assert status == 400
    assert body["error"]["param"] == param
    assert message in body["error"]["message"]
    assert await control(emulator, "GET") == (200, {"api_key_header": None})


def test_the_printed_profile_uses_the_gateway_header() -> None:
    from chatls.emulator.config import load_config

    gateway = profile_for("http://127.0.0.1:1", load_config({"server": {"api_key_header": GATEWAY_HEADER}}))
    assert gateway["apiKeyHeader"] == GATEWAY_HEADER
    assert "apiKeyHeader" not in profile_for("http://127.0.0.1:1", load_config(None))
