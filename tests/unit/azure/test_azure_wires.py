"""Which wire a turn takes, what a wire refusal teaches, and how both wires' errors read the same."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest
from tests.unit.azure.shared_data import azure_error

import chatls.azure
from chatls.azure import (
    BadRequest,
    ChatOptions,
    ContentFilterError,
    ContextLengthExceeded,
    ModelRetired,
    OperationNotSupported,
    Profile,
    ProfileError,
    RateLimitExhausted,
    ServiceError,
    ToolSpec,
    resolve_capabilities,
)
from chatls.azure.errors import error_from_failed_response, error_from_status, unsupported_operation_model
from chatls.azure.healing import Lessons, apply_lessons
from chatls.azure.shaping import ShapedRequest
from chatls.azure.wires import choose_wire
from chatls.azure.wires.responses import RESPONSES

BOTH = replace(
    resolve_capabilities(model="gpt-5.4"), wires=("chat", "responses"), tools_with_effort_on_chat=False
)
TOOL = ToolSpec("list_files", "Lists files", {"type": "object", "properties": {}})


def profile(**settings: Any) -> Profile:
    return Profile.from_dict({"endpoint": "https://r.openai.azure.com", "deployment": "d", **settings})


def test_the_model_preference_decides_unless_the_profile_forces_a_wire() -> None:
    assert choose_wire(BOTH, profile(), ChatOptions()) == "chat"
    assert choose_wire(replace(BOTH, wires=("responses", "chat")), profile(), ChatOptions()) == "responses"
    assert choose_wire(BOTH, profile(wire="responses"), ChatOptions()) == "responses"
    assert choose_wire(replace(BOTH, wires=("responses",)), profile(wire="chat"), ChatOptions()) == "chat"


def test_tools_with_an_effort_go_to_responses_where_chat_refuses_that_combination() -> None:
    assert choose_wire(BOTH, profile(), ChatOptions(tools=(TOOL,), reasoning_effort="low")) == "responses"
    assert choose_wire(BOTH, profile(), ChatOptions(tools=(TOOL,), reasoning_effort="none")) == "chat"
    allowed = replace(BOTH, tools_with_effort_on_chat=True)
    assert choose_wire(allowed, profile(), ChatOptions(tools=(TOOL,), reasoning_effort="low")) == "chat"


def test_a_dated_api_version_before_responses_keeps_chat_when_the_model_has_it() -> None:
    prefers = replace(BOTH, wires=("responses", "chat"))
    assert choose_wire(prefers, profile(apiVersion="2024-10-21"), ChatOptions()) == "chat"
    assert choose_wire(prefers, profile(apiVersion="2025-04-01-preview"), ChatOptions()) == "responses"


def test_a_learned_wire_is_the_only_one_and_survives_a_round_trip() -> None:
    lessons = Lessons.from_dict(Lessons(wire="responses", model="gpt-5.1-codex-max").to_dict())
    caps = apply_lessons(BOTH, lessons)
    assert lessons.wire == "responses" and caps.wires == ("responses",) and "wires" in caps.learned
    assert choose_wire(caps, profile(), ChatOptions()) == "responses"
    assert Lessons.from_dict({"wire": "smoke-signals"}).wire is None


def test_operation_not_supported_names_the_model_azure_reports() -> None:
    status, error = azure_error("operation-not-supported-responses-only")
    assert unsupported_operation_model(error) == "gpt-5.1-codex-max"
    assert unsupported_operation_model({"code": "content_filter", "message": "x"}) is None
    mapped = error_from_status(
        status, error, deployment="d", endpoint="https://r", api_version="v1", auth_hint=""
    )
    assert isinstance(mapped, OperationNotSupported) and mapped.model == "gpt-5.1-codex-max"


def test_a_retired_model_is_its_own_error() -> None:
    mapped = error_from_status(
        410,
        {"code": "ModelRetired", "message": "gone"},
        deployment="d",
        endpoint="e",
        api_version="v1",
        auth_hint="",
    )
    assert (
        isinstance(mapped, ModelRetired)
        and "retired" in mapped.user_message
        and "gone" in mapped.user_message
    )


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"code": "server_error", "message": "The server had an error"}, ServiceError),
        ({"code": "rate_limit_exceeded", "message": "slow down"}, RateLimitExhausted),
        (
            {"code": "context_length_exceeded", "message": "Your input exceeds the context window"},
            ContextLengthExceeded,
        ),
        ({"code": "content_filter", "message": "filtered"}, ContentFilterError),
        ({"code": "invalid_prompt", "message": "Invalid prompt: bad"}, BadRequest),
    ],
)
def test_a_failed_response_reads_like_the_chat_error_and_says_what_azure_said(
    error: dict[str, str], kind: type[Exception]
) -> None:
    mapped = error_from_failed_response(error, deployment="d", partial="half")
    assert isinstance(mapped, kind)
    if not isinstance(mapped, ContentFilterError):
        assert error["message"] in mapped.user_message


def test_responses_healing_learns_the_effort_list_under_the_neutral_name() -> None:
    _, error = azure_error("reasoning-effort-unsupported-value-for-model")
    error = {**error, "param": "reasoning.effort"}
    payload = {"model": "d", "input": [], "reasoning": {"effort": "max"}}
    shaped = ShapedRequest(payload=payload, stream=True, adaptations=(), wire="responses")
    healing = RESPONSES.learn(error, shaped, BOTH, Lessons(), "d")
    assert healing is not None
    assert healing.lessons.reasoning_efforts == ("none", "low", "medium", "high", "xhigh")


def test_responses_healing_drops_a_refused_summary_request() -> None:
    error = {
        "code": "unsupported_parameter",
        "param": "reasoning.summary",
        "message": "Unsupported parameter",
    }
    payload = {"model": "d", "input": [], "reasoning": {"effort": "low", "summary": "auto"}}
    shaped = ShapedRequest(payload=payload, stream=True, adaptations=(), wire="responses")
    healing = RESPONSES.learn(error, shaped, BOTH, Lessons(), "d")
    assert healing is not None and "reasoning_summary" in healing.lessons.rejected_parameters
    caps = apply_lessons(replace(BOTH, reasoning_summaries=True), healing.lessons)
    assert caps.reasoning_summaries is False


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"wire": "grpc"}, "one of chat, responses"),
        ({"background": "yes"}, "true or false"),
        ({"store": 1}, "true or false"),
    ],
)
def test_profile_wire_background_and_store_are_validated(data: dict[str, Any], reason: str) -> None:
    with pytest.raises(ProfileError) as caught:
        profile(**data)
    assert caught.value.key == next(iter(data)) and reason in caught.value.reason


def test_profile_wire_background_and_store_round_trip() -> None:
    chosen = profile(wire="responses", background=True, store=True)
    assert (chosen.wire, chosen.background, chosen.store) == ("responses", True, True)
    assert Profile.from_dict(chosen.to_dict()) == chosen


def test_the_package_exports_every_lazy_name_and_nothing_else() -> None:
    assert set(chatls.azure.__all__) == set(chatls.azure._HOMES)
    for name in chatls.azure.__all__:
        assert getattr(chatls.azure, name) is not None
    with pytest.raises(AttributeError):
        chatls.azure.NoSuchThing  # noqa: B018


def test_importing_the_types_and_errors_never_loads_the_sdk() -> None:
    code = "import chatls.azure.types, chatls.azure.errors, chatls.azure.profile"
    report = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    ).stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in report.splitlines() if "|" in line}
    assert "chatls.azure.types" in imported
    assert not {name for name in imported if name.split(".")[0] in ("openai", "httpx2", "httpx")}
