"""Real editors driving `chatls serve`: Neovim (0.7.2 in CI) and Emacs 28 with eglot 1.9, headless.

Each editor runs once per module (a few seconds) against the emulator over loopback HTTP. The drivers next to
this file (`nvim_*.lua`, `eglot_*.el`) only observe: they talk to the server through the editor's own LSP
client and write what they saw as JSON; the tests below assert on it. The emulator's scripted replies make
every expected text exact.

The editors are required: CI installs them (`scripts/install-system-deps.sh`), so a missing editor fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatls.emulator.fixture import emulator_in_thread

pytestmark = pytest.mark.editors

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
KEY_ENV = "CHATLS_E2E_KEY"
INSTALL_HINT = "apt-get install -y neovim emacs-nox elpa-eglot (scripts/install-system-deps.sh)"
EDITOR_TIMEOUT_S = 45
"""Hard limit per editor run (`timeout` kills it); a healthy run takes a few seconds."""
REQUEST_TIMEOUT_MS = 15_000
"""How long a driver waits for one server answer before recording a failure."""
DRIVER_BUDGET_MS = 35_000
"""All of a driver's waits together; it then still writes what it saw before `timeout` strikes."""

# --- the conversation the editors have, and the emulator's scripted side of it --------------------

CHAT_PROMPT = "chatls-e2e-hello: greet the editor"
CHAT_REPLY = "Hello from the emulator! This reply is scripted, so every editor can compare it exactly."
FOLLOW_UP_PROMPT = "chatls-e2e-again: and once more"
FOLLOW_UP_REPLY = "Still here, in the same conversation."
EXPLAIN_REPLY = "running_total walks the values once and keeps a sum of everything seen so far."
EDIT_INSTRUCTION = "chatls-e2e-rename: call it total and use sum()"
EDIT_REPLY = "Here is the method:\n\n```python\ndef total(self, numbers):\n    return sum(numbers)\n```\n"
IMPROVE_REPLY = "Simpler:\n\n```python\ndef is_even(n):\n    return n % 2 == 0\n```\n"
ABOUT_LINES_PROMPT = "chatls-e2e-lines: what do these lines do?"
ABOUT_LINES_REPLY = "They add the values up."
SLOW_PROMPT = "chatls-e2e-slow: write a long story"
SLOW_REPLY = " ".join(f"word{i}" for i in range(600))

CANARY_KEY = "canary-key-4f1c9e27d8"
"""The only key the emulator accepts; it must never show up in what the editor logs or the server stores."""

EMULATOR_CONFIG: dict[str, Any] = {
    "server": {"include_default_deployments": True, "api_keys": [CANARY_KEY]},
    "deployments": {"gpt-4o-slow": {"model": "gpt-4o", "tokens_per_second": 40}},
    "replies": [
        {"pattern": "chatls-e2e-hello", "reply": CHAT_REPLY},
        {"pattern": "chatls-e2e-again", "reply": FOLLOW_UP_REPLY},
        {"pattern": "chatls-e2e-rename", "reply": EDIT_REPLY},
        {"pattern": "chatls-e2e-slow", "reply": SLOW_REPLY},
        {"pattern": "chatls-e2e-lines", "reply": ABOUT_LINES_REPLY},
        {"pattern": "def is_even", "reply": IMPROVE_REPLY},
        {"pattern": "def running_total", "reply": EXPLAIN_REPLY},
    ],
}

# --- the workspace the editors open ----------------------------------------------------------------

CHAT_FILE = "notes.py"
CHAT_TEXT = '"""Scratch file the chat is started from."""\n'
EXPLAIN_FILE = "explain.py"
EXPLAIN_TEXT = (
    "def running_total(values):\n"
    "    total = 0\n"
    "    for value in values:\n"
    "        total += value\n"
    "    return total\n"
)
EDIT_FILE = "edit.py"
EDIT_TEXT = (
    "class Calculator:\n"
    "    def add_all(self, numbers):\n"
    "        result = 0\n"
    "        for n in numbers:\n"
    "            result += n\n"
    "        return result\n"
    "\n"
    "    def untouched(self):\n"
    '        return "unchanged"\n'
)
EDIT_EXPECTED = (
    "class Calculator:\n"
    "    def total(self, numbers):\n"
    "        return sum(numbers)\n"
    "\n"
    "    def untouched(self):\n"
    '        return "unchanged"\n'
)
IMPROVE_FILE = "improve.py"
IMPROVE_TEXT = (
    "def is_even(n):\n"
    "    if n % 2 == 0:\n"
    "        return True\n"
    "    else:\n"
    "        return False\n"
    "\n"
    "\n"
    "def other():\n"
    "    return 1\n"
)
IMPROVE_EXPECTED = "def is_even(n):\n    return n % 2 == 0\n\n\ndef other():\n    return 1\n"


