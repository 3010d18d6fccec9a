"""The real `chatls serve` process on stdio against bad input on the wire.

Malformed frames, a JSON array, and requests whose params have the wrong type (drawn by Hypothesis, a bounded
derandomised set) for every `chatls/*` method and every `chatls.*` command: the server never dies, writes
nothing but LSP frames to stdout, answers every request (InvalidParams for bad params), stores nothing for
bad input, and a normal chat works afterwards.

`WireServer` (tests/reliability/wire.py) is a deliberately small, strict client: it parses every byte the
server writes to stdout, so a stray print or a broken frame is a test failure.
"""

from __future__ import annotations

import copy
import json
import queue
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.reliability.wire import (
    ANSWER_TIMEOUT,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    WireServer,
    chat_works,
    frame,
    start_server,
)

from chatls import protocol
from chatls.emulator.fixture import ThreadedEmulator, emulator_in_thread

# re-exported for tests that imported them from here
__all__ = ["ANSWER_TIMEOUT", "WireServer", "chat_works", "frame", "start_server"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    with emulator_in_thread() as emu:
        yield emu


# --- wrong params, drawn -------------------------------------------------------------------------
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    JSON_SCALARS | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
NOT_A_STRING = JSON_VALUES.filter(lambda v: v is not None and not isinstance(v, str))
NOT_AN_INT = JSON_VALUES.filter(lambda v: v is not None and type(v) is not int)
NOT_AN_OBJECT = JSON_VALUES.filter(lambda v: v is not None and not isinstance(v, dict))
NOT_AN_ARRAY = JSON_VALUES.filter(lambda v: v is not None and not isinstance(v, list))
NOT_PARAMS = JSON_VALUES.filter(lambda v: not isinstance(v, dict))
"""Params that are no object at all (null included: every method that needs params must say so)."""

RANGE = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}
NOT_A_BOOL = JSON_VALUES.filter(lambda v: v is not None and not isinstance(v, bool))
WRONG_FIELD = {
    "str": NOT_A_STRING,
    "int": NOT_AN_INT,
    "bool": NOT_A_BOOL,
    "object": NOT_AN_OBJECT,
    "array": NOT_AN_ARRAY,
}


class Shape:
    """A valid params object and the type of each field (dotted paths for nested ones), so one field at a
    time can be made wrong."""

    def __init__(
        self,
        payload: type,
        valid: dict[str, Any],
        fields: dict[str, str],
        *,
        nested: dict[str, Any] | None = None,
        null_ok: bool = False,
    ) -> None:
        self.payload = payload
        """The protocol class the params are structured into."""
        self.valid = valid
        self.fields = fields
        self.nested = nested or {}
        """Valid values for optional object fields, used when one of their own fields is made wrong."""
        self.null_ok = null_ok
        """`null` params are fine (the request has only optional fields)."""

    def with_wrong(self, path: str, value: Any) -> dict[str, Any]:
        top, _, rest = path.partition(".")
        params = copy.deepcopy(self.valid)
        if not rest:
            params[top] = value
            return params
        if top not in params:
            params[top] = copy.deepcopy(self.nested[top])
        *parents, leaf = rest.split(".")
        target = params[top]
        for key in parents:
            target = target[key]
        target[leaf] = value
        return params


CHAT_SHAPE = Shape(
    protocol.ChatParams,
    {"prompt": "hello"},
    {
        "prompt": "str",
        "conversationId": "str",
        "workspaceUri": "str",
        "profile": "str",
        "reasoningEffort": "str",
        "context": "object",
        "context.uri": "str",
        "context.range": "object",
        "context.range.start": "object",
        "context.range.end.character": "int",
        "retryOf": "str",
        "clientToken": "str",
        "mode": "str",
        "attachments": "array",
    },
    nested={"context": {"uri": "file:///nowhere/a.py", "range": RANGE}},
)
WORKSPACE_SHAPE = Shape(protocol.ConversationsParams, {}, {"workspaceUri": "str"}, null_ok=True)
CONVERSATION_SHAPE = Shape(protocol.ConversationParams, {"conversationId": "c"}, {"conversationId": "str"})
SELECTION_SHAPE = Shape(
    protocol.SelectionArgs,
    {"uri": "file:///nowhere/a.py", "range": RANGE},
    {
        "uri": "str",
        "range": "object",
        "range.start.line": "int",
        "range.end": "object",
        "version": "int",
        "instruction": "str",
        "diagnostics": "array",
        "clientToken": "str",
    },
)
REQUEST_SHAPES = {
    protocol.CHAT: CHAT_SHAPE,
    protocol.CONVERSATIONS: WORKSPACE_SHAPE,
    protocol.CONVERSATION: CONVERSATION_SHAPE,
    protocol.DELETE_CONVERSATION: CONVERSATION_SHAPE,
    protocol.MODELS: WORKSPACE_SHAPE,
    protocol.SET_API_KEY: Shape(
        protocol.SetApiKeyParams, {"profile": "default", "apiKey": "k"}, {"profile": "str", "apiKey": "str"}
    ),
    protocol.BUDGET: CHAT_SHAPE,
    protocol.RENAME_CONVERSATION: Shape(
        protocol.RenameConversationParams,
        {"conversationId": "c", "title": "t"},
        {"conversationId": "str", "title": "str"},
    ),
}
COMMAND_SHAPES = {
    protocol.CMD_CHAT: CHAT_SHAPE,
    protocol.CMD_CONVERSATIONS: WORKSPACE_SHAPE,
    protocol.CMD_CONVERSATION: CONVERSATION_SHAPE,
    protocol.CMD_DELETE_CONVERSATION: CONVERSATION_SHAPE,
    protocol.CMD_MODELS: WORKSPACE_SHAPE,
    protocol.CMD_EXPORT_CONVERSATION: Shape(
        protocol.ExportConversationArgs,
        {"conversationId": "c"},
        {"conversationId": "str", "path": "str", "overwrite": "bool"},
    ),
    **{command: SELECTION_SHAPE for command in protocol.ACTION_COMMANDS},
}


