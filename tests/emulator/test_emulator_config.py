"""Config forms (path, TOML text, dict, EmulatorConfig) and one clear message per mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chatls.emulator.config import ConfigError, EmulatorConfig, load_config
from chatls.emulator.families import FAMILIES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "emulator.toml"


def test_no_config_means_one_deployment_per_family() -> None:
    config = load_config(None)
    assert list(config.deployments) == list(FAMILIES)
    assert config.deployments["o1"].model == "o1-2024-12-17"
    assert config.deployments["gpt-35-turbo"].model == "gpt-35-turbo-0125"
    assert config.api_keys == () and config.api_key == "emulator-key"


def test_the_example_config_loads() -> None:
    config = load_config(EXAMPLE)
    assert config.deployments
    assert config.replies
    assert load_config(str(EXAMPLE)) == config


def test_toml_text_dict_and_config_forms_agree() -> None:
    text = 'server.api_keys = ["k1"]\n[deployments]\nmy-o1 = "o1-2024-12-17"\n'
    from_text = load_config(text)
    from_dict = load_config({"server": {"api_keys": ["k1"]}, "deployments": {"my-o1": "o1-2024-12-17"}})
    assert from_text == from_dict
    assert load_config(from_dict) is from_dict
    assert list(from_text.deployments) == ["my-o1"]  # a deployments table replaces the defaults
    assert from_text.api_key == "k1"


def test_deployment_table_with_overrides_and_defaults_kept() -> None:
    config = load_config(
        {
            "server": {"include_default_deployments": True},
            "timing": {"tokens_per_second": 50},
            "deployments": {
                "tiny": {
                    "model": "gpt-4o-mini-2024-07-18",
                    "context_window": 100,
                    "time_to_first_token": 0.5,
                },
                "strict": {"model": "gpt-5.1", "reject_values": {"reasoning_effort": ["none"]}},
            },
        }
    )
    tiny = config.deployments["tiny"]
    assert (tiny.context_window, tiny.timing.time_to_first_token, tiny.timing.tokens_per_second) == (
        100,
        0.5,
        50.0,
    )
    assert config.deployments["strict"].model == "gpt-5.1-2025-11-13"
    assert "gpt-4o" in config.deployments


@pytest.mark.parametrize(
    ("text", "key", "line", "reason"),
    [
        ("[server]\napi_keys = [1,,]\nx = 1\n", "", 2, "invalid TOML"),
        ("[server]\napi_keys = [\n", "", 2, "invalid TOML"),
        ("[server]\nport = 1\n", "server.port", 2, "unknown setting"),
        (
            '[deployments]\nok = "gpt-4o"\nbad = "gpt-99-2025-01-01"\n',
            "deployments.bad.model",
            3,
            "unknown model family 'gpt-99'",
        ),
        (
            '[deployments.slow]\nmodel = "gpt-4o"\ntokens_per_second = -1\n',
            "deployments.slow.tokens_per_second",
            3,
            "expected a number >= 0",
        ),
        ("[deployments.x]\ncontext_window = 5\n", "deployments.x.model", 1, "missing"),
        ('[[replies]]\npattern = "("\nreply = "x"\n', "replies[0].pattern", 2, "invalid regular expression"),
        ('[[faults]]\nkind = "volcano"\n', "faults[0].kind", 2, "expected one of"),
        (
            '[[faults]]\nkind = "server_error"\nstatus = 418\n',
            "faults[0].status",
            3,
            "expected 500, 502, 503 or 504",
        ),
        ('[timing]\nthinking_time = "slow"\n', "timing.thinking_time", 2, "expected a number"),
        (
            '[deployments.x]\nmodel = "o1"\nreject_parameters = {top_p = "nope"}\n',
            "deployments.x.reject_parameters.top_p",
            3,
            "expected one of",
        ),
        (
            '[server]\napi_keys = ["k"]\napi_key_header = "Ocp Apim"\n',
            "server.api_key_header",
            3,
            "expected an HTTP header name",
        ),
        ('[server]\napi_key_header = "API-Key"\n', "server.api_key_header", 2, "is always accepted"),
        (
            '[[faults]]\nkind = "rate_limit"\nretry_headers = "iso"\n',
            "faults[0].retry_headers",
            3,
            "expected",
        ),
    ],
    ids=[
        "syntax",
        "syntax-at-end",
        "unknown-key",
        "unknown-family",
        "negative",
        "no-model",
        "regex",
        "fault-kind",
        "fault-status",
        "timing-type",
        "rejection-code",
        "gateway-header-name",
        "gateway-header-built-in",
        "retry-header-form",
    ],
)
def test_bad_config_names_the_key_and_line(text: str, key: str, line: int, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(text)
    error = caught.value
    assert error.key == key
    assert error.line == line
    assert reason in str(error)
    assert "\n" not in str(error)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.toml")


def test_emulator_config_object_is_used_as_is() -> None:
    config = EmulatorConfig(api_keys=("a",))
    assert load_config(config) is config


def test_command_reports_a_bad_config_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[deployments]\nmine = 42\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "chatls.emulator", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{bad}: deployments.mine (line 2): expected a model name" in lines[0]
