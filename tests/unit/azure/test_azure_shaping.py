"""Request shaping for every row of the capability table: the exact payload, valid against the spec.

EXPECTED is written by hand from ../shared/azure/capabilities.md (sections a and b), not derived from
capabilities.toml, so a wrong row shows up here as a failing family.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import pytest
from tests.unit.azure.shared_data import schema_errors

from chatls.azure import (
    ChatMessage,
    ChatOptions,
    ConfigurationError,
    Conversation,
    ModelCapabilities,
    ShapedRequest,
    load_capabilities,
    resolve_capabilities,
    shape_request,
)
from chatls.azure.capabilities import capabilities_for_family
from chatls.azure.healing import Lessons, apply_lessons

INSTRUCTIONS = "Answer briefly."
CONVERSATION = Conversation(
    INSTRUCTIONS,
    (
        ChatMessage("user", "What is a monad?"),
        ChatMessage("assistant", "A design pattern."),
        ChatMessage("user", "Show one in Python."),
    ),
)
WISHES = ChatOptions(max_completion_tokens=1000, temperature=0.2, reasoning_effort="high", verbosity="low")


def shape(
    conversation: Conversation,
    options: ChatOptions,
    caps: ModelCapabilities,
    api_version: str,
    deployment: str,
) -> ShapedRequest:
    """shape_request, and every payload it makes is checked against the schema of its api-version."""
    shaped = shape_request(conversation, options, caps, api_version, deployment)
    assert schema_errors(shaped.payload, api_version) == []
    return shaped


class Expect(NamedTuple):
    instructions: str  # "system" | "developer" | "fold"
    token_parameter: str
    temperature: bool
    reasoning_effort: bool
    verbosity: bool
    stream: bool
    oldest_dated: str  # oldest dated api-version the family is served on ("2024-10-21": any GA)


CLASSIC = Expect("system", "max_tokens", True, False, False, True, "2024-10-21")
GPT5 = Expect("developer", "max_completion_tokens", False, True, True, True, "2025-04-01-preview")
CODEX = GPT5._replace(verbosity=False)  # the codex rows' verbosity is ⚠: not sent
CHAT_PREVIEW = GPT5._replace(reasoning_effort=False, verbosity=False)  # effort medium only ⚠
ROUTED = Expect("system", "max_completion_tokens", False, True, False, True, "2024-12-01-preview")
EXPECTED: dict[str, Expect] = {
    "unknown": Expect("system", "max_completion_tokens", False, False, False, True, "2024-10-21"),
    "gpt-35-turbo": CLASSIC,
    "gpt-4o": CLASSIC,
    "gpt-4o-mini": CLASSIC,
    "gpt-4.1": CLASSIC,
    "gpt-4.1-mini": CLASSIC,
    "gpt-4.1-nano": CLASSIC,
    "o1-preview": Expect("fold", "max_completion_tokens", False, False, False, False, "2024-09-01-preview"),
    "o1-mini": Expect("fold", "max_completion_tokens", False, False, False, False, "2024-09-01-preview"),
    "o1": Expect("developer", "max_completion_tokens", False, True, False, False, "2024-12-01-preview"),
    "o3-mini": Expect("developer", "max_completion_tokens", False, True, False, True, "2024-12-01-preview"),
    "o3": Expect("developer", "max_completion_tokens", False, True, False, False, "2025-04-01-preview"),
    "o4-mini": Expect("developer", "max_completion_tokens", False, True, False, True, "2025-04-01-preview"),
    "o1-pro": CODEX._replace(stream=False),
    "o3-pro": CODEX._replace(stream=False),
    "codex-mini": CODEX,
    "gpt-4": CLASSIC,
    "gpt-5": GPT5,
    "gpt-5-mini": GPT5,
    "gpt-5-nano": GPT5,
    "gpt-5-chat": CLASSIC,
    "gpt-5-codex": GPT5,
    "gpt-5-pro": GPT5._replace(stream=False),
    "gpt-5.1": GPT5._replace(oldest_dated="2025-03-01-preview"),
    "gpt-5.1-chat": CHAT_PREVIEW,
    "gpt-5.1-codex": CODEX,
    "gpt-5.1-codex-mini": CODEX,
    "gpt-5.1-codex-max": CODEX,
    "gpt-5.2": GPT5,
    "gpt-5.2-chat": CHAT_PREVIEW,
    "gpt-5.2-codex": CODEX,
    "gpt-5.3-chat": CHAT_PREVIEW,
    "gpt-5.3-codex": CODEX,
    "gpt-5.4": GPT5,
    "gpt-5.4-mini": GPT5,
    "gpt-5.4-nano": GPT5,
    "gpt-5.4-pro": GPT5,
    "gpt-5.5": GPT5,
    "gpt-chat-latest": Expect("system", "max_completion_tokens", False, False, False, True, "2024-10-21"),
    "gpt-5.6-sol": GPT5,
    "gpt-5.6-terra": GPT5,
    "gpt-5.6-luna": GPT5,
    "gpt-6-astra": GPT5,
    "gpt-6-sol": GPT5,
    "gpt-6-luna": GPT5,
    "gpt-6.1-sol": GPT5,
    "model-router": ROUTED,
    "gpt-oss-120b": ROUTED,
    "gpt-oss-20b": ROUTED,
}


def expected_payload(family: str, expect: Expect, api_version: str) -> dict[str, Any]:
    turns = [{"role": m.role, "content": m.content} for m in CONVERSATION.messages]
    if expect.instructions == "fold":
        turns[0] = {"role": "user", "content": f"{INSTRUCTIONS}\n\nWhat is a monad?"}
        messages = turns
    else:
        messages = [{"role": expect.instructions, "content": INSTRUCTIONS}, *turns]
    payload: dict[str, Any] = {"model": f"dep-{family}", "messages": messages, expect.token_parameter: 1000}
    if expect.temperature:
        payload["temperature"] = 0.2
    if expect.reasoning_effort:
        payload["reasoning_effort"] = "high"
    if expect.verbosity:
        payload["verbosity"] = "low"
    payload["stream"] = expect.stream
    if expect.stream:
        payload["stream_options"] = {"include_usage": True}
    return payload


CASES = [(family, version) for family, expect in EXPECTED.items() for version in ("v1", expect.oldest_dated)]


def test_every_table_row_has_an_expectation() -> None:
    assert set(load_capabilities().rows) == set(EXPECTED)


@pytest.mark.parametrize(("family", "api_version"), CASES)
def test_payload_for_every_family(family: str, api_version: str, validate_request: Any) -> None:
    expect = EXPECTED[family]
    caps = capabilities_for_family(family)
    shaped = shape(CONVERSATION, WISHES, caps, api_version, f"dep-{family}")
    assert shaped.payload == expected_payload(family, expect, api_version)
    assert shaped.stream is expect.stream
    assert validate_request(shaped.payload, api_version) == []


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_every_dropped_wish_is_explained_once(family: str) -> None:
    expect = EXPECTED[family]
    caps = capabilities_for_family(family)
    notes = shape(CONVERSATION, WISHES, caps, "v1", "d").adaptations
    assert len(notes) == len(set(notes))
    assert any(n.startswith("temperature 0.2 not sent") for n in notes) is not expect.temperature
    assert any(n.startswith("reasoning effort 'high' not sent") for n in notes) is not expect.reasoning_effort
    assert any(n.startswith("verbosity 'low' not sent") for n in notes) is not expect.verbosity
    assert any(n.startswith("streaming off") for n in notes) is not expect.stream
    assert any(n.startswith("instructions sent in the first message") for n in notes) is (
        expect.instructions == "fold"
    )


def test_the_issue_example_note() -> None:
    caps = resolve_capabilities(model="o3-mini")
    shaped = shape(CONVERSATION, ChatOptions(temperature=0.2), caps, "v1", "my-o3")
    assert shaped.adaptations == ("temperature 0.2 not sent: o3-mini only accepts the default",)
    assert "temperature" not in shaped.payload


def test_an_effort_the_model_does_not_know_is_dropped_with_the_accepted_values() -> None:
    caps = resolve_capabilities(model="o3-mini")
    shaped = shape(CONVERSATION, ChatOptions(reasoning_effort="minimal"), caps, "v1", "d")
    assert "reasoning_effort" not in shaped.payload
    assert shaped.adaptations == ("reasoning effort 'minimal' not sent: o3-mini accepts low, medium, high",)


def test_gpt5_minimal_effort_is_sent_and_valid_despite_the_spec(validate_request: Any) -> None:
    caps = resolve_capabilities(model="gpt-5")
    shaped = shape(CONVERSATION, ChatOptions(reasoning_effort="minimal"), caps, "v1", "d")
    assert shaped.payload["reasoning_effort"] == "minimal"
    assert validate_request(shaped.payload, "v1") == []


def test_too_many_completion_tokens_are_lowered_to_the_model_limit() -> None:
    caps = resolve_capabilities(model="gpt-4o-2024-05-13")
    shaped = shape(CONVERSATION, ChatOptions(max_completion_tokens=20000), caps, "2024-10-21", "d")
    assert shaped.payload["max_tokens"] == 4096
    assert shaped.adaptations == ("maxCompletionTokens 20000 lowered to 4096: the most gpt-4o produces",)


def test_api_version_older_than_the_model_is_a_configuration_error_naming_the_key() -> None:
    caps = resolve_capabilities(model="o3-mini")
    with pytest.raises(ConfigurationError) as caught:
        shape(CONVERSATION, WISHES, caps, "2024-10-21", "d")
    assert caught.value.key == "apiVersion"
    assert "2024-12-01-preview" in caught.value.user_message


def test_developer_role_on_an_api_version_that_predates_it_is_folded() -> None:
    caps = replace(resolve_capabilities(model="o3-mini"), min_api_version="")
    shaped = shape(CONVERSATION, ChatOptions(), caps, "2024-10-21", "d")
    assert shaped.payload["messages"][0] == {"role": "user", "content": f"{INSTRUCTIONS}\n\nWhat is a monad?"}
    assert "predates the developer role" in shaped.adaptations[0]


def test_old_api_versions_get_max_tokens_and_no_stream_options(validate_request: Any) -> None:
    caps = resolve_capabilities(deployment="mystery")
    shaped = shape(CONVERSATION, ChatOptions(max_completion_tokens=50), caps, "2024-06-01", "mystery")
    assert shaped.payload == {
        "model": "mystery",
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            *expected_payload("x", EXPECTED["gpt-4o"], "")["messages"][1:],
        ],
        "max_tokens": 50,
        "stream": True,
    }
    assert validate_request(shaped.payload, "2024-06-01") == []


def test_no_instructions_no_system_message_and_no_stream_when_not_asked() -> None:
    caps = resolve_capabilities(model="gpt-4o")
    conversation = Conversation("  ", (ChatMessage("user", "hi"),))
    shaped = shape(conversation, ChatOptions(stream=False), caps, "v1", "d")
    assert shaped.payload == {"model": "d", "messages": [{"role": "user", "content": "hi"}], "stream": False}
    assert shaped.adaptations == ()


def test_folding_without_any_user_turn_adds_one() -> None:
    caps = resolve_capabilities(model="o1-mini")
    conversation = Conversation("Be terse.", (ChatMessage("assistant", "Hello."),))
    messages = shape(conversation, ChatOptions(), caps, "v1", "d").payload["messages"]
    assert messages == [{"role": "user", "content": "Be terse."}, {"role": "assistant", "content": "Hello."}]


def test_an_empty_conversation_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one message"):
        shape(Conversation(None, ()), ChatOptions(), resolve_capabilities(), "v1", "d")


def test_lessons_change_the_request_and_the_note_blames_the_deployment() -> None:
    lessons = Lessons(
        rejected_parameters=frozenset({"temperature", "stream_options"}),
        token_parameter="max_completion_tokens",
        instructions="fold",
    )
    caps = apply_lessons(resolve_capabilities(model="gpt-4o"), lessons)
    shaped = shape(CONVERSATION, WISHES, caps, "v1", "d")
    assert shaped.payload == {
        "model": "d",
        "messages": [
            {"role": "user", "content": f"{INSTRUCTIONS}\n\nWhat is a monad?"},
            {"role": "assistant", "content": "A design pattern."},
            {"role": "user", "content": "Show one in Python."},
        ],
        "max_completion_tokens": 1000,
        "stream": True,
    }
    assert "temperature 0.2 not sent: this deployment only accepts the default" in shaped.adaptations
    assert (
        "instructions sent in the first message: this deployment takes no system message"
        in shaped.adaptations
    )


def test_shaping_does_not_touch_the_conversation() -> None:
    caps = resolve_capabilities(model="o1-mini")
    before = repr(CONVERSATION)
    shape(CONVERSATION, WISHES, caps, "v1", "d")
    assert repr(CONVERSATION) == before


@pytest.mark.parametrize("api_version", ["v1", "2025-04-01-preview", "2024-12-01-preview"])
def test_the_schema_check_is_not_vacuous(api_version: str, validate_request: Any) -> None:
    good = {"model": "d", "messages": [{"role": "user", "content": "hi"}]}
    assert validate_request(good, api_version) == []
    assert validate_request({**good, "messages": []}, api_version)
    assert validate_request({**good, "reasoning_effort": "extreme"}, api_version)
    assert validate_request({**good, "messages": [{"role": "wizard", "content": "hi"}]}, api_version)


def test_attachments_are_text_parts_before_the_prompt_and_folded_instructions_go_first() -> None:
    file_part, diff_part = "File: big.py\n```\nx\n```", "The git diff:\n```diff\n-a\n```"
    attached = Conversation(INSTRUCTIONS, (ChatMessage("user", "Review this", parts=(file_part, diff_part)),))
    shaped = shape(attached, ChatOptions(), resolve_capabilities(model="gpt-4o"), "2024-10-21", "d")
    assert shaped.payload["messages"] == [
        {"role": "system", "content": INSTRUCTIONS},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": file_part},
                {"type": "text", "text": diff_part},
                {"type": "text", "text": "Review this"},
            ],
        },
    ]
    caps = replace(resolve_capabilities(model="o3-mini"), min_api_version="")
    folded = shape(attached, ChatOptions(), caps, "2024-10-21", "d").payload["messages"]
    texts = [part["text"] for part in folded[0]["content"]]
    assert texts == [INSTRUCTIONS, file_part, diff_part, "Review this"]
