"""The settings examples in docs/editors.md are accepted by the server's own settings loader, as written.

(The Lua and elisp setup blocks are run in real editors by test_editors.py.)
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from chatls.config import base_layers, resolve_settings

# tomllib is stdlib from 3.11; tomli is the same parser for 3.10.
tomllib: Any = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")

DOCS = Path(__file__).resolve().parents[2] / "docs" / "editors.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.DOTALL)


def assert_work_profile(initialization_options: object, config_file: Path) -> None:
    layers, errors = base_layers(initialization_options, environ={}, config_file=config_file)
    resolved = resolve_settings(layers)
    assert (errors, resolved.errors) == ([], ())
    assert resolved.settings.default_profile == "work"
    (profile,) = resolved.settings.profiles
    assert (profile.name, profile.endpoint, profile.deployment) == (
        "work",
        "https://my-resource.openai.azure.com",
        "gpt-4o",
    )
    assert profile.api_key_env == "AZURE_OPENAI_API_KEY"


def test_json_initialization_options_example_is_accepted(tmp_path: Path) -> None:
    (example,) = blocks("json")
    assert_work_profile(json.loads(example), tmp_path / "absent.toml")


def test_config_toml_example_is_accepted(tmp_path: Path) -> None:
    (example,) = [b for b in blocks("toml") if "[[profiles]]" in b]
    config = tmp_path / "config.toml"
    config.write_text(example, encoding="utf-8")
    assert_work_profile(None, config)


def test_helix_languages_toml_example_parses() -> None:
    (example,) = [b for b in blocks("toml") if "[language-server.chatls]" in b]
    languages = tomllib.loads(example)
    # The venv's chatls, as for every editor: Helix started outside the venv has no `chatls` on PATH.
    assert languages["language-server"]["chatls"] == {
        "command": "/path/to/chatls/.venv/bin/chatls",
        "args": ["serve"],
    }
    assert "chatls" in languages["language"][0]["language-servers"]
