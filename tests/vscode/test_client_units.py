"""The extension's node-based tests, run from pytest so the README's single test command covers them:
pure TypeScript unit tests (protocol mirror, settings, key handling, edit proposals) and the chat webview in
headless Chromium (streaming Markdown, code-block buttons, Stop, status line, errors, XSS under the real CSP).

Also the check that VS Code's Settings UI (package.json `contributes.configuration`) matches the server's
own declaration of its settings (`chatls.config.Settings`, `chatls.azure.profile`): names, types, defaults,
choices.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import attrs
import pytest

from chatls import config, settings_spec
from chatls.azure import profile

REPO = Path(__file__).resolve().parents[2]
PACKAGE = json.loads((REPO / "vscode-client" / "package.json").read_text())
PROPERTIES: dict[str, dict[str, Any]] = PACKAGE["contributes"]["configuration"]["properties"]
SETTINGS_TS = (REPO / "vscode-client" / "src" / "settings.ts").read_text()


def _passed(output: str) -> int:
    match = re.search(r"^ℹ pass (\d+)", output, re.MULTILINE)
    return int(match.group(1)) if match else 0


NodeTests = Callable[[str], CompletedProcess[str]]


@pytest.mark.vscode
def test_typescript_unit_tests(node_tests: NodeTests) -> None:
    result = node_tests("out/test/unit/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _passed(result.stdout) >= 40, result.stdout


@pytest.mark.vscode
def test_webview_in_headless_chromium(node_tests: NodeTests) -> None:
    result = node_tests("test/webview/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _passed(result.stdout) >= 10, result.stdout


# --- VS Code's settings against the server's declaration --------------------------------------------
def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


SERVER_SETTINGS = {_camel(field.name): field for field in attrs.fields(config.Settings)}
JSON_TYPES = {"int": "integer", "float": "number", "str": "string", "Path": "string", "bool": "boolean"}
CHOICES = {s.key: s.choices for s in settings_spec.SERVER_SETTINGS if s.choices}


def _server_keys() -> set[str]:
    keys = (key.removeprefix("chatls.") for key in PROPERTIES)
    return {key for key in keys if key.split(".")[0] not in config.CLIENT_ONLY_KEYS}


def _json_type(annotation: str) -> str:
    if annotation.startswith("tuple[MCPServerConfig"):
        return "object"  # written by name (`{"git": {...}}`), kept as a tuple of parsed servers
    if annotation.startswith("tuple["):
        return "array"
    base = annotation.split("|")[0].strip()
    return JSON_TYPES[base]


def test_vscode_declares_exactly_the_server_settings() -> None:
    assert _server_keys() == set(SERVER_SETTINGS), "package.json's configuration drifted from Settings"
    client_only = {key.split(".")[1] for key in PROPERTIES} - set(SERVER_SETTINGS)
    assert client_only <= config.CLIENT_ONLY_KEYS, client_only
    declared_ts = set(re.findall(r'"(\w+)"', re.search(r"SERVER_KEYS = \[(.*?)\]", SETTINGS_TS, re.S)[1]))  # type: ignore[index]
    assert declared_ts == set(SERVER_SETTINGS), "settings.ts SERVER_KEYS drifted from Settings"


@pytest.mark.parametrize("key", sorted(SERVER_SETTINGS))
def test_each_setting_matches_its_server_declaration(key: str) -> None:
    field, ui = SERVER_SETTINGS[key], PROPERTIES[f"chatls.{key}"]
    assert isinstance(field.type, str)
    types = ui["type"] if isinstance(ui["type"], list) else [ui["type"]]
    assert _json_type(field.type) in types, (key, field.type, types)
    # no literal null to pick: an empty default means "the server's default (or a lower layer's value)"
    assert None not in ui.get("enum", []), f"{key} offers null"
    default = ui.get("default")
    if default not in (None, "", []):
        assert default == field.default, (key, default, field.default)
    if key in CHOICES:
        assert [v for v in ui["enum"] if v != ""] == list(CHOICES[key]), key
        assert "" not in ui["enum"] or ui["enumItemLabels"][ui["enum"].index("")].startswith("("), key
    described = re.search(r"server default (\d[\d_]*)", ui.get("description", ""))
    if described:
        assert float(described[1]) == float(field.default), f"{key}: description names another default"
    assert ui.get("description") or ui.get("markdownDescription"), key


def test_settings_read_only_at_start_restart_the_server() -> None:
    listed = re.search(r"RESTART_SETTINGS = \[(.*?)\]", SETTINGS_TS, re.S)
    assert listed is not None
    restart = set(re.findall(r'"chatls\.([\w.]+)"', listed[1]))
    assert {s.key for s in settings_spec.SERVER_SETTINGS if s.scope == "server"} <= restart


def test_profile_items_match_the_profile_reader() -> None:
    items = PROPERTIES["chatls.profiles"]["items"]
    readers = {declared.key for declared in profile.PROFILE_KEYS}  # the one declaration of profile keys
    assert set(items["properties"]) == set(readers), "profile keys drifted"
    assert items["properties"]["reasoningEffort"]["enum"] == list(profile.REASONING_EFFORTS)
    assert items["properties"]["verbosity"]["enum"] == list(profile.VERBOSITY_LEVELS)
    assert items["additionalProperties"] is False


def test_profiles_come_with_a_template_that_the_server_accepts() -> None:
    prop = PROPERTIES["chatls.profiles"]
    assert "```json" in prop["markdownDescription"]
    example = prop["examples"][0]
    assert config.resolve_settings([("template", {"profiles": example})]).errors == ()
    body = json.dumps(prop["defaultSnippets"][0]["body"])
    assert all(f'"{key}"' in body for key in ("name", "endpoint", "deployment"))


def test_settings_ui_is_titled_chatls_with_keybindings() -> None:
    assert PACKAGE["contributes"]["configuration"]["title"] == "ChatLS"
    bound = {binding["command"] for binding in PACKAGE["contributes"]["keybindings"]}
    assert {"chatls.client.openChat", "chatls.client.sendSelectionToChat"} <= bound
    assert {"chatls.client.acceptEdit", "chatls.client.discardEdit"} <= bound
    commands = {command["command"] for command in PACKAGE["contributes"]["commands"]}
    assert bound <= commands
