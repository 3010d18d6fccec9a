"""A question's attachments go as content parts of their own on both wires, with the real SDK over HTTP
against the emulator: each part stays under Azure's per-string limit although together they are over it."""

from __future__ import annotations

import pytest
from tests.adapter.conftest import MakeClient, collect

from chatls.azure import ChatMessage, ChatOptions, ChatResult, Conversation
from chatls.azure.types import MAX_STRING_CHARS
from chatls.emulator.fixture import RunningEmulator

FILE_PART = "File: big.py\n```python\n" + "def handler(request):\n    return send(request)\n" * 20_000 + "```"
DIFF_PART = "The git diff (working tree):\n```diff\n" + "-a = 1\n+a = 2\n" * 12_000 + "```"


@pytest.mark.parametrize(("deployment", "wire"), [("gpt-41-long", "chat"), ("gpt-5-long", "responses")])
async def test_attachments_over_the_limit_together_go_as_parts_each_under_it(
    deployment: str, wire: str, emulator: RunningEmulator, make_client: MakeClient
) -> None:
    assert len(FILE_PART) + len(DIFF_PART) > MAX_STRING_CHARS >= max(len(FILE_PART), len(DIFF_PART))
    model = "gpt-4.1-2025-04-14" if wire == "chat" else "gpt-5-2025-08-07"
    await emulator.set_deployment(deployment, model=model, context_window=1_047_576)
    await emulator.add_reply("Review this$", "Looks fine.", deployment=deployment)
    question = ChatMessage("user", "Review this", parts=(FILE_PART, DIFF_PART))
    client = make_client(deployment, apiVersion="2025-04-01-preview", contextWindow=1_047_576, wire=wire)
    events = await collect(client, Conversation("Be brief.", (question,)), ChatOptions())

    result = events[-1]
    assert isinstance(result, ChatResult) and result.wire == wire and result.content == "Looks fine."
    (record,) = [r for r in await emulator.requests(deployment) if r["method"] == "POST"]
    shape = record["body"]["outline"]  # the body is over 1 MiB: the log keeps its outline
    sent = shape["messages"][-1]["content"] if wire == "chat" else shape["input"][-1]["content"]
    part_type = "text" if wire == "chat" else "input_text"
    assert [part["type"] for part in sent] == [part_type] * 3
    for logged, part in zip(sent, (FILE_PART, DIFF_PART), strict=False):
        assert logged["text"].startswith(part[:30]) and logged["text"].endswith(f"[{len(part):,} characters]")
    assert sent[2]["text"] == "Review this"
