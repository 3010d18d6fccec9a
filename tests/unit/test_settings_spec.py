"""The settings declaration (`chatls.settings_spec`) against the typed `Settings` and the validators."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

from chatls import settings_spec
from chatls.config import ConfigError, Settings, validate_settings
from chatls.settings_spec import BY_KEY, PYTHON_TYPES, SERVER_SETTINGS, Setting

FIELDS = {field.name: field for field in attrs.fields(Settings)}


def test_settings_has_one_attribute_per_declared_server_setting() -> None:
    assert sorted(s.attribute for s in SERVER_SETTINGS) == sorted(FIELDS)


@pytest.mark.parametrize("setting", SERVER_SETTINGS, ids=lambda s: s.key)
def test_each_attribute_has_the_declared_type_and_default(setting: Setting) -> None:
    field = FIELDS[setting.attribute]
    expected = PYTHON_TYPES[setting.kind] + (" | None" if setting.default is None else "")
    assert field.type == expected
    assert field.default == setting.default
    assert getattr(Settings(), setting.attribute) == setting.default


@pytest.mark.parametrize("setting", SERVER_SETTINGS, ids=lambda s: s.key)
def test_the_declared_default_passes_its_own_validator(setting: Setting) -> None:
    if setting.default is None:
        return  # "not set": nothing to validate
    raw: Any = setting.default
    if setting.kind == "mcpServers":
        raw = {}
    elif setting.kind in ("profiles", "strings"):
        raw = list(raw)
    assert getattr(validate_settings({setting.key: raw}), setting.attribute) == setting.default


@pytest.mark.parametrize("setting", [s for s in SERVER_SETTINGS if s.kind in ("integer", "seconds")])
def test_numeric_bounds_are_enforced_as_declared(setting: Setting) -> None:
    assert setting.minimum is not None
    below = setting.minimum - 1 if setting.kind == "integer" else setting.minimum - 0.5
    with pytest.raises(ConfigError, match="at least"):
        validate_settings({setting.key: int(below) if setting.kind == "integer" else below})
    if setting.maximum is not None:
        with pytest.raises(ConfigError, match="at most"):
            validate_settings({setting.key: int(setting.maximum) + 1})


@pytest.mark.parametrize("setting", [s for s in SERVER_SETTINGS if s.kind == "choice"], ids=lambda s: s.key)
def test_choices_are_enforced_as_declared(setting: Setting) -> None:
    for choice in setting.choices:
        assert getattr(validate_settings({setting.key: choice}), setting.attribute) == choice
    with pytest.raises(ConfigError, match="must be one of " + ", ".join(setting.choices)):
        validate_settings({setting.key: "surely-not-a-choice"})


def test_client_only_keys_come_from_the_client_scoped_declarations() -> None:
    client = [s.key for s in settings_spec.SETTINGS if s.scope == "client"]
    assert client == ["server.pythonPath", "server.extraArgs", "trace.server"]
    assert {"server", "trace"} == settings_spec.CLIENT_ONLY_KEYS
    assert not set(BY_KEY) & settings_spec.CLIENT_ONLY_KEYS


def test_every_setting_has_words_and_a_known_scope() -> None:
    for setting in settings_spec.SETTINGS:
        assert setting.summary.strip() and setting.scope in ("server", "workspace", "client"), setting.key
        assert setting.kind in PYTHON_TYPES, setting.key
        assert (setting.kind == "choice") == bool(setting.choices), setting.key


# --- derived artefacts: docs/configuration.md's tables and VS Code's contributes.configuration ---------
REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "scripts" / "gen_settings.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_settings", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vscode_settings_are_generated_from_the_declaration() -> None:
    package = json.loads((REPO / "vscode-client" / "package.json").read_text(encoding="utf-8"))
    properties = package["contributes"]["configuration"]["properties"]
    assert properties == _generator().vscode_properties(), "run: python scripts/gen_settings.py --write"


def test_the_generator_reports_a_drifted_artefact_and_rewrites_it() -> None:
    generator = _generator()
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert generator.doc_text(doc) == doc, "run: python scripts/gen_settings.py --write"
    drifted = doc.replace("| `contextLines` | integer 0–1000 | `20` |", "| `contextLines` | integer | `30` |")
    assert drifted != doc and generator.doc_text(drifted) == doc


def test_the_generator_check_passes_on_the_repository() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
