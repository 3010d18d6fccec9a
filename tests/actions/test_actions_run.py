"""Running each code action end to end: the prompt the model gets, the turn in the conversation, the edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient
from tests.actions.helpers import (
    apply_text_edits,
    emulator_config,
    open_document,
    reply_rule,
    rng,
    selection,
    session,
    subtraction_warning,
    system_messages,
    text_edits_for,
    user_messages,
)
from tests.support.lsp import delta_text, execute_command, request

from chatls import protocol
from chatls.edits import ANNOTATION_ID
from chatls.emulator.fixture import StartEmulator

SOURCE = (
    "import math\n"
    "\n"
    "\n"
    "class Calculator:\n"
    "    def add(self, a, b):\n"
    "        return a - b\n"
    "\n"
    "    def hypot(self, a, b):\n"
    "        return math.sqrt(a * a + b * b)\n"
)
ADD = rng((4, 4), (5, 20))
"""`def add ... return a - b`, selected from `def` (after the indentation) to the end of the line."""

FIXED = "```python\ndef add(self, a, b):\n    return a + b\n```\nAddition, not subtraction."
DOCUMENTED = (
    'Here it is:\n```py\ndef add(self, a, b):\n    """Return the sum of a and b."""\n    return a - b\n```'
)
IMPROVED = "```python\ndef add(self, a: float, b: float) -> float:\n    return a - b\n```"
RENAMED = "```python\ndef add(self, left, right):\n    return left - right\n```"
EXPLAINED = "It subtracts `b` from `a`, although its name says it adds."
ANSWERED = "No: `add` returns `a - b`."
TESTS = (
    "```python\nfrom calc import Calculator\n\n\ndef test_add():\n    assert Calculator().add(2, 3) == 5\n```"
)

REPLIES = emulator_config(
    reply_rule(r"Fix the selected code", FIXED),
    reply_rule(r"Add documentation to the selected code", DOCUMENTED),
    reply_rule(r"Improve the selected code", IMPROVED),
    reply_rule(r"rename a and b to left and right", RENAMED),
    reply_rule(r"Explain the selected code", EXPLAINED),
    reply_rule(r"Does add really add\?", ANSWERED),
    reply_rule(r"Generate tests for the selected code", TESTS),
)

LINT = subtraction_warning(rng((5, 15), (5, 20)))


def with_method(method: str) -> str:
    return SOURCE.replace("    def add(self, a, b):\n        return a - b\n", method)


def only_edit(client: LanguageClient) -> types.WorkspaceEdit:
    edits: list[types.ApplyWorkspaceEditParams] = client.applied_edits  # type: ignore[attr-defined]
    assert len(edits) == 1
    edit = edits.pop()
    return edit.edit


def assert_review_matches_client(preset: str, edit: types.WorkspaceEdit, label: str) -> None:
    """VS Code (change annotations) gets a versioned, annotated edit; Neovim 0.7 plain `changes`."""
    if preset == "visual-studio-code":
        assert edit.changes is None
        assert edit.change_annotations is not None
        annotation = edit.change_annotations[ANNOTATION_ID]
        assert (annotation.label, annotation.needs_confirmation) == (label, True)
        (document_edit,) = edit.document_changes or []
        assert isinstance(document_edit, types.TextDocumentEdit)
        assert document_edit.text_document.version is not None
        assert all(isinstance(e, types.AnnotatedTextEdit) for e in document_edit.edits)
    else:
        assert edit.document_changes is None
        assert edit.change_annotations is None
        assert edit.changes is not None
        assert all(type(e) is types.TextEdit for edits in edit.changes.values() for e in edits)


async def conversation(client: LanguageClient, conversation_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await request(client, protocol.CONVERSATION, {"conversationId": conversation_id})
    return result


async def test_edit_actions_apply_the_reply_code_for_review(
    preset: str, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(REPLIES)
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "calc.py", SOURCE, "python", version=2)

        cases: list[tuple[str, dict[str, Any], str, str]] = [
            (protocol.CMD_FIX, {"diagnostics": [protocol.unstructure(LINT)]}, "ChatLS: Fix",
             "    def add(self, a, b):\n        return a + b\n"),
            (protocol.CMD_DOCUMENT, {}, "ChatLS: Add documentation",
             '    def add(self, a, b):\n        """Return the sum of a and b."""\n        return a - b\n'),
            (protocol.CMD_IMPROVE, {}, "ChatLS: Improve",
             "    def add(self, a: float, b: float) -> float:\n        return a - b\n"),
            (protocol.CMD_EDIT_SELECTION, {"instruction": "rename a and b to left and right"},
             "ChatLS: Edit selection", "    def add(self, left, right):\n        return left - right\n"),
        ]  # fmt: skip
        for command, extra, label, method in cases:
            result = await execute_command(client, command, selection(uri, ADD, version=2, **extra))
            assert result["applied"] is True, result
            assert result["status"] == protocol.STATUS_COMPLETE
            edit = only_edit(client)
            assert_review_matches_client(preset, edit, label)
            assert apply_text_edits(SOURCE, text_edits_for(edit, uri)) == with_method(method)
            stored = await conversation(client, result["conversationId"])
            assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
            assert stored["messages"][1]["content"] == result["content"]
            assert delta_text(client.deltas, result["messageId"]) == result["content"]  # type: ignore[attr-defined]

        typed = await conversation(client, result["conversationId"])
        assert typed["messages"][0]["content"] == "rename a and b to left and right"  # stored as typed


async def test_fix_sends_the_diagnostics_and_the_surroundings_to_the_model(
    start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(REPLIES)
    async with session("visual-studio-code", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "pkg" / "calc.py", SOURCE, "python")
        diagnostics = [protocol.unstructure(LINT)]
        result = await execute_command(client, protocol.CMD_FIX, selection(uri, ADD, diagnostics=diagnostics))
        assert result["applied"] is True
        (sent,) = await emulator.chat_requests()
        user = user_messages(sent)
        assert "Problems reported for the selected code:\n" in user
        assert "- line 6, warning from lintbot (L042): Subtraction where addition was meant" in user
        assert "File: pkg/calc.py (lines 5-6, language: python)" in user
        assert "Code before the selection:\n```python\nimport math\n\n\nclass Calculator:\n" in user
        assert "Code after the selection:\n```python\n\n\n    def hypot(self, a, b):" in user
        assert user.endswith("Fix the selected code (pkg/calc.py, lines 5-6)")
        assert "Fix the problems listed in the attachment" in system_messages(sent)
        stored = await conversation(client, result["conversationId"])
        assert stored["messages"][0]["content"] == "Fix the selected code (pkg/calc.py, lines 5-6)"


async def test_explain_and_ask_stream_into_a_conversation_and_edit_nothing(
    preset: str, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(REPLIES)
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "calc.py", SOURCE, "python")
        explained = await execute_command(client, protocol.CMD_EXPLAIN, selection(uri, ADD))
        asked = await execute_command(
            client, protocol.CMD_ASK_IN_CHAT, selection(uri, ADD, instruction="Does add really add?")
        )
        assert (explained["content"], explained["applied"]) == (EXPLAINED, False)
        assert (asked["content"], asked["applied"]) == (ANSWERED, False)
        assert "reason" not in explained
        assert client.applied_edits == []  # type: ignore[attr-defined]
        for result in (explained, asked):
            assert delta_text(client.deltas, result["messageId"]) == result["content"]  # type: ignore[attr-defined]
            stored = await conversation(client, result["conversationId"])
            assert stored["workspaceUri"].rstrip("/") == workspace.resolve().as_uri()
            assert stored["messages"][1]["status"] == protocol.STATUS_COMPLETE
        questions = await conversation(client, asked["conversationId"])
        assert questions["messages"][0]["content"] == "Does add really add?"
        listed = await request(client, protocol.CONVERSATIONS, {"workspaceUri": workspace.resolve().as_uri()})
        assert {c["id"] for c in listed} == {explained["conversationId"], asked["conversationId"]}


async def test_generated_tests_go_to_a_new_file_or_the_end_of_an_existing_one(
    preset: str, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(REPLIES)
    async with session(preset, emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "calc.py", SOURCE, "python")
        result = await execute_command(client, protocol.CMD_GENERATE_TESTS, selection(uri, ADD))
        assert result["applied"] is True, result
        edit = only_edit(client)
        create, _insert = edit.document_changes or []
        test_uri = (workspace / "tests" / "test_calc.py").resolve().as_uri()
        assert isinstance(create, types.CreateFile)
        assert create.uri == test_uri
        assert create.options == types.CreateFileOptions(overwrite=False, ignore_if_exists=False)
        assert apply_text_edits("", text_edits_for(edit, test_uri)) == (
            "from calc import Calculator\n\n\ndef test_add():\n    assert Calculator().add(2, 3) == 5\n"
        )
        (sent,) = await emulator.chat_requests()
        assert "Test file: tests/test_calc.py (a new file)\nModule under test: calc" in user_messages(sent)

        existing = "import pytest\n\n\ndef test_old():\n    assert True\n"
        open_document(client, workspace / "tests" / "test_calc.py", existing, "python", version=7)
        result = await execute_command(client, protocol.CMD_GENERATE_TESTS, selection(uri, ADD))
        assert result["applied"] is True, result
        appended = only_edit(client)
        assert apply_text_edits(existing, text_edits_for(appended, test_uri)) == existing + (
            "\nfrom calc import Calculator\n\n\ndef test_add():\n    assert Calculator().add(2, 3) == 5\n"
        )
        if preset == "visual-studio-code":
            (document_edit,) = appended.document_changes or []
            assert isinstance(document_edit, types.TextDocumentEdit)
            assert document_edit.text_document.version == 7


async def test_generated_tests_are_kept_in_the_reply_when_the_editor_cannot_create_files(
    start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(REPLIES)
    async with session("emacs", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "calc.py", SOURCE, "python")
        result = await execute_command(client, protocol.CMD_GENERATE_TESTS, selection(uri, ADD))
        assert result["applied"] is False
        assert result["reason"] == (
            "Your editor cannot create files through LSP, so the tests were not saved; they are in the reply "
            "(save them as tests/test_calc.py)."
        )
        assert result["content"] == TESTS
        assert client.applied_edits == []  # type: ignore[attr-defined]
        assert [m.message for m in client.messages] == [f"ChatLS: {result['reason']}"]


async def test_rust_tests_are_appended_to_the_source_file_itself(
    start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    source = "pub fn double(x: i32) -> i32 {\n    x * 2\n}\n"
    module = (
        "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n"
        "    fn doubles() {\n        assert_eq!(double(2), 4);\n    }\n}\n"
    )
    reply = f"```rust\n{module}```"
    emulator = await start_emulator(emulator_config(reply_rule("Generate tests", reply)))
    async with session("visual-studio-code", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "src" / "lib.rs", source, "rust", version=4)
        result = await execute_command(
            client, protocol.CMD_GENERATE_TESTS, selection(uri, rng((0, 0), (2, 1)), 4)
        )
        assert result["applied"] is True, result
        edit = only_edit(client)
        (document_edit,) = edit.document_changes or []
        assert isinstance(document_edit, types.TextDocumentEdit)
        assert (document_edit.text_document.uri, document_edit.text_document.version) == (uri, 4)
        assert apply_text_edits(source, text_edits_for(edit, uri)) == source + "\n" + module
        (sent,) = await emulator.chat_requests()
        assert "Test file: src/lib.rs (an existing file; your tests are appended to it)" in user_messages(
            sent
        )
        assert "#[cfg(test)] mod tests" in system_messages(sent)


async def test_a_reply_with_the_whole_line_replaces_only_the_selected_expression(
    start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(
        emulator_config(reply_rule("Fix the selected", "```python\nreturn a + b\n```"))
    )
    async with session("neovim@v0.7.0", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "calc.py", SOURCE, "python")
        expression = rng((5, 15), (5, 20))  # `a - b` after `return `
        result = await execute_command(client, protocol.CMD_FIX, selection(uri, expression))
        assert result["applied"] is True, result
        edit = only_edit(client)
        assert apply_text_edits(SOURCE, text_edits_for(edit, uri)) == SOURCE.replace("a - b", "a + b")
