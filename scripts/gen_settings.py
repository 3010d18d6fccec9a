"""Write (or check) what is derived from the settings declaration.

    python scripts/gen_settings.py --write   # rewrite the derived parts after editing a declaration
    python scripts/gen_settings.py --check   # exit 1, naming each file that drifted (a test runs this)

Derived from `chatls.settings_spec.SETTINGS` and `chatls.azure.profile.PROFILE_KEYS`:
- docs/configuration.md: the settings and profile tables, between `<!-- generated: NAME -->` markers;
- vscode-client/package.json: `contributes.configuration.properties` (the rest of the file is left alone).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chatls.azure.profile import PROFILE_KEYS, ProfileKey
from chatls.settings_spec import SETTINGS, Setting

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "configuration.md"
PACKAGE = REPO / "vscode-client" / "package.json"

_JSON_TYPES = {
    "string": "string",
    "name": "string",
    "directory": "string",
    "tomlFile": "string",
    "choice": "string",
    "boolean": "boolean",
    "integer": "integer",
    "seconds": "number",
    "profiles": "array",
    "strings": "array",
    "mcpServers": "object",
}
_NULLABLE = ("integer", "seconds", "boolean", "strings", "mcpServers", "tomlFile")
"""Kinds VS Code shows as empty (null) until set, so that the server's default (or a lower layer) applies."""


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- VS Code ---------------------------------------------------------------------------------------------
def vscode_property(setting: Setting) -> dict[str, Any]:
    """The `contributes.configuration` property of one setting."""
    json_type = _JSON_TYPES[setting.kind]
    prop: dict[str, Any] = {"type": json_type}
    if setting.scope == "client":
        prop["default"] = list(setting.default) if isinstance(setting.default, tuple) else setting.default
        if setting.choices:
            prop["enum"] = list(setting.choices)
        description = setting.summary
    elif setting.kind in _NULLABLE:
        prop = {"type": [json_type, "null"], "default": None}
        if setting.default_words is None:
            summary = setting.summary.removesuffix(".")
            description = (
                f"{summary} (server default {shown(setting.default)}). Empty uses the server default."
            )
        else:
            description = f"{setting.summary} Empty: {setting.default_words.replace('`', '')}."
    elif setting.kind == "profiles":
        prop["default"] = []
        prop["items"] = profile_item_schema(setting.vscode.get("items", {}))
        description = setting.summary
    else:
        prop["default"] = ""
        words = setting.default_words or f"server default: {shown(setting.default)}"
        if setting.choices:
            prop["enum"] = ["", *setting.choices]
            prop["enumItemLabels"] = [f"({words})", *setting.choices]
            description = setting.summary
        else:
            description = f"{setting.summary} Empty: {words}."
    if setting.kind == "strings":
        prop["items"] = {"type": "string"}
    if setting.minimum is not None:
        prop["minimum"] = setting.minimum if setting.kind == "seconds" else int(setting.minimum)
    if setting.maximum is not None:
        prop["maximum"] = int(setting.maximum)
    extras = {key: value for key, value in setting.vscode.items() if key != "items"}
    if "markdownDescription" not in extras:
        prop["description"] = description
    prop.update(extras)
    return prop


def profile_item_schema(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON schema of one profile, from `PROFILE_KEYS` (plus VS Code's `required` and snippets)."""
    properties = {key.key: {**key.schema, "description": key.summary} for key in PROFILE_KEYS}
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    schema.update(overrides)
    return schema


def vscode_properties() -> dict[str, Any]:
    return {f"chatls.{setting.key}": vscode_property(setting) for setting in SETTINGS}


def package_text(current: str) -> str:
    package = json.loads(current)
    package["contributes"]["configuration"]["properties"] = vscode_properties()
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


# --- docs ------------------------------------------------------------------------------------------------
def doc_type(setting: Setting) -> str:
    if setting.kind == "integer":
        low = int(setting.minimum or 0)
        if setting.maximum is None:
            return f"integer ≥ {low}"
        return f"integer {low}–{int(setting.maximum)}"
    if setting.kind == "seconds":
        return f"number ≥ {shown(setting.minimum)}"
    if setting.kind == "choice":
        choices = ", ".join(f"`{choice}`" for choice in setting.choices)
        return choices + (" (any case)" if setting.fold_case else "")
    return {
        "string": "string",
        "name": "string",
        "boolean": "boolean",
        "directory": "absolute path (`~` allowed)",
        "tomlFile": "absolute path of a `.toml` file (`~` allowed)",
        "profiles": "array of profile objects",
        "strings": "array of strings",
        "mcpServers": "object",
    }[setting.kind]


def _meaning(summary: str, details: str) -> str:
    return f"{summary} {details}".strip().replace("|", "\\|")


def settings_table() -> str:
    rows = ["| Key | Type | Default | Meaning |", "|---|---|---|---|"]
    client = ["| Key | Type | Default | Meaning |", "|---|---|---|---|"]
    for setting in SETTINGS:
        default = setting.default_words or f"`{shown(setting.default)}`"
        if setting.scope == "client" and isinstance(setting.default, (tuple, str)) and not setting.default:
            default = "empty"
        meaning = _meaning(setting.summary, setting.details)
        row = f"| `{setting.key}` | {doc_type(setting)} | {default} | {meaning} |"
        (client if setting.scope == "client" else rows).append(row)
    server_wide = ", ".join(f"`{s.key}`" for s in SETTINGS if s.scope == "server")
    return "\n".join(
        [
            *rows,
            "",
            f"{server_wide} are read when the server starts (the VS Code extension restarts it when",
            "they change); the others are re-read whenever the editor's settings change (per workspace",
            "folder where it sends them).",
            "",
            "Editor-only keys of the `chatls` section (the VS Code extension's own; the server ignores",
            "them):",
            "",
            *client,
        ]
    )


def profiles_table() -> str:
    rows = ["| Key | Type | Default | Meaning |", "|---|---|---|---|"]
    for key in PROFILE_KEYS:
        rows.append(_profile_row(key))
    return "\n".join(rows)


def _profile_row(key: ProfileKey) -> str:
    return f"| `{key.key}` | {key.doc_type} | {key.doc_default} | {_meaning(key.summary, key.details)} |"


GENERATED = {"settings": settings_table, "profiles": profiles_table}


def doc_text(current: str) -> str:
    text = current
    for name, render in GENERATED.items():
        start, end = (
            f"<!-- generated: {name} (scripts/gen_settings.py) -->",
            f"<!-- end generated: {name} -->",
        )
        head, found, rest = text.partition(start)
        if not found or end not in rest:
            raise SystemExit(f"{DOC}: markers for {name!r} are missing: {start} … {end}")
        tail = rest.split(end, 1)[1]
        text = f"{head}{start}\n{render()}\n{end}{tail}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the derived files")
    mode.add_argument("--check", action="store_true", help="exit 1 if a derived file differs")
    args = parser.parse_args(argv)
    drifted = []
    for path, render in ((DOC, doc_text), (PACKAGE, package_text)):
        current = path.read_text(encoding="utf-8")
        wanted = render(current)
        if wanted != current:
            drifted.append(path)
            if args.write:
                path.write_text(wanted, encoding="utf-8")
    for path in drifted:
        verb = "rewrote" if args.write else "differs from the settings declaration:"
        sys.stderr.write(f"{verb} {path.relative_to(REPO)}\n")
    if drifted and args.check:
        sys.stderr.write("run: python scripts/gen_settings.py --write\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
