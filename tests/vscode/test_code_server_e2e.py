"""End to end in real VS Code: code-server 4.139.1 (VS Code 1.139.1) serving a test workspace on loopback,
the packaged .vsix installed, `python -m chatls serve` started by the extension against the emulator, and
headless Chromium driving the UI (tests/vscode/e2e/drive.mjs).

The API key is typed into "ChatLS: Set API Key" (SecretStorage); no environment variable holds it, so a
working chat proves it reached the server, and the logs are searched for it afterwards (canary).

Needs vscode-client/scripts/install-e2e-deps.sh (Node 24 + code-server in .cache/vscode-e2e, chromium).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.waiting import wait_until

from chatls.emulator.fixture import emulator_in_thread

pytestmark = pytest.mark.vscode

REPO = Path(__file__).resolve().parents[2]
E2E_CACHE = Path(os.environ.get("CHATLS_E2E_CACHE", REPO / ".cache" / "vscode-e2e"))
NODE24_BIN = E2E_CACHE / "node24" / "package" / "bin"
CODE_SERVER = E2E_CACHE / "cs" / "node_modules" / ".bin" / "code-server"
ARTIFACTS_ROOT = REPO / "test-artifacts" / "vscode"
ARTIFACTS = ARTIFACTS_ROOT / "e2e"
DRIVERS = Path(__file__).parent / "e2e"

CANARY_KEY = f"e2e-canary-{secrets.token_hex(12)}"
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def _code_server(workdir: Path, workspace: Path, vsix: Path, env: dict[str, str]) -> Iterator[str]:
    """code-server in its own process group on a free loopback port, without auth; killed as a group."""
    port = _free_port()
    config = workdir / "config.yaml"
    config.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    common = [
        str(CODE_SERVER),
        "--config",
        str(config),
        "--user-data-dir",
        str(workdir / "data"),
        "--extensions-dir",
        str(workdir / "ext"),
    ]
    subprocess.run(
        [*common, "--install-extension", str(vsix)], env=env, check=True, capture_output=True, timeout=120
    )
    log_path = workdir / "code-server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                *common,
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--disable-getting-started-override",
                str(workspace),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"code-server exited before it answered; see {log_path}")
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
            except OSError:
                return False
            return True

        try:
            wait_until(healthy, f"code-server to answer /healthz (see {log_path})", timeout=60, interval=0.2)
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _check_deps() -> None:
    missing = [str(p) for p in (NODE24_BIN / "node", CODE_SERVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"code-server e2e deps missing ({', '.join(missing)}): "
            "run vscode-client/scripts/install-e2e-deps.sh"
        )


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


def _user_settings(data_dir: Path) -> None:
    user = data_dir / "User"
    user.mkdir(parents=True, exist_ok=True)
    (user / "settings.json").write_text(
        json.dumps(
            {
                "workbench.startupEditor": "none",
                "workbench.tips.enabled": False,
                "chat.disableAIFeatures": True,
                "security.workspace.trust.enabled": False,
                "extensions.autoCheckUpdates": False,
            }
        )
    )


def _fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _code_server_env(tmp_path: Path, path: str) -> dict[str, str]:
    """The environment code-server (and so the extension host and the server) runs in: no Azure settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI", "OPENAI_"))}
    env.update(PATH=f"{NODE24_BIN}:{path}", XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    return env


def _run_driver(
    script: str, client: Path, artifacts: Path, result_file: Path, **extra: str
) -> dict[str, Any]:
    env = {
        **os.environ,
        "ARTIFACTS": str(artifacts),
        "RESULT": str(result_file),
        "CLIENT_DIR": str(client),
        **extra,
    }
    run = subprocess.run(
        ["node", str(DRIVERS / script)], env=env, capture_output=True, text=True, timeout=400
    )
    (artifacts / "driver.log").write_text(run.stdout + run.stderr)
    assert result_file.exists(), run.stdout + run.stderr
    result: dict[str, Any] = json.loads(result_file.read_text())
    result["log"] = run.stdout
    return result


def _assert_steps(result: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    steps: dict[str, Any] = result["steps"]
    for name in names:
        report = f"step {name} failed:\n{json.dumps(result, indent=2)}"
        assert steps.get(name, {}).get("ok"), report
    return steps


@pytest.mark.timeout(360)  # one code-server session runs every scenario (~1.5 min; a build may come first)
def test_chat_stop_code_action_and_reload_in_code_server(built_client: Path, tmp_path: Path) -> None:
    _check_deps()
    vsix = built_client / "chatls-0.1.0.vsix"
    _fresh_dir(ARTIFACTS)
    state_dir = tmp_path / "state"
    env = _code_server_env(tmp_path, os.environ["PATH"])
    result_file = tmp_path / "result.json"
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        workspace = _workspace(tmp_path, emu.url, state_dir, python=sys.executable)
        _user_settings(tmp_path / "cs" / "data")
        with _code_server(tmp_path / "cs", workspace, vsix, env) as url:
            result = _run_driver(
                "drive.mjs", built_client, ARTIFACTS, result_file,
                CS_URL=url, WS=str(workspace), API_KEY=CANARY_KEY, EMU_CONTROL=emu.control_url,
                LOGS=str(tmp_path / "cs" / "data" / "logs"),
            )  # fmt: skip
        shutil.copy(tmp_path / "cs" / "code-server.log", ARTIFACTS / "code-server.log")
        chat_requests = emu.chat_requests()
    steps = _assert_steps(
        result,
        (
            "workbench",
            "traceLogLevel",
            "setApiKey",
            "chat",
            "errorRetry",
            "stop",
            "codeAction",
            "explain",
            "reload",
            "reasoning",
            "stopBeforeContent",
            "statusBarSwitch",
            "copy",
            "export",
            "delete",
            "settingsChange",
            "restartServer",
        ),
    )

    chat = steps["chat"]
    assert chat["strong"] == "Hello"
    assert "print('hi')" in chat["reply"]
    assert chat["codeButtons"] == 1
    assert "gpt-4o" in chat["usage"] and "tokens" in chat["usage"]

    error = steps["errorRetry"]
    assert "filter" in error["message"].lower(), error
    assert "hello again" in error["reply"] and error["errorsLeft"] == 0, error
    assert error["users"].count("hello again") == 1, "Retry shows the question once"

    stop = steps["stop"]
    assert stop["streamingSeen"] and stop["tag"] == "Stopped" and stop["sendVisible"]
    partial = stop["partial"].strip()
    assert partial and LONG_STORY.startswith(partial[:40]) and len(partial) < len(LONG_STORY)

    action = steps["codeAction"]
    assert any("Edit with instruction" in title for title in action["offered"])
    assert (workspace / "hello.py").read_text() == "def add(a: int, b: int) -> int:\n    return a + b\n"

    assert steps["explain"]["users"][-1].startswith("Explain")
    assert (
        "filter" in steps["explain"]["failure"].lower()
        and steps["explain"]["users"].count(steps["explain"]["users"][-1]) == 1
    ), steps["explain"]
    assert steps["explain"]["inserted"].startswith("def add(a: int, b: int) -> int:")
    assert "print('hi')" in steps["explain"]["inserted"]

    reload = steps["reload"]
    assert reload["users"][0] == "hello panel" and reload["users"][-1] == "tell me a long story"
    assert "Stopped" in reload["tags"]
    # Retry sent retryOf: the server stored the question once (and the failed reply is marked)
    assert reload["users"].count("hello again") == 1, reload["users"]
    assert any("hello panel" in title for title in reload["listed"]) or reload["listed"]

    reasoning = steps["reasoning"]
    assert reasoning["effortHiddenBefore"] and reasoning["efforts"] == ["", "low", "medium", "high"]
    assert "thinking" in reasoning["status"].lower() and reasoning["statusHidden"], reasoning
    assert "o1" in reasoning["usage"] and "tokens" in reasoning["usage"], reasoning
    assert reasoning["statusBar"] == 1, "the status bar follows the profile picked in the panel"
    thinker = [r for r in chat_requests if r.get("deployment") == "o1"]
    # the effort picked in the panel holds for every turn after it (the picker is never reset behind the user)
    assert len(thinker) == 2 and all(r["body"].get("reasoning_effort") == "high" for r in thinker), thinker

    early = steps["stopBeforeContent"]
    assert early["tag"] == "Stopped" and early["content"].strip() == "" and early["sendVisible"], early
    assert early["status"].strip(), "the first status delta shows before any content"
    pondered = [r for r in chat_requests if "ponder forever" in json.dumps(r.get("body"))]
    assert pondered and pondered[-1]["disconnected"], pondered

    switch = steps["statusBarSwitch"]
    assert any("thinker" in o for o in switch["offered"]) and switch["effortHidden"], switch
    assert steps["copy"]["clipboard"] == "print('hi')", steps["copy"]

    exported = workspace / steps["export"]["file"]
    text = exported.read_text()
    assert "hello panel" in text and "print('hi')" in text, text

    deleted = steps["delete"]
    assert [t for t in deleted["before"] if "think about it" not in t] == deleted["after"], deleted
    assert deleted["exportDisabled"]

    changed = steps["settingsChange"]
    assert changed["restarts"] == 1 and "gpt-4o-mini" in changed["usage"], changed
    assert any(r.get("deployment") == "gpt-4o-mini" for r in chat_requests)
    restarted = steps["restartServer"]
    assert restarted["restarts"] == 1 and "gpt-4o-mini" in restarted["usage"], restarted

    # every turn reached the emulator with the key typed into the UI; Stop closed the upstream stream
    assert len(chat_requests) >= 6
    story = [r for r in chat_requests if "long story" in json.dumps(r.get("body"))]
    assert story and story[-1]["disconnected"], story
    # the extension's log (LSP trace at verbose, server stderr at debug) is there to search...
    chatls_logs = sorted((tmp_path / "cs" / "data" / "logs").rglob("ChatLS.log"))
    log_text = "\n".join(p.read_text(errors="replace") for p in chatls_logs)
    (ARTIFACTS / "ChatLS.log").write_text(log_text)
    assert "Sending request 'chatls/chat" in log_text and "handed to the server" in log_text, chatls_logs
    # ...and the key never reached a log, a settings file or the workspace (canary)
    leaks = [
        str(p)
        for base in (tmp_path / "cs", workspace, state_dir)
        if base.exists()
        for p in base.rglob("*")
        if p.is_file()
        and p.stat().st_size < 50_000_000
        and CANARY_KEY.encode() in p.read_bytes()
        and not _is_secret_store(p)
    ]
    assert leaks == [], f"API key found in {leaks}"


def _is_secret_store(path: Path) -> bool:
    """VS Code's own encrypted secret storage database is where the key is supposed to be."""
    return path.name.startswith("state.vscdb")


def _path_without_chatls(path: str) -> str:
    """PATH minus every directory that has a `chatls` executable (e.g. an activated dev venv)."""
    return os.pathsep.join(d for d in path.split(os.pathsep) if d and not (Path(d) / "chatls").exists())


@pytest.mark.timeout(300)  # pip installs the server's dependencies from PyPI
def test_first_run_sets_up_the_server_from_the_bundled_wheel(built_client: Path, tmp_path: Path) -> None:
    """No interpreter setting, no Python extension, no `chatls` on PATH: the extension says so, and
    "Set Up Server" makes a venv in global storage from the wheel in the .vsix (dependencies from PyPI)."""
    _check_deps()
    vsix = built_client / "chatls-0.1.0.vsix"
    artifacts = _fresh_dir(ARTIFACTS_ROOT / "setup")
    env = _code_server_env(tmp_path, _path_without_chatls(os.environ["PATH"]))
    env["CHATLS_E2E_API_KEY"] = CANARY_KEY  # the key by environment: this test is about the set-up
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        workspace = _workspace(tmp_path, emu.url, tmp_path / "state", python=None)
        _user_settings(tmp_path / "cs" / "data")
        with _code_server(tmp_path / "cs", workspace, vsix, env) as url:
            result = _run_driver(
                "drive_setup.mjs",
                built_client,
                artifacts,
                tmp_path / "result.json",
                CS_URL=url,
                WS=str(workspace),
            )
        shutil.copy(tmp_path / "cs" / "code-server.log", artifacts / "code-server.log")
    steps = _assert_steps(result, ("noServer", "setUp", "chat"))
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
