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
from dataclasses import dataclass
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


REVIEW_STEPS = (
    "workbench",
    "keys",
    "discard",
    "acceptWithKeyboardOnPickedProfile",
    "generateTestsCreatesFile",
    "noBorrowedKey",
    "clearKey",
    "noWarningEver",
    "settingsUi",
)
"""Every step of drive_review.mjs, in order."""
ONE_SESSION = pytest.mark.timeout(400)
"""For every test below on `review_run`: the first one to run waits for the session; the others read it."""


@dataclass(frozen=True)
class ReviewRun:
    """What one code-server session driven through drive_review.mjs left behind."""

    result: dict[str, Any]
    workspace: Path
    artifacts: Path

    def step(self, name: str) -> dict[str, Any]:
        """Step `name`'s report, after asserting it passed."""
        report: dict[str, Any] = assert_steps(self.result, (name,))[name]
        return report


@pytest.fixture(scope="module")
def review_run(built_client: Path, tmp_path_factory: pytest.TempPathFactory) -> ReviewRun:
    """One code-server session runs the whole review flow (one launch for all the tests that read it)."""
    check_deps()
    tmp_path = tmp_path_factory.mktemp("review-run")
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
    return ReviewRun(result, workspace, artifacts)


@ONE_SESSION
def test_the_workbench_opens_and_each_profile_gets_its_own_key(review_run: ReviewRun) -> None:
    review_run.step("workbench")
    review_run.step("keys")


@ONE_SESSION
def test_the_review_streams_shows_the_diff_and_discard_changes_nothing(review_run: ReviewRun) -> None:
    discard = review_run.step("discard")
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


@ONE_SESSION
def test_ctrl_enter_accepts_the_edit_made_on_the_picked_profile(review_run: ReviewRun) -> None:
    accepted = review_run.step("acceptWithKeyboardOnPickedProfile")
    assert "/deployments/gpt-4o-mini/" in accepted["requestPath"], accepted
    assert accepted["requestStatus"] == 200, accepted
    assert accepted["keyboardAccepted"], "Ctrl+Enter in the diff accepts the edit"
    assert (review_run.workspace / "hello.py").read_text() == TYPED


@ONE_SESSION
def test_generate_tests_creates_the_new_file(review_run: ReviewRun) -> None:
    created = review_run.step("generateTestsCreatesFile")
    assert created["files"] == ["tests/test_hello.py new file"], created
    assert "def test_add():" in (review_run.workspace / "tests" / "test_hello.py").read_text()


@ONE_SESSION
def test_a_profile_without_a_key_is_refused_instead_of_borrowing_one(review_run: ReviewRun) -> None:
    # a profile without a key of its own is refused (by the server, before sending) instead of borrowing
    # alpha's or beta's: no request left, and the message says what to do, with the button for it
    borrowed = review_run.step("noBorrowedKey")
    assert borrowed["requests"] == 0, borrowed
    assert borrowed["message"].startswith("ChatLS: No API key for profile 'gamma'"), borrowed
    assert "Set API Key" in borrowed["buttons"] and "Code: -320" not in borrowed["message"], borrowed


@ONE_SESSION
def test_clear_api_key_stops_the_profile_at_once(review_run: ReviewRun) -> None:
    # Clear API Key stops the profile at once, without a restart
    cleared = review_run.step("clearKey")
    assert "cleared" in cleared["message"] and cleared["requests"] == 0, cleared


@ONE_SESSION
def test_no_edit_warning_or_failed_command_is_ever_shown(review_run: ReviewRun) -> None:
    notifications = review_run.step("noWarningEver")["all"]
    assert not any("no edit applied" in text for text in notifications), notifications
    assert not any("Request workspace/executeCommand failed" in text for text in notifications), notifications


@ONE_SESSION
def test_the_settings_ui_names_the_server_default_instead_of_null(review_run: ReviewRun) -> None:
    settings_ui = review_run.step("settingsUi")
    # the Settings UI: a log level without a literal null, the server's default named instead. (Search
    # results prefix each title with a category VS Code derives from the key, "Chatls"; the contents tree
    # shows the group's title, ChatLS, and no prefix: nothing in package.json changes the former.)
    assert any("Context Lines" in title for title in settings_ui["titles"]), settings_ui
    assert "null" not in settings_ui["choices"] and "(server default: info)" in settings_ui["choices"]


@ONE_SESSION
def test_the_review_screenshots_are_published_once_every_step_passed(review_run: ReviewRun) -> None:
    assert_steps(review_run.result, REVIEW_STEPS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("review-light.png", "review-dark.png", "review-new-file.png", "edit-streaming.png"):
        shutil.copy(review_run.artifacts / name, SCREENSHOTS / name)
