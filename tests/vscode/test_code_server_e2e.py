"""End to end in real VS Code: code-server 4.139.1 (VS Code 1.139.1) serving a test workspace on loopback,
the packaged .vsix installed, `python -m chatls serve` started by the extension against the emulator, and
headless Chromium driving the UI (tests/vscode/e2e/drive.mjs).

The API key is typed into "ChatLS: Set API Key" (SecretStorage); no environment variable holds it, so a
working chat proves it reached the server, and the logs are searched for it afterwards (canary).

Needs vscode-client/scripts/install-e2e-deps.sh (Node 24 + code-server in .cache/vscode-e2e, chromium).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
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
    is_secret_store,
    run_driver,
    write_user_settings,
)

from chatls.emulator.fixture import emulator_in_thread

pytestmark = pytest.mark.vscode

ARTIFACTS = ARTIFACTS_ROOT / "e2e"

HELLO_REPLY = "**Hello** from the emulator.\n\n```python\nprint('hi')\n```\n"
LONG_STORY = " ".join(f"Chapter {i}: the server kept streaming tokens to the panel." for i in range(1, 80))
TYPED_ADD = "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```\n"
ORIGINAL = "def add(a, b):\n    return a + b\n"

EMULATOR_CONFIG: dict[str, Any] = {
    "server": {"api_keys": [CANARY_KEY]},
    "replies": [
        {"pattern": "hello panel", "reply": HELLO_REPLY},
        {"pattern": "long story", "reply": LONG_STORY},
        {"pattern": "type hints", "reply": TYPED_ADD},
        {"pattern": "Explain the selected code", "reply": "It **adds** `a` and `b`."},
    ],
}


def _workspace(root: Path, emulator_url: str, state_dir: Path, python: str | None) -> Path:
    workspace = root / "workspace"
    (workspace / ".vscode").mkdir(parents=True)
    (workspace / "hello.py").write_text(ORIGINAL)
    settings: dict[str, Any] = {
        "chatls.profiles": [
            {
                "name": "emulator",
                "endpoint": emulator_url,
                "deployment": "gpt-4o",
                "apiVersion": "2024-10-21",
                "apiKeyEnv": "CHATLS_E2E_API_KEY",
            },
            {
                "name": "thinker",
                "endpoint": emulator_url,
                "deployment": "o1",
                "model": "o1",
                "apiVersion": "2024-12-01-preview",
                "apiKeyEnv": "CHATLS_E2E_API_KEY",
            },
        ],
        "chatls.stateDir": str(state_dir),
        "chatls.trace.server": "verbose",
        "chatls.logLevel": "debug",
        "files.autoSave": "off",
    }
    if python is not None:
        settings["chatls.server.pythonPath"] = python
    (workspace / ".vscode" / "settings.json").write_text(json.dumps(settings, indent=2))
    return workspace


ONE_SESSION = pytest.mark.timeout(360)
"""For every test below on `chat_run`: the first one to run waits for the session (~1.5 min; a build may come
first); the others read its result."""


@dataclass(frozen=True)
class ChatRun:
    """What one code-server session driven through every scenario of drive.mjs left behind."""

    result: dict[str, Any]
    workspace: Path
    state_dir: Path
    cs_dir: Path
    chat_requests: list[dict[str, Any]]

    def step(self, name: str, *more: str) -> dict[str, Any]:
        """Step `name`'s report, after asserting it (and `more`) passed."""
        report: dict[str, Any] = assert_steps(self.result, (name, *more))[name]
        return report


@pytest.fixture(scope="module")
def chat_run(built_client: Path, tmp_path_factory: pytest.TempPathFactory) -> ChatRun:
    """One code-server session runs every scenario (one launch for all the tests that read it)."""
    check_deps()
    tmp_path = tmp_path_factory.mktemp("chat-run")
    vsix = built_client / "chatls-0.1.0.vsix"
    fresh_dir(ARTIFACTS)
    state_dir = tmp_path / "state"
    env = code_server_env(tmp_path, os.environ["PATH"])
    result_file = tmp_path / "result.json"
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        workspace = _workspace(tmp_path, emu.url, state_dir, python=sys.executable)
        write_user_settings(tmp_path / "cs" / "data")
        with code_server(tmp_path / "cs", workspace, vsix, env) as url:
            result = run_driver(
                "drive.mjs", built_client, ARTIFACTS, result_file,
                CS_URL=url, WS=str(workspace), API_KEY=CANARY_KEY, EMU_CONTROL=emu.control_url,
                LOGS=str(tmp_path / "cs" / "data" / "logs"),
            )  # fmt: skip
        shutil.copy(tmp_path / "cs" / "code-server.log", ARTIFACTS / "code-server.log")
        chat_requests = emu.chat_requests()
    return ChatRun(result, workspace, state_dir, tmp_path / "cs", chat_requests)


