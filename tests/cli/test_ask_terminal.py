"""`chatls ask` at a real (pseudo-)terminal: Ctrl-C typed while the reply streams, and the status line."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.cli.support import azure_env, chatls
from tests.cli.terminal import PtySession

from chatls.emulator.fixture import ThreadedEmulator

SLOW_PROMPT = " ".join(f"w{i}" for i in range(200))
"""Echoed back at five tokens a second: a reply that is still streaming when Ctrl-C is typed."""


def ask_at_terminal(*args: str, env: dict[str, str]) -> PtySession:
    return PtySession([sys.executable, "-m", "chatls", "ask", *args], env)


def test_ctrl_c_ends_cleanly_keeps_the_partial_reply_and_says_how_to_continue(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    emulator_thread.set_timing("gpt-4o", tokens_per_second=5)
    env = azure_env(tmp_path, emulator_thread)
    session = ask_at_terminal(SLOW_PROMPT, env=env)
    try:
        assert session.read_until(lambda text: "Echo from gpt-4o: w0 w1" in text), session.text
        session.type(b"\x03")  # what the Ctrl-C key sends; the terminal turns it into SIGINT
        status = session.finish()
    finally:
        session.kill()
    text = session.text
    assert status == 130, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    match = re.search(r"partial reply is kept in conversation ([0-9a-f]{32})", text)
    assert match, text
    assert f"chatls ask --conversation {match.group(1)}" in text
    # The store holds the question and the part of the reply that arrived, marked cancelled.
    exported = chatls("conversations", "show", match.group(1), env=env)
    assert exported.returncode == 0, exported.stderr
    assert "(cancelled before it finished)" in exported.stdout, exported.stdout
    reply = exported.stdout.split("## ChatLS", 1)[1]
    assert "Echo from gpt-4o: w0 w1" in reply
    assert "w199" not in reply, "the whole reply was stored: the cancel did not stop it"
    # ...and the upstream stream was closed rather than left running.
    (request,) = emulator_thread.chat_requests("gpt-4o")
    emulator_thread.wait_for_request(lambda r: r["id"] == request["id"] and r["disconnected"], timeout=30)


def test_status_is_one_line_rewritten_in_place(tmp_path: Path, emulator_thread: ThreadedEmulator) -> None:
    emulator_thread.set_timing("o1-preview", thinking_time=3.5)
    session = ask_at_terminal("Think hard", env=azure_env(tmp_path, emulator_thread, deployment="o1-preview"))
    try:
        status = session.finish()
    finally:
        session.kill()
    text = session.text
    assert status == 0, text
    # Every status is drawn by erasing the current line first, and none ends its line: the counting
    # "thinking 1 s", "thinking 2 s" overwrite each other instead of filling the screen.
    shown = re.findall(r"\r\x1b\[KChatLS: ([^\r\n]*)", text)
    assert "thinking 1 s" in shown and "thinking 2 s" in shown, repr(text)
    assert not re.search(r"ChatLS: thinking \d+ s\r?\n", text), repr(text)
    assert "[thinking" not in text
    # The line is erased before the answer starts, which then begins at the start of the line.
    assert "\r\x1b[KEcho from o1-preview: " in text, repr(text)


def test_piped_output_gets_plain_status_lines_without_the_count(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    emulator_thread.set_timing("o1-preview", thinking_time=3.5)
    done = chatls("ask", "Think hard", env=azure_env(tmp_path, emulator_thread, deployment="o1-preview"))
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stderr and "\r" not in done.stderr
    thinking = [line for line in done.stderr.splitlines() if line.startswith("[thinking")]
    assert thinking == ["[thinking 1 s]"], done.stderr  # one line, not one a second
