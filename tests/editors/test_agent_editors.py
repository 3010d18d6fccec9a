"""Agent mode and attachments in the Neovim helper, headless Neovim 0.7 against `chatls serve` and the
emulator's scripted tool-calling model: "add a type hint to every function in src/" is listed, read,
searched and proposed as one multi-file edit; Allow changes the files on disk, Deny changes nothing. Emacs
(eglot 1.9 and the helper from editors/emacs): the same steps, attachments, Allow and Deny; and a command
the agent asks to run: run with its output returned when allowed, not run when declined."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.editors.harness import EditorRun, emacs_argv, nvim_argv, run_editor

from chatls.emulator.fixture import emulator_in_thread

pytestmark = pytest.mark.editors

EDITORS = Path(__file__).resolve().parents[2] / "editors"
DRIVERS = {
    "nvim": lambda: (nvim_argv("nvim_agent.lua"), EDITORS / "nvim"),
    "emacs": lambda: (emacs_argv("eglot_agent.el"), EDITORS / "emacs"),
}
FILES = {
    "src/a.py": "def double(x):\n    return 2 * x\n",
    "src/b.py": "def greet(name):\n    return 'hi ' + name\n",
}
TYPED = {
    "src/a.py": "def double(x: int) -> int:\n    return 2 * x\n",
    "src/b.py": "def greet(name: str) -> str:\n    return 'hi ' + name\n",
}
PROMPT = "add a type hint to every function in src/"
SCRIPT = {
    "pattern": "(?i)add a type hint",
    "steps": [
        {"tool": "list_files", "arguments": {"path": "src"}},
        {"tool": "read_file", "arguments": {"path": "src/a.py"}},
        {"tool": "search", "arguments": {"query": "def "}},
        {"tool": "propose_edits", "arguments": {"summary": "type hints", "changes": [
            {"path": "src/a.py", "old_text": "def double(x):", "new_text": "def double(x: int) -> int:"},
            {"path": "src/b.py", "old_text": "def greet(name):", "new_text": "def greet(name: str) -> str:"},
        ]}},
    ],
    "reply": "Done: {last_result}",
}  # fmt: skip
ATTACH_PROMPT = "what do these say?"
COMMAND_PROMPT = "show me the files in src"
COMMAND_SCRIPT = {
    "pattern": "(?i)show me the files in src",
    "steps": [{"tool": "run_command", "arguments": {"command": "ls src"}}],
    "reply": "Listing: {last_result}",
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with emulator_in_thread() as emu:
        emu.add_tool_script(SCRIPT)
        emu.add_tool_script(COMMAND_SCRIPT)
        yield emu


RUNS = [("nvim", "Allow"), ("nvim", "Deny"), ("emacs", "Allow"), ("emacs", "Deny")]
COMMAND_ANSWERS = {"Allow": "Run", "Deny": "Don't run"}


@pytest.fixture(scope="module", params=RUNS, ids=str)
def run(request: pytest.FixtureRequest, emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> EditorRun:
    name, answer = request.param
    base = tmp_path_factory.mktemp(f"{name}-agent-{answer}")
    agent = {
        "files": FILES,
        "prompt": PROMPT,
        "answer": answer,
        "attachPrompt": ATTACH_PROMPT,
        "commandPrompt": COMMAND_PROMPT,
        "commandAnswer": COMMAND_ANSWERS[answer],
    }
    argv, plugin = DRIVERS[name]()
    editor = run_editor(argv, base, emulator, pluginDir=str(plugin), agent=agent)
    editor.obs["answered"], editor.obs["editor"] = answer, name
    return editor


def test_steps_are_shown_in_the_transcript_in_order(run: EditorRun) -> None:
    assert run.errors() == {}, run.log
    finished = [(s["name"], s["ok"]) for s in run.get("steps") if s["phase"] == "finished"]
    allowed = run.get("answered") == "Allow"
    assert finished == [
        ("list_files", True),
        ("read_file", True),
        ("search", True),
        ("propose_edits", allowed),
    ]
    transcript = run.get("transcript")
    assert "> … step 1 started:" in transcript and "> ✓ step 1 finished: listed src" in transcript


def test_allow_changes_the_files_on_disk_and_deny_changes_nothing(run: EditorRun) -> None:
    asked = run.get("asked")
    (question,) = asked
    if run.get("editor") == "nvim":  # the helper asks with vim.fn.confirm
        assert question["message"].startswith(
            "ChatLS: Apply the ChatLS agent's changes to src/a.py, src/b.py"
        )
        assert question["choices"] == ["&Allow", "&Deny"]
    else:  # eglot asks itself, with completing-read in the minibuffer
        assert "Apply the ChatLS agent's changes to src/a.py, src/b.py" in question["prompt"]
        assert question["choices"] == ["Allow", "Deny"]
        # allowed, the edit reaches eglot, which asks once more for files it does not visit
        assert len(run.obs.get("eglotAsked", [])) == (1 if run.get("answered") == "Allow" else 0)
    content = run.get("agentResult")["content"]
    if run.get("answered") == "Allow":
        assert "accepted the changes to src/a.py, src/b.py" in content
        assert run.get("disk") == TYPED
        assert run.obs.get("modifiedBuffers", []) == [], "the accepted changes sit in unsaved buffers"
        assert "✓ step 4 finished: edited src/a.py, src/b.py" in run.get("transcript")
    else:
        assert run.get("disk") == FILES
        assert "discarded the proposed changes to src/a.py, src/b.py" in content
        assert "✗ step 4 finished:" in run.get("transcript")


def test_attached_buffer_and_range_reach_the_model_and_are_cleared(run: EditorRun) -> None:
    shown = run.get("attachmentsShown")
    assert any("file " in m and "lines 1-1 of" in m for m in shown), shown
    assert run.get("attachResult")["content"]
    (request,) = [r for r in run.requests if ATTACH_PROMPT in str(r["body"])]
    sent = str(request["body"]["messages"][-1]["content"])
    assert sent.count("File: ") == 2, sent  # the whole buffer, then its first line
    assert run.get("attachmentsAfter") == 0


def test_an_allowed_command_runs_and_returns_its_output_and_a_declined_one_does_not(run: EditorRun) -> None:
    assert run.errors() == {}, run.log
    (question,) = run.get("commandAsked")
    assert "ChatLS agent wants to run: ls src" in question["prompt"], question
    assert question["choices"] == ["Run", "Don't run"]
    [step] = [s for s in run.get("commandSteps") if s["phase"] == "finished"]
    content = run.get("commandResult")["content"]
    if run.get("answered") == "Allow":
        assert (step["name"], step["ok"]) == ("run_command", True), step
        assert "✓ step 1 finished: ran: ls src (exit code 0): a.py b.py" in run.get("commandTranscript")
        assert "finished with exit code 0" in content and "a.py\nb.py" in content, content
    else:
        assert (step["name"], step["ok"]) == ("run_command", False), step
        assert "declined to run `ls src`" in content, content
