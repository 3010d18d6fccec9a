"""Bad requests to the emulator itself get Azure-style JSON errors, never an HTML page or a traceback."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from chatls.emulator.fixture import RunningEmulator, StartEmulator

DATED_PATH = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"


async def call(
    emulator: RunningEmulator, method: str, path: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    headers = {"api-key": emulator.api_key, **kwargs.pop("headers", {})}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, emulator.url + path, headers=headers, **kwargs) as response,
    ):
        assert response.headers["content-type"].startswith("application/json")
        text = await response.text()
        assert "Traceback" not in text and "<html" not in text.lower()
        body: dict[str, Any] = await response.json()
        return response.status, body


async def test_non_json_body(emulator: RunningEmulator) -> None:
    status, body = await call(
        emulator, "POST", DATED_PATH, data=b"{not json", headers={"content-type": "application/json"}
    )
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert "could not parse the JSON body" in body["error"]["message"]


async def test_wrong_content_type(emulator: RunningEmulator) -> None:
    status, body = await call(
        emulator, "POST", DATED_PATH, data=b"hello", headers={"content-type": "text/plain"}
    )
    assert status == 400
    assert body["error"]["message"] == "Invalid Content-Type header (text/plain), expected application/json."


async def test_huge_body(start_emulator: StartEmulator) -> None:
    emu = await start_emulator({"server": {"max_body_bytes": 2048}})
    big = {"messages": [{"role": "user", "content": "x" * 5000}]}
    status, body = await call(emu, "POST", DATED_PATH, json=big)
    assert status == 413
    assert body["error"]["code"] == "RequestEntityTooLarge"
    assert "2048 bytes" in body["error"]["message"]
    (record,) = emu.state.requests()
    assert (record["status"], record["error_code"]) == (413, "RequestEntityTooLarge")


@pytest.mark.parametrize(
    "path", ["/nope", "/openai/deployments/gpt-4o/completions/x", "/openai/v2/chat/completions"]
)
async def test_unknown_route(emulator: RunningEmulator, path: str) -> None:
    status, body = await call(emulator, "POST", path, json={})
    assert (status, body) == (404, {"error": {"code": "404", "message": "Resource not found"}})


async def test_wrong_method(emulator: RunningEmulator) -> None:
    status, body = await call(emulator, "GET", DATED_PATH)
    assert status == 405
    assert body["error"]["code"] == "405"


@pytest.mark.parametrize("query", ["", "?api-version=", "?api-version=2023-01-01", "?api-version=latest"])
async def test_missing_or_unknown_api_version(emulator: RunningEmulator, query: str) -> None:
    path = "/openai/deployments/gpt-4o/chat/completions" + query
    status, body = await call(emulator, "POST", path, json={"messages": [{"role": "user", "content": "x"}]})
    assert (status, body["error"]["code"]) == (404, "404")


async def test_unknown_v1_api_version(emulator: RunningEmulator) -> None:
    status, _ = await call(emulator, "POST", "/openai/v1/chat/completions?api-version=2024-10-21", json={})
    assert status == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "[1, 2] is not of type 'object'"),
        ({"messages": []}, "[] should be non-empty - 'messages'"),
        ({}, "'messages' is a required property"),
        (
            {"messages": [{"role": "user", "content": "x"}], "temperature": "hot"},
            "is not of type 'number' - 'temperature'",
        ),
        (
            {"messages": [{"role": "user", "content": "x"}], "temperature": 3},
            "3 is greater than the maximum of 2",
        ),
        ({"messages": [{"role": "robot", "content": "x"}]}, "- 'messages.0"),
        (
            {"messages": [{"role": "user", "content": "x"}], "n": "two"},
            "'two' is not of type 'integer' - 'n'",
        ),
    ],
    ids=[
        "array",
        "empty-messages",
        "no-messages",
        "temperature-type",
        "temperature-range",
        "bad-role",
        "n-type",
    ],
)
async def test_schema_invalid_bodies(emulator: RunningEmulator, body: Any, message: str) -> None:
    status, answer = await call(emulator, "POST", DATED_PATH, json=body)
    assert status == 400
    error = answer["error"]
    assert message in error["message"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", None, None)


async def test_v1_requires_model(emulator: RunningEmulator) -> None:
    status, answer = await call(
        emulator, "POST", "/openai/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]}
    )
    assert status == 400
    assert "'model' is a required property" in answer["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "minimal"},
        {"messages": [{"role": "user", "content": "x"}], "verbosity": "low"},
        {"messages": [{"role": "user", "content": "x"}], "temperature": None},
        {
            "messages": [
                {"role": "user", "content": "x"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "42"},
            ]
        },
    ],
    ids=["minimal-effort", "verbosity", "null-temperature", "assistant-null-content"],
)
async def test_spec_lag_is_patched(emulator: RunningEmulator, body: dict[str, Any]) -> None:
    """Values the service accepts but the specs reject or do not know (docs/emulator.md, "Spec lag")."""
    for path in (
        "/openai/deployments/gpt-5/chat/completions?api-version=2025-04-01-preview",
        "/openai/v1/chat/completions",
    ):
        status, answer = await call(emulator, "POST", path, json={**body, "model": "gpt-5"})
        assert status == 200, answer


async def test_control_endpoint_rejects_bad_values_naming_the_key(emulator: RunningEmulator) -> None:
    status, body = await call(emulator, "POST", "/_emulator/faults", json={"kind": "meteor"})
    assert status == 400
    assert body["error"]["code"] == "invalid_config" and body["error"]["param"] == "kind"
    status, body = await call(
        emulator, "POST", "/_emulator/deployments", json={"name": "x", "model": "gpt-99"}
    )
    assert status == 400
    assert "unknown model family 'gpt-99'" in body["error"]["message"]
    status, body = await call(
        emulator, "POST", "/_emulator/faults", data=b"][", headers={"content-type": "application/json"}
    )
    assert status == 400


async def test_each_api_version_is_checked_against_its_own_spec(emulator: RunningEmulator) -> None:
    # `modalities` first appears in the 2025-03-01-preview spec (an array there); the older spec does
    # not know it and allows extra properties, so only the newer api-version refuses a string.
    body = {"messages": [{"role": "user", "content": "x"}], "modalities": "text"}
    path = "/openai/deployments/gpt-4o/chat/completions?api-version={}"
    status, answer = await call(emulator, "POST", path.format("2025-04-01-preview"), json=body)
    assert status == 400
    assert "'text' is not of type 'array' - 'modalities'" in answer["error"]["message"]
    status, answer = await call(emulator, "POST", path.format("2024-12-01-preview"), json=body)
    assert status == 200, answer


RESPONSES_BAD_BODIES = [
    ({"model": "gpt-4o", "input": 5}, "- 'input'"),
    ({"model": "gpt-4o", "input": [{"type": "bogus"}]}, "- 'input.0.type'"),
    ({"model": "gpt-4o", "input": [{"role": "robot", "content": "x"}]}, "- 'input.0.role'"),
    ({"model": "gpt-4o", "input": "x", "include": ["bogus"]}, "- 'include.0'"),
    ({"model": "gpt-5", "input": "x", "max_output_tokens": "many"}, "- 'max_output_tokens'"),
    (
        {"model": "gpt-5", "input": [{"role": "user", "content": [{"type": "input_text", "text": 5}]}]},
        "- 'input.0.content.0.text'",
    ),
    (
        {"model": "gpt-4o", "input": "x", "tools": [{"type": "function", "function": {"name": "f"}}]},
        "Missing required parameter: 'tools[0].name'.",
    ),
    (
        {"model": "gpt-5", "input": [{"type": "function_call_output", "call_id": "nope", "output": "x"}]},
        "nope",
    ),
    ([], "[] is not of type 'object'"),
]


@pytest.mark.parametrize(("body", "message"), RESPONSES_BAD_BODIES, ids=[m for _, m in RESPONSES_BAD_BODIES])
async def test_bad_responses_bodies_are_400_naming_the_field(
    emulator: RunningEmulator, body: object, message: str
) -> None:
    status, answer = await call(emulator, "POST", "/openai/v1/responses", json=body)
    assert status == 400
    assert message in answer["error"]["message"]


async def test_unknown_response_ids_and_cursors(emulator: RunningEmulator) -> None:
    for method, path in (
        ("GET", "/openai/v1/responses/resp_missing"),
        ("POST", "/openai/v1/responses/resp_missing/cancel"),
        ("DELETE", "/openai/responses/resp_missing?api-version=2025-04-01-preview"),
    ):
        status, answer = await call(emulator, method, path, json={} if method == "POST" else None)
        assert status == 404, (method, path)
        assert "resp_missing" in answer["error"]["message"]
    status, _ = await call(emulator, "POST", "/openai/responses?api-version=2024-12-01-preview", json={})
    assert status == 404  # no Responses API before 2025-03-01-preview