def lines_range(text: str, first: int, last: int) -> dict[str, Any]:
    """LSP range from the start of line `first` to the end of line `last` (0-based, ASCII text)."""
    end_line = text.split("\n")[last]
    return {"start": {"line": first, "character": 0}, "end": {"line": last, "character": len(end_line)}}


@dataclass
class EditorRun:
    """One editor session: the JSON its driver wrote, and its console output for failure messages."""

    obs: dict[str, Any]
    log: str
    base: Path
    """The run's directory: workspace `ws`, server state `state`, the editor's private `home`."""
    requests: list[dict[str, Any]]
    """What the emulator logged while this editor ran (oldest first)."""

    def get(self, key: str) -> Any:
        value = self.obs.get(key)
        assert value is not None, f"the driver recorded no {key!r}; errors: {self.errors()}\n{self.log}"
        return value

    def result(self, key: str) -> Any:
        """The `result` of a recorded request (JSON), failing with the JSON-RPC error if there was one."""
        response = self.get(key)
        assert "error" not in response or not response["error"], f"{key}: {response['error']}"
        return response["result"]

    def errors(self) -> dict[str, str]:
        errors = self.obs.get("errors") or {}
        return {k: v for k, v in errors.items() if v} if isinstance(errors, dict) else {}


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; CI installs it with: {INSTALL_HINT}")
    return path


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        yield emu


def make_workspace(root: Path) -> dict[str, Path]:
    root.mkdir(parents=True)
    files = {
        "chat": CHAT_FILE,
        "explain": EXPLAIN_FILE,
        "edit": EDIT_FILE,
        "improve": IMPROVE_FILE,
    }
    texts = {"chat": CHAT_TEXT, "explain": EXPLAIN_TEXT, "edit": EDIT_TEXT, "improve": IMPROVE_TEXT}
    for key, name in files.items():
        (root / name).write_text(texts[key], encoding="utf-8")
    return {key: root / name for key, name in files.items()}


def make_plan(base: Path, emulator_url: str) -> dict[str, Any]:
    """Everything a driver needs: server command, settings, files, ranges and prompts."""
    workspace = base / "ws"
    files = make_workspace(workspace)
    profile = {
        "endpoint": emulator_url,
        "apiVersion": "2024-12-01-preview",
        "auth": "apiKey",
        "apiKeyEnv": KEY_ENV,
    }
    return {
        "serverCmd": [sys.executable, "-m", "chatls", "serve"],
        "workspace": str(workspace),
        "workspaceUri": workspace.as_uri(),
        "initOptions": {
            "profiles": [
                {"name": "emu", "deployment": "gpt-4o", **profile},
                {"name": "slow", "deployment": "gpt-4o-slow", **profile},
            ],
            "defaultProfile": "emu",
            "stateDir": str(base / "state"),
        },
        "chat": {
            "prompt": CHAT_PROMPT,
            "reply": CHAT_REPLY,
            "followUp": FOLLOW_UP_PROMPT,
            "followUpReply": FOLLOW_UP_REPLY,
            "aboutLines": ABOUT_LINES_PROMPT,
            "aboutLinesReply": ABOUT_LINES_REPLY,
        },
        "files": {
            "chat": str(files["chat"]),
            "explain": {"path": str(files["explain"]), "range": lines_range(EXPLAIN_TEXT, 0, 4)},
            "edit": {
                "path": str(files["edit"]),
                "range": lines_range(EDIT_TEXT, 1, 5),
                "instruction": EDIT_INSTRUCTION,
            },
            "improve": {"path": str(files["improve"]), "range": lines_range(IMPROVE_TEXT, 0, 4)},
        },
        "diagnostic": {
            "range": lines_range(EXPLAIN_TEXT, 3, 3),
            "message": "'total' may be undefined",
            "severity": 1,
            "source": "pyflakes",
        },
        "explainReply": EXPLAIN_REPLY,
        "cancel": {"prompt": SLOW_PROMPT, "profile": "slow"},
        "timeoutMs": REQUEST_TIMEOUT_MS,
        "budgetMs": DRIVER_BUDGET_MS,
        "result": str(base / "observations.json"),
    }


