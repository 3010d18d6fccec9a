"""Context the user attaches (files, problems, the git diff, …) and `chatls/budget`, against the real server
and the emulator: what is recorded upstream is exactly what was attached, in order, and the budget matches
what is then sent."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    OpenSession,
    chat,
    execute_command,
    init_options,
    profile,
    request,
)

from chatls import tokens
from chatls.azure.types import MAX_STRING_CHARS
from chatls.emulator.fixture import RunningEmulator

pytestmark = SPEC_WARNINGS_ARE_ERRORS


@pytest.fixture
def repo(project: Path) -> Path:
    (project / "app.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    (project / "util.py").write_text("X = 1\n", encoding="utf-8")
    git = ["git", "-C", str(project), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    (project / "util.py").write_text("X = 2\n", encoding="utf-8")
    return project


def problems(uri: str) -> dict[str, Any]:
    diagnostic = {
        "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 16}},
        "severity": 1,
        "source": "mypy",
        "message": "Returning Any from function declared to return int",
    }
    return {"kind": "problems", "uri": uri, "diagnostics": [diagnostic]}


async def test_three_attached_items_are_sent_in_order_and_stored(
    session: OpenSession, emulator: RunningEmulator, repo: Path
) -> None:
    app = (repo / "app.py").as_uri()
    attachments = [{"kind": "file", "uri": app}, problems(app), {"kind": "diff"}]
    async with session() as client:
        result = await chat(client, "review this", workspaceUri=repo.as_uri(), attachments=attachments)
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})
        exported = await execute_command(
            client, "chatls.exportConversation", {"conversationId": result["conversationId"]}
        )

    body = (await emulator.chat_requests())[-1]["body"]
    parts = [part["text"] for part in body["messages"][-1]["content"]]  # one part per item, then the prompt
    assert len(parts) == 4 and parts[-1] == "review this"
    assert "def add(a, b):" in parts[0]
    assert "app.py:2: error [mypy]: Returning Any from function declared to return int" in parts[1]
    assert "-X = 1\n+X = 2" in parts[2]
    question = stored["messages"][0]
    assert question["content"] == "review this"
    assert question["attachment"] == "\n\n".join(parts[:3])  # the texts, stored once
    assert [(a["kind"], a["label"], a.get("name")) for a in question["attachments"]] == [
        ("file", "file app.py", "app.py"),
        ("problems", "problems in app.py", None),
        ("diff", "diff (working tree)", None),
    ]
    assert [(a["chars"], a.get("firstLine")) for a in question["attachments"]] == [
        (len(parts[0]), None), (len(parts[1]), None), (len(parts[2]), None)
    ]
    assert "review this\n\nAttached:\n\n- file app.py\n- problems in app.py\n- diff (working tree)\n" in (
        exported["markdown"]
    )


async def test_an_item_outside_the_workspace_is_refused_naming_it(session: OpenSession, repo: Path) -> None:
    outside = repo.parent / "secret.txt"
    outside.write_text("nope\n", encoding="utf-8")
    from pygls.exceptions import JsonRpcException

    async with session() as client:
        with pytest.raises(JsonRpcException) as raised:
            await chat(client, "read it", attachments=[{"kind": "file", "uri": outside.as_uri()}])
    assert "outside the workspace folders" in str(raised.value)


async def test_the_budget_matches_what_is_sent(
    session: OpenSession, emulator: RunningEmulator, repo: Path
) -> None:
    app = (repo / "app.py").as_uri()
    params = {
        "prompt": "review this",
        "workspaceUri": repo.as_uri(),
        "attachments": [{"kind": "file", "uri": app}],
    }
    async with session() as client:
        budget = await request(client, "chatls/budget", params)
        await chat(client, **params)  # type: ignore[arg-type]

    body = (await emulator.chat_requests())[-1]["body"]
    counter = tokens.counter_for("gpt-4o")
    sent = tokens.REPLY_PRIMER + sum(sent_tokens(counter, m["content"]) for m in body["messages"])
    assert [item["label"] for item in budget["attachments"]] == ["file app.py"]
    (attached,) = body["messages"][-1]["content"][:-1]
    assert budget["attachments"][0]["tokens"] == tokens.part_tokens(counter, attached["text"])
    assert budget["fits"] is True and budget["leftOutMessages"] == 0
    assert budget["tokens"] == sent  # counted exactly as sent: each attachment is a part of its own


def sent_tokens(counter: tokens.TokenCounter, content: str | list[dict[str, str]]) -> int:
    """A message's tokens as the server counts them: its text, and each attachment part before it."""
    if isinstance(content, str):
        return tokens.message_tokens(counter, content)
    *attached, prompt = (part["text"] for part in content)
    return tokens.message_tokens(counter, prompt) + sum(tokens.part_tokens(counter, t) for t in attached)


