"""The SQLite conversation store: conversations, messages, lazy history, export and lessons."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest

from chatls.store import (
    DB_FILENAME,
    NO_FOLDER,
    ConversationNotFound,
    ConversationStore,
    MessageNotFound,
)

WORKSPACE = "file:///home/me/project"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore.open(tmp_path / "state") as opened:
        yield opened


def test_open_creates_the_state_dir_and_a_wal_database(tmp_path: Path) -> None:
    state = tmp_path / "deep" / "state"
    with ConversationStore.open(state) as store:
        assert store.recovered_from is None
        assert store.path == state / DB_FILENAME
    db = sqlite3.connect(state / DB_FILENAME)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
    db.close()


def test_create_and_get_conversation(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE + "/", "First question")
    record = store.get_conversation(conversation_id)
    assert record is not None
    assert (record.id, record.title, record.workspace_uri) == (conversation_id, "First question", WORKSPACE)
    assert record.created_at == record.updated_at
    assert record.created_at.endswith("Z") and "T" in record.created_at
    assert store.get_conversation("no-such-id") is None


def test_list_is_per_workspace_newest_first_with_counts(store: ConversationStore) -> None:
    older = store.create_conversation(WORKSPACE, "older")
    newer = store.create_conversation(WORKSPACE, "newer")
    elsewhere = store.create_conversation("file:///other", "elsewhere")
    loose = store.create_conversation(NO_FOLDER, "no folder")
    store.add_message(older, "user", "bump me to the top", "complete")

    listed = store.list_conversations(WORKSPACE)
    assert [c.id for c in listed] == [older, newer]
    assert [c.message_count for c in listed] == [1, 0]
    assert listed[0].title == "older"
    assert [c.id for c in store.list_conversations("file:///other/")] == [elsewhere]
    assert [c.id for c in store.list_conversations(NO_FOLDER)] == [loose]
    assert [c.id for c in store.list_conversations(WORKSPACE, limit=1)] == [older]
    assert store.list_conversations("file:///nothing-here") == []


def test_add_message_stores_every_field(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    usage = {"promptTokens": 12, "completionTokens": 30, "reasoningTokens": 20, "cachedTokens": 0}
    user_id = store.add_message(
        conversation_id, "user", "Why?", "complete", profile="fast", attachment="```py\nx = 1\n```"
    )
    reply_id = store.add_message(
        conversation_id, "assistant", "Because.", "complete", profile="fast", model="gpt-4o", usage=usage
    )
    user, reply = store.get_messages(conversation_id)
    assert (user.id, user.role, user.content, user.status) == (user_id, "user", "Why?", "complete")
    assert (user.profile, user.model, user.usage, user.attachment) == (
        "fast",
        None,
        None,
        "```py\nx = 1\n```",
    )
    assert (reply.id, reply.role, reply.model, reply.usage) == (reply_id, "assistant", "gpt-4o", usage)
    assert reply.conversation_id == conversation_id
    assert store.get_message(reply_id) == reply


def test_add_message_bumps_the_conversation(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    before = store.get_conversation(conversation_id)
    store.add_message(conversation_id, "user", "hi", "complete")
    after = store.get_conversation(conversation_id)
    assert before is not None and after is not None
    assert after.updated_at > before.updated_at
    assert after.created_at == before.created_at


def test_add_message_to_a_missing_conversation_fails_clearly(store: ConversationStore) -> None:
    with pytest.raises(ConversationNotFound, match="no conversation with id 'gone'"):
        store.add_message("gone", "user", "hi", "complete")


@pytest.mark.parametrize(("role", "status"), [("system", "complete"), ("user", "done")])
def test_add_message_rejects_unknown_role_or_status(store: ConversationStore, role: str, status: str) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    with pytest.raises(ValueError, match="must be one of"):
        store.add_message(conversation_id, role, "hi", status)
    assert store.get_messages(conversation_id) == []


def test_streaming_reply_is_appended_then_finished(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    reply_id = store.add_message(conversation_id, "assistant", "", "pending", profile="p")
    for chunk in ("Hel", "lo, ", "world"):
        store.append_to_message(reply_id, chunk)
    pending = store.get_message(reply_id)
    assert pending is not None and (pending.content, pending.status) == ("Hello, world", "pending")

    usage = {"promptTokens": 1, "completionTokens": 3, "reasoningTokens": 0, "cachedTokens": 0}
    store.update_message(reply_id, status="complete", model="gpt-4o-2024-11-20", usage=usage)
    done = store.get_message(reply_id)
    assert done is not None
    assert (done.content, done.status, done.model, done.usage) == (
        "Hello, world",
        "complete",
        "gpt-4o-2024-11-20",
        usage,
    )
    assert done.profile == "p"
    assert done.updated_at > done.created_at


def test_update_message_replaces_content_and_keeps_unset_fields(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    reply_id = store.add_message(conversation_id, "assistant", "partial", "pending", model="m")
    store.update_message(reply_id, content="partial answer", status="cancelled")
    reply = store.get_message(reply_id)
    assert reply is not None and (reply.content, reply.status, reply.model) == (
        "partial answer",
        "cancelled",
        "m",
    )


def test_update_of_a_missing_message_fails_clearly(store: ConversationStore) -> None:
    with pytest.raises(MessageNotFound, match="no message with id 'nope'"):
        store.update_message("nope", status="complete")
    with pytest.raises(MessageNotFound):
        store.append_to_message("nope", "text")


def test_update_rejects_an_unknown_status(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    reply_id = store.add_message(conversation_id, "assistant", "x", "pending")
    with pytest.raises(ValueError, match="status must be one of"):
        store.update_message(reply_id, status="finished")


def test_delete_conversation_removes_its_messages(store: ConversationStore) -> None:
    doomed = store.create_conversation(WORKSPACE, "doomed")
    kept = store.create_conversation(WORKSPACE, "kept")
    store.add_message(doomed, "user", "a", "complete")
    store.add_message(kept, "user", "b", "complete")
    assert store.delete_conversation(doomed) is True
    assert store.delete_conversation(doomed) is False
    assert store.get_conversation(doomed) is None
    assert store.get_messages(doomed) == []
    assert [c.id for c in store.list_conversations(WORKSPACE)] == [kept]
    assert [m.content for m in store.get_messages(kept)] == ["b"]


def test_message_count_follows_inserts_and_deletes(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    for index in range(5):
        store.add_message(conversation_id, "user" if index % 2 == 0 else "assistant", str(index), "complete")
    assert store.list_conversations(WORKSPACE)[0].message_count == 5


def test_iter_recent_messages_is_newest_first_across_pages(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    other = store.create_conversation(WORKSPACE, "other")
    for index in range(23):
        store.add_message(conversation_id, "user", f"m{index}", "complete")
        store.add_message(other, "user", f"other{index}", "complete")
    recent = [m.content for m in store.iter_recent_messages(conversation_id, page_size=5)]
    assert recent == [f"m{index}" for index in reversed(range(23))]
    assert list(store.iter_recent_messages("unknown")) == []


def test_iter_recent_messages_reads_only_the_pages_it_is_asked_for(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    for index in range(200):
        store.add_message(conversation_id, "user", f"m{index}", "complete")
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)  # white box: count the queries a short read costs
    first = [m.content for m in islice(store.iter_recent_messages(conversation_id, page_size=8), 10)]
    store._db.set_trace_callback(None)
    assert first == [f"m{index}" for index in range(199, 189, -1)]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2


def test_get_messages_is_oldest_first(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    for text in ("one", "two", "three"):
        store.add_message(conversation_id, "user", text, "complete")
    assert [m.content for m in store.get_messages(conversation_id)] == ["one", "two", "three"]


def test_history_survives_reopening(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path) as first:
        conversation_id = first.create_conversation(WORKSPACE, "persisted")
        first.add_message(conversation_id, "user", "remember me", "complete")
    with ConversationStore.open(tmp_path) as second:
        assert second.recovered_from is None
        assert [m.content for m in second.get_messages(conversation_id)] == ["remember me"]
        assert second.list_conversations(WORKSPACE)[0].message_count == 1


def test_rename_conversation(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "old")
    store.rename_conversation(conversation_id, "new")
    record = store.get_conversation(conversation_id)
    assert record is not None and record.title == "new"
    with pytest.raises(ConversationNotFound):
        store.rename_conversation("missing", "x")


def test_export_markdown(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "Sorting\nin Python")
    store.add_message(conversation_id, "user", "How do I sort a list?", "complete")
    store.add_message(
        conversation_id, "assistant", "Use `sorted()`:\n\n```py\nsorted(xs)\n```", "complete", model="gpt-4o"
    )
    store.add_message(conversation_id, "user", "And in reverse?", "complete")
    store.add_message(conversation_id, "assistant", "Pass `reverse=", "cancelled")
    store.add_message(conversation_id, "user", "Hello?", "complete")
    store.add_message(conversation_id, "assistant", "", "error")

    markdown = store.export_markdown(conversation_id)
    lines = markdown.splitlines()
    assert lines[0] == "# Sorting in Python"
    assert f"- Workspace: `{WORKSPACE}`" in lines
    assert sum(line.startswith("## User · ") for line in lines) == 3
    assert sum(line.startswith("## Assistant") for line in lines) == 3
    assert any(line.startswith("## Assistant (gpt-4o) · ") for line in lines)
    assert "```py\nsorted(xs)\n```" in markdown
    assert "_The reply was cancelled before it finished._" in lines
    assert "_The reply failed before it finished._" in lines
    assert markdown.index("How do I sort") < markdown.index("And in reverse") < markdown.index("Hello?")


def test_export_of_a_missing_conversation_fails_clearly(store: ConversationStore) -> None:
    with pytest.raises(ConversationNotFound):
        store.export_markdown("missing")


def test_lessons_round_trip_per_endpoint_and_deployment(store: ConversationStore) -> None:
    endpoint = "https://contoso.openai.azure.com"
    assert store.load_lessons(endpoint, "o1") == {}
    store.save_lessons(endpoint, "o1", {"drop": ["temperature"], "maxTokensParam": "max_completion_tokens"})
    store.save_lessons(endpoint, "gpt-4o", {"drop": []})
    assert store.load_lessons(endpoint, "o1") == {
        "drop": ["temperature"],
        "maxTokensParam": "max_completion_tokens",
    }
    store.save_lessons(endpoint, "o1", {"drop": ["temperature", "top_p"]})
    assert store.load_lessons(endpoint, "o1") == {"drop": ["temperature", "top_p"]}
    assert store.load_lessons(endpoint, "gpt-4o") == {"drop": []}
    assert store.load_lessons("https://other.openai.azure.com", "o1") == {}


def test_lessons_that_are_not_json_serialisable_are_refused(store: ConversationStore) -> None:
    with pytest.raises(TypeError):
        store.save_lessons("https://e", "d", {"bad": object()})
    assert store.load_lessons("https://e", "d") == {}


def test_unreadable_stored_lessons_load_as_none(store: ConversationStore) -> None:
    store.save_lessons("https://e", "d", {"ok": True})
    with store._write() as db:  # white box: damage one row the way a buggy older version might have
        db.execute("UPDATE lessons SET lessons = 'not json'")
    assert store.load_lessons("https://e", "d") == {}


def test_a_write_that_fails_leaves_nothing_half_done(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    with pytest.raises(ConversationNotFound):
        store.add_message("missing", "user", "x", "complete")
    store.add_message(conversation_id, "user", "still works", "complete")
    assert [m.content for m in store.get_messages(conversation_id)] == ["still works"]


def test_listing_and_recent_history_are_served_by_indexes(store: ConversationStore) -> None:
    """The plans behind "1,000 conversations in < 20 ms" and "10 or 10,000 messages cost the same"."""
    conversation_id = store.create_conversation(WORKSPACE, "t")
    store.add_message(conversation_id, "user", "x", "complete")
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)  # white box: capture the SQL the public calls run
    store.list_conversations(WORKSPACE)
    list(store.iter_recent_messages(conversation_id, page_size=1))
    store._db.set_trace_callback(None)
    plans = []
    for statement in statements:
        plan = store._db.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
        plans.append(" / ".join(str(row[3]) for row in plan))
    assert len(plans) == 3  # the listing, the first page, and the (empty) second page
    assert "USING INDEX conversations_by_workspace" in plans[0]
    for plan in plans[1:]:
        assert "INDEX messages_by_conversation" in plan
    for plan in plans:
        assert "TEMP B-TREE" not in plan and "SCAN" not in plan


def pending_reply(store: ConversationStore, conversation_id: str, *, text: str = "") -> str:
    """A question and a pending reply owned by `store`'s server, as a turn writes them."""
    ids = store.begin_turn(conversation_id=conversation_id, workspace_uri=WORKSPACE, title="t", question="q")
    if text:
        store.append_to_message(ids.reply_id, text)
    return ids.reply_id


