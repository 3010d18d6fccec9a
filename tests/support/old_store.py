"""A conversation database as an older ChatLS left it (the first migrations applied, one conversation in
it), and the schema version a database has now."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from chatls.store import DB_FILENAME, schema


def database_at_version(folder: Path, version: int, workspace_uri: str, message_sql: str) -> None:
    """Create `folder`'s database at schema `version`: conversation 'c', the message `message_sql` adds."""
    db = sqlite3.connect(folder / DB_FILENAME)
    for step in schema.MIGRATIONS[:version]:
        for statement in schema._statements(step):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {version}")
    db.execute(
        "INSERT INTO conversations (id, workspace_uri, title, created_at, updated_at)"
        " VALUES ('c', ?, 't', 'x', 'x')",
        (workspace_uri,),
    )
    db.execute(message_sql)
    db.commit()
    db.close()


def schema_version(folder: Path) -> int:
    db = sqlite3.connect(folder / DB_FILENAME)
    try:
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()
    return version
