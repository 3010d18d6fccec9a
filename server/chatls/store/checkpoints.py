"""Checkpointing the write-ahead log on a thread of its own, never inside a turn's commit.

SQLite's automatic checkpoint runs in the commit that takes the log past 1,000 pages: with a 1 MB attachment
stored per question, every fourth turn or so waited about 20 ms in `begin_turn` while ~4 MB were copied into
the database and synced, before its request could go upstream. The store's connection turns that off
(`db.py`) and tells this checkpointer after each commit; once the log has grown past the same threshold, a
thread with its own connection runs a PASSIVE checkpoint, which neither waits for nor blocks readers and
writers. Durability is unchanged: a commit is in the log (synced as `synchronous = NORMAL` says) either way;
only where the copy into the database file happens moves.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINT_ABOVE_BYTES = 4 * 1024 * 1024
"""A log larger than this is checkpointed: SQLite's own default (1,000 pages of 4 KiB)."""

WAL_SIZE_LIMIT_BYTES = 1024 * 1024
"""`journal_size_limit`: the log file is cut back to this once it restarts after a checkpoint, so its size
says how much was written since (`db.py` sets it on the store's connection)."""


class Checkpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` on its own thread and connection when the log has grown."""

    def __init__(self, database: Path, *, above_bytes: int = CHECKPOINT_ABOVE_BYTES) -> None:
        self._database = database
        self._wal = database.with_name(database.name + "-wal")
        self._above = above_bytes
        self._wanted = threading.Event()
        self._closing = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        """How many checkpoints ran (for tests and the log)."""
        self.idle = threading.Event()
        """Set while no checkpoint is wanted or running (tests wait on it instead of sleeping)."""
        self.idle.set()

    def wrote(self) -> None:
        """After a commit: wake the thread when the log is over the threshold (a stat, a few microseconds)."""
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return  # no log (not WAL mode, or already checkpointed away)
        if size <= self._above:
            return
        with self._lock:
            if self._closing:
                return
            self.idle.clear()
            self._wanted.set()
            if self._thread is None:  # started on first need: most stores never need one
                self._thread = threading.Thread(target=self._run, name="chatls-checkpoint", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop the thread (a checkpoint in progress finishes first)."""
        with self._lock:
            self._closing = True
            thread = self._thread
            self._wanted.set()
        if thread is not None:
            thread.join()
        self.idle.set()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while True:
                self._wanted.wait()
                with self._lock:
                    if self._closing:
                        return
                    self._wanted.clear()
                if connection is None:
                    connection = sqlite3.connect(self._database, isolation_level=None, check_same_thread=True)
                self._checkpoint(connection)
                with self._lock:
                    if not self._wanted.is_set():
                        self.idle.set()
        finally:
            if connection is not None:
                connection.close()
            self.idle.set()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # the next commit asks again; the log only grows meanwhile
            log.warning("checkpointing the conversation database failed: %s", exc)
            return
        self.checkpoints += 1
        log.debug("checkpoint: %s of %s log frames copied (busy %s)", copied, frames, busy)

