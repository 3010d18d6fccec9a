"""The settings declaration (`chatls.settings_spec`) against the typed `Settings` and the validators."""

from __future__ import annotations

import ast
import importlib.util
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

from chatls import logging_setup, settings_spec
from chatls.azure.profile import PROFILE_KEYS
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


# --- every declared setting is read by the code that should use it -------------------------------------
PACKAGE_DIR = REPO / "server" / "chatls"
DECLARING = {PACKAGE_DIR / "config.py", PACKAGE_DIR / "settings_spec.py"}


def _mentions_settings(node: ast.expr) -> bool:
    return "settings" in ast.unparse(node).lower()


def _settings_reads() -> dict[str, set[str]]:
    """Attribute name -> modules (outside config.py and settings_spec.py) reading it from a settings object.

    A settings object is an expression that mentions `settings` (`settings.x`, `ls.settings_for(uri).x`) or
    a name the module assigns from one (`chosen = settings or self.settings`)."""
    reads: dict[str, set[str]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if path in DECLARING:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {
            target.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and _mentions_settings(node.value)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)):
                continue
            receiver = node.value
            if _mentions_settings(receiver) or (isinstance(receiver, ast.Name) and receiver.id in aliases):
                reads.setdefault(node.attr, set()).add(str(path.relative_to(PACKAGE_DIR)))
    return reads


def _settings_methods() -> dict[str, set[str]]:
    """Method of `Settings` -> the `self.<attribute>`s it reads."""
    tree = ast.parse((PACKAGE_DIR / "config.py").read_text(encoding="utf-8"))
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings"]
    return {
        method.name: {
            n.attr
            for n in ast.walk(method)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"
        }
        for method in cls.body
        if isinstance(method, ast.FunctionDef)
    }


READS = _settings_reads()
METHODS = _settings_methods()


def _reads_anywhere(attribute: str, *, besides: set[Path]) -> set[str]:
    """Modules other than `besides` that read `.attribute` of anything."""
    found = set()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if path in besides:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and node.attr == attribute:
                found.add(str(path.relative_to(PACKAGE_DIR)))
    return found


@pytest.mark.parametrize("setting", SERVER_SETTINGS, ids=lambda s: s.key)
def test_every_declared_setting_is_read_by_the_code_that_uses_it(setting: Setting) -> None:
    """Directly (`settings.context_lines`), through a `Settings` method that is itself used, or (for a
    setting that stands in for a profile key) through that key of every profile, read by the adapter."""
    readers = set(READS.get(setting.attribute, ()))
    for method, attributes in METHODS.items():
        if setting.attribute in attributes:
            readers |= READS.get(method, set())
    if setting.profile_default is not None:
        (key,) = [k for k in PROFILE_KEYS if k.key == setting.profile_default]
        readers |= _reads_anywhere(key.attribute, besides={*DECLARING, PACKAGE_DIR / "azure" / "profile.py"})
    assert readers, f"`{setting.key}` is declared but nothing reads Settings.{setting.attribute}"


def test_the_read_check_sees_a_setting_nobody_reads() -> None:
    assert "surely_not_a_setting" not in READS
    assert "context_lines" in READS and "max_edit_bytes" in READS


# --- behaviour of the settings that were declared but not read -----------------------------------------
PROFILE = {"endpoint": "https://contoso.openai.azure.com", "deployment": "gpt-4o"}


def test_request_timeout_seconds_fills_each_profile_without_a_timeout() -> None:
    raw = {"profiles": [{"name": "a", **PROFILE}, {"name": "b", **PROFILE, "timeout": 5}]}
    default, own = validate_settings(raw).profiles
    assert (default.timeout, own.timeout) == (600.0, 5.0)
    default, own = validate_settings({**raw, "requestTimeoutSeconds": 30}).profiles
    assert (default.timeout, own.timeout) == (30.0, 5.0)  # a profile's own timeout wins


@pytest.fixture
def root_level() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers, pinned = root.level, list(root.handlers), logging_setup._level_from_command_line
    yield
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    logging_setup._level_from_command_line = pinned


@pytest.mark.usefixtures("root_level")
def test_log_level_setting_applies_unless_the_command_line_names_one() -> None:
    logging_setup.configure_logging(None)
    assert logging.getLogger().level == logging.WARNING
    logging_setup.use_level_setting(validate_settings({"logLevel": "DEBUG"}).log_level)
    assert logging.getLogger().level == logging.DEBUG
    logging_setup.configure_logging("ERROR")
    logging_setup.use_level_setting("debug")
    assert logging.getLogger().level == logging.ERROR  # --log-level wins
