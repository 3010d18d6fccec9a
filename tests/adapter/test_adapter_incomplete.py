"""A stream that ends without saying it finished is an IncompleteReply keeping the partial text (issue 12
item 2), on both wires: what a proxy or gateway timeout does. A tiny aiohttp server plays the gateway,
and the emulator's own `no_terminal` fault is the independent witness."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from tests.adapter.conftest import MakeClient, collect

from chatls.azure import (
    AzureChatClient,
    ChatMessage,
    ChatOptions,
    Conversation,
    IncompleteReply,
    Profile,
    RetryPolicy,
)
from chatls.emulator.fixture import RunningEmulator

CONVERSATION = Conversation(None, (ChatMessage("user", "write a function"),))
HALF = "def area(r):\n    return 3.14 * r"
FAST = RetryPolicy(base_delay=0.01, max_backoff=0.02, jitter=0.0, max_attempts=2)


def chat_chunk(text: str) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-2024-11-20",
        "created": 0,
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }


def responses_events(text: str) -> list[dict[str, Any]]:
    created = {"id": "resp_1", "object": "response", "status": "in_progress", "model": "gpt-5", "output": []}
    events = [{"type": "response.created", "response": created}]
    if text:
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": text,
            }
        )
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def sse(payloads: list[dict[str, Any]], *, done: bool) -> bytes:
    lines = [f"data: {json.dumps(payload)}\n\n" for payload in payloads]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


Ending = str  # "done": [DONE] without a finish; "chunked": the chunked body just ends; "close": a
# Content-Length body, then the connection closes cleanly


class Gateway:
    """Answers every request with a stream cut short in the chosen way; counts requests."""

    def __init__(self, ending: Ending, text: str) -> None:
        self.ending, self.text, self.requests = ending, text, 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if request.path.endswith("/responses"):
            body = sse(responses_events(self.text), done=self.ending == "done")
        else:
            body = sse([chat_chunk(self.text)] if self.text else [], done=self.ending == "done")
        headers = {"Content-Type": "text/event-stream"}
        if self.ending == "close":
            return web.Response(body=body, headers={**headers, "Connection": "close"})
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        await response.write(body)
        await response.write_eof()
        return response


@pytest.fixture
async def gateway_client() -> AsyncIterator[Callable[..., Any]]:
    runners: list[web.AppRunner] = []
    clients: list[AzureChatClient] = []

    async def start(ending: Ending, text: str, **profile: Any) -> tuple[Gateway, AzureChatClient]:
        gateway = Gateway(ending, text)
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", gateway.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        settings = {"endpoint": f"http://127.0.0.1:{port}", "deployment": "d", "apiVersion": "v1", **profile}
        client = AzureChatClient(Profile.from_dict(settings), api_key="gateway-test-key", retry=FAST)
        clients.append(client)
        return gateway, client

    yield start
    for client in clients:
        await client.aclose()
    for runner in runners:
        await runner.cleanup()


@pytest.mark.parametrize("wire", ["chat", "responses"])
@pytest.mark.parametrize("ending", ["done", "chunked", "close"])
async def test_a_cut_stream_is_an_incomplete_reply_with_its_text_never_a_complete_one(
    gateway_client: Callable[..., Any], wire: str, ending: Ending
) -> None:
    gateway, client = await gateway_client(ending, HALF, wire=wire)
    with pytest.raises(IncompleteReply) as caught:
        await collect(client, CONVERSATION, ChatOptions())
    assert caught.value.partial == HALF and caught.value.kind == "incomplete_reply"
    assert "partial reply was kept" in caught.value.user_message
    assert gateway.requests == 1  # text was shown: never silently sent again


@pytest.mark.parametrize("wire", ["chat", "responses"])
async def test_a_stream_cut_before_any_text_is_retried_then_reported(
    gateway_client: Callable[..., Any], wire: str
) -> None:
    gateway, client = await gateway_client("chunked", "", wire=wire)
    with pytest.raises(IncompleteReply) as caught:
        await collect(client, CONVERSATION, ChatOptions())
    assert caught.value.partial == ""
    assert gateway.requests == FAST.max_attempts


@pytest.mark.parametrize("deployment", ["gpt-4o", "gpt-5"])  # Chat Completions, Responses
@pytest.mark.parametrize("form", ["clean_close", "chunked_end", "done"])
async def test_the_emulators_cut_stream_is_an_incomplete_reply_too(
    emulator: RunningEmulator, make_client: MakeClient, deployment: str, form: str
) -> None:
    await emulator.add_reply("function", HALF + " and more")
    await emulator.add_fault("no_terminal", form=form, count=5)
    with pytest.raises(IncompleteReply) as caught:
        await collect(make_client(deployment), CONVERSATION, ChatOptions())
    assert caught.value.partial and (HALF + " and more").startswith(caught.value.partial)