@ONE_SESSION
def test_the_workbench_opens_with_the_trace_level_and_the_key_set_in_the_ui(chat_run: ChatRun) -> None:
    chat_run.step("workbench", "traceLogLevel", "setApiKey")


@ONE_SESSION
def test_a_chat_reply_renders_markdown_code_buttons_and_usage(chat_run: ChatRun) -> None:
    chat = chat_run.step("chat")
    assert chat["strong"] == "Hello"
    assert "print('hi')" in chat["reply"]
    assert chat["codeButtons"] == 1
    assert "gpt-4o" in chat["usage"] and "tokens" in chat["usage"]


@ONE_SESSION
def test_retry_after_a_filtered_reply_shows_the_question_once(chat_run: ChatRun) -> None:
    error = chat_run.step("errorRetry")
    assert "filter" in error["message"].lower(), error
    assert "hello again" in error["reply"] and error["errorsLeft"] == 0, error
    assert error["users"].count("hello again") == 1, "Retry shows the question once"


@ONE_SESSION
def test_stop_keeps_the_partial_reply_and_closes_the_upstream_stream(chat_run: ChatRun) -> None:
    stop = chat_run.step("stop")
    assert stop["streamingSeen"] and stop["tag"] == "Stopped" and stop["sendVisible"]
    partial = stop["partial"].strip()
    assert partial and LONG_STORY.startswith(partial[:40]) and len(partial) < len(LONG_STORY)
    story = [r for r in chat_run.chat_requests if "long story" in json.dumps(r.get("body"))]
    assert story and story[-1]["disconnected"], story


@ONE_SESSION
def test_the_edit_code_action_changes_the_file(chat_run: ChatRun) -> None:
    action = chat_run.step("codeAction")
    assert any("Edit with instruction" in title for title in action["offered"])
    edited = (chat_run.workspace / "hello.py").read_text()
    assert edited == "def add(a: int, b: int) -> int:\n    return a + b\n"


@ONE_SESSION
def test_explain_retries_once_and_a_code_block_is_inserted(chat_run: ChatRun) -> None:
    explain = chat_run.step("explain")
    assert explain["users"][-1].startswith("Explain")
    question = explain["users"][-1]
    assert "filter" in explain["failure"].lower() and explain["users"].count(question) == 1, explain
    assert explain["inserted"].startswith("def add(a: int, b: int) -> int:")
    assert "print('hi')" in explain["inserted"]


@ONE_SESSION
def test_a_reload_shows_the_stored_conversation(chat_run: ChatRun) -> None:
    reload = chat_run.step("reload")
    assert reload["users"][0] == "hello panel" and reload["users"][-1] == "tell me a long story"
    assert "Stopped" in reload["tags"]
    # Retry sent retryOf: the server stored the question once (and the failed reply is marked)
    assert reload["users"].count("hello again") == 1, reload["users"]
    assert any("hello panel" in title for title in reload["listed"]) or reload["listed"]


@ONE_SESSION
def test_the_reasoning_effort_picked_holds_for_every_later_turn(chat_run: ChatRun) -> None:
    reasoning = chat_run.step("reasoning")
    assert reasoning["effortHiddenBefore"] and reasoning["efforts"] == ["", "low", "medium", "high"]
    assert "thinking" in reasoning["status"].lower() and reasoning["statusHidden"], reasoning
    assert "o1" in reasoning["usage"] and "tokens" in reasoning["usage"], reasoning
    assert reasoning["statusBar"] == 1, "the status bar follows the profile picked in the panel"
    thinker = [r for r in chat_run.chat_requests if r.get("deployment") == "o1"]
    # the effort picked in the panel holds for every turn after it (the picker is never reset behind the user)
    assert len(thinker) == 2 and all(r["body"].get("reasoning_effort") == "high" for r in thinker), thinker


@ONE_SESSION
def test_stop_before_any_content_closes_the_upstream_request(chat_run: ChatRun) -> None:
    early = chat_run.step("stopBeforeContent")
    assert early["tag"] == "Stopped" and early["content"].strip() == "" and early["sendVisible"], early
    assert early["status"].strip(), "the first status delta shows before any content"
    pondered = [r for r in chat_run.chat_requests if "ponder forever" in json.dumps(r.get("body"))]
    assert pondered and pondered[-1]["disconnected"], pondered


@ONE_SESSION
def test_the_status_bar_switches_profile_and_copy_takes_the_code(chat_run: ChatRun) -> None:
    switch = chat_run.step("statusBarSwitch")
    assert any("thinker" in o for o in switch["offered"]) and switch["effortHidden"], switch
    copy = chat_run.step("copy")
    assert copy["clipboard"] == "print('hi')", copy


