"""Every error body the emulator can emit parses as the SDK's typed error with the right code and param."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import openai
import pytest
from tests.emulator.cases import RULE_CASES
from tests.emulator.helpers import azure_client, send

from chatls.emulator.errors import ERROR_FILES
from chatls.emulator.fixture import StartEmulator

SDK_ERROR_FOR_STATUS: dict[int, type[openai.APIStatusError]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    404: openai.NotFoundError,
    429: openai.RateLimitError,
    500: openai.InternalServerError,
    503: openai.InternalServerError,
    413: openai.APIStatusError,
    410: openai.APIStatusError,
}
TOOLS = [{"type": "function", "function": {"name": "f", "description": "d" * 2000, "parameters": {}}}]


@dataclass(frozen=True)
class Scenario:
    id: str
    deployment: str = "gpt-4o"
    body: dict[str, Any] = field(default_factory=lambda: {"messages": [{"role": "user", "content": "x"}]})
    api_version: str = "2025-04-01-preview"
    config: dict[str, Any] | None = None
    fault: dict[str, Any] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    api_key: str | None = None
    responses: dict[str, Any] | None = None
    """Send ``client.responses.create(model=deployment, **responses)`` instead of a chat completion."""


SCENARIOS = [
    *(Scenario(c.id, c.deployment, c.body(), c.api_version, overrides=c.overrides) for c in RULE_CASES),
    Scenario("rate-limit-old", fault={"kind": "rate_limit"}),
    Scenario("rate-limit-new", fault={"kind": "rate_limit", "message": "new"}),
    Scenario("server-error-500", fault={"kind": "server_error"}),
    Scenario("server-error-503", fault={"kind": "server_error", "status": 503}),
    Scenario("content-filter-prompt", fault={"kind": "content_filter_prompt"}),
    Scenario("context-length-fault", fault={"kind": "context_length_exceeded"}),
    Scenario(
        "context-length-functions",
        body={"messages": [{"role": "user", "content": "x"}], "tools": TOOLS},
        overrides={"context_window": 300},
    ),
    Scenario("string-too-long", body={"messages": [{"role": "user", "content": "x" * 1_048_577}]}),
    Scenario("wrong-key", config={"server": {"api_keys": ["k"]}}, api_key="not-k"),
    Scenario(
        "body-too-large",
        config={"server": {"max_body_bytes": 1024}},
        body={"messages": [{"role": "user", "content": "x" * 2000}]},
    ),
    Scenario("unknown-api-version", api_version="2020-01-01"),
    Scenario("schema-invalid", body={"messages": [{"role": "user", "content": "x"}], "n": "many"}),
    Scenario(
        "responses-context-length",
        "gpt-5.4",
        responses={"input": "word " * 500},
        overrides={"context_window": 100},
    ),
    Scenario("responses-effort", "gpt-5-pro", responses={"input": "x", "reasoning": {"effort": "low"}}),
    Scenario(
        "responses-fault-context",
        "o3-pro",
        responses={"input": "x"},
        fault={"kind": "context_length_exceeded"},
    ),
]


async def provoke(start_emulator: StartEmulator, scenario: Scenario) -> tuple[openai.APIStatusError, str]:
    """Send the scenario's request through the SDK: the typed error and which captured body answered."""
    emu = await start_emulator(scenario.config)
    if scenario.overrides:
        await emu.set_deployment(scenario.deployment, **scenario.overrides)
    if scenario.fault:
        await emu.add_fault(scenario.fault)
    client = azure_client(emu.url, scenario.api_key or emu.api_key, scenario.api_version)
    with pytest.raises(openai.APIStatusError) as caught:
        if scenario.responses is not None:
            await client.responses.create(model=scenario.deployment, **scenario.responses)
        else:
            await send(client, scenario.deployment, scenario.body)
    await client.close()
    error = caught.value
    (record,) = emu.state.requests()
    assert record["error_code"] == error.code
    return error, str(record["error_source"])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
async def test_error_parses_as_typed_sdk_error(start_emulator: StartEmulator, scenario: Scenario) -> None:
    error, _ = await provoke(start_emulator, scenario)
    raw = error.response.json()["error"]
    assert type(error) is SDK_ERROR_FOR_STATUS[error.status_code]
    assert error.code == raw.get("code")
    assert error.param == raw.get("param")
    assert isinstance(error.body, dict) and error.body["message"] == raw["message"]


async def test_every_captured_body_the_emulator_uses_is_emitted_by_some_scenario(
    start_emulator: StartEmulator,
) -> None:
    """Self-contained (no reliance on test order): provokes every scenario again and collects the bodies."""
    seen = {(await provoke(start_emulator, scenario))[1] for scenario in SCENARIOS}
    assert set(ERROR_FILES) <= seen, sorted(set(ERROR_FILES) - seen)
