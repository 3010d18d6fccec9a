"""model-router: each reply reports the model the router picked; that never re-types the deployment.

Ten turns, each answered by a differently reported model, send the identical request shape and store no
lesson from the reported models (issue 11, "Must show"). Real SDK over HTTP against the emulator.
"""

from __future__ import annotations

from tests.adapter.conftest import MakeClient, MemoryLessons, collect

from chatls.azure import ChatMessage, ChatOptions, ChatResult, Conversation
from chatls.azure.capabilities import resolve_capabilities
from chatls.emulator.fixture import RunningEmulator

PICKS = [
    "gpt-4o-2024-11-20",
    "gpt-5-mini-2025-08-07",
    "gpt-4.1-nano-2025-04-14",
    "o4-mini-2025-04-16",
    "gpt-4o-mini-2024-07-18",
    "gpt-5-2025-08-07",
    "gpt-4.1-2025-04-14",
    "o3-mini-2025-01-31",
    "gpt-5-nano-2025-08-07",
    "gpt-4.1-mini-2025-04-14",
]
# No effort here: the emulator judges each request by the picked model (gpt-4o refuses reasoning_effort),
# stricter than the router, which passes the effort to reasoning picks only (MR).
WISHES = ChatOptions(max_completion_tokens=500, temperature=0.3, verbosity="high")


def test_a_reported_model_never_re_types_a_router_deployment() -> None:
    shapes = set()
    for pick in PICKS:
        caps = resolve_capabilities(deployment="model-router", observed_model=pick)
        assert (caps.family, caps.router, caps.details["reportedModel"]) == ("model-router", True, pick)
        shapes.add((caps.instructions, caps.token_parameter, caps.sampling, caps.reasoning_efforts))
    assert shapes == {("system", "max_completion_tokens", frozenset(), ("low", "medium", "high"))}
    by_profile = resolve_capabilities(model="model-router", deployment="my-router", observed_model=PICKS[0])
    assert (by_profile.family, by_profile.resolution) == ("model-router", "table")


async def test_ten_turns_answered_by_ten_models_send_one_request_shape(
    emulator: RunningEmulator, make_client: MakeClient, lessons: MemoryLessons
) -> None:
    client = make_client("model-router")
    conversation = Conversation("Be brief.", (ChatMessage("user", "hello"),))
    answered_by = []
    for pick in PICKS:
        await emulator.set_deployment("model-router", model=pick)
        events = await collect(client, conversation, WISHES)
        result = events[-1]
        assert isinstance(result, ChatResult)
        answered_by.append(result.model)
        assert client.capabilities.family == "model-router"
    assert answered_by == PICKS  # the model that answered is shown per reply
    requests = await emulator.chat_requests("model-router")
    assert [r["status"] for r in requests] == [200] * len(PICKS)  # nothing refused, nothing healed
    bodies = [r["body"] for r in requests]
    assert all(body == bodies[0] for body in bodies)
    first = bodies[0]
    assert first["messages"][0]["role"] == "system"
    assert first["max_completion_tokens"] == 500
    assert not {"temperature", "top_p", "verbosity", "max_tokens"} & set(first)
    assert lessons.data == {}  # no reported model became a lesson
