"""The edit review and per-profile keys end to end in real VS Code: code-server with the packaged .vsix,
`python -m chatls serve` against the emulator, headless Chromium driving the UI (tests/vscode/e2e/
drive_review.mjs).

Three profiles on one endpoint, all reading the default key variable: `alpha` and `beta` get their own keys
through "ChatLS: Set API Key" (the emulator accepts both), `gamma` gets none and must not borrow one.
Screenshots of the review (light and dark) land in test-artifacts/vscode/review/ and are copied to
vscode-client/media/screenshots/.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.code_server import (
    ARTIFACTS_ROOT,
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
SCREENSHOTS = REPO / "vscode-client" / "media" / "screenshots"
KEY_ALPHA = f"e2e-alpha-{secrets.token_hex(10)}"
KEY_BETA = f"e2e-beta-{secrets.token_hex(10)}"
ORIGINAL = "def add(a, b):\n    return a + b\n"
EXPLANATION = "I added type hints to both parameters and to the return value."
TYPED = "def add(a: int, b: int) -> int:\n    return a + b\n"
TESTS = "from hello import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"

EMULATOR_CONFIG: dict[str, Any] = {
    "server": {"api_keys": [KEY_ALPHA, KEY_BETA]},
    "replies": [
        {"pattern": "type hints", "reply": f"{EXPLANATION}\n\n```python\n{TYPED}```\n"},
        {"pattern": "Generate tests", "reply": f"Two checks of `add`.\n\n```python\n{TESTS}```\n"},
    ],
}


def _profile(name: str, endpoint: str, deployment: str) -> dict[str, Any]:
    return {"name": name, "endpoint": endpoint, "deployment": deployment, "apiVersion": "2024-10-21"}


def _workspace(root: Path, endpoint: str) -> Path:
    workspace = root / "workspace"
    (workspace / ".vscode").mkdir(parents=True)
    (workspace / "hello.py").write_text(ORIGINAL)
    settings = {
        "chatls.profiles": [
            _profile("alpha", endpoint, "gpt-4o"),
            _profile("beta", endpoint, "gpt-4o-mini"),
            _profile("gamma", endpoint, "gpt-4.1"),
        ],
        "chatls.stateDir": str(root / "state"),
        "chatls.server.pythonPath": sys.executable,
        "files.autoSave": "off",
    }
    (workspace / ".vscode" / "settings.json").write_text(json.dumps(settings, indent=2))
    return workspace


@pytest.mark.timeout(400)
def test_review_accept_discard_new_file_and_per_profile_keys(built_client: Path, tmp_path: Path) -> None:
    check_deps()
    artifacts = fresh_dir(ARTIFACTS_ROOT / "review")
    env = code_server_env(tmp_path, os.environ["PATH"])
    data = tmp_path / "cs" / "data"
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        workspace = _workspace(tmp_path, emu.url)
        write_user_settings(data)
        with code_server(tmp_path / "cs", workspace, built_client / "chatls-0.1.0.vsix", env) as url:
            result = run_driver(
                "drive_review.mjs", built_client, artifacts, tmp_path / "result.json",
                CS_URL=url, WS=str(workspace), KEY_ALPHA=KEY_ALPHA, KEY_BETA=KEY_BETA,
                EMU_CONTROL=emu.control_url,
            )  # fmt: skip
        shutil.copy(tmp_path / "cs" / "code-server.log", artifacts / "code-server.log")
    steps = assert_steps(
        result,
        (
            "workbench",
            "keys",
            "discard",
            "acceptWithKeyboardOnPickedProfile",
            "generateTestsCreatesFile",
            "noBorrowedKey",
            "clearKey",
            "noWarningEver",
            "settingsUi",
        ),
    )

    discard = steps["discard"]
    # streaming: the progress shows the reply's text arriving, not a count
    assert "characters received" not in discard["progress"], discard
    assert "type hints" in discard["progress"] or "def add" in discard["progress"], discard
    assert "```" not in discard["progress"], "fence lines are not shown as progress"
    # the diff shows the proposed text; the explanation is beside it; Discard changed nothing
    assert "a: int" in discard["proposed"], discard
    assert EXPLANATION in discard["explanation"] and "Edit selection" in discard["heading"], discard
    assert discard["files"] == ["hello.py"], discard
    assert discard["after"] == discard["before"]
    assert not any("no edit applied" in toast for toast in discard["warnings"]), discard

    accepted = steps["acceptWithKeyboardOnPickedProfile"]
    assert "/deployments/gpt-4o-mini/" in accepted["requestPath"], accepted
    assert accepted["requestStatus"] == 200, accepted
    assert accepted["keyboardAccepted"], "Ctrl+Enter in the diff accepts the edit"
    assert (workspace / "hello.py").read_text() == TYPED

    created = steps["generateTestsCreatesFile"]
    assert created["files"] == ["tests/test_hello.py new file"], created
    assert "def test_add():" in (workspace / "tests" / "test_hello.py").read_text()

    # a profile without a key of its own is refused (by the server, before sending) instead of borrowing
    # alpha's or beta's: no request left, and the message says what to do, with the button for it
    borrowed = steps["noBorrowedKey"]
    assert borrowed["requests"] == 0, borrowed
    assert borrowed["message"].startswith("ChatLS: No API key for profile 'gamma'"), borrowed
    assert "Set API Key" in borrowed["buttons"] and "Code: -320" not in borrowed["message"], borrowed
    # Clear API Key stops the profile at once, without a restart
    cleared = steps["clearKey"]
    assert "cleared" in cleared["message"] and cleared["requests"] == 0, cleared

    notifications = steps["noWarningEver"]["all"]
    assert not any("no edit applied" in text for text in notifications), notifications
    assert not any("Request workspace/executeCommand failed" in text for text in notifications), notifications

    settings_ui = steps["settingsUi"]
    # the Settings UI: a log level without a literal null, the server's default named instead. (Search
    # results prefix each title with a category VS Code derives from the key, "Chatls"; the contents tree
    # shows the group's title, ChatLS, and no prefix: nothing in package.json changes the former.)
    assert any("Context Lines" in title for title in settings_ui["titles"]), settings_ui
    assert "null" not in settings_ui["choices"] and "(server default: info)" in settings_ui["choices"]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("review-light.png", "review-dark.png", "review-new-file.png", "edit-streaming.png"):
        shutil.copy(artifacts / name, SCREENSHOTS / name)