async def test_the_budget_names_what_is_left_out(
    session: OpenSession, emulator: RunningEmulator, repo: Path, state_dir: Path
) -> None:
    small = init_options(
        emulator.url, state_dir=state_dir,
        profiles=[profile(emulator.url, contextWindow=1500, maxCompletionTokens=200)],
    )  # fmt: skip
    words = " ".join(f"w{i}" for i in range(220))
    (repo / "big.py").write_text("y = 1\n" * 800, encoding="utf-8")
    async with session(init_options=small) as client:
        first = await chat(client, f"one {words}", workspaceUri=repo.as_uri())
        for n in range(3):
            await chat(client, f"turn {n} {words}", conversationId=first["conversationId"])
        budget = await request(
            client, "chatls/budget", {"prompt": "and now?", "conversationId": first["conversationId"]}
        )
        big_file = {"kind": "file", "uri": (repo / "big.py").as_uri()}
        big = await request(client, "chatls/budget", {"prompt": "x", "attachments": [big_file]})

    assert budget["fits"] is True
    assert budget["leftOutMessages"] > 0
    assert budget["historyMessages"] + budget["leftOutMessages"] == 8
    assert budget["tokens"] <= budget["inputBudget"]
    assert big["fits"] is False and big["leftOutAttachments"] == ["file big.py"]


LONG_DEPLOYMENT = "gpt-41-long"
LONG_WINDOW = 1_047_576
"""gpt-4.1 with its 1M window: a 900 KB file is about 250,000 tokens."""


async def long_window_session(session: OpenSession, emulator: RunningEmulator, state_dir: Path) -> Any:
    await emulator.set_deployment(LONG_DEPLOYMENT, model="gpt-4.1-2025-04-14", context_window=LONG_WINDOW)
    await emulator.add_reply("Review this$", "Looks fine.", deployment=LONG_DEPLOYMENT)
    long = profile(emulator.url, deployment=LONG_DEPLOYMENT, model="gpt-4.1", contextWindow=LONG_WINDOW)
    options = init_options(emulator.url, state_dir=state_dir, maxFileBytes=2_000_000, profiles=[long])
    return session(init_options=options)


