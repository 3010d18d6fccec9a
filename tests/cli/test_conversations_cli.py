"""`chatls conversations`: list, show, export and delete, on a real SQLite store the server's code wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.support import chatls, clean_env

from chatls import protocol
from chatls.store import ConversationStore


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A config file whose stateDir holds two conversations in two workspaces."""
    state = tmp_path / "db"
    config = tmp_path / "config.toml"
    config.write_text(f'stateDir = "{state}"\n', encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    with ConversationStore.open(state) as store:
        older = store.create_conversation("chatls:no-folder", "Why is the sky blue")
        store.add_message(older, "user", "Why is the sky blue?", protocol.STATUS_COMPLETE)
        answer = store.add_message(
            older, "assistant", "Rayleigh scattering.", protocol.STATUS_COMPLETE, model="gpt-4o"
        )
        store.update_message(answer, reasoning="Short wavelengths scatter more.")
        newer = store.create_conversation(project.as_uri(), "Review the diff")
        store.add_message(newer, "user", "Review the diff", protocol.STATUS_COMPLETE)
        store.add_message(newer, "assistant", "Looks good so f", protocol.STATUS_CANCELLED, model="gpt-4o")
    return clean_env(
        tmp_path, CHATLS_CONFIG_FILE=str(config), CHATLS_TEST_OLDER=older, CHATLS_TEST_NEWER=newer
    )


def test_list_shows_every_conversation_newest_first_with_date_and_workspace(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = chatls("conversations", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    newer, older = lines
    assert newer.startswith(env["CHATLS_TEST_NEWER"][:8]) and "Review the diff" in newer
    assert f"[{tmp_path / 'project'}]" in newer and "2 messages" in newer
    assert older.startswith(env["CHATLS_TEST_OLDER"][:8]) and "[no folder]" in older
    assert chatls("conversations", "list", env=env).stdout == done.stdout


def test_list_of_one_workspace(env: dict[str, str], tmp_path: Path) -> None:
    done = chatls("conversations", "--workspace", str(tmp_path / "project"), env=env)
    assert done.returncode == 0, done.stderr
    assert [line[:8] for line in done.stdout.splitlines()] == [env["CHATLS_TEST_NEWER"][:8]]


def test_show_prints_the_turns_and_marks_an_unfinished_reply(env: dict[str, str]) -> None:
    done = chatls("conversations", "show", env["CHATLS_TEST_NEWER"][:8], env=env)
    assert done.returncode == 0, done.stderr
    assert "## You" in done.stdout and "Review the diff" in done.stdout
    assert "## ChatLS (gpt-4o)" in done.stdout and "Looks good so f" in done.stdout
    assert "(cancelled before it finished)" in done.stdout


def test_show_puts_the_reasoning_summary_before_the_answer(env: dict[str, str]) -> None:
    done = chatls("conversations", "show", env["CHATLS_TEST_OLDER"], env=env)
    assert done.returncode == 0, done.stderr
    assert "Thinking: Short wavelengths scatter more.\n\nRayleigh scattering." in done.stdout, done.stdout


def test_export_writes_markdown_to_a_file(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    done = chatls("conversations", "export", env["CHATLS_TEST_OLDER"], "-o", str(target), env=env)
    assert done.returncode == 0, done.stderr
    markdown = target.read_text(encoding="utf-8")
    assert markdown.startswith("# Why is the sky blue\n")
    assert "Rayleigh scattering." in markdown
    to_stdout = chatls("conversations", "export", env["CHATLS_TEST_OLDER"], env=env)
    assert to_stdout.stdout == markdown


def test_delete_removes_the_conversation(env: dict[str, str]) -> None:
    done = chatls("conversations", "delete", env["CHATLS_TEST_OLDER"][:10], env=env)
    assert done.returncode == 0, done.stderr
    assert f"deleted {env['CHATLS_TEST_OLDER']}" in done.stderr
    listed = chatls("conversations", env=env).stdout
    assert env["CHATLS_TEST_OLDER"][:8] not in listed and env["CHATLS_TEST_NEWER"][:8] in listed
    again = chatls("conversations", "show", env["CHATLS_TEST_OLDER"], env=env)
    assert again.returncode == 1 and "no conversation" in again.stderr


def test_an_ambiguous_or_unknown_id_is_refused_clearly(env: dict[str, str]) -> None:
    unknown = chatls("conversations", "show", "zzzz", env=env)
    assert unknown.returncode == 1
    assert "no conversation 'zzzz' (see `chatls conversations`)" in unknown.stderr
    everything = chatls("conversations", "delete", "%", env=env)
    assert everything.returncode == 1, "a LIKE wildcard must not match (and delete) anything"
    assert len(chatls("conversations", env=env).stdout.splitlines()) == 2


def test_an_empty_store_says_how_to_start(tmp_path: Path) -> None:
    done = chatls("conversations", env=clean_env(tmp_path))
    assert done.returncode == 0
    assert done.stdout == ""
    assert "no conversations yet" in done.stderr
