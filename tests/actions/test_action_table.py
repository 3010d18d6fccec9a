"""The code-action table is the one declaration: the listing, the prompts, the docs and the VS Code client's
copies (generated TypeScript, package.json palette commands) all follow it, and drift fails here."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from lsprotocol import types

from chatls import action_exports, prompts, protocol
from chatls.action_specs import KINDS, TITLE_PREFIX, Action, Instruction, Result
from chatls.features import code_actions

REGENERATE = "out of date: run `python -m chatls.action_exports` and commit the result"


# --- the checked-in copies ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(action_exports.rendered(), key=str), ids=lambda p: p.name)
def test_generated_copies_match_the_table(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == action_exports.rendered()[path], f"{path.name} is {REGENERATE}"


def _generated_specs() -> list[dict[str, object]]:
    """The ACTIONS array of the checked-in TypeScript, read back as data."""
    text = action_exports.TYPESCRIPT.read_text(encoding="utf-8")
    body = re.search(r"export const ACTIONS: readonly ActionSpec\[\] = \[\n(.*?)\n\];", text, re.S)
    assert body, "ACTIONS not found in the generated TypeScript"
    objects = re.sub(r"^( +)(\w+): ", r'\1"\2": ', body[1], flags=re.M)
    return list(json.loads("[" + re.sub(r",(\s*[}\]])", r"\1", objects).rstrip().rstrip(",") + "]"))


def test_vscode_learns_titles_kinds_and_edits_from_the_server() -> None:
    generated = {spec["command"]: spec for spec in _generated_specs()}
    assert list(generated) == [action.command for action in Action]
    for action in Action:
        spec, client = action.spec, generated[action.command]
        assert (client["title"], client["kind"], client["edits"]) == (spec.title, spec.kind, spec.edits)
        assert client["runningTitle"] == spec.running_title
        assert client["instruction"] == spec.instruction.value


def test_package_json_palette_titles_are_the_table_titles() -> None:
    package = json.loads(action_exports.PACKAGE.read_text(encoding="utf-8"))
    commands = {c["command"]: c for c in package["contributes"]["commands"]}
    for action in Action:
        assert commands[action.command]["title"] == action.spec.title, action
        assert commands[action.command]["category"] == "ChatLS"
    palette = {m["command"]: m.get("when") for m in package["contributes"]["menus"]["commandPalette"]}
    assert all(palette[action.command] == "editorHasSelection" for action in Action)
    # no client command re-declares an action under a title of its own
    titles = [c["title"] for c in commands.values() if c["command"].startswith("chatls.client.")]
    assert not set(titles) & {action.spec.title for action in Action}


def test_docs_table_has_one_row_per_action() -> None:
    table = action_exports.DOCS.read_text(encoding="utf-8").split(action_exports.BEGIN)[1]
    rows = [line for line in table.split(action_exports.END)[0].splitlines() if line.startswith("| ChatLS")]
    assert [re.search(r"`(chatls\.\w+)`", row)[1] for row in rows] == list(protocol.ACTION_COMMANDS)  # type: ignore[index]


def test_markers_are_required_to_regenerate_the_docs() -> None:
    with pytest.raises(ValueError, match="markers"):
        action_exports.replace_between_markers("no markers here", "| table |")
    text = f"before\n{action_exports.BEGIN}\nold\n{action_exports.END}\nafter"
    assert action_exports.replace_between_markers(text, "new") == text.replace("old", "new")


# --- the table is consistent -------------------------------------------------------------------------
@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.spec.id)
def test_each_spec_is_complete(action: Action) -> None:
    spec = action.spec
    assert spec.kind in KINDS
    assert spec.command == f"chatls.{spec.id}"
    assert (spec.instruction is Instruction.NONE) == (spec.instruction_prompt == ""), "ask only what is taken"
    fields = {name for _, name, _, _ in string.Formatter().parse(spec.prompt) if name}
    assert fields <= set(prompts.PROMPT_FIELDS), fields - set(prompts.PROMPT_FIELDS)
    # an action that replaces the selection must be told how; the others must not be
    assert ("replacement_rules" in fields) == (spec.result is Result.SELECTION)
    assert action.replaces_selection == (spec.result is Result.SELECTION)
    assert spec.edits == (spec.result is not Result.CHAT)


def test_ids_and_titles_are_unique_and_every_kind_is_used() -> None:
    assert len({a.spec.id for a in Action}) == len({a.spec.title for a in Action}) == len(Action)
    assert {a.spec.kind for a in Action} == set(KINDS)
    assert Action.for_command(protocol.CMD_IMPROVE) is Action.IMPROVE
    assert Action.for_command(protocol.CMD_CHAT) is None


def test_the_listing_follows_the_table_order_and_titles() -> None:
    selection = types.Range(start=types.Position(0, 0), end=types.Position(1, 0))
    problem = types.Diagnostic(range=selection, message="unused name")
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri="file:///w/a.py"),
        range=selection,
        context=types.CodeActionContext(diagnostics=[problem]),
    )
    listed = code_actions.actions_for(params, version=1)
    assert [a.command.command for a in listed if a.command] == [a.command for a in Action]
    assert [a.kind for a in listed] == [a.spec.kind for a in Action]
    plain = [TITLE_PREFIX + a.spec.title for a in Action if not a.spec.diagnostics]
    assert [a.title for a in listed if not a.diagnostics] == plain
    assert [a.title for a in listed if a.diagnostics] == ["ChatLS: Fix “unused name”"]
    assert list(KINDS) == code_actions.ADVERTISED_KINDS
