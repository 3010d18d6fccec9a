"""Agent mode end to end: the real server, the emulator's scripted tool-calling model, a client that reviews
edits and answers approvals. Runs for both client presets (VS Code: annotated edits; Neovim 0.7: the server
asks before applying)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient
from tests.support.lsp import SPEC_WARNINGS_ARE_ERRORS, OpenSession, chat, init_options, request
from tests.support.waiting import wait_until_async

from chatls.emulator.fixture import RunningEmulator

pytestmark = SPEC_WARNINGS_ARE_ERRORS

HINTS = [
    {"path": "src/a.py", "old_text": "def double(x):", "new_text": "def double(x: int) -> int:"},
    {"path": "src/b.py", "old_text": "def greet(name):", "new_text": "def greet(name: str) -> str:"},
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


@pytest.fixture
def src(project: Path) -> Path:
    (project / "src").mkdir()
    (project / "src" / "a.py").write_text("def double(x):\n    return 2 * x\n", encoding="utf-8")
    (project / "src" / "b.py").write_text("def greet(name):\n    return 'hi ' + name\n", encoding="utf-8")
    return project / "src"


def steps(client: LanguageClient) -> list[tuple[str, str, bool]]:
    return [
        (d["step"]["phase"], d["step"]["name"], d["step"].get("ok", True))
        for d in client.deltas  # type: ignore[attr-defined]
        if d.get("step")
    ]


def answer_review(client: LanguageClient, preset: str, accept: bool) -> None:
    """Accept or discard the proposal the way each client does: VS Code reviews the annotated edit itself;
    for Neovim 0.7 the server asks first with window/showMessageRequest."""
    client.edits_to_disk = True  # type: ignore[attr-defined]
    client.accept_edits = accept  # type: ignore[attr-defined]
    if preset.startswith("neovim"):
        client.message_answers = ["Allow" if accept else "Deny"]  # type: ignore[attr-defined]


async def test_accepted_multi_file_edit_changes_the_files(
    session: OpenSession, emulator: RunningEmulator, project: Path, src: Path, preset: str
) -> None:
    await emulator.add_tool_script(SCRIPT)
    async with session() as client:
        answer_review(client, preset, accept=True)
        result = await chat(client, "Add a type hint to every function in src/", mode="agent",
                            workspaceUri=project.as_uri())  # fmt: skip
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})

    assert (src / "a.py").read_text() == "def double(x: int) -> int:\n    return 2 * x\n"
    assert (src / "b.py").read_text() == "def greet(name: str) -> str:\n    return 'hi ' + name\n"
    assert [s for s in steps(client) if s[0] == "finished"] == [
        ("finished", "list_files", True), ("finished", "read_file", True),
        ("finished", "search", True), ("finished", "propose_edits", True),
    ]  # fmt: skip
    edits = client.applied_edits  # type: ignore[attr-defined]
    assert len(edits) == 1, "one WorkspaceEdit for the whole proposal"
    assert "accepted the changes to src/a.py, src/b.py" in result["content"]
    reply = stored["messages"][-1]
    assert [s["name"] for s in reply["steps"]] == ["list_files", "read_file", "search", "propose_edits"]
    # what the model read came from the workspace, through the tools
    log = await emulator.requests()
    read = [entry for entry in log if entry.get("tool_results")]
    assert any("src/a.py" in str(entry["tool_results"]) for entry in read)


async def test_discarded_edit_changes_nothing_and_the_model_is_told(
    session: OpenSession, emulator: RunningEmulator, project: Path, src: Path, preset: str
) -> None:
    await emulator.add_tool_script(SCRIPT)
    before = {p.name: p.read_text() for p in src.iterdir()}
    async with session() as client:
        answer_review(client, preset, accept=False)
        result = await chat(client, "Add a type hint to every function in src/", mode="agent",
                            workspaceUri=project.as_uri())  # fmt: skip
    assert {p.name: p.read_text() for p in src.iterdir()} == before
    assert "discarded the proposed changes to src/a.py, src/b.py" in result["content"]
    assert steps(client)[-1] == ("finished", "propose_edits", False)


@pytest.mark.parametrize("answer", ["Run", "Don't run"])
async def test_a_command_runs_only_when_approved(
    session: OpenSession, emulator: RunningEmulator, project: Path, state_dir: Path, answer: str
) -> None:
    marker = project / "ran.txt"
    command = f"{sys.executable} -c \"open('ran.txt', 'w').write('yes'); print('x' * 50000)\""
    await emulator.add_tool_script(
        {"pattern": "run it", "steps": [{"tool": "run_command", "arguments": {"command": command}}],
         "reply": "Result: {last_result}"}
    )  # fmt: skip
    options = init_options(emulator.url, state_dir=state_dir, agentRunCommands=True)
    async with session(init_options=options) as client:
        client.message_answers = [answer]  # type: ignore[attr-defined]
        result = await chat(client, "run it", mode="agent", workspaceUri=project.as_uri())
    asked = client.message_requests  # type: ignore[attr-defined]
    assert [m.message for m in asked] == [f"ChatLS agent wants to run: {command}"]
    if answer == "Run":
        assert marker.read_text() == "yes"
        assert "finished with exit code 0 (output cut at 20,000 bytes)" in result["content"]
    else:
        assert not marker.exists()
        assert "The user declined to run" in result["content"]


async def test_stop_during_a_running_command_ends_at_once_and_keeps_the_steps(
    session: OpenSession, emulator: RunningEmulator, project: Path, state_dir: Path
) -> None:
    command = f'{sys.executable} -c "import time; time.sleep(61)"'
    script_steps = [{"tool": "list_files"}, {"tool": "run_command", "arguments": {"command": command}}]
    await emulator.add_tool_script({"pattern": "long", "steps": script_steps, "reply": "never"})
    options = init_options(emulator.url, state_dir=state_dir, agentRunCommands=True)
    params = {"prompt": "long", "mode": "agent", "workspaceUri": project.as_uri()}
    async with session(init_options=options) as client:
        client.message_answers = ["Run"]  # type: ignore[attr-defined]
        pending = asyncio.ensure_future(
            client.protocol.send_request_async("chatls/chat", params, msg_id="a1")
        )
        await wait_until_async(
            lambda: ("started", "run_command", True) in steps(client), "the command to start", timeout=60
        )
        client.cancel_request(types.CancelParams(id="a1"))
        with pytest.raises(JsonRpcRequestCancelled):
            await asyncio.wait_for(pending, 10)
        conversation = client.deltas[0]["conversationId"]  # type: ignore[attr-defined]
        stored = await request(client, "chatls/conversation", {"conversationId": conversation})
    reply = stored["messages"][-1]
    assert reply["status"] == "cancelled"
    assert [s["name"] for s in reply["steps"]] == ["list_files"]
    running = subprocess.run(["pgrep", "-f", r"time\.sleep\(61\)"], capture_output=True, text=True)
    assert running.stdout == "", "the command was still running after Stop"


async def test_a_model_without_tools_says_agent_mode_is_unavailable(
    session: OpenSession, emulator: RunningEmulator, project: Path, state_dir: Path
) -> None:
    from pygls.exceptions import JsonRpcException
    from tests.support.lsp import profile

    options = init_options(
        emulator.url, state_dir=state_dir,
        profiles=[profile(emulator.url, deployment="o1-mini", api_version="2024-12-01-preview")],
    )  # fmt: skip
    async with session(init_options=options) as client:
        with pytest.raises(JsonRpcException) as raised:
            await chat(client, "add hints", mode="agent", workspaceUri=project.as_uri())
        answer: Any = await chat(client, "hello", workspaceUri=project.as_uri())
    assert "Agent mode is unavailable for o1-mini" in str(raised.value)
    assert answer["content"]


async def test_the_model_calls_a_real_mcp_server_through_the_agent(
    session: OpenSession, emulator: RunningEmulator, project: Path, state_dir: Path, preset: str
) -> None:
    """`mcp-server-git` from PyPI on a scratch repository, called by the emulator's scripted model."""
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "notes.txt").write_text("hello\n", encoding="utf-8")
    server = Path(sys.executable).parent / "mcp-server-git"
    script = {
        "pattern": "git status",
        "steps": [{"tool": "*git_status", "arguments": {"repo_path": str(project)}}],
        "reply": "Git says: {last_result}",
    }
    await emulator.add_tool_script(script)
    git = {"command": str(server), "args": ["--repository", str(project)], "approval": "ask"}
    options = init_options(emulator.url, state_dir=state_dir, mcpServers={"git": git})
    async with session(init_options=options) as client:
        client.message_answers = ["Allow"]  # type: ignore[attr-defined]
        result = await chat(client, "what does git status say?", mode="agent", workspaceUri=project.as_uri())
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})
    asked = client.message_requests  # type: ignore[attr-defined]
    assert len(asked) == 1 and asked[0].message.startswith("Let the agent call the MCP tool git__git_status")
    assert "notes.txt" in result["content"]  # the server's real answer reached the model and the reply
    assert [s["name"] for s in stored["messages"][-1]["steps"]] == ["git__git_status"]
