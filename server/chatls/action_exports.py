"""The code-action table (`action_specs.Action`) as the other places need it, rendered, never hand-written.

- docs/code-actions.md: the table of actions, between `BEGIN`/`END` markers;
- docs/protocol.md: the action commands in the commands table's `SelectionArgs` row;
- vscode-client/src/generated/actions.ts: the specs the VS Code client reads (titles, kinds, what edits);
- vscode-client/package.json: one palette command per action, titled from the table.

`python -m chatls.action_exports` rewrites the three in a source checkout; `--check` only reports drift.
Tests (tests/actions/test_action_table.py) fail while a checked-in copy differs from the rendering.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chatls import action_specs
from chatls.action_specs import COMMAND_PREFIX, KINDS, TITLE_PREFIX, Action, ActionSpec, Instruction, Result

BEGIN = "<!-- BEGIN generated action table (python -m chatls.action_exports) -->"
END = "<!-- END generated action table -->"
PALETTE_WHEN = "editorHasSelection"
CATEGORY = "ChatLS"

_RESULTS = {
    Result.SELECTION: "replaces the selection",
    Result.TEST_FILE: "goes into the test file",
    Result.CHAT: "an answer; nothing is edited",
}


# --- docs/code-actions.md ------------------------------------------------------------------------
def menu_title(spec: ActionSpec) -> str:
    """The title as the docs show it (an action on reported problems names them)."""
    if spec.diagnostics:
        return f"{TITLE_PREFIX}{spec.title} “…” / {spec.title} N problems"
    return TITLE_PREFIX + spec.title


def _needs(spec: ActionSpec) -> str:
    needs = [f"`instruction` ({spec.instruction.value})"] if spec.instruction is not Instruction.NONE else []
    if spec.diagnostics:
        needs.append("`diagnostics`")
    return ", ".join(needs) or "—"


def docs_table() -> str:
    rows = [
        "| Title | Command | Kind | Result | Takes | What it does |",
        "|---|---|---|---|---|---|",
    ]
    for action in Action:
        spec = action.spec
        rows.append(
            f"| {menu_title(spec)} | `{spec.command}` | `{spec.kind}` | {_RESULTS[spec.result]} "
            f"| {_needs(spec)} | {spec.description} |"
        )
    return "\n".join(rows)


def replace_between_markers(text: str, body: str) -> str:
    """`text` with what lies between the markers replaced by `body` (ValueError without both markers)."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"the markers {BEGIN!r} … {END!r} are missing")
    return f"{head}{BEGIN}\n{body}\n{END}{tail}"


def with_protocol_row(text: str) -> str:
    """docs/protocol.md with the commands of its `SelectionArgs` row (the code actions) from the table."""
    lines = text.split("\n")
    rows = [i for i, line in enumerate(lines) if line.startswith("| ") and PROTOCOL_ROW_ARGS in line]
    if len(rows) != 1:
        raise ValueError(f"expected one commands row with {PROTOCOL_ROW_ARGS!r}, found {len(rows)}")
    _, args, rest = lines[rows[0]].partition(PROTOCOL_ROW_ARGS)
    commands = ", ".join(f"`{action.command}`" for action in Action)
    lines[rows[0]] = f"| {commands} {args}{rest}"
    return "\n".join(lines)


PROTOCOL_ROW_ARGS = "| `SelectionArgs` "


