"""Code actions apply only code: a closed fenced block in the selection's language (or untagged), under
`maxEditBytes`; never prose, a `bash` or `diff` block for Python, or a fence the reply never closed. When
there is nothing to apply the reply is shown instead. Editors that cannot preview an edit (no change
annotations: Neovim 0.7 here) are asked first, naming the file and the size of the change.

Before: each of these replies replaced the Python selection, at once in Neovim, eglot and Helix."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from tests.actions.helpers import (
    answer_confirmations,
    apply_text_edits,
    emulator_config,
    open_document,
    reply_rule,
    rng,
    selection,
    session,
    text_edits_for,
)
from tests.support.lsp import execute_command

from chatls import protocol
from chatls.emulator.fixture import StartEmulator


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


SOURCE = "def area(w, h):\n    return w + h\n"
BODY = rng((1, 4), (1, 16))
"""`return w + h`"""

NOT_CODE = {
    "prose": "I'm sorry, but I can't help with that request.",
    "a bash block": "Run this first:\n\n```bash\nrm -rf build && pip install -e .\n```",
    "a diff block": "```diff\n-    return w + h\n+    return w * h\n```",
    "an unclosed fence": "```python\nreturn (w *",
}


@pytest.mark.guarantee("a code action never applies prose, another language's block, or an unclosed fence")
@pytest.mark.parametrize("kind", NOT_CODE)
async def test_replies_that_are_not_code_are_shown_not_applied(
    kind: str, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    reply = NOT_CODE[kind]
    emulator = await start_emulator(emulator_config(reply_rule("Fix", reply)))
    async with session("neovim@v0.7.0", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python")
        result = await execute_command(client, protocol.CMD_FIX, selection(uri, BODY))
        assert result["applied"] is False and result["content"] == reply
        assert "no python code block to apply" in result["reason"]
        assert client.applied_edits == []  # type: ignore[attr-defined]
        assert client.message_requests == []  # type: ignore[attr-defined]  # nothing to ask about
        shown = [m.message for m in client.messages]
        assert len(shown) == 1 and reply.strip()[:40] in shown[0]  # the reply itself is shown


@pytest.mark.guarantee("a code action refuses code over maxEditBytes with a message, applying nothing")
async def test_code_over_the_size_limit_is_refused(
    start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    big = "```python\n" + "total = total + 1\n" * 40 + "```"
    emulator = await start_emulator(emulator_config(reply_rule("Fix", big)))
    async with session("visual-studio-code", emulator, workspace, state_dir, maxEditBytes=300) as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python")
        result = await execute_command(client, protocol.CMD_FIX, selection(uri, BODY))
        assert result["applied"] is False
        # 40 lines of 18 bytes, the last line break trimmed
        assert "maxEditBytes limit of 300" in result["reason"] and "719 bytes" in result["reason"]
        assert client.applied_edits == []  # type: ignore[attr-defined]
        assert [m.message for m in client.messages] == [f"ChatLS: {result['reason']}"]


@pytest.mark.guarantee("editors without change annotations are asked (file and size) before an edit")
@pytest.mark.parametrize("choice", ["Apply", "Don't apply", None])
async def test_editors_without_change_annotations_are_asked_first(
    choice: str | None, start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(emulator_config(reply_rule("Fix", "```python\nreturn w * h\n```")))
    async with session("neovim@v0.7.0", emulator, workspace, state_dir) as client:
        asked = answer_confirmations(client, choice)
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python")
        result = await execute_command(client, protocol.CMD_FIX, selection(uri, BODY))
        assert len(asked) == 1
        question = asked[0].message
        assert "geometry.py" in question and "1 line(s) with 1 line(s) (12 characters)" in question
        assert [a.title for a in asked[0].actions or ()] == ["Apply", "Don't apply"]
        applied = client.applied_edits  # type: ignore[attr-defined]
        if choice == "Apply":
            assert result["applied"] is True
            assert apply_text_edits(SOURCE, text_edits_for(applied[0].edit, uri)) == (
                "def area(w, h):\n    return w * h\n"
            )
        else:
            assert result["applied"] is False and "chose not to apply" in result["reason"]
            assert applied == []


@pytest.mark.guarantee("editors that preview edits (change annotations) are not asked twice")
async def test_editors_that_preview_edits_are_not_asked(
    start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(emulator_config(reply_rule("Fix", "```python\nreturn w * h\n```")))
    async with session("visual-studio-code", emulator, workspace, state_dir) as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python")
        result = await execute_command(client, protocol.CMD_FIX, selection(uri, BODY))
        assert result["applied"] is True
        assert client.message_requests == []  # type: ignore[attr-defined]
        edit = client.applied_edits[0].edit  # type: ignore[attr-defined]
        assert edit.change_annotations and edit.change_annotations["chatls"].needs_confirmation


@pytest.mark.guarantee("confirmEdits: always asks in every editor")
async def test_confirm_edits_always_asks_even_editors_that_preview(
    start_emulator: StartEmulator, workspace: Path, state_dir: Path
) -> None:
    emulator = await start_emulator(emulator_config(reply_rule("Fix", "```python\nreturn w * h\n```")))
    async with session("visual-studio-code", emulator, workspace, state_dir, confirmEdits="always") as client:
        uri = open_document(client, workspace / "geometry.py", SOURCE, "python")
        result = await execute_command(client, protocol.CMD_FIX, selection(uri, BODY))
        assert result["applied"] is True
        assert len(client.message_requests) == 1  # type: ignore[attr-defined]
        assert client.message_requests[0].type == types.MessageType.Info  # type: ignore[attr-defined]