def code_file(path: Path, size: int) -> None:
    line = "def handler(request):\n    return send(request, 'route')\n"
    path.write_text((line * (size // len(line) + 1))[:size], encoding="utf-8")


async def test_a_900_kb_file_and_a_large_diff_go_as_parts_each_under_azures_string_limit(
    session: OpenSession, emulator: RunningEmulator, repo: Path, state_dir: Path
) -> None:
    code_file(repo / "big.py", 900_000)
    (repo / "util.py").write_text("".join(f"X{n} = {n}\n" for n in range(20_000)), encoding="utf-8")
    attachments = [{"kind": "file", "uri": (repo / "big.py").as_uri()}, {"kind": "diff"}]
    async with await long_window_session(session, emulator, state_dir) as client:
        result = await chat(client, "Review this", workspaceUri=repo.as_uri(), attachments=attachments)
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})

    assert result["content"] == "Looks fine."
    (record,) = await emulator.chat_requests(LONG_DEPLOYMENT)
    assert record["status"] == 200
    sent = record["body"]["outline"]["messages"][-1]["content"]  # over 1 MiB: the log keeps its outline
    assert [part["type"] for part in sent] == ["text", "text", "text"]
    assert sent[0]["text"].startswith("File: big.py (lines 1-")
    assert sent[1]["text"].startswith("The git diff (working tree):\n```diff\n")
    assert sent[2]["text"] == "Review this"
    question = stored["messages"][0]
    file_chars, diff_chars = (a["chars"] for a in question["attachments"])
    assert file_chars + diff_chars > MAX_STRING_CHARS  # as one string Azure would have refused it
    assert sent[0]["text"].endswith(f"[{file_chars:,} characters]")
    assert sent[1]["text"].endswith(f"[{diff_chars:,} characters]")


async def test_an_attachment_over_azures_string_limit_is_refused_naming_it_and_nothing_is_sent(
    session: OpenSession, emulator: RunningEmulator, repo: Path, state_dir: Path
) -> None:
    code_file(repo / "huge.py", 1_100_000)
    attachments = [{"kind": "diff"}, {"kind": "file", "uri": (repo / "huge.py").as_uri()}]
    from pygls.exceptions import JsonRpcException

    async with await long_window_session(session, emulator, state_dir) as client:
        with pytest.raises(JsonRpcException) as refused:
            await chat(client, "Review this", workspaceUri=repo.as_uri(), attachments=attachments)
        listed = await request(client, "chatls/conversations", {"workspaceUri": repo.as_uri()})

    message = refused.value.message
    assert refused.value.code == -32602
    assert message.startswith("invalid params: file huge.py is 1,1")
    assert "Azure takes at most 1,048,576 characters in one part of a message" in message
    assert message.endswith("@ $.attachments[1]")
    assert listed == [] and await emulator.chat_requests(LONG_DEPLOYMENT) == []


async def test_retry_sends_the_stored_attachments_again_as_they_were_sent(
    session: OpenSession, emulator: RunningEmulator, repo: Path, state_dir: Path
) -> None:
    from pygls.exceptions import JsonRpcException

    app = repo / "app.py"
    attachments = [{"kind": "file", "uri": app.as_uri()}, {"kind": "diff"}]
    options = init_options(emulator.url, state_dir=state_dir, retryMaxAttempts=1)
    async with session(init_options=options) as client:
        await emulator.add_fault("server_error", status=500, count=1)
        with pytest.raises(JsonRpcException):
            await chat(client, "review this", workspaceUri=repo.as_uri(), attachments=attachments)
        which = {"conversationId": client.deltas[-1]["conversationId"]}
        failed = (await request(client, "chatls/conversation", which))["messages"][-1]
        app.write_text("def add(a, b):\n    return a - b\n", encoding="utf-8")  # changed since attached
        await chat(client, "review this", **which, retryOf=failed["id"])
        stored = await request(client, "chatls/conversation", which)

    first, retried = (r["body"]["messages"][-1]["content"] for r in (await emulator.chat_requests())[-2:])
    assert retried == first  # the same parts, in the same order: what was attached then, not re-read
    assert "return a + b" in retried[0]["text"] and "-X = 1\n+X = 2" in retried[1]["text"]
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "assistant"]  # asked once


async def test_the_selection_and_a_range_are_listed_with_their_lines(
    session: OpenSession, emulator: RunningEmulator, repo: Path
) -> None:
    app, util = (repo / "app.py").as_uri(), (repo / "util.py").as_uri()
    first_line = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 14}}
    async with session() as client:
        result = await chat(
            client, "explain", workspaceUri=repo.as_uri(), context={"uri": app, "range": first_line},
            attachments=[{"kind": "range", "uri": util, "range": first_line}],
        )  # fmt: skip
        stored = await request(client, "chatls/conversation", {"conversationId": result["conversationId"]})

    attached = stored["messages"][0]["attachments"]
    assert [(a["kind"], a["label"], a["name"], a["firstLine"], a["lastLine"]) for a in attached] == [
        ("selection", "selection app.py:1-1", "app.py", 1, 1),
        ("range", "range util.py:1-1", "util.py", 1, 1),
    ]
    sent = (await emulator.chat_requests())[-1]["body"]["messages"][-1]["content"]
    assert [part["text"].split(" (lines")[0] for part in sent] == ["File: app.py", "File: util.py", "explain"]
