"""Wrong params to every ChatLS request and command: InvalidParams (-32602) saying what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from tests.support.lsp import SPEC_WARNINGS_ARE_ERRORS, OpenSession, chat, execute_command, request

pytestmark = SPEC_WARNINGS_ARE_ERRORS

BAD_REQUESTS: list[tuple[str, Any, str]] = [
    ("chatls/chat", None, "params must be an object"),
    ("chatls/chat", [1, 2], "params must be an object"),
    ("chatls/chat", "hello", "params must be an object"),
    ("chatls/chat", {}, "required field missing @ $.prompt"),
    ("chatls/chat", {"prompt": 5}, "expected a string, got an integer @ $.prompt"),
    ("chatls/chat", {"prompt": "   "}, "prompt must not be empty"),
    ("chatls/chat", {"prompt": "x", "conversationId": 5}, "@ $.conversationId"),
    ("chatls/chat", {"prompt": "x", "conversationId": "no-such-id"}, "unknown conversationId"),
    ("chatls/chat", {"prompt": "x", "workspaceUri": "not a uri"}, "expected a URI"),
    ("chatls/chat", {"prompt": "x", "context": {"range": None}}, "required field missing @ $.context.uri"),
    ("chatls/chat", {"prompt": "x", "context": {"uri": "file:///no/such/file.py"}}, "is not open"),
    (
        "chatls/chat",
        {"prompt": "x", "context": {"uri": "file:///f.py", "range": {"start": {"line": 0}}}},
        "@ $.context.range.start.character",
    ),
    ("chatls/chat", {"prompt": "x", "reasoningEffort": ["high"]}, "@ $.reasoningEffort"),
    ("chatls/chat", {"prompt": "x", "retryOf": 5}, "@ $.retryOf"),
    ("chatls/chat", {"prompt": "x", "retryOf": "m1"}, "retryOf needs the conversationId"),
    ("chatls/chat", {"prompt": "x", "conversationId": "c", "retryOf": " "}, "retryOf must not be empty"),
    ("chatls/conversations", [1], "params must be an object"),
    ("chatls/conversations", {"workspaceUri": 5}, "@ $.workspaceUri"),
    ("chatls/conversation", {}, "required field missing @ $.conversationId"),
    ("chatls/conversation", {"conversationId": 5}, "expected a string, got an integer @ $.conversationId"),
    ("chatls/conversation", {"conversationId": "no-such-id"}, "unknown conversationId"),
    ("chatls/deleteConversation", None, "params must be an object"),
    ("chatls/deleteConversation", {"conversationId": None}, "@ $.conversationId"),
    ("chatls/renameConversation", {"conversationId": "c"}, "required field missing @ $.title"),
    ("chatls/renameConversation", {"conversationId": "c", "title": "  "}, "title must not be empty"),
    ("chatls/renameConversation", {"conversationId": "c", "title": "x" * 201}, "longer than 200"),
    ("chatls/renameConversation", {"conversationId": "no-such-id", "title": "t"}, "unknown conversationId"),
    ("chatls/models", [1], "params must be an object"),
    ("chatls/models", {"workspaceUri": True}, "@ $.workspaceUri"),
    ("chatls/setApiKey", {}, "required field missing"),
    ("chatls/setApiKey", {"profile": "default"}, "required field missing @ $.apiKey"),
    ("chatls/setApiKey", {"profile": "default", "apiKey": ""}, "apiKey must not be empty"),
    ("chatls/setApiKey", {"profile": 1, "apiKey": "k"}, "expected a string, got an integer @ $.profile"),
]

BAD_COMMANDS: list[tuple[str, list[Any], str]] = [
    ("chatls.chat", [], "Expected 1 arguments"),
    ("chatls.chat", [{"prompt": "x"}, 2], "Expected 1 arguments"),
    ("chatls.chat", [5], "params must be an object"),
    ("chatls.chat", [{"prompt": None}], "@ $.prompt"),
    ("chatls.conversations", [{}, {}], "at most 1 argument"),
    ("chatls.conversations", ["file:///x"], "params must be an object"),
    ("chatls.conversation", [], "Expected 1 arguments"),
    ("chatls.conversation", ["an-id"], "params must be an object"),
    ("chatls.deleteConversation", [{"id": "x"}], "required field missing @ $.conversationId"),
    ("chatls.models", [{"workspaceUri": 1}], "@ $.workspaceUri"),
    ("chatls.exportConversation", [{}], "required field missing @ $.conversationId"),
    ("chatls.exportConversation", [{"conversationId": "no-such-id"}], "unknown conversationId"),
    ("chatls.noSuchCommand", [], "noSuchCommand"),
]


async def expect_invalid(call: Any, hint: str) -> None:
    with pytest.raises(JsonRpcException) as failure:
        await call
    error = failure.value
    assert (error.code, hint in error.message) == (-32602, True), f"{error.code} {error.message}"
    assert not error.data or "traceback" not in error.data


async def test_every_request_rejects_wrong_params_with_a_useful_message(session: OpenSession) -> None:
    async with session() as client:
        for method, params, hint in BAD_REQUESTS:
            await expect_invalid(request(client, method, params), hint)
        await still_answers(client)


async def test_every_command_rejects_wrong_arguments_with_a_useful_message(session: OpenSession) -> None:
    async with session() as client:
        for command, arguments, hint in BAD_COMMANDS:
            await expect_invalid(execute_command(client, command, *arguments), hint)
        relative = execute_command(
            client, "chatls.exportConversation", await some_conversation(client, "x.md")
        )
        await expect_invalid(relative, "path must be absolute")
        await still_answers(client)


async def some_conversation(client: LanguageClient, path: str) -> dict[str, Any]:
    result = await chat(client, "something to export")
    return {"conversationId": result["conversationId"], "path": path}


async def still_answers(client: LanguageClient) -> None:
    result = await chat(client, "are you alive?")
    assert result["content"] == "Echo from gpt-4o: are you alive?"


async def test_a_malformed_notification_is_logged_and_shown_once(session: OpenSession) -> None:
    """Notifications have no response to carry an error: `report_server_error` logs it and tells the user
    once (pygls' default would show a message for every one), and the server goes on."""
    async with session() as client:
        for _ in range(3):  # raw JSON: the client's own serialiser refuses to send malformed params
            client.protocol._send_data(
                {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": 5}}
            )
        await still_answers(client)
        shown = [m.message for m in client.messages]

    assert shown == [
        "ChatLS received a message from the editor that it could not read and ignored it; "
        "the server log has the details."
    ]