def editor_env(base: Path, api_key: str, plan: dict[str, Any]) -> dict[str, str]:
    """A private home for the editor (no user config, logs or packages leak in) and the emulator's key."""
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI", "OPENAI_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local/state"),
        XDG_DATA_HOME=str(home / ".local/share"),
        CHATLS_E2E_PLAN=json.dumps(plan),
    )
    env[KEY_ENV] = api_key
    return env


def run_editor(
    argv: list[str], base: Path, emulator: Any, env: dict[str, str] | None = None, **plan_extra: Any
) -> EditorRun:
    plan = {**make_plan(base, emulator.url), **plan_extra}
    logged_before = max((r["id"] for r in emulator.requests()), default=0)
    proc = subprocess.run(
        ["timeout", "-k", "5", str(EDITOR_TIMEOUT_S), *argv],
        cwd=plan["workspace"],
        env={**editor_env(base, emulator.api_key, plan), **(env or {})},
        capture_output=True,
        text=True,
        timeout=EDITOR_TIMEOUT_S + 15,
        check=False,
    )
    log = f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
    result = Path(plan["result"])
    assert proc.returncode == 0 and result.exists(), f"{argv[0]} did not finish its script:\n{log}"
    requests = [r for r in emulator.requests() if r["id"] > logged_before]
    obs = json.loads(result.read_text(encoding="utf-8"))
    return EditorRun(obs, f"{log}\n--- seconds per step\n{obs.get('seconds')}", base, requests)


