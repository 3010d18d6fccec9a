"""The database schema, as numbered migrations tracked by `PRAGMA user_version`.

A migration is appended, never edited: an existing database runs only the steps above its version.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: conversations, messages, lessons.
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        workspace_uri TEXT NOT NULL,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX conversations_by_workspace ON conversations (workspace_uri, updated_at);

    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('complete', 'cancelled', 'error', 'truncated', 'pending')),
        profile TEXT,
        model TEXT,
        usage TEXT,
        attachment TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);

    -- message_count is kept here so listing 1,000 conversations needs no COUNT(*) per row.
    CREATE TRIGGER messages_counted AFTER INSERT ON messages BEGIN
        UPDATE conversations SET message_count = message_count + 1 WHERE id = NEW.conversation_id;
    END;
    CREATE TRIGGER messages_uncounted AFTER DELETE ON messages BEGIN
        UPDATE conversations SET message_count = message_count - 1 WHERE id = OLD.conversation_id;
    END;

    CREATE TABLE lessons (
        endpoint TEXT NOT NULL,
        deployment TEXT NOT NULL,
        lessons TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (endpoint, deployment)
    );
    """,
    # 2: replies carry their reasoning summary, the wire's replay state, a background run's handle, the
    # question they answer (`reply_to`) and the server that owns them while pending (`owner`, a row of
    # `owners` whose lease that server renews); status `interrupted`. The CHECK constraint cannot be
    # altered in place, so the table is rebuilt (same seq values, so the order is kept).
    """
    CREATE TABLE messages_v2 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('complete', 'cancelled', 'error', 'truncated', 'pending', 'interrupted')),
        profile TEXT,
        model TEXT,
        usage TEXT,
        attachment TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        reasoning TEXT NOT NULL DEFAULT '',
        replay TEXT,
        run_handle TEXT,
        reply_to TEXT,
        owner TEXT
    );
    INSERT INTO messages_v2 (seq, id, conversation_id, role, content, status, profile, model, usage,
                             attachment, created_at, updated_at)
        SELECT seq, id, conversation_id, role, content, status, profile, model, usage, attachment,
               created_at, updated_at
        FROM messages ORDER BY seq;
    DROP TABLE messages;
    ALTER TABLE messages_v2 RENAME TO messages;
    CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
    CREATE INDEX messages_pending ON messages (status) WHERE status = 'pending';
    CREATE TRIGGER messages_counted AFTER INSERT ON messages BEGIN
        UPDATE conversations SET message_count = message_count + 1 WHERE id = NEW.conversation_id;
    END;
    CREATE TRIGGER messages_uncounted AFTER DELETE ON messages BEGIN
        UPDATE conversations SET message_count = message_count - 1 WHERE id = OLD.conversation_id;
    END;

    -- One row per live server process that owns pending replies: it renews `lease_expires` while it does.
    CREATE TABLE owners (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        lease_expires TEXT NOT NULL
    );
    """,
    # 3: an agent reply keeps its tool steps (the calls the model made and their results, JSON), so the
    # conversation shows what was read and done and later turns send them back.
    """
    ALTER TABLE messages ADD COLUMN steps TEXT;
    """,
    # 4: a grounded (On Your Data) reply keeps its citations (JSON: title, url, filepath, chunkId each), so
    # the conversation shows the references its [docN] markers point to.
    """
    ALTER TABLE messages ADD COLUMN citations TEXT;
    """,
    # 5: a question says what each of its attachments was (JSON: kind, label, name, lines, chars each, in
    # order); their texts stay in `attachment`, joined, so each is stored once and can be sent again as its
    # own content part.
    """
    ALTER TABLE messages ADD COLUMN attachments TEXT;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

EXPECTED_COLUMNS: dict[str, frozenset[str]] = {
    "conversations": frozenset({"id", "workspace_uri", "title", "created_at", "updated_at", "message_count"}),
    "messages": frozenset(
        {
            "seq",
            "id",
            "conversation_id",
            "role",
            "content",
            "status",
            "profile",
            "model",
            "usage",
            "attachment",
            "created_at",
            "updated_at",
            "reasoning",
            "replay",
            "run_handle",
            "reply_to",
            "owner",
            "steps",
            "citations",
            "attachments",
        }
    ),
    "owners": frozenset({"id", "host", "pid", "lease_expires"}),
    "lessons": frozenset({"endpoint", "deployment", "lessons", "updated_at"}),
}
"""What a current database must have; anything less means the file is damaged."""


class NewerSchemaError(Exception):
    """The database was written by a newer ChatLS than this one."""


def migrate(connection: sqlite3.Connection) -> None:
    """Bring the schema up to date in one write transaction (safe if a second process does it too)."""
    if user_version(connection) == SCHEMA_VERSION:
        return  # the common case: no write lock needed
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = user_version(connection)  # again under the lock: another process may have migrated
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(
                f"schema version {version} is newer than this ChatLS understands ({SCHEMA_VERSION})"
            )
        for step in MIGRATIONS[version:]:
            for statement in _statements(step):
                connection.execute(statement)
        # PRAGMA takes no parameters; SCHEMA_VERSION is our own integer.
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def user_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def missing_schema(connection: sqlite3.Connection) -> str | None:
    """A description of what is missing from the schema, or None when it is complete."""
    for table, expected in EXPECTED_COLUMNS.items():
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if not columns:
            return f"table {table} is missing"
        absent = expected - columns
        if absent:
            return f"table {table} lacks {', '.join(sorted(absent))}"
    return None


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete statement in migration: {pending.strip()[:60]}")
    return statements
