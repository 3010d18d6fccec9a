"""A deployment with a neutral name, for each catalogue family: at most two refused requests before the
right one, and a restarted server (same lesson store, new client) sends it right the first time.

The first request follows the conservative unknown row; Azure's refusals heal it (or switch the wire),
and the reported model re-types the deployment. Families come from the adapter's table; the emulator
judges each request by its own reading of the catalogue.
"""

from __future__ import annotations

import pytest
from tests.adapter.conftest import MakeClient, MemoryLessons, collect

from chatls.azure import ChatMessage, ChatOptions, ChatResult, Conversation
from chatls.azure.capabilities import load_capabilities, resolve_capabilities
from chatls.emulator.fixture import RunningEmulator

CONVERSATION = Conversation("Be brief.", (ChatMessage("user", "hello"),))
OPTIONS = ChatOptions(max_completion_tokens=2000)
FAMILIES = sorted(
    family
    for family in load_capabilities().rows
    if family != "unknown"
    and not resolve_capabilities(model=family).details.get("retired")
    and not resolve_capabilities(model=family).router  # tests/adapter/test_adapter_router.py
    and family != "gpt-4"  # turbo-2024-04-09: in the catalogue, not emulated (the emulator's own reading)
)


async def requests_to(emulator: RunningEmulator, deployment: str) -> list[dict[str, object]]:
    routes = ("/completions", "/responses")
    return [r for r in await emulator.requests(deployment) if str(r["path"]).endswith(routes)]


@pytest.mark.parametrize("family", FAMILIES)
async def test_a_neutral_name_reaches_the_right_request_and_a_restart_keeps_it(
    family: str, emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    await emulator.set_deployment("team-model", model=family)
    events = await collect(make_client("team-model"), CONVERSATION, OPTIONS)
    assert isinstance(events[-1], ChatResult)
    first_turn = await requests_to(emulator, "team-model")
    refused = [r for r in first_turn if r["status"] != 200]
    assert len(refused) <= 2, [(r["status"], r.get("error_code"), r.get("error_param")) for r in first_turn]
    assert first_turn[-1]["status"] == 200

    await emulator.reset()
    await emulator.set_deployment("team-model", model=family)
    restarted = make_client("team-model")
    assert restarted.capabilities.family == family
    again = await collect(restarted, CONVERSATION, OPTIONS)
    assert isinstance(again[-1], ChatResult)
    assert [r["status"] for r in await requests_to(emulator, "team-model")] == [200]
