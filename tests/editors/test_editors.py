"""Real editors driving `chatls serve`: Neovim (0.7.2 in CI) and Emacs 28 with eglot 1.9, headless.

Six editor runs, each once per module and a few seconds long, against the emulator over loopback HTTP:
Neovim and Emacs bare (the protocol as any client speaks it), with the helpers from editors/, and running the
setup blocks of docs/editors.md exactly as written. The drivers only observe; the tests below assert on what
they saw (harness.py), and the emulator's scripted replies (scenario.py) make every expected text exact.

The editors are required: CI installs them (`scripts/install-system-deps.sh`), so a missing editor fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.editors.harness import (
    DISCOVERY_RUN,
    DOCUMENTED,
    PLUGIN_DIRS,
    RUNS,
    SLOW_RUN_PLAN,
    SLOW_RUN_TIMEOUT_S,
    SLOW_RUNS,
    EditorRun,
    documented_setup,
    nvim_argv,
    run_editor,
)
from tests.editors.scenario import (
    ABOUT_LINES_PROMPT,
    ABOUT_LINES_REPLY,
    CANARY_KEY,
    CHAT_PROMPT,
    CHAT_REPLY,
    EDIT_EXPECTED,
    EMULATOR_CONFIG,
    EXPLAIN_REPLY,
    EXPLAIN_TEXT,
    FOLLOW_UP_PROMPT,
    FOLLOW_UP_REPLY,
    IMPROVE_EXPECTED,
    NO_CHANGE_NOTICE,
    REASONING_PROMPT,
    REASONING_REPLY,
    SLOW_PROMPT,
    SLOW_REPLY,
    TESTS_REPLY,
    THINKING_S,
    TYPED_DURING_REVIEW,
)

from chatls.emulator.fixture import emulator_in_thread

pytestmark = pytest.mark.editors

BARE = ["nvim", "emacs"]
CANCELLING = ["nvim", "nvim-plugin", "emacs-plugin"]
"""Runs that cancel a chat (bare eglot has no cancel call; the Emacs helper adds one)."""


@pytest.fixture(scope="module")
def editor_emulator() -> Iterator[Any]:
    """One emulator for all editor runs of the module, with the scripted replies."""
    with emulator_in_thread(EMULATOR_CONFIG) as emu:
        yield emu


Runner = Callable[[str], EditorRun]


@pytest.fixture(scope="module")
def runner(editor_emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Runs an editor (by RUNS name) on first use; the tests of this module share its observations."""
    runs: dict[str, EditorRun] = {}

    def run(name: str) -> EditorRun:
        if name in runs:
            return runs[name]
        base = tmp_path_factory.mktemp(name)
        if name == DISCOVERY_RUN:
            bare_path = os.pathsep.join(["/usr/bin", "/bin"])  # no chatls: the venv is not on it
            runs[name] = run_editor(
                nvim_argv("nvim_discovery.lua"), base, editor_emulator, {"PATH": bare_path},
                pluginDir=str(PLUGIN_DIRS["nvim-plugin"]),
            )  # fmt: skip
        elif name in SLOW_RUNS:
            runs[name] = run_editor(
                SLOW_RUNS[name](), base, editor_emulator, timeout_s=SLOW_RUN_TIMEOUT_S, **SLOW_RUN_PLAN
            )
        elif name in DOCUMENTED:
            snippet, env = documented_setup(name.removesuffix("-docs"), base, editor_emulator)
            runs[name] = run_editor(DOCUMENTED[name](), base, editor_emulator, env, snippet=str(snippet))
        else:
            runs[name] = run_editor(
                RUNS[name](), base, editor_emulator, pluginDir=str(PLUGIN_DIRS.get(name, ""))
            )
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


def test_cancelled_chat_is_stored_as_cancelled(cancelling_editor: EditorRun, editor_emulator: Any) -> None:
    run = cancelling_editor
    assert run.get("cancelStreamed") is True, "the slow chat never streamed any text"
    seen = run.get("cancelSeenText")
    assert seen and SLOW_REPLY.startswith(seen), "the driver cancelled before any reply text arrived"
    conversation = run.result("cancelConversation")
    assert conversation["id"] == run.get("cancelConversationId")
    user, reply = conversation["messages"][-2:]
    assert (user["role"], user["content"]) == ("user", SLOW_PROMPT)
    assert reply["role"] == "assistant"
    assert reply["status"] == "cancelled"
    # Cancelled in mid-stream: the stored part holds at least the text the editor saw, but not all of it.
    assert reply["content"].startswith(seen) and SLOW_REPLY.startswith(reply["content"])
    assert len(reply["content"]) < len(SLOW_REPLY)
    # ...and the server closed the upstream stream instead of letting it run on.
    (slow,) = [r for r in run.requests if r["deployment"] == "gpt-4o-slow"]
    editor_emulator.wait_for_request(lambda r: r["id"] == slow["id"] and r["disconnected"], timeout=10)