# --- vscode-client/src/generated/actions.ts ------------------------------------------------------
def _ts(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _constant(action: Action) -> str:
    return "CMD_" + action.name


def typescript_module() -> str:
    lines = [
        "// Generated from server/chatls/action_specs.py by `python -m chatls.action_exports`; do not edit.",
        "// tests/actions/test_action_table.py fails while this file differs from the server's table.",
        "",
        f"export type ActionResultGoesTo = {' | '.join(_ts(r.value) for r in Result)};",
        f"export type InstructionNeed = {' | '.join(_ts(i.value) for i in Instruction)};",
        "",
        "/** One code action as the server declares it. */",
        "export interface ActionSpec {",
        "  readonly command: string;",
        '  /** Menu and palette title, after "ChatLS: ". */',
        "  readonly title: string;",
        "  /** Names the running action (progress, review). */",
        "  readonly runningTitle: string;",
        "  readonly kind: string;",
        "  /** Whether it proposes an edit; otherwise its reply is an answer to read (the chat panel). */",
        "  readonly edits: boolean;",
        "  readonly result: ActionResultGoesTo;",
        "  readonly instruction: InstructionNeed;",
        "  readonly instructionPrompt: string;",
        "  readonly instructionExample: string;",
        "  /** Takes the problems reported in the selection. */",
        "  readonly diagnostics: boolean;",
        "  /** The user's message as the server stores it when they typed none. */",
        "  readonly request: string;",
        "}",
        "",
        f"export const COMMAND_PREFIX = {_ts(COMMAND_PREFIX)};",
        *(f"export const KIND_{name} = {_ts(kind)};" for name, kind in _kind_names()),
        *(f"export const {_constant(action)} = {_ts(action.command)};" for action in Action),
        "",
        "/** Every code action, in the order the server offers them. */",
        "export const ACTIONS: readonly ActionSpec[] = [",
    ]
    for action in Action:
        spec = action.spec
        fields = {
            "command": spec.command,
            "title": spec.title,
            "runningTitle": spec.running_title,
            "kind": spec.kind,
            "edits": spec.edits,
            "result": spec.result.value,
            "instruction": spec.instruction.value,
            "instructionPrompt": spec.instruction_prompt,
            "instructionExample": spec.instruction_example,
            "diagnostics": spec.diagnostics,
            "request": spec.request,
        }
        lines.append("  {")
        lines.extend(f"    {key}: {_ts(value)}," for key, value in fields.items())
        lines.append("  },")
    lines.append("];")
    return "\n".join(lines) + "\n"


def _kind_names() -> list[tuple[str, str]]:
    """The `KIND_*` constants by their Python names, in declaration order."""
    named = [(n.removeprefix("KIND_"), v) for n, v in vars(action_specs).items() if n.startswith("KIND_")]
    return [(name, kind) for name, kind in named if kind in KINDS]


# --- vscode-client/package.json ------------------------------------------------------------------
def palette_commands() -> list[dict[str, str]]:
    return [{"command": a.command, "title": a.spec.title, "category": CATEGORY} for a in Action]


def palette_menus() -> list[dict[str, str]]:
    return [{"command": a.command, "when": PALETTE_WHEN} for a in Action]


def _is_action(entry: dict[str, Any]) -> bool:
    return entry.get("command") in {a.command for a in Action}


def with_action_commands(package: dict[str, Any]) -> dict[str, Any]:
    """`package` (package.json) with the actions' commands and palette entries replaced by the table's,
    everything else kept in place."""
    contributes = package["contributes"]
    commands = [c for c in contributes["commands"] if not _is_action(c)]
    contributes["commands"] = commands + palette_commands()
    menus = contributes["menus"]
    palette = [m for m in menus["commandPalette"] if not _is_action(m)]
    menus["commandPalette"] = palette + palette_menus()
    return package


def package_text(text: str) -> str:
    return json.dumps(with_action_commands(json.loads(text)), indent=2, ensure_ascii=False) + "\n"


# --- the command ---------------------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "code-actions.md"
PROTOCOL_DOCS = REPO / "docs" / "protocol.md"
TYPESCRIPT = REPO / "vscode-client" / "src" / "generated" / "actions.ts"
PACKAGE = REPO / "vscode-client" / "package.json"


def rendered() -> dict[Path, str]:
    """Each generated file as it should read now (only in a source checkout)."""
    return {
        DOCS: replace_between_markers(DOCS.read_text(encoding="utf-8"), docs_table()),
        PROTOCOL_DOCS: with_protocol_row(PROTOCOL_DOCS.read_text(encoding="utf-8")),
        TYPESCRIPT: typescript_module(),
        PACKAGE: package_text(PACKAGE.read_text(encoding="utf-8")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report files that differ")
    options = parser.parse_args(argv)
    if not PACKAGE.exists():
        sys.stderr.write("chatls.action_exports runs in a source checkout (vscode-client/ not found)\n")
        return 2
    stale = []
    for path, text in rendered().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not options.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        sys.stderr.write(f"{'differs' if options.check else 'rewrote'}: {path.relative_to(REPO)}\n")
    return 1 if options.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
