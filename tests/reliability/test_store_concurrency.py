"""Several server processes on one database (several editor windows): no write is lost, nothing corrupts.

Each worker is a real separate Python process with its own connection, as two `chatls serve` would be.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from chatls.store import DB_FILENAME, ConversationStore

WORKSPACE = "file:///shared/project"

WORKER = r"""
import sys, time
from pathlib import Path
from chatls.store import ConversationStore

state, shared, name, count, go = sys.argv[1:6]
state, count, go = Path(state), int(count), Path(go)
while not go.exists():  # the start gate that makes the writers race (the test's subject), not a barrier
    time.sleep(0.005)
with ConversationStore.open(state) as store:
    own = store.create_conversation("file:///shared/project", f"own {name}")
    reply = store.add_message(own, "assistant", "", "pending")
    for index in range(count):
        store.add_message(shared, "user" if index % 2 == 0 else "assistant", f"{name}:{index}", "complete")
        store.add_message(own, "user", f"{name}:{index}", "complete")
        store.append_to_message(reply, f"<{index}>")
        if index % 10 == 0:
            store.save_lessons("https://e", "d", {"writer": name, "index": index})
    store.update_message(reply, status="complete")
    print(own, flush=True)
"""

CREATOR = r"""
import sys, time
from pathlib import Path
from chatls.store import ConversationStore

state, name, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
while not go.exists():  # the start gate that makes the first opens race (the test's subject)
    time.sleep(0.002)
with ConversationStore.open(state) as store:
    conversation = store.create_conversation("file:///fresh", name)
    store.add_message(conversation, "user", name, "complete")
    print(store.recovered_from, flush=True)
"""

STREAMER = r"""
import sys
from pathlib import Path
from chatls.store import ConversationStore

store = ConversationStore.open(Path(sys.argv[1]))
conversation = sys.argv[2]
index = 0
while True:
    message = store.add_message(conversation, "user", f"committed {index}", "complete")
    print(message, flush=True)
    index += 1
"""


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _integrity(path: Path) -> list[tuple[str, ...]]:
    db = sqlite3.connect(path)
    try:
        return [tuple(row) for row in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()


@pytest.mark.guarantee(
    "concurrent writer processes on one database lose no write and keep each writer's order"
)
def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    workers, count = 3, 120
    with ConversationStore.open(tmp_path) as store:
        shared = store.create_conversation(WORKSPACE, "shared")
    go = tmp_path / "go"
    processes = [_spawn(WORKER, str(tmp_path), shared, f"w{n}", str(count), str(go)) for n in range(workers)]
    go.touch()
    own_ids = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        own_ids.append(out.strip())

    assert _integrity(tmp_path / DB_FILENAME) == [("ok",)]
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is None
        shared_messages = store.get_messages(shared)
        contents = [m.content for m in shared_messages]
        assert Counter(contents) == Counter(f"w{n}:{i}" for n in range(workers) for i in range(count))
        for n in range(workers):  # each writer's messages keep their order
            mine = [int(c.split(":")[1]) for c in contents if c.startswith(f"w{n}:")]
            assert mine == list(range(count))
        listed = {c.id: c for c in store.list_conversations(WORKSPACE)}
        assert listed[shared].message_count == workers * count
        for n, own in enumerate(own_ids):
            messages = store.get_messages(own)
            assert listed[own].message_count == count + 1
            reply = messages[0]
            assert reply.content == "".join(f"<{i}>" for i in range(count))
            assert reply.status == "complete"
            assert [m.content for m in messages[1:]] == [f"w{n}:{i}" for i in range(count)]
        lessons = store.load_lessons("https://e", "d")
        assert lessons["writer"] in {f"w{n}" for n in range(workers)}


@pytest.mark.guarantee("processes creating the database at the same instant share one database")
def test_simultaneous_first_opens_share_one_database(tmp_path: Path) -> None:
    state = tmp_path / "fresh-state"
    go = tmp_path / "go"
    names = [f"window{n}" for n in range(4)]
    processes = [_spawn(CREATOR, str(state), name, str(go)) for name in names]
    go.touch()
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert out.strip() == "None"  # nobody mistook a half-created database for a damaged one
    assert _integrity(state / DB_FILENAME) == [("ok",)]
    with ConversationStore.open(state) as store:
        listed = store.list_conversations("file:///fresh")
        assert sorted(c.title for c in listed) == names
        assert all(c.message_count == 1 for c in listed)
    assert [p.name for p in state.iterdir() if ".corrupt-" in p.name] == []


@pytest.mark.guarantee("a killed writer loses no committed message")
def test_a_killed_writer_loses_no_committed_message(tmp_path: Path) -> None:
    with ConversationStore.open(tmp_path) as store:
        conversation = store.create_conversation(WORKSPACE, "killed")
    process = _spawn(STREAMER, str(tmp_path), conversation)
    assert process.stdout is not None
    committed = [process.stdout.readline().strip() for _ in range(200)]
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)  # the kill lands wherever the writer was: maybe mid-transaction

    assert _integrity(tmp_path / DB_FILENAME) == [("ok",)]
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is None
        stored = store.get_messages(conversation)
        stored_ids = {m.id for m in stored}
        assert set(committed) <= stored_ids
        assert [m.content for m in stored] == [f"committed {i}" for i in range(len(stored))]
        assert store.list_conversations(WORKSPACE)[0].message_count == len(stored)
        store.add_message(conversation, "user", "after the crash", "complete")
