"""The protocol boundary: strict structuring of params and camelCase payloads on the wire."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from chatls import protocol
from chatls.protocol import (
    ChatParams,
    ChatResult,
    ConversationParams,
    DeltaNotification,
    RawRequest,
    SetApiKeyParams,
    Usage,
    structure_params,
    unstructure,
)


def test_valid_chat_params_become_typed() -> None:
    params = structure_params(
        {
            "prompt": "Why?",
            "conversationId": "c1",
            "workspaceUri": "file:///w",
            "reasoningEffort": "high",
            "context": {"uri": "file:///w/a.py", "range": {"start": {"line": 1, "character": 0},
                                                            "end": {"line": 2, "character": 4}}},
        },
        ChatParams,
    )  # fmt: skip
    assert params.prompt == "Why?"
    assert (params.conversation_id, params.workspace_uri, params.reasoning_effort) == (
        "c1",
        "file:///w",
        "high",
    )
    assert params.context is not None and params.context.range == types.Range(
        types.Position(1, 0), types.Position(2, 4)
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "params must be an object, got NoneType"),
        ([1], "params must be an object, got list"),
        ("x", "params must be an object, got str"),
        ({}, "invalid params: required field missing @ $.prompt"),
        ({"prompt": 5}, "expected a string, got an integer @ $.prompt"),
        ({"prompt": None}, "@ $.prompt"),
        ({"prompt": "x", "conversationId": 7}, "@ $.conversationId"),
        ({"prompt": "x", "context": {"uri": 1}}, "@ $.context.uri"),
        (
            {"prompt": "x", "context": {"uri": "u", "range": {}}},
            "required field missing @ $.context.range.start",
        ),
    ],
)
def test_wrong_chat_params_are_invalid_params_naming_the_camel_case_path(raw: Any, message: str) -> None:
    with pytest.raises(JsonRpcInvalidParams) as failure:
        structure_params(raw, ChatParams)
    assert failure.value.code == -32602
    assert message in failure.value.message


def test_primitives_are_never_coerced() -> None:
    with pytest.raises(JsonRpcInvalidParams):
        structure_params({"conversationId": 5}, ConversationParams)
    with pytest.raises(JsonRpcInvalidParams):
        structure_params({"profile": True, "apiKey": "k"}, SetApiKeyParams)


def test_results_go_out_in_camel_case_with_every_field() -> None:
    result = ChatResult("c", "m", "text", "gpt-4o", "stop", Usage(1, 2, 0, 0), [])
    assert unstructure(result) == {
        "conversationId": "c",
        "messageId": "m",
        "content": "text",
        "model": "gpt-4o",
        "finishReason": "stop",
        "usage": {"promptTokens": 1, "completionTokens": 2, "reasoningTokens": 0, "cachedTokens": 0},
        "adaptations": [],
    }


def test_a_delta_carries_only_what_it_has() -> None:
    assert unstructure(DeltaNotification("c", "m", content="Hel")) == {
        "conversationId": "c",
        "messageId": "m",
        "content": "Hel",
    }
    assert unstructure(DeltaNotification("c", "m", status="thinking 3 s")) == {
        "conversationId": "c",
        "messageId": "m",
        "status": "thinking 3 s",
    }


def test_the_api_key_is_not_in_the_repr_of_its_params() -> None:
    params = structure_params({"profile": "p", "apiKey": "secret-value"}, SetApiKeyParams)
    assert "secret-value" not in repr(params)


def test_only_chatls_requests_use_the_raw_envelope() -> None:
    lsp = protocol.ChatLSProtocol.__new__(protocol.ChatLSProtocol)
    for method in protocol.REQUESTS:
        assert protocol.ChatLSProtocol.get_message_type(lsp, method) is RawRequest
    assert protocol.DELTA not in protocol.REQUESTS  # notify() would otherwise build a request envelope
    assert set(protocol.COMMANDS) >= {protocol.CMD_CHAT, protocol.CMD_EXPORT_CONVERSATION}


def test_the_server_handles_every_request_and_command_of_the_protocol() -> None:
    from chatls.server import create_server

    server = create_server()
    assert set(protocol.COMMANDS) == set(server.protocol.fm.commands)
    assert set(server.protocol.fm.features) >= protocol.REQUESTS
