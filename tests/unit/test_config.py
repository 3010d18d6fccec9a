"""Settings: validation naming the exact key, layering, the environment profile and last-good fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatls import config
from chatls.config import (
    ConfigError,
    NoProfileError,
    Settings,
    base_layers,
    config_file_layer,
    config_file_path,
    environment_layer,
    resolve_settings,
    validate_settings,
)

CANARY_KEY = "canary-secret-4f1d9a7b"


def profile(name: str = "default", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "endpoint": "https://contoso.openai.azure.com",
        "deployment": "gpt-4o",
        "apiVersion": "2024-10-21",
        "auth": "apiKey",
        "apiKeyEnv": "CONTOSO_KEY",
        **extra,
    }


def error_of(raw: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        validate_settings(raw)
    return caught.value


# --- validate_settings -------------------------------------------------------------------------------
def test_empty_settings_are_the_defaults() -> None:
    settings = validate_settings({})
    assert settings == Settings()
    assert settings.profiles == ()
    assert settings.max_history_messages == 200
    assert settings.context_lines == 20
    assert settings.log_level == "info"
    assert settings.instructions == config.DEFAULT_INSTRUCTIONS


def test_every_key_is_accepted(tmp_path: Path) -> None:
    raw = {
        "profiles": [profile("fast"), profile("deep", deployment=["o3-a", "o3-b"], reasoningEffort="high")],
        "defaultProfile": "deep",
        "instructions": "Be brief.",
        "reasoningEffort": "low",
        "stateDir": str(tmp_path),
        "logLevel": "DEBUG",
        "maxHistoryMessages": 10,
        "maxCompletionTokens": 1000,
        "reasoningMaxCompletionTokens": 30000,
        "contextWindowReserve": 0,
        "requestTimeoutSeconds": 30,
        "retryMaxAttempts": 3,
        "retryMaxWaitSeconds": 12.5,
        "contextLines": 0,
    }
    settings = validate_settings(raw)
    assert [p.name for p in settings.profiles] == ["fast", "deep"]
    assert settings.default_profile == "deep"
    assert settings.instructions == "Be brief."
    assert settings.reasoning_effort == "low"
    assert settings.state_dir == tmp_path
    assert settings.log_level == "debug"
    assert (settings.max_history_messages, settings.max_completion_tokens) == (10, 1000)
    assert (settings.reasoning_max_completion_tokens, settings.context_window_reserve) == (30000, 0)
    assert settings.request_timeout_seconds == 30.0 and isinstance(settings.request_timeout_seconds, float)
    assert (settings.retry_max_attempts, settings.retry_max_wait_seconds, settings.context_lines) == (
        3,
        12.5,
        0,
    )


def test_unknown_key_is_named_with_a_suggestion() -> None:
    error = error_of({"maxHistoryMesages": 5})
    assert error.key == "maxHistoryMesages"
    assert "unknown setting" in error.reason and "`maxHistoryMessages`" in error.reason
    assert str(error) == (
        "Invalid ChatLS setting `maxHistoryMesages`: unknown setting; did you mean `maxHistoryMessages`?"
    )


def test_unknown_key_without_a_near_match_lists_the_known_ones() -> None:
    error = error_of({"zzz": 1})
    assert error.key == "zzz" and "known settings:" in error.reason and "contextLines" in error.reason


@pytest.mark.parametrize(
    ("raw", "key", "reason"),
    [
        ({"maxHistoryMessages": "5"}, "maxHistoryMessages", "expected an integer, got string"),
        ({"maxHistoryMessages": True}, "maxHistoryMessages", "expected an integer, got boolean"),
        ({"maxHistoryMessages": 5.0}, "maxHistoryMessages", "expected an integer, got number"),
        ({"maxHistoryMessages": -1}, "maxHistoryMessages", "must be at least 0, got -1"),
        ({"maxCompletionTokens": 0}, "maxCompletionTokens", "must be at least 1, got 0"),
        ({"retryMaxAttempts": 100}, "retryMaxAttempts", "must be at least 1 and at most 20, got 100"),
        (
            {"requestTimeoutSeconds": "30"},
            "requestTimeoutSeconds",
            "expected a number of seconds, got string",
        ),
        ({"requestTimeoutSeconds": 0.5}, "requestTimeoutSeconds", "at least 1, got 0.5"),
        ({"retryMaxWaitSeconds": float("nan")}, "retryMaxWaitSeconds", "at least 0, got nan"),
        ({"instructions": ["a"]}, "instructions", "expected a string, got array"),
        ({"defaultProfile": ""}, "defaultProfile", "must not be empty"),
        ({"logLevel": "verbose"}, "logLevel", "must be one of debug, info, warning, error; got 'verbose'"),
        ({"reasoningEffort": "HIGH"}, "reasoningEffort", "must be one of"),
        ({"stateDir": "relative/dir"}, "stateDir", "must be an absolute path"),
        ({"stateDir": 5}, "stateDir", "expected a string, got integer"),
        ({"profiles": {"name": "x"}}, "profiles", "expected an array of profile objects, got object"),
        ({"profiles": ["x"]}, "profiles[0]", "expected a profile object, got string"),
    ],
)
def test_wrong_values_name_the_key_and_the_reason(raw: dict[str, Any], key: str, reason: str) -> None:
    error = error_of(raw)
    assert error.key == key
    assert reason in error.reason


def test_settings_must_be_an_object() -> None:
    error = error_of(["profiles"])
    assert error.key == "chatls" and "must be an object, got array" in error.reason


def test_profile_errors_name_the_index_and_the_profile_key() -> None:
    error = error_of({"profiles": [profile("a"), profile("b", apiVersion=20241021)]})
    assert error.key == "profiles[1].apiVersion"
    error = error_of({"profiles": [profile("a", deployement="typo")]})
    assert error.key == "profiles[0].deployement"
    error = error_of({"profiles": [profile("a"), profile("b"), profile("c", endpoint="contoso")]})
    assert error.key == "profiles[2].endpoint" and "http(s) URL" in error.reason
    error = error_of({"profiles": [profile("a", deployment=[])]})
    assert error.key == "profiles[0].deployment"


def test_duplicate_profile_names_are_refused() -> None:
    error = error_of({"profiles": [profile("same"), profile("same")]})
    assert error.key == "profiles[1].name" and "duplicate" in error.reason


def test_default_profile_must_exist() -> None:
    error = error_of({"profiles": [profile("a"), profile("b")], "defaultProfile": "c"})
    assert error.key == "defaultProfile"
    assert error.reason == "no profile named 'c'; configured profiles: 'a', 'b'"


def test_null_means_not_set_and_client_keys_are_ignored() -> None:
    raw = {
        "defaultProfile": None,
        "maxHistoryMessages": None,
        "server": {"pythonPath": "/usr/bin/python3"},
        "trace": {"server": "verbose"},
    }
    assert validate_settings(raw) == Settings()


def test_home_in_state_dir_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert validate_settings({"stateDir": "~/chatls-state"}).state_dir == tmp_path / "chatls-state"


# --- Settings helpers --------------------------------------------------------------------------------
def test_profile_lookup() -> None:
    settings = validate_settings({"profiles": [profile("a"), profile("b")]})
    assert settings.profile(None).name == "a"
    assert settings.profile("b").name == "b"
    assert (
        validate_settings({"profiles": [profile("a"), profile("b")], "defaultProfile": "b"}).profile().name
        == "b"
    )
    with pytest.raises(ConfigError) as caught:
        settings.profile("c")
    assert caught.value.key == "profile" and "configured profiles: 'a', 'b'" in caught.value.reason


def test_no_profile_says_what_to_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHATLS_CONFIG_FILE", str(tmp_path / "my.toml"))
    with pytest.raises(NoProfileError) as caught:
        Settings().profile(None)
    message = str(caught.value)
    for needed in (
        "chatls.profiles",
        str(tmp_path / "my.toml"),
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_DEPLOYMENT",
    ):
        assert needed in message
    assert "AZURE_OPENAI_API_KEY" in message


def test_completion_reserve() -> None:
    settings = Settings(
        max_completion_tokens=1000, reasoning_max_completion_tokens=20000, context_window_reserve=100
    )
    assert settings.completion_reserve(None, reasoning=False) == 1100
    assert settings.completion_reserve(None, reasoning=True) == 20100
    assert settings.completion_reserve(500, reasoning=True) == 600


def test_state_dir_defaults_to_the_user_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert Settings().resolved_state_dir() == tmp_path / "chatls"
    assert config.default_state_dir() == tmp_path / "chatls"
    assert Settings(state_dir=tmp_path / "x").resolved_state_dir() == tmp_path / "x"


# --- layers ------------------------------------------------------------------------------------------
def test_environment_makes_a_default_profile_without_copying_the_key() -> None:
    env = {
        "AZURE_OPENAI_ENDPOINT": "https://contoso.openai.azure.com/",
        "AZURE_OPENAI_DEPLOYMENT": "gpt-4o",
        "OPENAI_API_VERSION": "2024-10-21",
        "AZURE_OPENAI_API_KEY": CANARY_KEY,
    }
    layer = environment_layer(env)
    assert layer == {
        "profiles": [
            {
                "name": "default",
                "endpoint": "https://contoso.openai.azure.com/",
                "deployment": "gpt-4o",
                "apiVersion": "2024-10-21",
                "auth": "apiKey",
                "apiKeyEnv": "AZURE_OPENAI_API_KEY",
            }
        ]
    }
    settings = resolve_settings([("environment", layer)]).settings
    assert settings.profile(None).name == "default"
    assert CANARY_KEY not in repr(settings)
    assert CANARY_KEY not in repr(layer)


def test_environment_without_azure_variables_is_empty() -> None:
    assert environment_layer({"PATH": "/usr/bin", "AZURE_OPENAI_API_KEY": CANARY_KEY}) == {}


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"}, "AZURE_OPENAI_DEPLOYMENT"),
        ({"AZURE_OPENAI_DEPLOYMENT": "gpt-4o"}, "AZURE_OPENAI_ENDPOINT"),
    ],
)
def test_half_an_environment_profile_names_the_missing_variable(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        environment_layer(env)
    assert caught.value.key == key and "set both" in caught.value.reason


def test_config_file_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert config_file_path({"CHATLS_CONFIG_FILE": str(tmp_path / "c.toml")}) == tmp_path / "c.toml"
    monkeypatch.delenv("CHATLS_CONFIG_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_file_path() == tmp_path / "xdg" / "chatls" / "config.toml"


def test_config_file_layer_reads_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'defaultProfile = "deep"\n'
        "maxHistoryMessages = 50\n"
        "[[profiles]]\n"
        'name = "deep"\n'
        'endpoint = "https://contoso.openai.azure.com"\n'
        'deployment = ["o3-east", "o3-west"]\n'
        'apiVersion = "v1"\n',
        encoding="utf-8",
    )
    layer = config_file_layer(path)
    settings = validate_settings(layer)
    assert settings.default_profile == "deep" and settings.max_history_messages == 50
    assert settings.profile().name == "deep"
    assert config_file_layer(tmp_path / "absent.toml") == {}


def test_config_file_with_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("maxHistoryMessages = = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config_file_layer(path)
    assert caught.value.key == str(path) and "not valid TOML" in caught.value.reason


def test_base_layers_report_unreadable_sources_and_keep_going(tmp_path: Path) -> None:
    bad_file = tmp_path / "config.toml"
    bad_file.write_text("[[profiles]\n", encoding="utf-8")
    layers, errors = base_layers(
        {"maxHistoryMessages": 7}, environ={"AZURE_OPENAI_DEPLOYMENT": "gpt-4o"}, config_file=bad_file
    )
    assert [e.key for e in errors] == [str(bad_file), "AZURE_OPENAI_ENDPOINT"]
    assert [e.source for e in errors] == [f"config file {bad_file}", "environment"]
    assert layers == [("initializationOptions", {"maxHistoryMessages": 7})]
    assert resolve_settings(layers).settings.max_history_messages == 7


# --- resolve_settings --------------------------------------------------------------------------------
def test_higher_layers_win_per_top_level_key() -> None:
    resolved = resolve_settings(
        [
            ("config file", {"profiles": [profile("file")], "maxHistoryMessages": 1, "contextLines": 5}),
            ("environment", {"profiles": [profile("env")]}),
            ("initializationOptions", {"maxHistoryMessages": 2}),
            ("workspace", {"contextLines": 9, "instructions": None}),
        ]
    )
    assert resolved.errors == ()
    settings = resolved.settings
    assert [p.name for p in settings.profiles] == ["env"]  # the list is replaced, not merged
    assert (settings.max_history_messages, settings.context_lines) == (2, 9)
    assert settings.instructions == config.DEFAULT_INSTRUCTIONS


def test_an_invalid_layer_is_reported_and_left_out() -> None:
    resolved = resolve_settings(
        [
            ("initializationOptions", {"profiles": [profile("a")], "contextLines": 5}),
            ("workspace settings of file:///w", {"contextLines": "9", "maxHistoryMessages": 3}),
        ]
    )
    assert resolved.settings.context_lines == 5
    assert resolved.settings.max_history_messages == 200  # the whole bad layer is left out
    (error,) = resolved.errors
    assert error.key == "contextLines" and error.source == "workspace settings of file:///w"
    assert str(error) == (
        "Invalid ChatLS setting `contextLines` (from workspace settings of file:///w): "
        "expected an integer, got string"
    )


def test_the_last_good_value_of_a_layer_is_kept() -> None:
    base = ("initializationOptions", {"profiles": [profile("a"), profile("b")]})
    first = resolve_settings([base, ("workspace", {"defaultProfile": "b", "contextLines": 3})])
    assert first.errors == () and first.settings.profile().name == "b"

    second = resolve_settings(
        [base, ("workspace", {"defaultProfile": "b", "contextLine": 4})], previous=first
    )
    assert [e.key for e in second.errors] == ["contextLine"]
    assert second.settings == first.settings
    assert second.accepted == first.accepted

    third = resolve_settings([base, ("workspace", {"contextLines": 4})], previous=second)
    assert third.errors == ()
    assert third.settings.context_lines == 4 and third.settings.profile().name == "a"


def test_a_layer_that_breaks_a_lower_one_is_the_one_reported() -> None:
    resolved = resolve_settings(
        [
            ("initializationOptions", {"profiles": [profile("a"), profile("b")], "defaultProfile": "b"}),
            ("workspace", {"profiles": [profile("c")]}),
        ]
    )
    (error,) = resolved.errors
    assert (error.key, error.source) == ("defaultProfile", "workspace")
    assert [p.name for p in resolved.settings.profiles] == ["a", "b"]


def test_a_layer_that_is_not_an_object_is_reported() -> None:
    resolved = resolve_settings([("workspace", ["nope"]), ("initializationOptions", None)])
    assert [(e.key, e.source) for e in resolved.errors] == [("chatls", "workspace")]
    assert resolved.settings == Settings()


def test_an_empty_profile_list_does_not_hide_lower_profiles() -> None:
    resolved = resolve_settings(
        [
            ("environment", {"profiles": [profile("env")]}),
            ("workspace", {"profiles": [], "defaultProfile": None, "contextLines": 3}),
        ]
    )
    assert resolved.errors == ()
    assert [p.name for p in resolved.settings.profiles] == ["env"]
    assert resolved.settings.context_lines == 3
