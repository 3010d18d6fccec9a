"""Migration 4: replies keep their On Your Data citations; a version-3 database gains the column and loses
nothing."""

from __future__ import annotations

from pathlib import Path

from tests.support.old_store import database_at_version, schema_version

from chatls.store import ConversationStore
from chatls.store.schema import SCHEMA_VERSION

WORKSPACE = "file:///home/me/project"
CITED = [{"title": "policy.md", "url": None, "filepath": None, "chunkId": "0"}]


def test_citations_are_stored_with_a_reply(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path) as store:
        conversation_id = store.create_conversation(WORKSPACE, "t")
        reply = store.add_message(conversation_id, "assistant", "Within 30 days [doc1]", "complete")
        store.update_message(reply, citations=CITED)
        other = store.add_message(conversation_id, "assistant", "ungrounded", "complete")
        by_id = {m.id: m for m in store.get_messages(conversation_id)}
    assert by_id[reply].citations == CITED
    assert by_id[other].citations is None


def test_a_version_3_database_gains_the_citations_column(tmp_path: Path) -> None:
    database_at_version(tmp_path, 3, WORKSPACE, (
        "INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at, steps)"
        " VALUES ('m', 'c', 'assistant', 'old reply', 'complete', 'x', 'x', '[]')"
    ))
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is None
        (message,) = store.get_messages("c")
        assert (message.content, message.steps, message.citations) == ("old reply", [], None)
        store.update_message("m", citations=CITED)
        assert store.get_message("m") is not None and store.get_message("m").citations == CITED  # type: ignore[union-attr]
    assert schema_version(tmp_path) == SCHEMA_VERSION


def test_export_lists_a_grounded_replys_references(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path) as store:
        conversation_id = store.create_conversation(WORKSPACE, "refunds")
        reply = store.add_message(conversation_id, "assistant", "30 days [doc1], receipt [doc2].", "complete")
        second = {"title": None, "url": None, "filepath": "faq/receipts.md", "chunkId": "3"}
        store.update_message(reply, citations=[{**CITED[0], "url": "https://x/policy"}, second])
        markdown = store.export_markdown(conversation_id)
    assert markdown.endswith(
        "30 days [doc1], receipt [doc2].\n\nReferences:\n\n"
        "1. [policy.md](https://x/policy)\n2. faq/receipts.md\n"
    )
