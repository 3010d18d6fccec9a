"""The reply reserve is capped at the model's output limit before the input budget is computed (issue 11).

A profile asking for more completion tokens than the model can write must not starve the prompt: before
the cap, gpt-4o with maxCompletionTokens 130000 refused every prompt, and 64000 on a model ChatLS had
never heard of refused "Say hello".
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from pygls.exceptions import JsonRpcException
from tests.unit.test_chat_service_turns import (
    WORKSPACE,
    Environment,
    ScriptedBackend,
    reply,
    service_for,
    store,
)

from chatls.azure.capabilities import resolve_capabilities
from chatls.chat_service import Turn
from chatls.config import Settings
from chatls.errors import CONTEXT_TOO_LONG
from chatls.store import ConversationStore

__all__ = ["store"]  # the fixture, shared with the chat service's tests


def test_the_reserve_is_capped_at_the_output_limit() -> None:
    settings = Settings()
    assert settings.completion_reserve(130_000, reasoning=False, output_limit=16_384) == 16_384 + 256
    assert settings.completion_reserve(None, reasoning=True, output_limit=16_384) == 16_384 + 256
    assert settings.completion_reserve(2_000, reasoning=False, output_limit=16_384) == 2_000 + 256
    assert settings.completion_reserve(2_000, reasoning=False) == 2_000 + 256


async def say_hello(store: ConversationStore, model: str, max_completion_tokens: int) -> ScriptedBackend:
    backend = ScriptedBackend([reply("Hello!")], capabilities=resolve_capabilities(model=model))
    environment = Environment(store, backend)
    profile = replace(environment.profile, max_completion_tokens=max_completion_tokens)
    environment.profile, environment.settings = profile, Settings(profiles=(profile,))
    result = await service_for(environment).run_turn(Turn("Say hello", WORKSPACE), lambda d: None)
    assert result.content == "Hello!"
    return backend


async def test_gpt_4o_with_a_budget_above_its_window_still_takes_prompts(store: ConversationStore) -> None:
    backend = await say_hello(store, "gpt-4o", 130_000)
    assert [m.content for m in backend.sent[0].messages] == ["Say hello"]


async def test_an_inferred_model_with_a_large_reply_budget_says_hello(store: ConversationStore) -> None:
    backend = await say_hello(store, "gpt-5.9-mini", 64_000)
    assert backend.capabilities.resolution == "inferred"
    assert backend.capabilities.family == "gpt-5.4-mini"
    assert len(backend.sent) == 1


async def test_the_input_budget_is_still_enforced_after_the_cap(store: ConversationStore) -> None:
    backend = ScriptedBackend([reply("x")], capabilities=resolve_capabilities(model="gpt-35-turbo"))
    environment = Environment(store, backend)
    profile = replace(environment.profile, max_completion_tokens=130_000)
    environment.profile, environment.settings = profile, Settings(profiles=(profile,))
    with pytest.raises(JsonRpcException) as failure:
        await service_for(environment).run_turn(Turn("word " * 14_000, WORKSPACE), lambda d: None)
    assert failure.value.code == CONTEXT_TOO_LONG
    assert "4352 are kept for the reply" in str(failure.value)  # 4,096 (the model's limit) + 256
    assert backend.sent == []
