"""Profiles from settings: the camelCase keys, one clear error naming the key, no secret anywhere."""

from __future__ import annotations

from typing import Any

import pytest

from chatls.azure import Profile, ProfileError

ISSUE_EXAMPLE = {
    "name": "reasoning",
    "endpoint": "https://contoso.openai.azure.com",
    "deployment": "o1-prod",
    "model": "o1",
    "apiVersion": "2024-12-01-preview",
    "auth": "apiKey",
    "apiKeyEnv": "AZURE_OPENAI_API_KEY",
    "maxCompletionTokens": 8000,
    "reasoningEffort": "high",
}


def test_the_issue_example_reads_and_round_trips() -> None:
    profile = Profile.from_dict(ISSUE_EXAMPLE)
    assert profile.deployments == ("o1-prod",)
    assert profile.deployment == "o1-prod"
    assert (profile.model, profile.api_version, profile.max_completion_tokens) == (
        "o1",
        "2024-12-01-preview",
        8000,
    )
    assert profile.to_dict() == ISSUE_EXAMPLE
    assert Profile.from_dict(profile.to_dict()) == profile


def test_defaults_and_failover_list() -> None:
    profile = Profile.from_dict(
        {
            "deployment": ["east", "west"],
            "auth": "entra",
            "apiKeyHeader": "Ocp-Apim-Subscription-Key",
            "temperature": 0,
            "verbosity": "low",
            "contextWindow": 1_000_000,
            "timeout": 30,
        }
    )
    assert profile.deployments == ("east", "west")
    assert (profile.name, profile.endpoint, profile.api_version, profile.api_key_env) == (
        "default",
        None,
        "v1",
        "AZURE_OPENAI_API_KEY",
    )
    assert (profile.temperature, profile.context_window, profile.timeout) == (0.0, 1_000_000, 30.0)


@pytest.mark.parametrize(
    ("data", "key", "reason"),
    [
        ({"endpont": "https://x"}, "endpont", "unknown profile key"),
        ({"endpoint": "contoso.openai.azure.com"}, "endpoint", "http(s) URL"),
        ({"endpoint": "https://x.openai.azure.com?api-key=1"}, "endpoint", "without query"),
        ({"deployment": []}, "deployment", "non-empty list"),
        ({"deployment": ["a", "a"]}, "deployment", "listed twice"),
        ({"deployment": "has space"}, "deployment", "not a deployment name"),
        ({"apiVersion": "2024-13-01"}, "apiVersion", "not an api-version"),
        ({"apiVersion": "latest"}, "apiVersion", '"v1"'),
        ({"auth": "key"}, "auth", '"apiKey" or "entra"'),
        ({"apiKeyEnv": "sk-123 456"}, "apiKeyEnv", "not an environment variable name"),
        ({"apiKeyHeader": "bad header:"}, "apiKeyHeader", "not an HTTP header name"),
        ({"maxCompletionTokens": 0}, "maxCompletionTokens", "positive whole number"),
        ({"maxCompletionTokens": True}, "maxCompletionTokens", "positive whole number"),
        ({"reasoningEffort": "max"}, "reasoningEffort", "one of none, minimal"),
        ({"temperature": 3}, "temperature", "from 0 to 2"),
        ({"verbosity": "loud"}, "verbosity", "one of low, medium, high"),
        ({"contextWindow": -1}, "contextWindow", "positive"),
        ({"timeout": float("inf")}, "timeout", "positive number of seconds"),
        ({"name": ""}, "name", "non-empty string"),
    ],
)
def test_bad_settings_name_the_key(data: dict[str, Any], key: str, reason: str) -> None:
    with pytest.raises(ProfileError) as caught:
        Profile.from_dict(data)
    assert caught.value.key == key
    assert reason in caught.value.reason


def test_not_an_object() -> None:
    with pytest.raises(ProfileError, match="must be an object"):
        Profile.from_dict(["x"])  # type: ignore[arg-type]


def test_a_profile_holds_no_secret_even_when_the_key_is_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canary = "canary-secret-5f1d"
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", canary)
    profile = Profile.from_dict(ISSUE_EXAMPLE)
    assert canary not in repr(profile)
    assert canary not in str(profile.to_dict())
