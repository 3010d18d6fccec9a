"""Control endpoints over HTTP, and the in-thread fixture used by subprocess-driven tests."""

from __future__ import annotations

from typing import Any

import aiohttp
import openai
import pytest
from tests.emulator.helpers import azure_client, send

from chatls.emulator import state as state_module
from chatls.emulator.fixture import RunningEmulator, ThreadedEmulator

USER = [{"role": "user", "content": "hi"}]


async def control(emulator: RunningEmulator, method: str, path: str, payload: Any = None) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, emulator.control_url + path, json={} if payload is None and method == "POST" else payload
        ) as response,
    ):
        assert response.status == 200, await response.text()
        return await response.json()


async def test_fault_queue_and_request_log_over_http(emulator: RunningEmulator) -> None:
    queued = await control(emulator, "POST", "/faults", {"kind": "server_error", "status": 503, "count": 2})
    assert queued["faults"] == [{**queued["queued"][0], "remaining": 2}]
    client = azure_client(emulator.url, "secret-key-canary")
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            await send(client, "gpt-4o", {"messages": USER})
    assert (await control(emulator, "GET", "/faults"))["faults"] == []
    reply = await send(client, "gpt-4o", {"messages": USER, "temperature": 0.1})
    await client.close()
    assert reply.choices[0].message.content == "Echo from gpt-4o: hi"
    log = (await control(emulator, "GET", "/requests"))["requests"]
    assert [r["status"] for r in log] == [503, 503, 200]
    last = log[-1]
    assert last["method"] == "POST"
    assert last["path"] == "/openai/deployments/gpt-4o/chat/completions"
    assert last["query"] == {"api-version": "2024-12-01-preview"}
    assert last["body"] == {"model": "gpt-4o", "messages": USER, "temperature": 0.1}
    assert last["headers"]["api-key"] == "<redacted>"
    assert (last["stream"], last["disconnected"], last["finished"]) == (False, False, True)
    assert all("secret-key-canary" not in str(r) for r in log)
    assert (await control(emulator, "POST", "/reset")) == {"ok": True}
    assert (await control(emulator, "GET", "/requests"))["requests"] == []


async def test_deployment_changes_at_run_time(emulator: RunningEmulator) -> None:
    client = azure_client(emulator.url, emulator.api_key)
    assert (await send(client, "gpt-4o", {"messages": USER, "top_p": 0.5})).choices
    changed = await control(
        emulator, "POST", "/deployments", {"name": "gpt-4o", "reject_parameters": ["top_p"]}
    )
    assert changed["reject_parameters"] == {"top_p": "unsupported_parameter"}
    try:
        await send(client, "gpt-4o", {"messages": USER, "top_p": 0.5})
        raise AssertionError("top_p should now be refused")
    except openai.BadRequestError as error:
        assert (error.code, error.param) == ("unsupported_parameter", "top_p")
    added = await control(emulator, "POST", "/deployments", {"name": "team-o1", "model": "o1-2024-12-17"})
    assert added["model"] == "o1-2024-12-17" and added["streaming"] is False
    assert (await send(client, "team-o1", {"messages": USER})).model == "o1-2024-12-17"
    names = [d["name"] for d in (await control(emulator, "GET", "/deployments"))["deployments"]]
    assert "team-o1" in names
    await control(emulator, "DELETE", "/deployments/team-o1")
    await control(emulator, "POST", "/reset")
    assert (await send(client, "gpt-4o", {"messages": USER, "top_p": 0.5})).choices  # reset restores rules
    await client.close()


async def test_replies_and_timing_over_http(emulator: RunningEmulator) -> None:
    await control(emulator, "POST", "/replies", {"pattern": "^hi$", "reply": "scripted ```x```"})
    await control(emulator, "POST", "/timing", {"deployment": "gpt-4o", "tokens_per_second": 1000})
    deployments = {d["name"]: d for d in (await control(emulator, "GET", "/deployments"))["deployments"]}
    assert deployments["gpt-4o"]["timing"]["tokens_per_second"] == 1000
    client = azure_client(emulator.url, emulator.api_key)
    reply = await send(client, "gpt-4o", {"messages": USER})
    await client.close()
    assert reply.choices[0].message.content == "scripted ```x```"


def test_emulator_in_a_thread_serves_sync_clients(emulator_thread: ThreadedEmulator) -> None:
    emulator_thread.add_reply("ping", "pong")
    emulator_thread.set_deployment("gpt-4o", context_window=1000)
    client = openai.OpenAI(
        base_url=emulator_thread.v1_base_url, api_key=emulator_thread.api_key, max_retries=0
    )
    reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "ping"}])
    client.close()
    assert reply.choices[0].message.content == "pong"
    (record,) = emulator_thread.chat_requests()
    assert record["deployment"] == "gpt-4o"
    assert emulator_thread.wait_for_request()["status"] == 200
    emulator_thread.add_fault("rate_limit", retry_after=1)
    emulator_thread.reset()
    assert emulator_thread.requests() == []


async def test_control_refuses_text_plain_posts_and_foreign_hosts(emulator: RunningEmulator) -> None:
    """Issue 12 item 10: a web page can send neither a cross-origin text/plain POST nor a rebinding Host."""
    fault = '{"kind": "server_error"}'
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{emulator.control_url}/faults", data=fault, headers={"Content-Type": "text/plain"}
        ) as plain:
            assert plain.status == 415
        async with session.get(
            f"{emulator.control_url}/requests", headers={"Host": "evil.example:80"}
        ) as foreign:
            assert foreign.status == 403
        token = {"Host": "evil.example", "X-Emulator-Token": emulator.state.control_token}
        async with session.get(f"{emulator.control_url}/requests", headers=token) as with_token:
            assert with_token.status == 200
        async with session.get(
            f"{emulator.control_url}/requests", headers={"Host": "evil.example", "X-Emulator-Token": "guess"}
        ) as wrong_token:
            assert wrong_token.status == 403
    assert emulator.state.faults.pending() == []


async def test_request_log_is_bounded_by_size(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setattr(state_module, "LOG_BYTES_LIMIT", 3000)
    client = azure_client(emulator.url, emulator.api_key)
    for index in range(5):
        await send(client, "gpt-4o", {"messages": [{"role": "user", "content": f"{index} " + "x" * 1000}]})
    await client.close()
    log = emulator.state.requests()
    assert 1 < len(log) < 5
    assert log[-1]["body"]["messages"][0]["content"].startswith("4 ")
    assert emulator.state.log_bytes <= 3000


async def test_custom_gateway_key_header_is_redacted(emulator: RunningEmulator) -> None:
    await emulator.set_api_key_header("X-Gateway-Credential")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{emulator.url}/openai/v1/chat/completions",
            json={"model": "gpt-4o", "messages": USER},
            headers={"X-Gateway-Credential": "canary-gateway-key"},
        ) as response,
    ):
        assert response.status == 200
    assert "canary-gateway-key" not in str(emulator.state.requests())
