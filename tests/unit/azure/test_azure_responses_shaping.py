"""The Responses wire's request body: instructions, input items, replayed reasoning, store, background."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from tests.unit.azure.shared_data import responses_schema_errors

from chatls.azure import (
    ChatMessage,
    ChatOptions,
    ConfigurationError,
    Conversation,
    ModelCapabilities,
    Profile,
    ToolCall,
    ToolSpec,
    resolve_capabilities,
)
from chatls.azure.healing import Lessons, apply_lessons
from chatls.azure.wires.chat import shape_request
from chatls.azure.wires.responses import shape_responses

REASONING = replace(
    resolve_capabilities(model="gpt-5"),
    wires=("responses", "chat"),
    reasoning_summaries=True,
    encrypted_reasoning=True,
    parallel_tool_calls=False,
)
PRO = replace(REASONING, background=True, streaming=False)
REPLAY = {
    "wire": "responses",
    "reasoning": [{"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "e1"}],
}
CONVERSATION = Conversation(
    "Be brief.",
    (
        ChatMessage("user", "first question"),
        ChatMessage("assistant", "first answer", replay=REPLAY),
        ChatMessage("user", "second question"),
    ),
)


def profile(**settings: Any) -> Profile:
    return Profile.from_dict({"endpoint": "https://r.openai.azure.com", "deployment": "d", **settings})


DEFAULTS = ChatOptions()


def shape(
    options: ChatOptions = DEFAULTS,
    caps: ModelCapabilities = REASONING,
    conversation: Conversation = CONVERSATION,
    **settings: Any,
) -> dict[str, Any]:
    return shape_responses(conversation, options, caps, profile(**settings), "d").payload


def test_a_stateless_turn_replays_the_conversation_and_its_encrypted_reasoning() -> None:
    body = shape(ChatOptions(reasoning_effort="low", verbosity="low", max_completion_tokens=900))
    assert body["model"] == "d" and body["instructions"] == "Be brief."
    assert body["input"] == [
        {"role": "user", "content": "first question"},
        REPLAY["reasoning"][0],  # before the reply it belongs to
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
    ]
    assert body["store"] is False and body["include"] == ["reasoning.encrypted_content"]
    assert body["reasoning"] == {"effort": "low", "summary": "auto"}
    assert body["text"] == {"verbosity": "low"} and body["max_output_tokens"] == 900
    assert body["stream"] is True and "background" not in body and "previous_response_id" not in body
    assert responses_schema_errors(body, "v1") == []


def test_summaries_are_not_requested_when_the_user_turned_them_off_or_the_model_has_none() -> None:
    assert "reasoning" not in shape(ChatOptions(reasoning_summaries=False))
    assert "reasoning" not in shape(caps=replace(REASONING, reasoning_summaries=False))


def test_reasoning_from_another_wire_or_without_encryption_is_never_sent_back() -> None:
    chat_reply = replace(CONVERSATION.messages[1], replay={"wire": "chat", "reasoning": REPLAY["reasoning"]})
    other = Conversation("x", (CONVERSATION.messages[0], chat_reply, CONVERSATION.messages[2]))
    assert all(item.get("type") != "reasoning" for item in shape(conversation=other)["input"])
    body = shape(caps=replace(REASONING, encrypted_reasoning=False))
    assert "include" not in body and all(item.get("type") != "reasoning" for item in body["input"])


def test_store_opt_in_chains_on_the_previous_response_and_sends_only_what_follows() -> None:
    stored = replace(CONVERSATION.messages[1], replay={"wire": "responses", "response_id": "resp_9"})
    conversation = Conversation("Be brief.", (CONVERSATION.messages[0], stored, CONVERSATION.messages[2]))
    body = shape(conversation=conversation, store=True)
    assert body["store"] is True and body["previous_response_id"] == "resp_9"
    assert body["input"] == [{"role": "user", "content": "second question"}]
    assert body["instructions"] == "Be brief."  # never carried over by previous_response_id
    assert "include" not in body


def test_pro_models_run_in_the_background_and_say_azure_keeps_the_reply() -> None:
    shaped = shape_responses(CONVERSATION, ChatOptions(), PRO, profile(), "d")
    assert shaped.background and shaped.payload["background"] is True and shaped.payload["store"] is True
    assert shaped.payload["stream"] is False and not shaped.stream
    assert any("Azure keeps this reply" in note for note in shaped.adaptations)
    assert not shape_responses(CONVERSATION, ChatOptions(), PRO, profile(background=False), "d").background
    assert shape_responses(CONVERSATION, ChatOptions(background=True), REASONING, profile(), "d").background


def test_a_dated_api_version_gets_neither_background_nor_encrypted_reasoning() -> None:
    shaped = shape_responses(CONVERSATION, ChatOptions(), PRO, profile(apiVersion="2025-04-01-preview"), "d")
    assert not shaped.background and "background" not in shaped.payload and "include" not in shaped.payload
    assert any("predates it" in note for note in shaped.adaptations)


def test_a_dated_api_version_before_responses_is_refused_before_sending() -> None:
    with pytest.raises(ConfigurationError) as caught:
        shape(apiVersion="2024-10-21")
    assert caught.value.key == "apiVersion" and "v1" in caught.value.user_message


def test_tools_are_flat_and_parallel_tool_calls_is_never_sent() -> None:
    spec = ToolSpec(
        "read_file", "Reads a file", {"type": "object", "properties": {"path": {"type": "string"}}}
    )
    body = shape(ChatOptions(tools=(spec,), tool_choice="read_file"))
    assert body["tools"] == [
        {
            "type": "function",
            "name": "read_file",
            "description": "Reads a file",
            "parameters": spec.parameters,
            "strict": False,
        }
    ]
    assert body["tool_choice"] == {"type": "function", "name": "read_file"}
    assert "parallel_tool_calls" not in body  # never sent: o-series and -pro refuse the parameter itself
    assert responses_schema_errors(body, "v1") == []


def test_tool_turns_replay_as_function_call_items_on_responses_and_tool_messages_on_chat() -> None:
    call = ToolCall("call_1", "read_file", '{"path": "a.py"}')
    conversation = Conversation(
        None,
        (
            ChatMessage("user", "read a.py"),
            ChatMessage("assistant", "", tool_calls=(call,)),
            ChatMessage("tool", "print(1)", call_id="call_1"),
        ),
    )
    assert shape(conversation=conversation)["input"][1:] == [
        {"type": "function_call", "call_id": "call_1", "name": "read_file", "arguments": '{"path": "a.py"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "print(1)"},
    ]
    messages = shape_request(conversation, ChatOptions(), REASONING, "v1", "d").payload["messages"]
    assert messages[1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"path": "a.py"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "print(1)"},
    ]


def test_what_the_deployment_refused_is_not_sent_again() -> None:
    lessons = Lessons(rejected_parameters=frozenset({"reasoning_summary", "temperature", "include"}))
    caps = apply_lessons(replace(REASONING, sampling=frozenset({"temperature"})), lessons)
    body = shape(ChatOptions(reasoning_effort="low", temperature=0.3), caps=caps)
    assert body["reasoning"] == {"effort": "low"}
    assert "temperature" not in body and "include" not in body


def test_instructions_are_folded_for_a_model_that_takes_none() -> None:
    caps = replace(REASONING, instructions="fold")
    shaped = shape_responses(CONVERSATION, ChatOptions(), caps, profile(), "d")
    assert "instructions" not in shaped.payload
    assert shaped.payload["input"][0] == {"role": "user", "content": "Be brief.\n\nfirst question"}


PARTS = ("File: big.py\n```\nx\n```", "The git diff:\n```diff\n-a\n```")
ATTACHED = Conversation("Be brief.", (ChatMessage("user", "Review this", parts=PARTS),))


def test_attachments_are_input_text_parts_before_the_prompt() -> None:
    body = shape(conversation=ATTACHED)
    assert body["input"] == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "File: big.py\n```\nx\n```"},
                {"type": "input_text", "text": "The git diff:\n```diff\n-a\n```"},
                {"type": "input_text", "text": "Review this"},
            ],
        }
    ]
    assert responses_schema_errors(body, "v1") == []


def test_folded_instructions_go_first_as_a_part_of_their_own() -> None:
    shaped = shape_responses(ATTACHED, ChatOptions(), replace(REASONING, instructions="fold"), profile(), "d")
    (question,) = shaped.payload["input"]
    assert [part["text"] for part in question["content"]] == [
        "Be brief.",
        "File: big.py\n```\nx\n```",
        "The git diff:\n```diff\n-a\n```",
        "Review this",
    ]