@ONE_SESSION
def test_export_writes_the_conversation_and_delete_removes_it(chat_run: ChatRun) -> None:
    exported = chat_run.workspace / chat_run.step("export")["file"]
    text = exported.read_text()
    assert "hello panel" in text and "print('hi')" in text, text
    deleted = chat_run.step("delete")
    assert [t for t in deleted["before"] if "think about it" not in t] == deleted["after"], deleted
    assert deleted["exportDisabled"]


@ONE_SESSION
def test_a_settings_change_and_restart_server_restart_it_once_on_the_new_model(chat_run: ChatRun) -> None:
    changed = chat_run.step("settingsChange")
    assert changed["restarts"] == 1 and "gpt-4o-mini" in changed["usage"], changed
    assert any(r.get("deployment") == "gpt-4o-mini" for r in chat_run.chat_requests)
    restarted = chat_run.step("restartServer")
    assert restarted["restarts"] == 1 and "gpt-4o-mini" in restarted["usage"], restarted


@ONE_SESSION
def test_every_turn_reached_the_emulator_with_the_key_typed_into_the_ui(chat_run: ChatRun) -> None:
    chat_run.step("setApiKey")
    assert len(chat_run.chat_requests) >= 6


@ONE_SESSION
def test_the_extension_log_holds_the_trace_and_the_key_is_nowhere_but_secret_storage(
    chat_run: ChatRun,
) -> None:
    # the extension's log (LSP trace at verbose, server stderr at debug) is there to search...
    chatls_logs = sorted((chat_run.cs_dir / "data" / "logs").rglob("ChatLS.log"))
    log_text = "\n".join(p.read_text(errors="replace") for p in chatls_logs)
    (ARTIFACTS / "ChatLS.log").write_text(log_text)
    assert "Sending request 'chatls/chat" in log_text and "handed to the server" in log_text, chatls_logs
    # ...and the key never reached a log, a settings file or the workspace (canary)
    leaks = [
        str(p)
        for base in (chat_run.cs_dir, chat_run.workspace, chat_run.state_dir)
        if base.exists()
        for p in base.rglob("*")
        if p.is_file()
        and p.stat().st_size < 50_000_000
        and CANARY_KEY.encode() in p.read_bytes()
        and not is_secret_store(p)
    ]
    assert leaks == [], f"API key found in {leaks}"


def _path_without_chatls(path: str) -> str:
    """PATH minus every directory that has a `chatls` executable (e.g. an activated dev venv)."""
    return os.pathsep.join(d for d in path.split(os.pathsep) if d and not (Path(d) / "chatls").exists())


@pytest.mark.timeout(300)  # pip installs the server's dependencies from PyPI
def test_first_run_sets_up_the_server_from_the_bundled_wheel(built_client: Path, tmp_path: Path) -> None:
    """No interpreter setting, no Python extension, no `chatls` on PATH: the extension says so, and
    "Set Up Server" makes a venv in global storage from the wheel in the .vsix (dependencies from PyPI)."""
    check_deps()
    vsix = built_client / "chatls-0.1.0.vsix"
    artifacts = fresh_dir(ARTIFACTS_ROOT / "setup")
    env = code_server_env(tmp_path, _path_without_chatls(os.environ["PATH"]))
    env["CHATLS_E2E_API_KEY"] = CANARY_KEY  # the key by environment: this test is about the set-up
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        workspace = _workspace(tmp_path, emu.url, tmp_path / "state", python=None)
        write_user_settings(tmp_path / "cs" / "data")
        with code_server(tmp_path / "cs", workspace, vsix, env) as url:
            result = run_driver(
                "drive_setup.mjs",
                built_client,
                artifacts,
                tmp_path / "result.json",
                CS_URL=url,
                WS=str(workspace),
            )
        shutil.copy(tmp_path / "cs" / "code-server.log", artifacts / "code-server.log")
    steps = assert_steps(result, ("noServer", "setUp", "chat"))
    assert "Set Up Server" in steps["noServer"]["message"]
    assert "Echo" in steps["chat"]["reply"] and "hello setup" in steps["chat"]["reply"]
    venv_python = (
        tmp_path
        / "cs"
        / "data"
        / "User"
        / "globalStorage"
        / "chatls.chatls"
        / "server-venv"
        / "bin"
        / "python"
    )
    check = subprocess.run(
        [str(venv_python), "-c", "import chatls, sys; print(sys.prefix)"], capture_output=True, text=True
    )
    assert check.returncode == 0 and "server-venv" in check.stdout, check.stderr
