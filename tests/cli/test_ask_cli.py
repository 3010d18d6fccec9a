"""`chatls ask` end to end: a real subprocess that spawns `chatls serve` and talks LSP to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.cli.support import azure_env, chatls, clean_env, conversation_of

from chatls.emulator.fixture import ThreadedEmulator, emulator_in_thread

CHATLS = Path(sys.executable).with_name("chatls")
"""The console script the README tells people to run."""


def ask(
    *args: str, env: dict[str, str], stdin: str | None = None, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return chatls("ask", *args, env=env, stdin=stdin, command=command)


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
        stdin=subprocess.DEVNULL,
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


# --- what is attached to the question ---------------------------------------------------------------


def stored_question(tmp_path: Path, conversation_id: str) -> Any:
    """The stored question of a conversation, read from the database `chatls ask` wrote."""
    from chatls.store import ConversationStore

    (database,) = (tmp_path / "state").rglob("chatls.db")
    with ConversationStore.open(database.parent) as store:
        return store.get_messages(conversation_id)[0]


def test_piped_stdin_is_an_attachment_of_the_question(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    diff = "--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    done = ask("review", env=azure_env(tmp_path, emulator_thread), stdin=diff)
    assert done.returncode == 0, done.stderr
    sent = emulator_thread.chat_requests()[-1]["body"]["messages"][-1]["content"]
    # A labelled block before the prompt, like --file and --diff: not pasted into what the user typed.
    assert [part["text"] for part in sent] == [f"standard input:\n```\n{diff.rstrip()}\n```", "review"]
    question = stored_question(tmp_path, conversation_of(done.stderr))
    assert question.content == "review"
    assert question.attachment == f"standard input:\n```\n{diff.rstrip()}\n```"


def test_piped_stdin_is_counted_and_named_by_dry_run(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    done = ask("review", "--dry-run", env=azure_env(tmp_path, emulator_thread), stdin="x = 1\n" * 50)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("  standard input: ")]
    assert int(line.rsplit(" ", 1)[1].replace(",", "")) > 50
    assert emulator_thread.chat_requests() == []


def test_piped_stdin_over_the_size_limit_is_refused_naming_it(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("maxFileBytes = 100\n", encoding="utf-8")
    env = azure_env(tmp_path, emulator_thread, CHATLS_CONFIG_FILE=str(config))
    done = ask("review", env=env, stdin="y" * 101)
    assert done.returncode == 1
    assert "the text is 101 bytes, over the maxFileBytes limit of 100 @ $.attachments[0].text" in done.stderr
    assert emulator_thread.chat_requests() == []


def test_empty_stdin_attaches_nothing(tmp_path: Path, emulator_thread: ThreadedEmulator) -> None:
    done = ask("just this", env=azure_env(tmp_path, emulator_thread), stdin="")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Echo from gpt-4o: just this\n"


def test_every_file_given_is_attached(tmp_path: Path, emulator_thread: ThreadedEmulator) -> None:
    project = tmp_path / "project"
    project.mkdir()
    first, second = project / "a.py", project / "b.py"
    first.write_text("def alpha():\n    return 1\n")
    second.write_text("def beta():\n    return 2\n")
    done = ask(
        "compare", "--file", str(first), "--file", str(second), env=azure_env(tmp_path, emulator_thread)
    )
    assert done.returncode == 0, done.stderr
    sent = [part["text"] for part in emulator_thread.chat_requests()[-1]["body"]["messages"][-1]["content"]]
    # Each file is its own labelled block (its own part) before the prompt, in the order given.
    assert len(sent) == 3 and "def alpha():" in sent[0] and "def beta():" in sent[1] and sent[2] == "compare"
    assert sent[1].startswith(f"File: {second} (lines 1-3, language: python)")


# --- which conversation -------------------------------------------------------------------------------


def test_continue_picks_up_the_latest_conversation_and_new_starts_one(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    env = azure_env(tmp_path, emulator_thread)
    first = conversation_of(ask("The colour is teal", env=env).stderr)
    continued = ask("What colour?", "--continue", env=env)
    assert continued.returncode == 0, continued.stderr
    assert conversation_of(continued.stderr) == first
    fresh = ask("Something else", "--new", env=env)
    assert conversation_of(fresh.stderr) != first
    sent = emulator_thread.chat_requests()[-1]["body"]["messages"]
    assert [m["content"] for m in sent if m["role"] == "user"] == ["Something else"]


def test_continue_with_no_conversation_yet_says_so(tmp_path: Path) -> None:
    done = ask("hi", "--continue", env=clean_env(tmp_path))
    assert done.returncode == 2
    assert "--continue: there is no conversation yet" in done.stderr


def test_new_and_conversation_together_are_refused(tmp_path: Path) -> None:
    done = ask("hi", "--new", "--conversation", "abc", env=clean_env(tmp_path))
    assert done.returncode == 2
    assert "--new and --conversation cannot be used together" in done.stderr


# --- configuration errors -----------------------------------------------------------------------------


def test_an_invalid_config_file_is_reported_once_with_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[profiles]]\nname = "work"\nendpoint = "https://x.openai.azure.com"\ndeployment = 5\n'
    )
    done = ask("hi", env=clean_env(tmp_path, CHATLS_CONFIG_FILE=str(config)))
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "profiles[0].deployment" in lines[0] and str(config) in lines[0]
    assert "no Azure OpenAI profile" not in done.stderr.lower() and "emulator" not in done.stderr
    assert done.stdout == ""


def test_a_config_file_that_is_not_toml_is_reported_once(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("this is [not toml\n")
    done = ask("hi", env=clean_env(tmp_path, CHATLS_CONFIG_FILE=str(config)))
    assert done.returncode == 1
    assert done.stderr.count("not valid TOML") == 1 and str(config) in done.stderr
    assert "profile" not in done.stderr.lower()


def test_a_missing_config_file_named_by_the_environment_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.toml"
    done = ask("hi", env=clean_env(tmp_path, CHATLS_CONFIG_FILE=str(missing)))
    assert done.returncode == 1
    assert "CHATLS_CONFIG_FILE" in done.stderr and f"{missing} does not exist" in done.stderr
    assert "emulator" not in done.stderr


def test_status_names_the_deployment_when_its_model_is_unknown(tmp_path: Path) -> None:
    # A deployment name that reveals no model: the status must still say what is being waited for.
    config = {
        "server": {"include_default_deployments": True},
        "deployments": {"team-chat": {"model": "gpt-4o"}},
    }
    with emulator_in_thread(config) as emulator:
        done = ask("Hi", env=azure_env(tmp_path, emulator, deployment="team-chat"))
    assert done.returncode == 0, done.stderr
    assert "[waiting for team-chat]" in done.stderr, done.stderr
    assert "waiting for unknown" not in done.stderr


def test_a_broken_config_is_reported_before_anything_reads_the_store(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('stateDir = "relative/dir"\n')
    done = ask("hi", "--continue", env=clean_env(tmp_path, CHATLS_CONFIG_FILE=str(config)))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "`stateDir`" in done.stderr and "must be an absolute path" in done.stderr


# --- reasoning summaries --------------------------------------------------------------------------------


def test_reasoning_summaries_go_to_stderr_and_no_thinking_hides_them(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    # gpt-5-mini on the v1 API: the Responses wire, which streams reasoning summaries before the answer.
    env = azure_env(tmp_path, emulator_thread, deployment="gpt-5-mini", OPENAI_API_VERSION="v1")
    prompt = "Why does this loop never end?"
    shown = ask(prompt, env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"Echo from gpt-5-mini: {prompt}\n", "the summary leaked into the answer"
    thinking = shown.stderr.split("Thinking:\n", 1)
    assert len(thinking) == 2, shown.stderr
    summary = thinking[1].split("\n\nchatls ask: conversation", 1)[0].strip()
    assert prompt in summary, shown.stderr  # the emulator's summary restates the question
    hidden = ask(prompt, "--no-thinking", env=env)
    assert hidden.returncode == 0, hidden.stderr
    assert hidden.stdout == shown.stdout
    assert "Thinking" not in hidden.stderr and prompt not in hidden.stderr