# --- the helpers in editors/: what their users see ------------------------------------------------


def test_helper_transcript_shows_the_conversation(plugin_editor: EditorRun) -> None:
    transcript = plugin_editor.get("transcript")
    for text in (CHAT_PROMPT, CHAT_REPLY, FOLLOW_UP_PROMPT, FOLLOW_UP_REPLY, EXPLAIN_REPLY):
        assert text in transcript, f"{text!r} missing from the transcript:\n{transcript}"


def test_helper_shows_the_turns_status_until_its_text_flows(plugin_editor: EditorRun) -> None:
    """Every turn starts with a status delta ("waiting for <model>"), which the helper echoes; once the reply
    is there its status is cleared (no stale "waiting for" left in a statusline or mode line)."""
    shown = plugin_editor.get("chatShown")
    assert any(m.startswith("ChatLS: waiting for gpt-4o") for m in shown), shown
    assert plugin_editor.get("statusClearedAfterChat") is True


def test_helper_leaves_telling_why_nothing_was_applied_to_the_server(plugin_editor: EditorRun) -> None:
    """The server says why an edit was not applied (window/showMessage); the helper must not say it again."""
    result = plugin_editor.result("unchanged")
    assert (result["applied"], result["reason"]) == (False, NO_CHANGE_NOTICE.removeprefix("ChatLS: "))
    notices = [m for m in plugin_editor.get("unchangedShown") if "no change" in m]
    assert len(notices) == 1, f"the user should be told once: {notices}"
    assert NO_CHANGE_NOTICE in notices[0], notices


def test_helper_asks_for_the_edit_instruction(plugin_editor: EditorRun) -> None:
    assert "instruction" in plugin_editor.get("editAsked")
    assert plugin_editor.result("edit")["applied"] is True


def test_helper_chat_about_lines_sends_them_as_context(plugin_editor: EditorRun) -> None:
    assert plugin_editor.result("chatAboutLines")["content"] == ABOUT_LINES_REPLY
    assert_lines_reached_the_model(plugin_editor)


def assert_lines_reached_the_model(run: EditorRun) -> None:
    (request,) = [r for r in run.requests if ABOUT_LINES_PROMPT in str(r["body"])]
    content = request["body"]["messages"][-1]["content"]
    # each attachment is its own content part, the question the last
    sent = content if isinstance(content, str) else "".join(part["text"] for part in content)
    assert ABOUT_LINES_PROMPT in sent
    assert EXPLAIN_TEXT.rstrip("\n") in sent, "the selected lines did not reach the model"


# --- Neovim: Generate tests, finding the server, the transcript and the conversations ---------------


def test_nvim_generate_tests_creates_the_directory_and_shows_the_saved_file(runner: Runner) -> None:
    run = runner("nvim-plugin")
    result = run.result("generateTests")
    assert result["applied"] is True, (result, run.get("generateTestsShown"))
    assert not any("stack traceback" in m or "E5108" in m for m in run.get("generateTestsShown"))
    tests = TESTS_REPLY.removeprefix("```python\n").removesuffix("```\n").rstrip("\n")
    assert tests in run.get("testsOnDisk"), "the tests are not in the file on disk"
    assert run.get("testsBufferSaved") is True, "the tests sit in an unsaved buffer"
    assert run.get("testsShown") is True, "the new test file is not shown"


def test_nvim_transcript_reopens(runner: Runner) -> None:
    run = runner("nvim-plugin")
    assert run.get("transcriptClosed") is True
    assert run.get("transcriptReopened") is True


def test_nvim_conversations_can_be_browsed_and_continued(runner: Runner) -> None:
    run = runner("nvim-plugin")
    offered = run.get("browseOffered")
    assert any(CHAT_PROMPT in item and "(4 messages)" in item for item in offered), offered
    assert run.get("browseLoaded") is True
    transcript = run.get("browseTranscript")
    for text in (CHAT_PROMPT, CHAT_REPLY, FOLLOW_UP_PROMPT, FOLLOW_UP_REPLY):
        assert text in transcript, transcript


