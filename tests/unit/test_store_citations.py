"""Migration 4: replies keep their On Your Data citations; a version-3 database gains the column and loses
nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from chatls.store import DB_FILENAME, ConversationStore, schema

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
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    for step in schema.MIGRATIONS[:3]:
        for statement in schema._statements(step):
            db.execute(statement)
    db.execute("PRAGMA user_version = 3")
    db.execute(
        "INSERT INTO conversations (id, workspace_uri, title, created_at, updated_at)"
        " VALUES ('c', ?, 't', 'x', 'x')",
        (WORKSPACE,),
    )
    db.execute(
        "INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at, steps)"
        " VALUES ('m', 'c', 'assistant', 'old reply', 'complete', 'x', 'x', '[]')"
    )
    db.commit()
    db.close()
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is None
        (message,) = store.get_messages("c")
        assert (message.content, message.steps, message.citations) == ("old reply", [], None)
        store.update_message("m", citations=CITED)
        assert store.get_message("m") is not None and store.get_message("m").citations == CITED  # type: ignore[union-attr]
    check = sqlite3.connect(tmp_path / DB_FILENAME)
    assert check.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    check.close()


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
