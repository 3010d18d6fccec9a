"""The chat panel in real VS Code (code-server + headless Chromium), first run with no profile.

The guided set-up writes `chatls.profiles` / `chatls.defaultProfile` and puts the (deliberately wrong) key in
SecretStorage; the server restarts with it; the 401 error box fits the default side-bar width and carries
Retry and Set API Key; that button runs the real command; Retry then answers in place of the failed reply;
the reasoning summary streams into a Thinking block that folds when the answer starts; the conversation list
shows the conversation with its date.
Screenshots (light and dark) go to vscode-client/media/screenshots/.
"""

from __future__ import annotations

import json
import os
import shutil
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
    is_secret_store,
    run_driver,
    write_user_settings,
)

from chatls.emulator.fixture import emulator_in_thread

pytestmark = pytest.mark.vscode

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "vscode-client" / "media" / "screenshots"
REPLY = "**Hello** from the emulator.\n\n```python\nprint('hi')\n```\n"
EMULATOR_CONFIG: dict[str, Any] = {
    "server": {"api_keys": [CANARY_KEY]},
    "replies": [{"pattern": "hello panel", "reply": REPLY}],
}


def _first_run_workspace(root: Path, state_dir: Path) -> Path:
    """A workspace with no ChatLS profile anywhere: only the interpreter and the state directory are set."""
    workspace = root / "workspace"
    (workspace / ".vscode").mkdir(parents=True)
    (workspace / "hello.py").write_text("def add(a, b):\n    return a + b\n")
    settings = {
        "chatls.server.pythonPath": sys.executable,
        "chatls.stateDir": str(state_dir),
        "files.autoSave": "off",
    }
    (workspace / ".vscode" / "settings.json").write_text(json.dumps(settings, indent=2))
    return workspace


THEMES = {"light": "Default Light Modern", "dark": "Default Dark Modern"}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("theme", sorted(THEMES))
def test_first_run_setup_error_actions_and_retry_in_code_server(
    built_client: Path, tmp_path: Path, theme: str
) -> None:
    check_deps()
    artifacts = fresh_dir(ARTIFACTS_ROOT / f"panel-{theme}")
    state_dir = tmp_path / "state"
    env = code_server_env(tmp_path, os.environ["PATH"])
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        workspace = _first_run_workspace(tmp_path, state_dir)
        write_user_settings(tmp_path / "cs" / "data")
        user_file = tmp_path / "cs" / "data" / "User" / "settings.json"
        user = json.loads(user_file.read_text())
        user_file.write_text(json.dumps({**user, "workbench.colorTheme": THEMES[theme]}))
        with code_server(tmp_path / "cs", workspace, built_client / "chatls-0.1.0.vsix", env) as url:
            result = run_driver(
                "drive_panel.mjs", built_client, artifacts, tmp_path / "result.json",
                CS_URL=url, WS=str(workspace), EMU_URL=emu.url, API_KEY=CANARY_KEY,
                SHOTS=str(SHOTS), THEME=theme,
            )  # fmt: skip
        shutil.copy(tmp_path / "cs" / "code-server.log", artifacts / "code-server.log")
    steps = assert_steps(
        result, ("guidedSetup", "errorActions", "setApiKeyButton", "retry", "conversationList")
    )

    setup = steps["guidedSetup"]
    assert setup["composerHidden"] and setup["profiles"] == ["default"], setup
    user_settings = json.loads((tmp_path / "cs" / "data" / "User" / "settings.json").read_text())
    assert user_settings["chatls.defaultProfile"] == "default"
    assert user_settings["chatls.profiles"] == [
        {"name": "default", "endpoint": emu.url, "deployment": "o4-mini", "auth": "apiKey"}
    ]

    error = steps["errorActions"]
    assert "401" in error["message"] or "key" in error["message"].lower(), error
    assert error["buttons"] == ["Retry", "Set API Key", "Open Settings"], error
    fits = error["fits"]
    assert fits["scroll"] <= fits["client"] + 1 and fits["buttonsRight"] <= fits["width"], fits

    retried = steps["retry"]
    assert "Hello" in retried["reply"] and retried["failedStubs"] == 0 and retried["replies"] == 1, retried
    assert retried["buttons"] == ["Copy", "Insert", "Apply to selection"], retried
    thinking = retried["thinking"]
    assert thinking and not thinking["open"] and thinking["summary"].startswith("Thought"), retried
    assert thinking["text"] and thinking["text"] not in retried["reply"], retried

    listed = steps["conversationList"]
    assert listed["fits"] and listed["items"] and all(item["date"] for item in listed["items"]), listed

    # the key typed into the form and the command never reached a settings file, a log or the store
    leaks = [
        str(p)
        for base in (tmp_path / "cs", workspace, state_dir)
        if base.exists()
        for p in base.rglob("*")
        if p.is_file() and CANARY_KEY.encode() in p.read_bytes() and not is_secret_store(p)
    ]
    assert leaks == [], f"API key found in {leaks}"
