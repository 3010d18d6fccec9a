"""`chatls ask` attachments: `--file PATH[:START-END]`, `--diff`/`--staged` as context items, `--dry-run`
answered by `chatls/budget` without sending anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.cli.support import azure_env, chatls, conversation_of

from chatls.emulator.fixture import ThreadedEmulator


def sent_text(emulator: ThreadedEmulator) -> str:
    """The question as sent: its attachments' parts, then the prompt."""
    content = emulator.chat_requests()[-1]["body"]["messages"][-1]["content"]
    return content if isinstance(content, str) else "\n\n".join(part["text"] for part in content)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "calc.py").write_text("import os\ndef add(a, b):\n    return a + b\nprint(add(1, 2))\n")
    return root


def test_a_line_range_after_the_path_attaches_only_those_lines(
    tmp_path: Path, emulator_thread: ThreadedEmulator, project: Path
) -> None:
    env = azure_env(tmp_path, emulator_thread)
    done = chatls("ask", "Explain", "--file", f"{project / 'calc.py'}:2-3", env=env)
    assert done.returncode == 0, done.stderr
    sent = sent_text(emulator_thread)
    assert "def add(a, b):\n    return a + b" in sent
    assert "import os" not in sent and "print(add" not in sent
    assert sent.rstrip().endswith("Explain")
    # The stored question is the prompt alone: the attachment is kept beside it, not pasted into it.
    shown = chatls("conversations", "show", conversation_of(done.stderr), env=env)
    assert shown.returncode == 0, shown.stderr
    assert "import os" not in shown.stdout


def test_a_line_range_beyond_the_file_is_a_command_line_error(
    tmp_path: Path, emulator_thread: ThreadedEmulator, project: Path
) -> None:
    done = chatls(
        "ask", "x", "--file", f"{project / 'calc.py'}:3-9", env=azure_env(tmp_path, emulator_thread)
    )
    assert done.returncode == 2
    assert "the file has 4 lines" in done.stderr
    assert emulator_thread.chat_requests() == []


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True)


@pytest.fixture
def repository(project: Path) -> Path:
    git(project, "init", "-q")
    git(project, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git(project, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "start")
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    git(project, "add", "calc.py")
    (project / "calc.py").write_text("def add(a, b):\n    return b + a\n")
    return project


@pytest.mark.parametrize(
    ("flag", "expected", "absent"),
    [("--diff", "+    return b + a", "-import os"), ("--staged", "-import os", "+    return b + a")],
)
def test_diff_and_staged_attach_the_right_git_diff(
    tmp_path: Path, emulator_thread: ThreadedEmulator, repository: Path, flag: str, expected: str, absent: str
) -> None:
    done = chatls(
        "ask", "review", flag, "--workspace", str(repository), env=azure_env(tmp_path, emulator_thread)
    )
    assert done.returncode == 0, done.stderr
    sent = sent_text(emulator_thread)
    assert expected in sent and absent not in sent, sent


def test_dry_run_prints_the_budget_per_attachment_and_sends_nothing(
    tmp_path: Path, emulator_thread: ThreadedEmulator, repository: Path
) -> None:
    env = azure_env(tmp_path, emulator_thread)
    args = (
        "ask",
        "review",
        "--dry-run",
        "--workspace",
        str(repository),
        "--file",
        str(repository / "calc.py"),
    )
    done = chatls(*args, "--staged", env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("model: gpt-4o"), out
    assert "  file calc.py: " in out and "  diff (staged): " in out, out
    assert "fits: yes" in out and "nothing was sent (--dry-run)" in out
    assert emulator_thread.chat_requests() == []
    listed = chatls("conversations", "list", env=env)
    assert "review" not in listed.stdout, "a dry run stored the question"


def test_show_and_export_list_what_was_attached_to_each_question(
    tmp_path: Path, emulator_thread: ThreadedEmulator, repository: Path
) -> None:
    env = azure_env(tmp_path, emulator_thread)
    done = chatls(
        "ask", "review", "--workspace", str(repository), "--file", f"{repository / 'calc.py'}:1-2", "--diff",
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    conversation = conversation_of(done.stderr)
    shown = chatls("conversations", "show", conversation, env=env)
    assert shown.returncode == 0, shown.stderr
    question = shown.stdout.split("## ChatLS")[0]  # the reply echoes what was sent
    assert question.endswith("review\n\nAttached:\n  - range calc.py, lines 1–2\n  - diff (working tree)\n\n")
    assert "return b + a" not in question  # what was attached is named, not printed
    exported = chatls("conversations", "export", conversation, env=env)
    assert exported.returncode == 0, exported.stderr
    assert "review\n\nAttached:\n\n- range calc.py, lines 1–2\n- diff (working tree)\n" in exported.stdout