def test_nvim_without_a_server_says_so_once_in_one_line(runner: Runner) -> None:
    run = runner(DISCOVERY_RUN)
    assert run.errors() == {}, run.log
    shown = run.get("missingShown")
    assert len(shown) == 1, f"three files were opened; the user should be told once: {shown}"
    (message,) = shown
    assert "\n" not in message and "traceback" not in message.lower()
    assert "no chatls server found" in message and "cmd = { '/path/to/venv/bin/chatls', 'serve' }" in message
    assert run.get("missingClient") is False
    assert any("no chatls server found" in m for m in run.get("chatWithoutServerShown"))


def test_nvim_finds_the_projects_venv_server(runner: Runner) -> None:
    run = runner(DISCOVERY_RUN)
    assert run.get("venvInitialized") is True, run.log
    assert run.get("venvCmd") == [run.get("venvShim"), "serve"]


# --- Emacs: a code action that outlasts eglot's request timeout, and its review ----------------------


def thinking_seconds(shown: list[str]) -> list[int]:
    return [int(m.group(1)) for m in map(re.compile(r"ChatLS: thinking (\d+) s").match, shown) if m]


def test_emacs_code_action_outlasting_eglots_timeout_completes(runner: Runner) -> None:
    run = runner("emacs-review")
    assert run.errors() == {}, run.log
    # The model thought for THINKING_S seconds, far past eglot's 10 s, and the status said so meanwhile.
    assert max(thinking_seconds(run.get("statusesBeforeReview")), default=0) >= THINKING_S // 2, run.log
    assert run.get("menuReturnedAfter") < run.get("reviewAfter"), "the menu waited for the reply"
    assert run.get("typedWhileThinking") == "notes", "Emacs did not run commands while the model thought"
    result = run.result("slowImprove")
    assert result["applied"] is True, result
    assert run.get("improveBuffer") == IMPROVE_EXPECTED
    assert run.get("transcriptFollows") is True, "*chatls* did not follow the streamed output"


def test_emacs_review_shows_the_diff_and_typed_keys_never_reach_the_code(runner: Runner) -> None:
    run = runner("emacs-review")
    review = run.get("reviewText")
    assert "C-c C-c applies this change" in review and "C-c C-k discards it" in review
    assert "-    if n % 2 == 0:" in review and "+    return n % 2 == 0" in review, review
    assert run.get("reviewSelected") is True
    assert run.get("typedInto") == "*ChatLS: Improve*", "the keys went to another buffer than the review"
    assert run.get("sourceUnchangedAfterTyping") is True, run.get("sourceAfterTyping")
    assert run.get("reviewOpenAfterTyping") is True, "a typed key answered the review"
    hint = "ChatLS: C-c C-c applies this change, C-c C-k discards it"
    shown = run.get("shownWhileTyping")
    keys = TYPED_DURING_REVIEW.split()
    assert len(shown) == len(keys) and set(shown) == {hint}, f"each of {keys} should name the keys: {shown}"


def test_emacs_cancel_of_a_code_action_reads_as_words_and_stops_upstream(
    runner: Runner, editor_emulator: Any
) -> None:
    run = runner("emacs-review")
    assert run.get("cancelKeyRan") == "chatls-cancel-or-quit"
    assert run.get("cancelReturned") is True, "C-g in *chatls* left the code action running"
    shown = run.get("cancelShown")
    assert "ChatLS: Cancelled; the server keeps the partial reply." in shown, shown
    assert not any("Request with id" in m for m in shown), shown
    assert "Request with id" not in run.get("transcriptAfterCancel")
    thinker = [r for r in run.requests if r["deployment"] == "o1-thinker"]
    assert len(thinker) == 2, thinker
    editor_emulator.wait_for_request(lambda r: r["id"] == thinker[-1]["id"] and r["disconnected"], timeout=10)


def test_helper_shows_the_reasoning_summary_before_the_answer(plugin_editor: EditorRun) -> None:
    result = plugin_editor.result("thinkingResult")
    summary = plugin_editor.get("thinkingReasoning")
    assert summary == result["reasoning"] and REASONING_PROMPT in summary, summary
    assert plugin_editor.get("thinkingReply") == result["content"] == REASONING_REPLY, "reasoning leaked"
    transcript = plugin_editor.get("thinkingTranscript")
    expected = f"## ChatLS\n\n### Thinking\n\n{summary}\n\n---\n\n{REASONING_REPLY}"
    assert transcript.startswith(expected), transcript


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
