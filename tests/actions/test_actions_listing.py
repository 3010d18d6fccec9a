"""Listing code actions: what is offered, filtered and carried, and that listing never calls the model."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from tests.actions.helpers import code_actions, open_document, rng, session, subtraction_warning

from chatls import protocol
from chatls.emulator.fixture import RunningEmulator
from chatls.features import code_actions as listing

SOURCE = "def add(a, b):\n    return a - b\n\n\nprint(add(1, 2))\n"
UNDEFINED = subtraction_warning(rng((1, 11), (1, 16)))
ELSEWHERE = types.Diagnostic(range=rng((4, 0), (4, 5)), message="print call", source="lintbot")

ALL_TITLES = [
    "ChatLS: Explain",
    "ChatLS: Improve",
    "ChatLS: Add documentation",
    "ChatLS: Generate tests",
    "ChatLS: Ask in chat",
    "ChatLS: Edit with instruction…",
]


async def test_a_selection_offers_every_action_with_its_arguments(
    preset: str, emulator: RunningEmulator, workspace: Path, state_dir: Path
) -> None:
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "calc.py", SOURCE, "python", version=3)
        actions = await code_actions(client, uri, rng((0, 0), (1, 16)))
        assert isinstance(actions[0], types.CodeAction)  # noticed when lsprotocol fixes its union hook
        assert [a.title for a in actions] == ALL_TITLES
        assert [a.kind for a in actions] == [
            protocol.KIND_EXPLAIN,
            protocol.KIND_REWRITE,
            protocol.KIND_REWRITE,
            protocol.KIND_EXPLAIN,
            protocol.KIND_EXPLAIN,
            protocol.KIND_REWRITE,
        ]
        commands = [a.command for a in actions if a.command is not None]
        assert [c.command for c in commands] == [
            protocol.CMD_EXPLAIN,
            protocol.CMD_IMPROVE,
            protocol.CMD_DOCUMENT,
            protocol.CMD_GENERATE_TESTS,
            protocol.CMD_ASK_IN_CHAT,
            protocol.CMD_EDIT_SELECTION,
        ]
        for command in commands:
            assert list(command.arguments or []) == [
                {
                    "uri": uri,
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 16}},
                    "version": 3,
                }
            ]
        assert await emulator.requests() == []  # listing never reaches the model


async def test_fix_is_offered_first_with_the_diagnostics_in_the_selection(
    preset: str, emulator: RunningEmulator, workspace: Path, state_dir: Path
) -> None:
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "calc.py", SOURCE, "python")
        actions = await code_actions(client, uri, rng((1, 4), (1, 16)), diagnostics=[UNDEFINED, ELSEWHERE])
        fix = actions[0]
        assert fix.title == "ChatLS: Fix “Subtraction where addition was meant”"
        assert fix.kind == protocol.KIND_QUICKFIX
        assert list(fix.diagnostics or []) == [UNDEFINED]
        assert fix.command is not None and fix.command.command == protocol.CMD_FIX
        (argument,) = fix.command.arguments or []
        assert isinstance(argument, dict)
        assert argument["diagnostics"] == [
            {
                "range": {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 16}},
                "message": "Subtraction where addition was meant",
                "severity": 2,
                "source": "lintbot",
                "code": "L042",
            }
        ]
        assert [a.title for a in actions[1:]] == ALL_TITLES
        assert await emulator.requests() == []


async def test_context_only_filters_by_kind(
    preset: str, emulator: RunningEmulator, workspace: Path, state_dir: Path
) -> None:
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "calc.py", SOURCE, "python")
        selected = rng((1, 4), (1, 16))
        quickfix = await code_actions(client, uri, selected, diagnostics=[UNDEFINED], only=["quickfix"])
        assert [a.command.command for a in quickfix if a.command] == [protocol.CMD_FIX]
        rewrite = await code_actions(
            client, uri, selected, diagnostics=[UNDEFINED], only=["refactor.rewrite"]
        )
        assert [a.title for a in rewrite] == [
            "ChatLS: Improve",
            "ChatLS: Add documentation",
            "ChatLS: Edit with instruction…",
        ]
        refactor = await code_actions(client, uri, selected, only=["refactor"])
        assert [a.title for a in refactor] == ALL_TITLES
        assert await code_actions(client, uri, selected, only=["source.organizeImports"]) == []


async def test_nothing_is_offered_without_a_selection_or_an_open_document(
    preset: str, emulator: RunningEmulator, workspace: Path, state_dir: Path
) -> None:
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "calc.py", SOURCE, "python")
        assert await code_actions(client, uri, rng((1, 4), (1, 4)), diagnostics=[UNDEFINED]) == []
        closed = (workspace / "other.py").resolve().as_uri()
        assert await code_actions(client, closed, rng((0, 0), (0, 3))) == []
        assert await emulator.requests() == []


# --- the pure parts ------------------------------------------------------------------------------
def test_kind_matching_follows_the_hierarchy() -> None:
    assert listing.kind_matches("refactor.rewrite.chatls", None)
    assert listing.kind_matches("refactor.rewrite.chatls", ["refactor"])
    assert listing.kind_matches("refactor.rewrite.chatls", ["refactor.rewrite"])
    assert listing.kind_matches("refactor.rewrite.chatls", ["refactor.rewrite.chatls"])
    assert listing.kind_matches("refactor.rewrite.chatls", [""])
    assert not listing.kind_matches("refactor.rewrite.chatls", ["refactor.extract"])
    assert not listing.kind_matches("refactor.chatls", ["refactor.rewrite"])
    assert not listing.kind_matches("refactoring.chatls", ["refactor"])
    assert not listing.kind_matches("quickfix.chatls", ["source", "refactor"])


def test_ranges_overlap_when_they_share_a_position() -> None:
    selection = rng((2, 4), (5, 0))
    assert listing.overlaps(rng((1, 0), (2, 4)), selection)  # touching the start
    assert listing.overlaps(rng((5, 0), (5, 0)), selection)  # empty range at the end
    assert listing.overlaps(rng((3, 0), (3, 9)), selection)  # inside
    assert listing.overlaps(rng((0, 0), (9, 0)), selection)  # around
    assert not listing.overlaps(rng((1, 0), (2, 3)), selection)
    assert not listing.overlaps(rng((5, 1), (6, 0)), selection)


def test_fix_titles_quote_one_problem_or_count_several() -> None:
    long = types.Diagnostic(range=rng((0, 0), (0, 1)), message="word " * 30)
    title = listing.fix_title([long])
    assert title.startswith("ChatLS: Fix “word word") and title.endswith("…”")
    assert len(title) < 80
    assert listing.fix_title([long, UNDEFINED, ELSEWHERE]) == "ChatLS: Fix 3 problems"
