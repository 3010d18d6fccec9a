"""Context chips and agent mode in real VS Code (code-server + headless Chromium).

The user attaches a file chip (`#hello`), `#problems` (VS Code's own JSON diagnostics of the active editor)
and `#diff` (the working tree of the workspace's git repository) and sends. The request the emulator
records holds exactly those, in that order, before the question; the stored question lists them.
The screenshot of the chips and the budget line goes to vscode-client/media/screenshots/context-chips.png.

Agent mode, in one session: a command approval asked inline in the panel's step list (no notification),
Allow clicked there, the command ran and its output shows in its step (screenshot
vscode-client/media/screenshots/agent-approval.png); asked again with the side bar hidden meanwhile, the
approval moves to a notification, Run clicked there runs it; then "add a type hint to every function in
src/" with the emulator's tool script: the proposal Discarded in the extension's diff review leaves the
files on disk unchanged; asked again and Accepted, the files change on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.code_server import (
    ARTIFACTS_ROOT,
    CANARY_KEY,
    assert_steps,
    check_deps,
    code_server,
    code_server_env,
    fresh_dir,
    run_driver,
    write_user_settings,
)

from chatls.emulator.fixture import emulator_in_thread

pytestmark = pytest.mark.vscode

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "vscode-client" / "media" / "screenshots"
EMULATOR_CONFIG: dict[str, Any] = {
    "server": {"api_keys": [CANARY_KEY]},
    "replies": [{"pattern": "review these", "reply": "The change looks right; fix the JSON."}],
    "tool_scripts": [
        {
            "pattern": "(?i)show the files in src",
            "steps": [{"tool": "run_command", "arguments": {"command": "ls src"}}],
            "reply": "The listing: {last_result}",
        },
        {
            "pattern": "(?i)add a type hint",
            "steps": [
                {"tool": "list_files", "arguments": {"path": "src"}},
                {"tool": "read_file", "arguments": {"path": "src/a.py"}},
                {
                    "tool": "propose_edits",
                    "arguments": {
                        "summary": "type hints",
                        "changes": [
                            {
                                "path": "src/a.py",
                                "old_text": "def double(x):",
                                "new_text": "def double(x: int) -> int:",
                            },
                            {
                                "path": "src/b.py",
                                "old_text": "def greet(name):",
                                "new_text": "def greet(name: str) -> str:",
                            },
                        ],
                    },
                },
            ],
            "reply": "Done: {last_result}",
        },
    ],
}


def _workspace(root: Path, emulator_url: str, state_dir: Path) -> Path:
    """A git repository with hello.py changed since its commit and a data.json VS Code flags as invalid."""
    workspace = root / "workspace"
    (workspace / ".vscode").mkdir(parents=True)
    (workspace / "hello.py").write_text("def add(a, b):\n    return a + b\n")
    git = ["git", "-C", str(workspace), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "hello.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    (workspace / "hello.py").write_text("def add(a: int, b: int) -> int:\n    return a + b\n")
    (workspace / "data.json").write_text('{"name": "demo",, "size": 3}\n')
    settings = {
        "chatls.profiles": [
            {
                "name": "emulator",
                "endpoint": emulator_url,
                "deployment": "gpt-4o",
                "apiVersion": "2024-10-21",
                "apiKeyEnv": "CHATLS_E2E_API_KEY",
            }
        ],
        "chatls.server.pythonPath": sys.executable,
        "chatls.stateDir": str(state_dir),
        "files.autoSave": "off",
        "git.enabled": False,
    }
    (workspace / ".vscode" / "settings.json").write_text(json.dumps(settings, indent=2))
    return workspace


@pytest.mark.timeout(300)
def test_three_attached_chips_are_sent_in_order_and_stored(built_client: Path, tmp_path: Path) -> None:
    check_deps()
    artifacts = fresh_dir(ARTIFACTS_ROOT / "context")
    env = {**code_server_env(tmp_path, os.environ["PATH"]), "CHATLS_E2E_API_KEY": CANARY_KEY}
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        workspace = _workspace(tmp_path, emu.url, tmp_path / "state")
        write_user_settings(tmp_path / "cs" / "data")
        with code_server(tmp_path / "cs", workspace, built_client / "chatls-0.1.0.vsix", env) as url:
            result = run_driver(
                "drive_context.mjs", built_client, artifacts, tmp_path / "result.json",
                CS_URL=url, WS=str(workspace), SHOTS=str(SHOTS),
            )  # fmt: skip
        shutil.copy(tmp_path / "cs" / "code-server.log", artifacts / "code-server.log")
        requests = emu.chat_requests()
    steps = assert_steps(result, ("workbench", "attach", "send", "stored"))

    attached = steps["attach"]
    assert attached["chips"] == ["hello.py", "#problems", "#diff"], attached
    assert attached["prompt"].strip() == "review these", attached  # the #queries left the prompt
    assert "tokens" in attached["budget"], attached

    sent = steps["send"]
    assert "fix the JSON" in sent["reply"] and sent["chipsLeft"] == 0, sent
    assert sent["labels"] == "Attached: hello.py, #problems, #diff", sent

    # exactly one chat request, holding the three blocks in chip order before the question, a part each
    assert len(requests) == 1, [str(r["body"]["messages"][-1]["content"])[:200] for r in requests]
    parts = [part["text"] for part in requests[0]["body"]["messages"][-1]["content"]]
    assert len(parts) == 4 and parts[-1].strip() == "review these", parts
    assert "def add(a: int, b: int) -> int:" in parts[0], parts
    assert "problems in data.json" in parts[1] and "data.json:1:" in parts[1], parts  # sent by the client
    assert "+def add(a: int, b: int) -> int:" in parts[2], parts

    stored = steps["stored"]["attached"]
    labels = ("File: hello.py", "problems in data.json", "git diff (working tree)")
    order = [stored.index(label) for label in labels]
    assert order == sorted(order), stored


@pytest.mark.timeout(600)
def test_agent_approval_inline_then_proposals_discarded_and_accepted_in_review(
    built_client: Path, tmp_path: Path
) -> None:
    check_deps()
    artifacts = fresh_dir(ARTIFACTS_ROOT / "agent")
    env = {**code_server_env(tmp_path, os.environ["PATH"]), "CHATLS_E2E_API_KEY": CANARY_KEY}
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        workspace = _workspace(tmp_path, emu.url, tmp_path / "state")
        settings_file = workspace / ".vscode" / "settings.json"
        settings = json.loads(settings_file.read_text())
        settings_file.write_text(json.dumps({**settings, "chatls.agentRunCommands": True}, indent=2))
        src = workspace / "src"
        src.mkdir()
        a_before = "def double(x):\n    return 2 * x\n"
        b_before = "def greet(name):\n    return 'hi ' + name\n"
        (src / "a.py").write_text(a_before)
        (src / "b.py").write_text(b_before)
        write_user_settings(tmp_path / "cs" / "data")
        with code_server(tmp_path / "cs", workspace, built_client / "chatls-0.1.0.vsix", env) as url:
            result = run_driver(
                "drive_agent.mjs", built_client, artifacts, tmp_path / "result.json",
                CS_URL=url, WS=str(workspace), SHOTS=str(SHOTS),
            )  # fmt: skip
        shutil.copy(tmp_path / "cs" / "code-server.log", artifacts / "code-server.log")
        requests = emu.chat_requests()
    steps = assert_steps(result, ("approve", "hidden", "discard", "review", "answer"))
    assert any(r["body"].get("tools") for r in requests), "the agent request offered tools"

    approve = steps["approve"]
    assert approve["shown"] == {
        "question": "Run this command?",
        "subject": "ls src",
        "step": "run_command",
        "buttons": ["Allow", "Deny"],
    }, approve
    assert approve["toasts"] == 0, "asked inline, not as a notification"
    assert approve["outcome"] == "Allowed", approve
    [row] = approve["rows"]
    assert (row["name"], row["cls"]) == ("run_command", "step ok"), row
    assert row["detail"] == "ran: ls src (exit code 0): a.py b.py", row  # the command ran: its output
    assert "a.py" in approve["reply"] and "b.py" in approve["reply"], approve

    hidden = steps["hidden"]  # the side bar hidden while it asked: a notification, answered there
    [row] = hidden["rows"]
    assert (row["name"], row["cls"]) == ("run_command", "step ok"), row
    assert row["detail"] == approve["rows"][0]["detail"], row
    assert hidden["outcome"] == "approval answered allowed", hidden

    discard = steps["discard"]
    assert [(row["name"], row["cls"]) for row in discard["rows"]] == [
        ("list_files", "step ok"),
        ("read_file", "step ok"),
        ("propose_edits", "step failed"),
    ], discard
    assert "discarded" in discard["reply"], discard
    assert (discard["a"], discard["b"]) == (a_before, b_before), "a discarded proposal changes nothing"

    answer = steps["answer"]
    assert [(row["name"], row["cls"]) for row in answer["rows"]] == [
        ("list_files", "step ok"),
        ("read_file", "step ok"),
        ("propose_edits", "step ok"),
    ], answer
    assert "accepted" in answer["reply"], answer
    assert (src / "a.py").read_text() == "def double(x: int) -> int:\n    return 2 * x\n"
    assert (src / "b.py").read_text() == "def greet(name: str) -> str:\n    return 'hi ' + name\n"
