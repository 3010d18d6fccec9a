"""`chatls ask --agent` at a real (pseudo-)terminal against the emulator's scripted tool-calling model: the
steps on stderr, each proposed edit as a diff applied only after "y", commands run only when approved, and
without a terminal every question declined."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.support import azure_env, chatls
from tests.cli.terminal import PtySession

from chatls.emulator.fixture import ThreadedEmulator

HINTS = [
    {"path": "src/a.py", "old_text": "def double(x):", "new_text": "def double(x: int) -> int:"},
    {"path": "src/b.py", "old_text": "def greet(name):", "new_text": "def greet(name: str) -> str:"},
    {"path": "src/py.typed", "content": ""},
    {"path": "src/NOTES.md", "content": "typed\n"},
]
SCRIPT = {
    "pattern": "(?i)add a type hint",
    "steps": [
        {"tool": "list_files", "arguments": {"path": "src"}},
        {"tool": "read_file", "arguments": {"path": "src/a.py"}},
        {"tool": "search", "arguments": {"query": "def "}},
        {"tool": "propose_edits", "arguments": {"summary": "type hints", "changes": HINTS}},
    ],
    "reply": "Done: {last_result}",
}
PROMPT = "Add a type hint to every function in src/"
QUESTION = "apply these changes to"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("def double(x):\n    return 2 * x\n", encoding="utf-8")
    (root / "src" / "b.py").write_text("def greet(name):\n    return 'hi ' + name\n", encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def agent_at_terminal(project: Path, env: dict[str, str], *args: str) -> PtySession:
    argv = [sys.executable, "-m", "chatls", "ask", "--agent", "--workspace", str(project), *args]
    return PtySession(argv, env, cwd=project)


def answer(session: PtySession, question: str, keys: bytes) -> None:
    assert session.read_until(lambda text: question in text and "[y/N]" in text), session.text
    session.type(keys)


def test_accepting_the_diff_changes_and_creates_the_files(
    tmp_path: Path, emulator_thread: ThreadedEmulator, project: Path
) -> None:
    emulator_thread.add_tool_script(SCRIPT)
    session = agent_at_terminal(project, azure_env(tmp_path, emulator_thread), PROMPT)
    try:
        answer(session, QUESTION, b"y\n")
        status = session.finish()
    finally:
        session.kill()
    text = session.text
    assert status == 0, text
    assert (project / "src" / "a.py").read_text() == "def double(x: int) -> int:\n    return 2 * x\n"
    assert (project / "src" / "b.py").read_text() == "def greet(name: str) -> str:\n    return 'hi ' + name\n"
    assert (project / "src" / "NOTES.md").read_text() == "typed\n"
    assert (project / "src" / "py.typed").read_text() == ""
    # The diff was shown before the question: each file, the created one against /dev/null.
    before_question = text.split(QUESTION, 1)[0]
    assert "--- a/src/a.py\r\n+++ b/src/a.py" in before_question
    assert "-def double(x):" in before_question and "+def double(x: int) -> int:" in before_question
    assert "--- /dev/null\r\n+++ b/src/NOTES.md\r\n@@ -0,0 +1 @@\r\n+typed" in before_question
    assert "+++ b/src/py.typed\r\n(new empty file)" in before_question
    # One line per finished step, in order, each saying whether it was done.
    lines = [line.split("\r")[-1].replace("\x1b[K", "") for line in text.splitlines()]
    finished = [line for line in lines if "(ok)" in line or "(not done)" in line]
    assert [line.split(" (")[0] for line in finished] == [
        "[1] list_files", "[2] read_file", "[3] search", "[4] propose_edits",
    ], text  # fmt: skip
    assert all("(ok)" in line for line in finished), text
    assert "The user accepted the changes to src/a.py, src/b.py" in text


def test_declining_the_diff_changes_nothing_and_the_model_is_told(
    tmp_path: Path, emulator_thread: ThreadedEmulator, project: Path
) -> None:
    emulator_thread.add_tool_script(SCRIPT)
    before = snapshot(project)
    session = agent_at_terminal(project, azure_env(tmp_path, emulator_thread), PROMPT)
    try:
        answer(session, QUESTION, b"n\n")
        status = session.finish()
    finally:
        session.kill()
    text = session.text
    assert status == 0, text
    assert snapshot(project) == before
    assert "[4] propose_edits (not done)" in text, text
    assert "The user discarded the proposed changes to src/a.py, src/b.py" in text


def command_env(tmp_path: Path, emulator: ThreadedEmulator) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("agentRunCommands = true\n", encoding="utf-8")
    return azure_env(tmp_path, emulator, CHATLS_CONFIG_FILE=str(config))


def run_script(emulator: ThreadedEmulator) -> str:
    command = f"{sys.executable} -c \"open('ran.txt', 'w').write('yes')\""
    emulator.add_tool_script(
        {"pattern": "run it", "steps": [{"tool": "run_command", "arguments": {"command": command}}],
         "reply": "Result: {last_result}"}
    )  # fmt: skip
    return command


@pytest.mark.parametrize(("keys", "runs"), [(b"n\n", False), (b"y\n", True)])
def test_a_command_runs_only_after_yes_at_the_terminal(
    tmp_path: Path, emulator_thread: ThreadedEmulator, project: Path, keys: bytes, runs: bool
) -> None:
    command = run_script(emulator_thread)
    session = agent_at_terminal(project, command_env(tmp_path, emulator_thread), "run it")
    try:
        answer(session, f"ChatLS agent wants to run: {command}", keys)
        status = session.finish()
    finally:
        session.kill()
    text = session.text
    assert status == 0, text
    assert (project / "ran.txt").exists() is runs
    if runs:
        assert "finished with exit code 0" in text, text
    else:
        assert "The user declined to run" in text, text


def test_without_a_terminal_questions_are_declined_and_said_so(
    tmp_path: Path, emulator_thread: ThreadedEmulator, project: Path
) -> None:
    command = run_script(emulator_thread)
    done = subprocess.run(
        [sys.executable, "-m", "chatls", "ask", "--agent", "--workspace", str(project), "run it"],
        env=command_env(tmp_path, emulator_thread),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        start_new_session=True,  # no controlling terminal at all
    )
    assert done.returncode == 0, done.stderr
    assert not (project / "ran.txt").exists()
    assert f"ChatLS agent wants to run: {command} — no terminal to ask on: declined" in done.stderr
    assert "The user declined to run" in done.stdout


def test_dry_run_is_unaffected_by_agent_mode_and_sends_nothing(
    tmp_path: Path, emulator_thread: ThreadedEmulator, project: Path
) -> None:
    env = azure_env(tmp_path, emulator_thread)
    done = chatls("ask", "--agent", "--dry-run", "--workspace", str(project), PROMPT, env=env)
    assert done.returncode == 0, done.stderr
    assert "nothing was sent (--dry-run)" in done.stdout
    assert emulator_thread.chat_requests() == []
