"""Context the user attaches (files, problems, the git diff, …) and `chatls/budget`, against the real server
and the emulator: what is recorded upstream is exactly what was attached, in order, and the budget matches
what is then sent."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import SPEC_WARNINGS_ARE_ERRORS, OpenSession, chat, init_options, profile, request

from chatls import tokens
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

    body = (await emulator.chat_requests())[-1]["body"]
    sent = body["messages"][-1]["content"]
    file_at = sent.index("def add(a, b):")
    problem_at = sent.index("app.py:2: error [mypy]: Returning Any from function declared to return int")
    diff_at = sent.index("-X = 1\n+X = 2")
    assert file_at < problem_at < diff_at < sent.index("review this")
    question = stored["messages"][0]
    assert question["content"] == "review this"
    attachment = question["attachment"]
    assert (
        "app.py" in attachment
        and "problems in app.py" in attachment
        and "git diff (working tree)" in attachment
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
    sent = tokens.REPLY_PRIMER + sum(tokens.message_tokens(counter, m["content"]) for m in body["messages"])
    assert [item["label"] for item in budget["attachments"]] == ["file app.py"]
    assert budget["fits"] is True and budget["leftOutMessages"] == 0
    assert abs(budget["tokens"] - sent) <= 8, (budget, sent)  # the two joined blocks differ only in framing


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