def nvim_argv(script: str) -> list[str]:
    # CHATLS_E2E_NVIM runs the same tests on another Neovim build (e.g. 0.10; see docs/editors.md).
    nvim = os.environ.get("CHATLS_E2E_NVIM") or require("nvim")
    return [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {HERE / script}"]


def emacs_argv(script: str) -> list[str]:
    return [require("emacs"), "--batch", "-Q", "-l", str(HERE / script)]


RUNS = {
    "nvim": lambda: nvim_argv("nvim_protocol.lua"),
    "nvim-plugin": lambda: nvim_argv("nvim_plugin.lua"),
    "emacs": lambda: emacs_argv("eglot_protocol.el"),
    "emacs-plugin": lambda: emacs_argv("eglot_plugin.el"),
}
"""Each editor twice: bare (the protocol as any client speaks it) and with the helper from editors/."""
DOCUMENTED = {
    "nvim-docs": lambda: nvim_argv("nvim_docs.lua"),
    "emacs-docs": lambda: emacs_argv("eglot_docs.el"),
}
"""Each editor running the setup block docs/editors.md marks as tested, exactly as written."""
DOCS = REPO / "docs" / "editors.md"
DOCS_ENDPOINT = "https://my-resource.openai.azure.com"
"""The endpoint the documented setups use; the test points it at the emulator."""
PLUGIN_DIRS = {"nvim-plugin": REPO / "editors" / "nvim", "emacs-plugin": REPO / "editors" / "emacs"}
BARE = ["nvim", "emacs"]
CANCELLING = ["nvim", "nvim-plugin", "emacs-plugin"]
"""Runs that cancel a chat (bare eglot has no cancel call; the Emacs helper adds one)."""


def documented_block(editor: str) -> tuple[str, str]:
    """The block docs/editors.md marks `<!-- tested by tests/editors: EDITOR -->`: (language, code)."""
    marker = re.escape(f"<!-- tested by tests/editors: {editor} -->")
    blocks = re.findall(marker + r"\n```(\w+)\n(.*?)\n```\n", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1, f"docs/editors.md should mark exactly one {editor} block as tested"
    language, code = blocks[0]
    return language, code


def documented_setup(editor: str, base: Path, emulator: Any) -> tuple[Path, dict[str, str]]:
    """The documented block as a file, pointed at the emulator, and the environment it expects.

    The docs run `chatls serve` from PATH and read the key from AZURE_OPENAI_API_KEY; so does the test.
    """
    language, code = documented_block(editor)
    assert DOCS_ENDPOINT in code, f"the {editor} block no longer uses the endpoint {DOCS_ENDPOINT}"
    snippet = base / ("setup.lua" if language == "lua" else "setup.el")
    snippet.write_text(code.replace(DOCS_ENDPOINT, emulator.url), encoding="utf-8")
    bin_dir = base / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "chatls"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m chatls "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return snippet, {"PATH": path, "AZURE_OPENAI_API_KEY": emulator.api_key}


Runner = Callable[[str], EditorRun]


@pytest.fixture(scope="module")
def runner(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Runs an editor (by RUNS name) on first use; the tests of this module share its observations."""
    runs: dict[str, EditorRun] = {}

    def run(name: str) -> EditorRun:
        if name in runs:
            return runs[name]
        base = tmp_path_factory.mktemp(name)
        if name in DOCUMENTED:
            snippet, env = documented_setup(name.removesuffix("-docs"), base, emulator)
            runs[name] = run_editor(DOCUMENTED[name](), base, emulator, env, snippet=str(snippet))
        else:
            runs[name] = run_editor(RUNS[name](), base, emulator, pluginDir=str(PLUGIN_DIRS.get(name, "")))
        return runs[name]

    return run


@pytest.fixture(params=list(RUNS))
def editor(request: pytest.FixtureRequest, runner: Runner) -> EditorRun:
    return runner(request.param)


@pytest.fixture(params=BARE)
def bare_editor(request: pytest.FixtureRequest, runner: Runner) -> EditorRun:
    return runner(request.param)


@pytest.fixture(params=CANCELLING)
def cancelling_editor(request: pytest.FixtureRequest, runner: Runner) -> EditorRun:
    return runner(request.param)


@pytest.fixture(params=list(DOCUMENTED))
def documented_editor(request: pytest.FixtureRequest, runner: Runner) -> EditorRun:
    return runner(request.param)


@pytest.fixture(params=list(PLUGIN_DIRS))
def plugin_editor(request: pytest.FixtureRequest, runner: Runner) -> EditorRun:
    return runner(request.param)


# --- every editor, bare and with the helper ------------------------------------------------------


def test_server_starts_and_initializes(editor: EditorRun) -> None:
    assert editor.get("initialized") is True, editor.log


def test_chat_returns_scripted_reply_and_deltas_add_up_to_it(editor: EditorRun) -> None:
    chat = editor.result("chat")
    assert chat["content"] == CHAT_REPLY
    assert chat["conversationId"] and chat["messageId"]
    assert chat["finishReason"] == "stop"
    assert editor.get("chatDeltaText") == CHAT_REPLY


def test_follow_up_continues_the_conversation(editor: EditorRun) -> None:
    follow_up = editor.result("followUp")
    assert follow_up["content"] == FOLLOW_UP_REPLY
    assert follow_up["conversationId"] == editor.result("chat")["conversationId"]


def test_explain_result_carries_conversation_and_content(editor: EditorRun) -> None:
    explain = editor.result("explain")
    assert explain["content"] == EXPLAIN_REPLY
    assert explain["conversationId"]
    assert editor.get("explainDeltaText") == EXPLAIN_REPLY


def test_edit_with_instruction_edits_the_buffer(editor: EditorRun) -> None:
    assert editor.get("editBuffer") == EDIT_EXPECTED, editor.obs.get("edit")


def test_conversations_persist_and_are_listed(editor: EditorRun) -> None:
    listed = {c["id"]: c for c in editor.result("conversations")}
    chat = editor.result("chat")
    assert chat["conversationId"] in listed
    assert listed[chat["conversationId"]]["messageCount"] == 4  # two prompts, two replies
    assert editor.result("explain")["conversationId"] in listed


def test_no_driver_step_failed(editor: EditorRun) -> None:
    assert editor.errors() == {}, editor.log


# --- bare setups: the server's actions, listed and run from the editor's own menu ----------------

SELECTION_COMMANDS = {
    "chatls.explain",
    "chatls.improve",
    "chatls.document",
    "chatls.generateTests",
    "chatls.askInChat",
    "chatls.editSelection",
}
"""Offered for any selection; chatls.fix joins them when the editor reports a diagnostic there."""


def test_server_advertises_commands(bare_editor: EditorRun) -> None:
    commands = set(bare_editor.get("executeCommands"))
    assert {"chatls.chat", "chatls.explain", "chatls.improve", "chatls.editSelection"} <= commands


def test_code_actions_listed_for_selection(bare_editor: EditorRun) -> None:
    actions = bare_editor.get("actions")
    by_command = {a["command"]: a for a in actions}
    assert set(by_command) == SELECTION_COMMANDS, actions
    for action in actions:
        assert action["title"].startswith("ChatLS: "), action
        assert action["kind"].endswith(".chatls"), action
    assert set(bare_editor.get("actionsWithDiagnostic")) == {*SELECTION_COMMANDS, "chatls.fix"}


def test_improve_through_the_editors_own_code_action_menu(bare_editor: EditorRun) -> None:
    assert bare_editor.get("improveBuffer") == IMPROVE_EXPECTED, bare_editor.errors()
    assert len(bare_editor.get("improveMenu")) >= 2, "the menu should list the server's actions"


def test_nvim_empty_selection_offers_no_actions(runner: Runner) -> None:
    assert runner("nvim").get("emptySelectionActions") == 0


# --- cancellation: the server's store is the witness (Neovim drops the -32800 reply) -------------


def test_cancelled_chat_is_stored_as_cancelled(cancelling_editor: EditorRun, emulator: Any) -> None:
    run = cancelling_editor
    assert run.get("cancelStreamed") is True, "the slow chat never streamed any text"
    conversation = run.result("cancelConversation")
    assert conversation["id"] == run.get("cancelConversationId")
    user, reply = conversation["messages"][-2:]
    assert (user["role"], user["content"]) == ("user", SLOW_PROMPT)
    assert reply["role"] == "assistant"
    assert reply["status"] == "cancelled"
    assert SLOW_REPLY.startswith(reply["content"]) and len(reply["content"]) < len(SLOW_REPLY)
    # ...and the server closed the upstream stream instead of letting it run on.
    (slow,) = [r for r in run.requests if r["deployment"] == "gpt-4o-slow"]
    emulator.wait_for_request(lambda r: r["id"] == slow["id"] and r["disconnected"], timeout=10)


# --- the helpers in editors/: what their users see ------------------------------------------------


def test_helper_transcript_shows_the_conversation(plugin_editor: EditorRun) -> None:
    transcript = plugin_editor.get("transcript")
    for text in (CHAT_PROMPT, CHAT_REPLY, FOLLOW_UP_PROMPT, FOLLOW_UP_REPLY, EXPLAIN_REPLY):
        assert text in transcript, f"{text!r} missing from the transcript:\n{transcript}"


def test_helper_asks_for_the_edit_instruction(plugin_editor: EditorRun) -> None:
    assert "instruction" in plugin_editor.get("editAsked")
    assert plugin_editor.result("edit")["applied"] is True


def test_helper_chat_about_lines_sends_them_as_context(plugin_editor: EditorRun) -> None:
    assert plugin_editor.result("chatAboutLines")["content"] == ABOUT_LINES_REPLY
    assert_lines_reached_the_model(plugin_editor)


def assert_lines_reached_the_model(run: EditorRun) -> None:
    (request,) = [r for r in run.requests if ABOUT_LINES_PROMPT in str(r["body"])]
    sent = request["body"]["messages"][-1]["content"]
    assert ABOUT_LINES_PROMPT in sent
    assert EXPLAIN_TEXT.rstrip("\n") in sent, "the selected lines did not reach the model"


# --- the setups docs/editors.md shows, run exactly as written --------------------------------------


def test_documented_setup_chats_and_streams_into_a_buffer(documented_editor: EditorRun) -> None:
    run = documented_editor
    assert run.get("initialized") is True, run.log
    assert run.errors() == {}, run.log
    transcript = run.get("transcript")
    for text in (CHAT_PROMPT, CHAT_REPLY, FOLLOW_UP_PROMPT, FOLLOW_UP_REPLY):
        assert text in transcript, f"{text!r} missing from the chat buffer:\n{transcript}"
    conversation = run.result("chat")["conversationId"]
    assert conversation and run.result("followUp")["conversationId"] == conversation


def test_documented_setup_shows_explain_from_the_code_action_menu(documented_editor: EditorRun) -> None:
    assert EXPLAIN_REPLY in documented_editor.get("transcript")
    assert documented_editor.get("explainConversationIsNew") is True, "the next chat would not continue it"


def test_documented_nvim_setup_edits_with_instruction_and_sends_lines(runner: Runner) -> None:
    run = runner("nvim-docs")
    assert run.get("editAsked"), "vim.ui.input was not asked for the instruction"
    assert run.get("editBuffer") == EDIT_EXPECTED
    assert ABOUT_LINES_REPLY in run.get("transcript")
    assert_lines_reached_the_model(run)


# --- secrets ----------------------------------------------------------------------------------------


def test_api_key_is_in_no_log_or_stored_file(runner: Runner) -> None:
    """Neovim logs every LSP message at debug level (the bare run turns that on); the server gets the key
    only from its environment. Neither the editor's files nor the server's state may contain it."""
    run = runner("nvim")
    lsp_logs = list((run.base / "home").rglob("lsp.log"))
    assert lsp_logs and any('"chatls/chat"' in p.read_text(errors="replace") for p in lsp_logs), (
        "Neovim's debug log did not record the session, so it proves nothing"
    )
    assert any(p.is_file() for p in (run.base / "state").rglob("*")), "the server stored nothing"
    files = [p for p in run.base.rglob("*") if p.is_file()]
    leaks = [str(p) for p in files if CANARY_KEY.encode() in p.read_bytes()]
    assert leaks == []
