"""Mapping Azure's error answers to typed errors with messages that say what to do."""

from __future__ import annotations

import pytest
from tests.unit.azure.shared_data import azure_error

from chatls.azure import (
    AuthError,
    AzureError,
    BadRequest,
    ConfigurationError,
    ContentFilterError,
    ContextLengthExceeded,
    DeploymentNotFound,
    Profile,
    RateLimitExhausted,
    ReasoningBudgetExhausted,
    ServiceError,
)
from chatls.azure.auth import auth_hint
from chatls.azure.errors import error_from_status


def mapped(error_file: str) -> AzureError:
    status, error = azure_error(error_file)
    return error_from_status(
        status,
        error,
        deployment="prod",
        endpoint="https://x.openai.azure.com",
        api_version="2024-10-21",
        auth_hint="Check the API key.",
    )


@pytest.mark.parametrize(
    ("error_file", "kind", "in_message"),
    [
        ("unauthorized-401", AuthError, "Check the API key."),
        ("unauthorized-401-code-unauthorized", AuthError, "rejected the credentials (401)"),
        ("deployment-not-found-404", DeploymentNotFound, "'prod' was not found"),
        ("content-filter-prompt-400", ContentFilterError, "blocked the prompt (sexual)"),
        ("context-length-exceeded", ContextLengthExceeded, "128000 tokens"),
        ("api-version-too-old", ConfigurationError, '"apiVersion"'),
        ("rate-limit-429-old-format", RateLimitExhausted, "rate-limiting deployment 'prod'"),
        ("responses-server-error-500", ServiceError, "(500)"),
        ("string-above-max-length", BadRequest, "string_above_max_length"),
    ],
)
def test_each_azure_error_maps_to_its_type(error_file: str, kind: type[AzureError], in_message: str) -> None:
    error = mapped(error_file)
    assert type(error) is kind
    assert in_message in error.user_message
    assert str(error) == error.user_message
    assert "Traceback" not in error.user_message


@pytest.mark.parametrize(
    ("auth", "hint"),
    [("apiKey", "Check the API key (from AZURE_OPENAI_API_KEY"), ("entra", "OpenAI User' role")],
)
def test_403_says_access_was_denied_and_what_else_can_deny_it(auth: str, hint: str) -> None:
    profile = Profile.from_dict({"name": "p", "auth": auth})
    error = error_from_status(
        403,
        {"code": "PermissionDenied", "message": "The principal lacks the required data action."},
        deployment="d",
        endpoint="https://x.openai.azure.com",
        api_version="v1",
        auth_hint=auth_hint(profile),
    )
    assert isinstance(error, AuthError) and (error.status, error.code) == (403, "PermissionDenied")
    assert error.user_message.startswith("Azure denied access (403) to https://x.openai.azure.com.")
    assert hint in error.user_message
    assert "network rules" in error.user_message
    assert "Azure said: The principal lacks the required data action." in error.user_message


def test_context_length_numbers_are_parsed_for_the_caller() -> None:
    error = mapped("context-length-exceeded-with-completion")
    assert isinstance(error, ContextLengthExceeded)
    assert (error.limit, error.requested) == (32768, 35969)
    assert error.kind == "context_length"


def test_prompt_filter_categories_in_the_spec_spelling_too() -> None:
    spec_form = {
        "code": "content_filter",
        "message": "filtered",
        "param": "prompt",
        "inner_error": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_results": {
                "hate": {"filtered": True, "severity": "high"},
                "violence": {"filtered": False, "severity": "safe"},
                "jailbreak": {"filtered": False, "detected": True},
            },
        },
    }
    error = error_from_status(400, spec_form, deployment="d", endpoint="e", api_version="v1", auth_hint="")
    assert isinstance(error, ContentFilterError)
    assert (error.categories, error.where) == (("hate",), "prompt")


def test_a_404_that_is_not_about_the_deployment_points_at_endpoint_and_api_version() -> None:
    error = error_from_status(
        404,
        {"code": "404", "message": "Resource not found"},
        deployment="d",
        endpoint="https://e",
        api_version="2023-01-01",
        auth_hint="",
    )
    assert isinstance(error, ConfigurationError)
    assert error.key == "endpoint"
    assert "apiVersion" in error.user_message


def test_a_body_that_is_not_json_still_maps() -> None:
    error = error_from_status(502, None, deployment="d", endpoint="e", api_version="v1", auth_hint="")
    assert isinstance(error, ServiceError)
    assert error.status == 502


def test_reasoning_budget_message_says_what_to_change() -> None:
    error = ReasoningBudgetExhausted(800)
    assert error.user_message == (
        "The model spent all 800 completion tokens on reasoning and wrote no answer; "
        "raise maxCompletionTokens or lower reasoningEffort."
    )
    assert error.kind == "reasoning_budget"