def test_a_turn_start_is_one_transaction_linking_the_reply_to_its_question(store: ConversationStore) -> None:
    ids = store.begin_turn(
        conversation_id=None, workspace_uri=WORKSPACE, title="Why?", question="Why?", attachment="```x```"
    )
    question, reply = store.get_messages(ids.conversation_id)
    assert (question.id, question.content, question.attachment) == (ids.question_id, "Why?", "```x```")
    assert (reply.id, reply.status, reply.reply_to) == (ids.reply_id, "pending", ids.question_id)
    assert store.list_conversations(WORKSPACE)[0].message_count == 2

    again = store.begin_turn(
        conversation_id=ids.conversation_id, workspace_uri=WORKSPACE, title="", question=None,
        retry_of_question=ids.question_id,
    )  # fmt: skip
    assert again.question_id == ids.question_id
    assert store.get_message(again.reply_id).reply_to == ids.question_id  # type: ignore[union-attr]


def test_a_failed_turn_start_leaves_nothing_behind(store: ConversationStore) -> None:
    with pytest.raises(ConversationNotFound):
        store.begin_turn(conversation_id="gone", workspace_uri=WORKSPACE, title="t", question="q")
    with store._write() as db:  # white box: the reply insert fails after the conversation and question
        db.execute(
            "CREATE TEMP TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.role = 'assistant'"
            " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    with pytest.raises(sqlite3.DatabaseError):
        store.begin_turn(conversation_id=None, workspace_uri=WORKSPACE, title="t", question="q")
    assert store.list_conversations(WORKSPACE) == []


def test_reasoning_replay_and_run_handle_are_stored_with_the_reply(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    reply = pending_reply(store, conversation_id)
    store.set_run_handle(reply, {"responseId": "resp_1", "sequence": 3})
    assert store.get_message(reply).run_handle == {"responseId": "resp_1", "sequence": 3}  # type: ignore[union-attr]
    store.update_message(
        reply, content="42", status="complete", reasoning="Adding up.", replay={"items": [{"id": "rs_1"}]},
        settled=True,
    )  # fmt: skip
    record = store.get_message(reply)
    assert record is not None
    assert (record.content, record.reasoning, record.replay) == (
        "42",
        "Adding up.",
        {"items": [{"id": "rs_1"}]},
    )
    assert record.run_handle is None  # nothing left to resume or cancel


def dead_owner(store: ConversationStore, reply_id: str, **row: object) -> None:
    """White box: hand a pending reply to another server's owner row (by default a process that is gone)."""
    owner = {
        "id": "other",
        "host": store.owner.host,
        "pid": 2**22 + 7,
        "lease_expires": "2999-01-01T00:00:00Z",
    }
    owner.update(row)
    with store._write() as db:
        db.execute(
            "INSERT INTO owners (id, host, pid, lease_expires) VALUES (:id, :host, :pid, :lease_expires)",
            owner,
        )
        db.execute("UPDATE messages SET owner = ? WHERE id = ?", (owner["id"], reply_id))


def test_a_pending_reply_whose_server_is_gone_is_interrupted_at_once(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    mine = pending_reply(store, conversation_id, text="still strea")
    killed = pending_reply(store, conversation_id, text="half a rep")
    dead_owner(store, killed)  # its process no longer exists, though its lease has not expired

    assert store.settle_orphaned_replies(conversation_id) == [killed]
    statuses = {m.id: (m.status, m.content) for m in store.get_messages(conversation_id)}
    assert statuses[killed] == ("interrupted", "half a rep")
    assert statuses[mine] == ("pending", "still strea")  # this live server's own
    assert store.settle_orphaned_replies() == []


@pytest.mark.parametrize(
    ("owner", "settled"),
    [
        ({"host": "another-machine", "pid": 1, "lease_expires": "2999-01-01T00:00:00Z"}, False),
        ({"host": "another-machine", "pid": 1, "lease_expires": "2001-01-01T00:00:00Z"}, True),
        ({"pid": os.getpid(), "lease_expires": "2001-01-01T00:00:00Z"}, True),  # alive but stopped renewing
        ({"pid": os.getpid()}, False),  # another live server in this very process
    ],
)
def test_an_owner_is_alive_while_its_lease_runs_and_its_process_exists(
    store: ConversationStore, owner: dict[str, object], settled: bool
) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    reply = pending_reply(store, conversation_id)
    dead_owner(store, reply, **owner)
    assert store.settle_orphaned_replies() == ([reply] if settled else [])


def test_a_reply_nobody_owns_is_interrupted(store: ConversationStore) -> None:
    conversation_id = store.create_conversation(WORKSPACE, "t")
    legacy = store.add_message(conversation_id, "assistant", "from an old server", "pending")
    assert store.settle_orphaned_replies() == [legacy]


def test_a_resumable_reply_is_never_interrupted_but_claimed_once(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path) as first, ConversationStore.open(tmp_path) as second:
        conversation_id = first.create_conversation(WORKSPACE, "t")
        reply = pending_reply(first, conversation_id, text="so far")
        first.set_run_handle(reply, {"responseId": "resp_1"})
        assert second.claim_resumable_replies() == []  # its server is alive
        dead_owner(first, reply)

        assert second.settle_orphaned_replies() == []
        claimed = second.claim_resumable_replies()
        assert [(r.id, r.run_handle, r.content) for r in claimed] == [
            (reply, {"responseId": "resp_1"}, "so far")
        ]
        assert first.claim_resumable_replies() == []  # second owns it now, and is alive
        assert first.get_message(reply).status == "pending"  # type: ignore[union-attr]


def test_a_released_lease_or_a_disowned_reply_is_free_at_once(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path) as first, ConversationStore.open(tmp_path) as second:
        conversation_id = first.create_conversation(WORKSPACE, "t")
        resumable = pending_reply(first, conversation_id)
        first.set_run_handle(resumable, {"responseId": "resp_1"})
        first.disown(resumable)
        assert [r.id for r in second.claim_resumable_replies()] == [resumable]
        plain = pending_reply(first, conversation_id)
        assert second.settle_orphaned_replies() == []
        first.release_lease()
        assert second.settle_orphaned_replies() == [plain]


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_the_database_is_private_and_an_old_world_readable_one_is_tightened(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    with ConversationStore.open(fresh) as store:
        store.create_conversation(WORKSPACE, "secret plans")  # makes the -wal file
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    for file in fresh.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file

    old = tmp_path / "old"
    with ConversationStore.open(old) as store:
        store.create_conversation(WORKSPACE, "t")
    old.chmod(0o755)
    for file in old.iterdir():
        file.chmod(0o644)
    with ConversationStore.open(old) as store:
        assert [c.title for c in store.list_conversations(WORKSPACE)] == ["t"]
    assert stat.S_IMODE(old.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in old.iterdir()} == {0o600}


def test_a_version_1_database_is_migrated_keeping_every_message(tmp_path: Path) -> None:
    from chatls.store import schema

    db = sqlite3.connect(tmp_path / DB_FILENAME)
    for statement in schema._statements(schema.MIGRATIONS[0]):
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO conversations (id, workspace_uri, title, created_at, updated_at)"
        " VALUES ('c', ?, 't', 'x', 'x')",
        (WORKSPACE,),
    )
    for n, (role, status) in enumerate([("user", "complete"), ("assistant", "pending")]):
        db.execute(
            "INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at)"
            " VALUES (?, 'c', ?, ?, ?, 'x', 'x')",
            (f"m{n}", role, f"text {n}", status),
        )
    db.commit()
    db.close()
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is None
        assert [(m.id, m.content, m.reply_to) for m in store.get_messages("c")] == [
            ("m0", "text 0", None),
            ("m1", "text 1", None),
        ]
        assert store.list_conversations(WORKSPACE)[0].message_count == 2
        assert store.settle_orphaned_replies() == ["m1"]  # left pending by a server from before leases
        store.add_message("c", "user", "more", "complete")
        assert store.list_conversations(WORKSPACE)[0].message_count == 3


def test_looking_for_orphans_takes_no_write_lock_when_nothing_is_pending(tmp_path: Path) -> None:
    """Reading a conversation looks for orphaned replies; with none pending it never waits for a writer."""
    with ConversationStore.open(tmp_path) as store:
        conversation_id = store.create_conversation(WORKSPACE, "t")
        store.add_message(conversation_id, "user", "q", "complete")
        writer = sqlite3.connect(tmp_path / DB_FILENAME, timeout=0, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # another window is in the middle of a write
        try:
            assert store.settle_orphaned_replies(conversation_id) == []
            assert store.claim_resumable_replies() == []
        finally:
            writer.execute("ROLLBACK")
            writer.close()
