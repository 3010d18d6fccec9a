"""`chatls ask` end to end: a real subprocess that spawns `chatls serve` and talks LSP to it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chatls.emulator.fixture import ThreadedEmulator

CHATLS = Path(sys.executable).with_name("chatls")
"""The console script the README tells people to run."""

_AZURE = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_DEPLOYMENT", "OPENAI_API_VERSION")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No Azure settings and private config/state directories, so only what a test sets is configured."""
    env = {k: v for k, v in os.environ.items() if k not in _AZURE and k != "CHATLS_CONFIG_FILE"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env.update(extra)
    return env


def azure_env(
    tmp_path: Path, emulator: ThreadedEmulator, deployment: str = "gpt-4o", **extra: str
) -> dict[str, str]:
    return clean_env(
        tmp_path,
        AZURE_OPENAI_ENDPOINT=emulator.url,
        AZURE_OPENAI_API_KEY=emulator.api_key,
        AZURE_OPENAI_DEPLOYMENT=deployment,
        OPENAI_API_VERSION="2024-12-01-preview",
        **extra,
    )


def ask(
    *args: str, env: dict[str, str], command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = command or [sys.executable, "-m", "chatls"]
    return subprocess.run([*base, "ask", *args], env=env, capture_output=True, text=True, timeout=120)


def conversation_of(stderr: str) -> str:
    match = re.search(r"conversation ([0-9a-f]{32})", stderr)
    assert match, stderr
    return match.group(1)


def test_ask_prints_the_streamed_reply(tmp_path: Path, emulator_thread: ThreadedEmulator) -> None:
    done = ask("What is LSP?", env=azure_env(tmp_path, emulator_thread))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Echo from gpt-4o: What is LSP?\n"
    assert "emulator" not in done.stderr
    conversation_of(done.stderr)


def test_reply_text_reaches_stdout_while_the_model_is_still_streaming(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    # Five tokens a second: the echoed reply takes seconds to stream, each token its own delta.
    emulator_thread.set_timing("gpt-4o", tokens_per_second=5)
    prompt = "one two three four five six seven"
    reply = f"Echo from gpt-4o: {prompt}\n".encode()
    process = subprocess.Popen(
        [str(CHATLS), "ask", prompt],
        env=azure_env(tmp_path, emulator_thread),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        chunks: list[bytes] = []
        alive_at_first_text: bool | None = None
        while chunk := os.read(process.stdout.fileno(), 65536):
            if not chunks:
                alive_at_first_text = process.poll() is None
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    assert b"".join(chunks) == reply
    # Printed as it arrived: the first text came while the process ran and was only the start of the
    # reply; the rest followed in later pieces (a client that printed at the end writes it all at once).
    assert alive_at_first_text is True
    assert reply.startswith(chunks[0]) and len(chunks[0]) < len(reply) // 2, chunks
    assert len(chunks) >= 4, chunks


def test_ask_continues_a_conversation(tmp_path: Path, emulator_thread: ThreadedEmulator) -> None:
    env = azure_env(tmp_path, emulator_thread)
    first = ask("Remember: the colour is teal", env=env)
    second = ask("What colour?", "--conversation", conversation_of(first.stderr), env=env)
    assert second.returncode == 0, second.stderr
    sent = emulator_thread.chat_requests()[-1]["body"]["messages"]
    assert [m["content"] for m in sent if m["role"] == "user"] == [
        "Remember: the colour is teal",
        "What colour?",
    ]
    assert conversation_of(second.stderr) == conversation_of(first.stderr)


def test_ask_attaches_a_line_range_of_a_file(tmp_path: Path, emulator_thread: ThreadedEmulator) -> None:
    source = tmp_path / "project" / "calc.py"
    source.parent.mkdir()
    source.write_text("import os\ndef add(a, b):\n    return a + b\nprint(add(1, 2))\n")
    done = ask(
        "Explain this",
        "--file",
        str(source),
        "--range",
        "2:3",
        "--workspace",
        str(source.parent),
        env=azure_env(tmp_path, emulator_thread),
    )
    assert done.returncode == 0, done.stderr
    assert "def add(a, b):\n    return a + b" in done.stdout
    assert "import os" not in done.stdout and "print(add" not in done.stdout
    assert "calc.py" in done.stdout and done.stdout.rstrip().endswith("Explain this")


def test_status_lines_go_to_stderr(tmp_path: Path, emulator_thread: ThreadedEmulator) -> None:
    emulator_thread.set_timing("o1-preview", thinking_time=2.5)
    done = ask("Think hard", env=azure_env(tmp_path, emulator_thread, deployment="o1-preview"))
    assert done.returncode == 0, done.stderr
    assert "[thinking 1 s]" in done.stderr
    assert "thinking" not in done.stdout
    assert done.stdout.startswith("Echo from o1-preview")


def test_without_any_profile_ask_uses_the_bundled_emulator(tmp_path: Path) -> None:
    # The README's command, exactly: a missing console script is a broken install, not a reason to fall back.
    assert CHATLS.is_file(), f"the chatls console script is missing next to {sys.executable}"
    done = ask("Hello from a fresh machine", env=clean_env(tmp_path), command=[str(CHATLS)])
    assert done.returncode == 0, done.stderr
    assert "bundled emulator" in done.stderr and "AZURE_OPENAI_ENDPOINT" in done.stderr
    assert done.stdout == "Echo from gpt-4o: Hello from a fresh machine\n"


def test_an_error_is_printed_and_the_exit_status_is_not_zero(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    done = ask("Hi", "--profile", "nope", env=azure_env(tmp_path, emulator_thread))
    assert done.returncode == 1
    assert "No profile named 'nope'; configured profiles: 'default'" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--range", "1:2"], "--range needs --file"),
        (["x", "--file", "/no/such/file.py"], "no such file"),
        (["   "], "the prompt is empty"),
    ],
)
def test_bad_command_lines_exit_with_status_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = ask(*args, env=clean_env(tmp_path))
    assert done.returncode == 2
    assert message in done.stderr
