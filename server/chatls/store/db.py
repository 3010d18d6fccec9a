"""Opening the SQLite file: WAL, busy timeout, migrations, and moving a damaged file aside.

Each server process has its own connection. Writers take the lock up front (BEGIN IMMEDIATE) and hold it for
one short transaction, and `busy_timeout` makes a second process wait for it instead of failing, so two
editor windows on the same database never lose each other's writes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from chatls.store import checkpoints, schema

log = logging.getLogger(__name__)

DB_FILENAME = "chatls.db"
BUSY_TIMEOUT_MS = 10_000
"""How long a write waits for another process's transaction before giving up."""

_SIDE_FILES = ("-wal", "-shm", "-journal")


class StoreError(Exception):
    """The store cannot do what was asked; the message says why."""


@dataclass(frozen=True)
class Opened:
    connection: sqlite3.Connection
    recovered_from: Path | None
    """Where a damaged database was moved to, when one was."""


def open_database(state_dir: Path) -> Opened:
    """Open or create `state_dir/chatls.db`; a damaged file is moved aside and a fresh one started.

    The file is inspected read-only first, so a damaged database is moved aside exactly as it was found.
    """
    path = state_dir / DB_FILENAME
    _make_private(state_dir, path)
    moved: Path | None = None
    problem = _inspect(path)
    if problem is not None:
        moved = _recover(path, problem)
    try:
        return Opened(_connect(path), moved)
    except sqlite3.DatabaseError as exc:
        # Damage only a writer can see (e.g. a migration meeting a half-written file): recover once.
        if moved is not None or not _is_damage(exc):
            raise StoreError(f"cannot open {path}: {exc}") from None
        moved = _recover(path, str(exc))
    try:
        return Opened(_connect(path), moved)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open {path}: {exc}") from None


DIR_MODE = 0o700
FILE_MODE = 0o600
"""Conversations are private: only the user may read the state directory and the database files."""


def _make_private(state_dir: Path, path: Path) -> None:
    """Create the state directory 0700 and the database 0600 (SQLite gives its -wal/-shm files the
    database's mode), and tighten ones an earlier ChatLS created world-readable."""
    state_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if os.name != "posix":
        return  # Windows: the profile directory's ACL already keeps other users out
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))  # an empty file is an empty database
        _tighten(state_dir, DIR_MODE)
        for file in (path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)):
            _tighten(file, FILE_MODE)
    except OSError as exc:
        raise StoreError(f"cannot use {state_dir}: {exc.strerror or exc}") from None


def _tighten(path: Path, mode: int) -> None:
    try:
        current = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return
    if current & ~mode:
        path.chmod(current & mode)
        log.info("made %s private (mode %o, was %o)", path, current & mode, current)


_HEADER = b"SQLite format 3\x00"


def _inspect(path: Path) -> str | None:
    """What is wrong with an existing database file, read-only; None when it is sound, empty or absent."""
    try:
        with path.open("rb") as file:
            header = file.read(len(_HEADER))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if not header:
        return None  # an empty file is an empty database
    if header != _HEADER:
        return "not an SQLite database"
    try:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.DatabaseError as exc:
        log.debug("read-only inspection of %s failed (%s); opening it normally", path, exc)
        return None  # opening it for writing will say what is wrong
    try:
        return _check(connection)
    finally:
        connection.close()


_DAMAGE_CODES = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
_DAMAGE_WORDS = ("malformed", "not a database", "already exists", "no such table", "no such column")


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Whether an error means the file itself is bad (as opposed to locked, read-only, out of space...)."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if isinstance(code, int) and (code & 0xFF) in _DAMAGE_CODES:
        return True
    text = str(exc).lower()
    return any(word in text for word in _DAMAGE_WORDS)


def _recover(path: Path, problem: str) -> Path | None:
    moved = _move_aside(path)
    if moved is not None:
        log.warning("database %s was damaged (%s); moved it to %s, starting afresh", path, problem, moved)
    return moved


def _connect(path: Path) -> sqlite3.Connection:
    if os.name == "posix" and not path.exists():  # e.g. after a damaged file was moved aside
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves, keeping write transactions short.
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _set_wal(connection)
        # NORMAL in WAL mode survives a killed process; only a power cut can lose the last commits.
        connection.execute("PRAGMA synchronous = NORMAL")
        # Checkpoints run on the store's own thread (chatls.store.checkpoints), never inside a commit.
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        connection.execute(f"PRAGMA journal_size_limit = {checkpoints.WAL_SIZE_LIMIT_BYTES}")
        connection.execute("PRAGMA foreign_keys = ON")
        schema.migrate(connection)
    except schema.NewerSchemaError as exc:
        connection.close()
        raise StoreError(
            f"{path} was written by a newer version of ChatLS ({exc}); upgrade ChatLS or set stateDir "
            "to another directory"
        ) from None
    except BaseException:
        connection.close()
        raise
    return connection


def _set_wal(connection: sqlite3.Connection) -> None:
    # Switching to WAL needs a moment of exclusive access; another process creating the file at the same
    # time can make it fail with "locked" even with a busy timeout, so try a few times.
    for attempt in range(50):
        try:
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05)
            continue
        if str(mode).lower() != "wal":
            log.warning("SQLite refused WAL mode (journal_mode=%s); concurrent windows will be slower", mode)
        return


def _check(connection: sqlite3.Connection) -> str | None:
    """What is wrong with an opened database, or None when it is sound."""
    try:
        version = schema.user_version(connection)
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"the database was written by a newer version of ChatLS (schema {version}, this one knows "
                f"{schema.SCHEMA_VERSION}); upgrade ChatLS or set stateDir to another directory"
            )
        rows = connection.execute("PRAGMA quick_check").fetchall()
        if [tuple(row) for row in rows] != [("ok",)]:
            return "integrity check failed: " + "; ".join(str(row[0]) for row in rows[:3])
        if version < schema.SCHEMA_VERSION:
            return None  # the migration will bring it up to date
        missing = schema.missing_schema(connection)
        if missing is not None:
            return f"schema unreadable: {missing}"
    except sqlite3.DatabaseError as exc:
        if not _is_damage(exc):
            log.debug("inspecting the database failed (%s); opening it normally", exc)
            return None  # locked, unreadable...: opening it for writing will say what is wrong
        return str(exc)
    return None


def _move_aside(path: Path) -> Path | None:
    """Rename the damaged file (and its WAL/SHM companions) to `chatls.db.corrupt-<UTC time>`; never delete.

    None when another process moved it first.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    try:
        path.rename(target)
    except FileNotFoundError:
        return None
    # A stale WAL next to a fresh database would be replayed into it, so the companions move too.
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    return target
