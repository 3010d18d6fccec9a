"""The write-ahead log is checkpointed on the store's own thread, never inside a commit (chatls.store
.checkpoints): a turn storing a 1 MB question must not wait for ~4 MB to be copied and synced."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.waiting import wait_until

from chatls.store import ConversationStore, TurnIds
from chatls.store.checkpoints import CHECKPOINT_ABOVE_BYTES, WAL_SIZE_LIMIT_BYTES

WORKSPACE = "file:///home/me/project"
MEGABYTE_QUESTION = "x = 1\n" * 175_000  # ~1 MB, like a large attached file


def _ask(store: ConversationStore) -> TurnIds:
    return store.begin_turn(
        conversation_id=None, workspace_uri=WORKSPACE, title="q", question="q", attachment=MEGABYTE_QUESTION
    )


def _database_bytes(store: ConversationStore) -> int:
    return store.path.stat().st_size


def _wal_bytes(store: ConversationStore) -> int:
    return store.path.with_name(store.path.name + "-wal").stat().st_size


def test_a_commit_never_checkpoints_the_log_itself(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path / "state") as store:
        store.checkpointer.close()  # nobody checkpoints: what a commit does alone shows
        before = _database_bytes(store)
        for _ in range(6):  # ~6 MB, past SQLite's automatic threshold of ~4 MB
            _ask(store)
        assert _wal_bytes(store) > CHECKPOINT_ABOVE_BYTES
        assert _database_bytes(store) == before  # still all in the log
        assert store.checkpointer.checkpoints == 0


def test_the_checkpointer_copies_a_grown_log_and_the_log_is_cut_back(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path / "state") as store:
        ids = [_ask(store) for _ in range(6)]
        wait_until(store.checkpointer.idle.is_set, "the checkpoint thread to finish")
        assert store.checkpointer.checkpoints >= 1
        assert _database_bytes(store) > 5 * len(MEGABYTE_QUESTION)  # the questions are in the file now
        store.add_message(ids[0].conversation_id, "user", "and then?", "complete")  # the log restarts
        assert _wal_bytes(store) <= WAL_SIZE_LIMIT_BYTES
        # Another connection (another window) reads everything, as it would have anyway.
        other = sqlite3.connect(store.path)
        try:
            count = other.execute("SELECT COUNT(*) FROM messages WHERE attachment IS NOT NULL").fetchone()[0]
        finally:
            other.close()
        assert count == 6


def test_small_writes_start_no_thread(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path / "state") as store:
        conversation_id = store.create_conversation(WORKSPACE, "t")
        for n in range(20):
            store.add_message(conversation_id, "user", f"message {n}", "complete")
        assert store.checkpointer.checkpoints == 0
        assert store.checkpointer.idle.is_set()
