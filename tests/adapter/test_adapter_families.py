"""Every model family gets the right request the first time: one request, answered 200, no healing, on
the wire the family prefers (Chat Completions or Responses).

The emulator's rule table is its own (chatls.emulator.families); agreement here is two independent
readings of ../shared/azure agreeing. Every family of the emulator's table is a family of the adapter's.
"""

from __future__ import annotations

import pytest
from tests.adapter.conftest import MakeClient, MemoryLessons, collect

from chatls.azure import (
    ChatMessage,
    ChatOptions,
    ChatResult,
    ContentEvent,
    Conversation,
    ReasoningEvent,
    RunStartedEvent,
    StatusEvent,
    Usage,
)
from chatls.azure.capabilities import load_capabilities
from chatls.emulator.families import FAMILIES
from chatls.emulator.fixture import RunningEmulator

CONVERSATION = Conversation("Be brief.", (ChatMessage("user", "Say hello to the adapter tests."),))
WISHES = ChatOptions(max_completion_tokens=500, temperature=0.3, reasoning_effort="low", verbosity="low")
DATED = {
    "gpt-35-turbo": "2024-10-21",
    "gpt-4o": "2024-10-21",
    "gpt-4o-mini": "2024-06-01",
    "gpt-4.1": "2025-04-01-preview",
    "gpt-4.1-mini": "2024-10-21",
    "gpt-4.1-nano": "2025-01-01-preview",
    "o1-preview": "2024-09-01-preview",
    "o1-mini": "2024-10-01-preview",
    "o1": "2024-12-01-preview",
    "o3-mini": "2025-01-01-preview",
    "o3": "2025-04-01-preview",
    "o4-mini": "2025-04-01-preview",
    "gpt-5": "2025-04-01-preview",
    "gpt-5-mini": "2025-04-01-preview",
    "gpt-5-nano": "2025-04-01-preview",
    "gpt-5-chat": "2025-04-01-preview",
    "gpt-5.1": "2025-03-01-preview",
    "gpt-5.1-chat": "2025-04-01-preview",
}
RESPONSES_DATED = "2025-04-01-preview"
"""The dated version for families newer than the table above (every one of them has Responses)."""
CASES = [(family, version) for family in FAMILIES for version in ("v1", DATED.get(family, RESPONSES_DATED))]


def test_every_emulated_family_has_a_dated_case_and_an_adapter_row() -> None:
    assert set(DATED) <= set(FAMILIES)
    assert set(FAMILIES) <= set(load_capabilities().rows)


@pytest.mark.parametrize(("family", "api_version"), CASES)
async def test_first_request_succeeds(
    family: str, api_version: str, emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    client = make_client(family, apiVersion=api_version)
    events = await collect(client, CONVERSATION, WISHES)

    result = events[-1]
    assert isinstance(result, ChatResult)
    assert [e for e in events if isinstance(e, ChatResult)] == [result]
    (record,) = [r for r in await emulator.requests(family) if r["method"] == "POST"]  # polls are GETs
    wire = "responses" if record["path"].endswith("/responses") else "chat"
    assert result.wire == wire == client.capabilities.wires[0]
    assert (record["status"], record["error_code"]) == (200, None)
    assert result.content == record["reply"] != ""
    assert "".join(e.text for e in events if isinstance(e, ContentEvent)) == result.content
    if client.capabilities.router:  # the reply names the model the router picked
        assert result.model == record["model"] and not result.model.startswith(family)
    else:
        assert result.model.startswith(family)
    assert result.stop_reason == "complete"
    if wire == "chat" and record["stream"] and api_version < "2024-09-01":  # no include_usage before it
        assert result.usage == Usage()
    else:
        assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
        assert (result.usage.reasoning_tokens > 0) is FAMILIES[family].reasoning
    assert record["stream"] is client.capabilities.streaming
    if wire == "chat":
        assert all(isinstance(e, (StatusEvent, ContentEvent)) for e in events[:-1])
    else:  # the thinking (summaries) and a background run's start come before any answer text
        kinds = [type(e) for e in events[:-1] if not isinstance(e, StatusEvent)]
        first_text = kinds.index(ContentEvent)
        assert set(kinds[:first_text]) <= {ReasoningEvent, RunStartedEvent}
        assert set(kinds[first_text:]) == {ContentEvent}
        assert (ReasoningEvent in kinds) is bool(result.reasoning)
    if client.capabilities.router:  # a router answers with many models: none re-types the deployment
        assert lessons.data == {}
    else:
        assert lessons.data == {(emulator.url.lower(), family): {"model": result.model}}