@pytest.mark.guarantee("the wrong-params fuzzing covers every method, command and field")
def test_every_method_command_and_field_is_covered() -> None:
    assert set(REQUEST_SHAPES) == protocol.REQUESTS
    assert set(COMMAND_SHAPES) == set(protocol.COMMANDS)
    for shape in (*REQUEST_SHAPES.values(), *COMMAND_SHAPES.values()):
        declared = {re.sub(r"_([a-z])", lambda m: m[1].upper(), f.name) for f in attrs.fields(shape.payload)}
        assert {path.split(".")[0] for path in shape.fields} == declared, shape.payload


@st.composite
def wrong_params(draw: st.DrawFn, shape: Shape) -> Any:
    """Params that are not an object, or `shape.valid` with one field of the wrong type."""
    not_params = NOT_PARAMS.filter(lambda v: v is not None) if shape.null_ok else NOT_PARAMS
    if draw(st.booleans()):
        return draw(not_params)
    path = draw(st.sampled_from(sorted(shape.fields)))
    return shape.with_wrong(path, draw(WRONG_FIELD[shape.fields[path]]))


BOUNDED = settings(
    max_examples=12,  # per method and per command: about 230 requests in all
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_invalid_params(response: dict[str, Any], what: str) -> None:
    assert "error" in response, f"{what} was accepted: {response}"
    error = response["error"]
    assert error["code"] == INVALID_PARAMS, f"{what}: {error}"
    assert error["message"].strip() and "Traceback" not in json.dumps(error), f"{what}: {error}"


@pytest.mark.guarantee("wrong params get InvalidParams naming the field, store nothing, send nothing")
def test_wrong_params_and_argument_counts_get_invalid_params_and_store_nothing(
    emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    sent_before = len(emulator.chat_requests())  # the emulator is shared by this module's tests
    server = start_server(emulator, tmp_path)
    try:
        for method, shape in sorted(REQUEST_SHAPES.items()):

            @BOUNDED
            @given(st.tuples(st.just(method), wrong_params(shape)))
            def request_with_wrong_params(case: tuple[str, Any]) -> None:
                method, params = case
                assert_invalid_params(server.request(method, params), f"{method} {params!r}")

            request_with_wrong_params()

        for command, shape in sorted(COMMAND_SHAPES.items()):

            @BOUNDED
            @given(st.tuples(st.just(command), wrong_params(shape)))
            def command_with_wrong_argument(case: tuple[str, Any]) -> None:
                command, argument = case
                response = server.request(
                    "workspace/executeCommand", {"command": command, "arguments": [argument]}
                )
                assert_invalid_params(response, f"{command} {argument!r}")

            command_with_wrong_argument()

        for command, shape in sorted(COMMAND_SHAPES.items()):
            counts: list[list[Any]] = [[shape.valid, shape.valid], [shape.valid, "extra", 3]]
            if not shape.null_ok:
                counts.append([])
            for arguments in counts:
                response = server.request(
                    "workspace/executeCommand", {"command": command, "arguments": arguments}
                )
                assert_invalid_params(response, f"{command} with {len(arguments)} arguments")
        assert server.result(protocol.CONVERSATIONS, {}) == []  # bad input stored nothing
        assert len(emulator.chat_requests()) == sent_before  # and sent nothing upstream
        chat_works(server, "after the bad params")
        assert server.process.poll() is None
        assert server.violations == []
        assert server.shutdown() == 0
    finally:
        server.close()


UNSTRUCTURABLE_LSP_PARAMS = [
    ("workspace/executeCommand", {"command": protocol.CMD_MODELS, "arguments": 5}),
    ("workspace/executeCommand", {"command": protocol.CMD_CHAT, "arguments": {"prompt": "hi"}}),
    ("workspace/executeCommand", "chatls.models"),
    ("workspace/executeCommand", None),
    ("textDocument/codeAction", {"textDocument": 5}),
]


@pytest.mark.guarantee("standard LSP requests with unstructurable params are answered InvalidParams")
def test_lsp_requests_whose_params_cannot_be_structured_are_answered(
    emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    server = start_server(emulator, tmp_path)
    try:
        for method, params in UNSTRUCTURABLE_LSP_PARAMS:
            assert_invalid_params(server.request(method, params), f"{method} {params!r}")
    finally:
        server.close()


UNPAIRED_SURROGATE = "\\ud83d"
"""Valid JSON (`JSON.stringify` writes it for half an emoji) but no valid Unicode: SQLite cannot store it."""


@pytest.mark.guarantee("a prompt with an unpaired surrogate is InvalidParams, and nothing is stored")
def test_text_that_is_not_valid_unicode_is_invalid_params(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    server = start_server(emulator, tmp_path)
    try:
        answer: queue.Queue[dict[str, Any]] = queue.Queue()
        server._answers["surrogate"] = answer
        body = '{"jsonrpc": "2.0", "id": "surrogate", "method": "chatls/chat", "params": {"prompt": "%s"}}'
        server.send_raw(frame((body % f"half an emoji: {UNPAIRED_SURROGATE}").encode()))
        response = server.wait(answer, "a prompt with an unpaired surrogate")
        assert server.result(protocol.CONVERSATIONS, {}) == []  # holds today: nothing is stored
        assert_invalid_params(response, "a prompt with an unpaired surrogate")
    finally:
        server.close()


# --- broken framing and envelopes ----------------------------------------------------------------
MALFORMED_INPUT = {
    "garbage bytes": b"\x00\xff\xfe garbage \x80\x81 {not json\r\n\r\n",
    "a header that is not Content-Length": b"X-Nonsense: yes\r\n\r\n",
    "a Content-Length that is not a number": b"Content-Length: lots\r\n\r\n{}\r\n",
    "a negative Content-Length": b"Content-Length: -5\r\n\r\n{}\r\n",
    "a body that is not JSON": frame(b"{this is not json"),
    "a body that is not UTF-8": frame(b'{"jsonrpc": "2.0", "method": "\xff\xfe"}'),
    "a JSON array (batch)": frame(
        json.dumps(
            [{"jsonrpc": "2.0", "id": "batch", "method": protocol.CONVERSATIONS, "params": {}}]
        ).encode()
    ),
    "a JSON string": frame(b'"just a string"'),
    "an object that is no message": frame(b'{"hello": "world"}'),
    "a response to nothing": frame(b'{"jsonrpc": "2.0", "id": 987654, "result": 1}'),
    "an unknown notification": frame(b'{"jsonrpc": "2.0", "method": "chatls/noSuchThing", "params": 5}'),
    "a Content-Length shorter than the body": b"Content-Length: 5\r\n\r\n"
    + json.dumps({"jsonrpc": "2.0", "method": "initialized", "params": {}}).encode()
    + b"\r\n",
    "a Content-Length longer than the body": b"Content-Length: 40\r\n\r\n{}" + b" " * 38,
}


@pytest.mark.guarantee("garbage, bad headers, bad bodies and non-messages on stdin are survived")
def test_malformed_frames_are_survived(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    server = start_server(emulator, tmp_path)
    try:
        for name, data in MALFORMED_INPUT.items():
            server.send_raw(data)
            # the next well-formed request is answered: the reader resynchronised and the server lives
            listed = server.request(protocol.CONVERSATIONS, {})
            assert listed.get("result") == [], f"after {name}: {listed}"
        unknown = server.request("chatls/noSuchMethod", {})
        assert unknown["error"]["code"] == METHOD_NOT_FOUND
        chat_works(server, "after the broken frames")
        assert server.violations == []
        assert server.shutdown() == 0
    finally:
        server.close()


@pytest.mark.guarantee("stdout carries only LSP frames, even at DEBUG, and no key")
def test_stdout_is_only_frames_at_debug_and_the_canary_key_stays_secret(tmp_path: Path) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    runtime_canary = f"canary-runtime-{uuid.uuid4().hex}"
    with emulator_in_thread({"server": {"api_keys": [canary, runtime_canary]}}) as emu:
        server = start_server(emu, tmp_path, "--log-level", "DEBUG", "--pygls-log-level", "DEBUG", key=canary)
        try:
            first = chat_works(server, "hello at debug level")
            server.result(protocol.SET_API_KEY, {"profile": "default", "apiKey": runtime_canary})
            chat_works(server, "with the key set at run time")
            server.result(protocol.SET_API_KEY, {"profile": "default", "apiKey": canary + "-refused"})
            refused = server.request(protocol.CHAT, {"prompt": "with a key Azure refuses"})
            assert refused["error"]["data"]["kind"] == "auth"
            server.send_raw(frame(b"{broken"))
            server.result(protocol.CONVERSATION, {"conversationId": first["conversationId"]})
            server.result("workspace/executeCommand", {"command": protocol.CMD_MODELS, "arguments": []})
            assert server.shutdown() == 0
        finally:
            server.close()
        assert len(emu.chat_requests()) == 3

    assert server.violations == []
    assert b"hello at debug level" in server.stdout  # the replies really went out on stdout
    stderr = server.stderr.decode(errors="replace")
    assert "DEBUG" in stderr and "Sending data" in stderr  # pygls really logged every message
    for secret in (canary, runtime_canary):
        assert secret not in stderr
        assert secret.encode() not in server.stdout
