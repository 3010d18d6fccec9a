"""A damaged database is moved aside (never deleted) and a fresh one started; other failures are not."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chatls.store import DB_FILENAME, ConversationStore, StoreError
from chatls.store.schema import SCHEMA_VERSION

WORKSPACE = "file:///w"


def _fill(state: Path, messages: int = 300) -> None:
    with ConversationStore.open(state) as store:
        conversation_id = store.create_conversation(WORKSPACE, "t")
        for index in range(messages):
            store.add_message(conversation_id, "user", f"message {index} " + "x" * 200, "complete")
    # Fold the WAL into the main file so damage to the file is damage to the data.
    db = sqlite3.connect(state / DB_FILENAME)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _assert_fresh_and_usable(store: ConversationStore) -> None:
    assert store.list_conversations(WORKSPACE) == []
    conversation_id = store.create_conversation(WORKSPACE, "after recovery")
    store.add_message(conversation_id, "user", "works", "complete")
    assert [m.content for m in store.get_messages(conversation_id)] == ["works"]


def test_garbage_file_is_moved_aside_with_its_bytes_intact(tmp_path: Path) -> None:
    garbage = b"this is not a database\x00\xff" * 100
    (tmp_path / DB_FILENAME).write_bytes(garbage)
    with ConversationStore.open(tmp_path) as store:
        moved = store.recovered_from
        assert moved is not None
        assert moved.parent == tmp_path
        assert moved.name.startswith(f"{DB_FILENAME}.corrupt-")
        assert moved.read_bytes() == garbage
        _assert_fresh_and_usable(store)


def test_damaged_pages_are_detected_and_moved_aside(tmp_path: Path) -> None:
    _fill(tmp_path)
    path = tmp_path / DB_FILENAME
    data = bytearray(path.read_bytes())
    page_size = 4096
    assert len(data) > 8 * page_size
    for offset in range(2 * page_size, 6 * page_size, 7):  # scribble over b-tree pages, not the header
        data[offset] = 0xA5
    path.write_bytes(bytes(data))
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is not None
        assert store.recovered_from.read_bytes() == bytes(data)
        _assert_fresh_and_usable(store)


def test_a_truncated_file_is_moved_aside(tmp_path: Path) -> None:
    _fill(tmp_path)
    path = tmp_path / DB_FILENAME
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is not None
        assert store.recovered_from.read_bytes() == data[: len(data) // 3]
        _assert_fresh_and_usable(store)


def test_missing_tables_count_as_damage(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    db.execute("CREATE TABLE unrelated (x)")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.commit()
    db.close()
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is not None
        moved = sqlite3.connect(store.recovered_from)
        assert moved.execute("SELECT name FROM sqlite_master").fetchall() == [("unrelated",)]
        moved.close()
        _assert_fresh_and_usable(store)


def test_wal_companions_move_with_the_damaged_file(tmp_path: Path) -> None:
    (tmp_path / DB_FILENAME).write_bytes(b"garbage" * 1000)
    (tmp_path / f"{DB_FILENAME}-wal").write_bytes(b"stale wal")
    with ConversationStore.open(tmp_path) as store:
        moved = store.recovered_from
        assert moved is not None
        assert (tmp_path / f"{moved.name}-wal").read_bytes() == b"stale wal"
        _assert_fresh_and_usable(store)


def test_two_recoveries_never_overwrite_each_other(tmp_path: Path) -> None:
    moved: list[Path] = []
    for content in (b"first garbage" * 100, b"second garbage" * 100):
        (tmp_path / DB_FILENAME).write_bytes(content)
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"{DB_FILENAME}{suffix}").unlink(missing_ok=True)
        with ConversationStore.open(tmp_path) as store:
            assert store.recovered_from is not None
            moved.append(store.recovered_from)
    assert moved[0] != moved[1]
    assert moved[0].read_bytes() == b"first garbage" * 100
    assert moved[1].read_bytes() == b"second garbage" * 100


def test_a_database_from_a_newer_chatls_is_left_alone(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path):
        pass
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer version of ChatLS"):
        ConversationStore.open(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name) == []


def test_a_sound_database_is_never_moved(tmp_path: Path) -> None:
    _fill(tmp_path, messages=10)
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is None
        assert store.list_conversations(WORKSPACE)[0].message_count == 10
    assert [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name] == []
