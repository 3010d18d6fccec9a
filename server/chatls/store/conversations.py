"""`ConversationStore`: conversations, messages and self-healing lessons in one SQLite file.

Every write is one short `BEGIN IMMEDIATE` transaction committed before the method returns, so a message is
on disk before the upstream call starts and a killed server loses at most the reply chunk in flight.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from chatls.store.checkpoints import Checkpointer
from chatls.store.db import StoreError, open_database
from chatls.store.export import conversation_markdown
from chatls.store.liveness import LEASE_SECONDS, Owner, owner_is_alive
from chatls.store.records import (
    ROLES,
    STATUSES,
    ConversationRecord,
    ConversationSummaryRecord,
    MessageRecord,
    TurnIds,
)
from chatls.workspaces import normalise_uri

RECENT_PAGE_SIZE = 16
"""Messages fetched per query by `iter_recent_messages`; fitting rarely needs more than a few pages."""

_MESSAGE_FIELDS = (
    "id", "conversation_id", "role", "content", "status", "profile", "model", "usage", "attachment",
    "created_at", "updated_at", "reasoning", "replay", "run_handle", "reply_to", "steps", "citations",
    "attachments",
)  # fmt: skip
"""Columns of `messages` that make a `MessageRecord` (same names, same order)."""
_MESSAGE_COLUMNS = ", ".join(_MESSAGE_FIELDS)
_INSERT_FIELDS = (*_MESSAGE_FIELDS, "owner")
_INSERT_MESSAGE = (
    f"INSERT INTO messages ({', '.join(_INSERT_FIELDS)})"
    f" VALUES ({', '.join(':' + name for name in _INSERT_FIELDS)})"
)


class ConversationNotFound(StoreError, KeyError):
    """No conversation has this id (it may have been deleted by another window)."""

    def __str__(self) -> str:
        return f"no conversation with id {self.args[0]!r}"


class MessageNotFound(StoreError, KeyError):
    """No message has this id."""

    def __str__(self) -> str:
        return f"no message with id {self.args[0]!r}"


_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> str:
    """Now as ISO-8601 UTC with microseconds; these strings sort in time order."""
    return datetime.now(timezone.utc).strftime(_TIME_FORMAT)


class ConversationStore:
    """The per-user conversation database. Use `ConversationStore.open(state_dir)`.

    Methods are meant for the event-loop thread (each call is a few short SQL statements); a lock makes them
    safe from other threads too. Implements the adapter's `LessonStore` protocol.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, recovered_from: Path | None) -> None:
        self._db = connection
        self._lock = threading.RLock()
        self.owner = Owner()
        """This process as the owner of the pending replies it writes (see chatls.store.liveness)."""
        self.path = path
        """The database file."""
        self.recovered_from = recovered_from
        """Where a damaged database was moved when this store was opened (tell the user), else None."""
        self.checkpointer = Checkpointer(path)
        """Copies the write-ahead log into the database off the committing thread."""

    @classmethod
    def open(cls, state_dir: Path) -> ConversationStore:
        """Open or create `state_dir/chatls.db`; a damaged file is moved aside (see `recovered_from`)."""
        opened = open_database(state_dir)
        return cls(opened.connection, state_dir / "chatls.db", opened.recovered_from)

    def close(self) -> None:
        self.checkpointer.close()
        with self._lock:
            self._db.close()

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- conversations ---------------------------------------------------------------------------
    def create_conversation(self, workspace_uri: str, title: str) -> str:
        """Start an empty conversation in a workspace (URI normalised here too); returns its id."""
        with self._write() as db:
            return _insert_conversation(db, workspace_uri, title)

    def get_conversation(self, conversation_id: str) -> ConversationRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, title, workspace_uri, created_at, updated_at FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        return None if row is None else ConversationRecord(*row)

    def list_conversations(
        self, workspace_uri: str, limit: int | None = None
    ) -> list[ConversationSummaryRecord]:
        """A workspace's conversations, most recently updated first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, title, updated_at, message_count FROM conversations"
                " WHERE workspace_uri = ? ORDER BY updated_at DESC, rowid DESC LIMIT ?",
                (normalise_uri(workspace_uri), -1 if limit is None else limit),
            ).fetchall()
        return [ConversationSummaryRecord(*row) for row in rows]

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        with self._write() as db:
            cursor = db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))
            if cursor.rowcount == 0:
                raise ConversationNotFound(conversation_id)

    def delete_conversation(self, conversation_id: str) -> bool:
        """Delete a conversation and its messages; False when there was no such conversation."""
        with self._write() as db:
            db.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            cursor = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            return cursor.rowcount > 0

    # --- messages --------------------------------------------------------------------------------
    def add_message(
        self,
        conversation_id: str,
        role: str,
        content: str,
        status: str,
        *,
        profile: str | None = None,
        model: str | None = None,
        usage: dict[str, Any] | None = None,
        attachment: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> str:
        """Append a message (committed before returning) and bump the conversation's `updated_at`."""
        _check_role(role)
        _check_status(status)
        with self._write() as db:
            return _insert_message(
                db, conversation_id, role, content, status,
                profile=profile, model=model, usage=usage, attachment=attachment, attachments=attachments,
            )  # fmt: skip

    def begin_turn(
        self,
        *,
        conversation_id: str | None,
        workspace_uri: str,
        title: str,
        question: str | None,
        attachment: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        retry_of_question: str | None = None,
        profile: str | None = None,
    ) -> TurnIds:
        """Write a turn's start in ONE transaction: the conversation (when `conversation_id` is None), the
        question (unless `retry_of_question` names the stored one being answered again) and a `pending` reply
        that records which question it answers and that this server owns it (its lease renewed).

        So a failure leaves no empty conversation behind, and two windows interleaving their turns never
        separate a question from its reply.
        """
        if (question is None) == (retry_of_question is None):
            raise ValueError("begin_turn needs either a new question or the id of the one to answer again")
        with self._write() as db:
            if conversation_id is None:
                conversation_id = _insert_conversation(db, workspace_uri, title)
            question_id = retry_of_question
            if question is not None:
                question_id = _insert_message(
                    db, conversation_id, "user", question, "complete",
                    profile=profile, attachment=attachment, attachments=attachments,
                )  # fmt: skip
            assert question_id is not None
            self._renew_lease(db)
            reply_id = _insert_message(
                db, conversation_id, "assistant", "", "pending",
                profile=profile, reply_to=question_id, owner=self.owner.id,
            )  # fmt: skip
        return TurnIds(conversation_id, question_id, reply_id)

    def update_message(
        self,
        message_id: str,
        *,
        content: str | None = None,
        status: str | None = None,
        model: str | None = None,
        usage: dict[str, Any] | None = None,
        reasoning: str | None = None,
        replay: dict[str, Any] | None = None,
        steps: list[dict[str, Any]] | None = None,
        citations: list[dict[str, Any]] | None = None,
        settled: bool = False,
    ) -> None:
        """Change the given fields of a message (None leaves a field as it is).

        `settled`: the reply is final, so its run handle (nothing left to resume or cancel) and its owner go.
        """
        changes: dict[str, Any] = {}
        if content is not None:
            changes["content"] = content
        if status is not None:
            _check_status(status)
            changes["status"] = status
        if model is not None:
            changes["model"] = model
        if usage is not None:
            changes["usage"] = _usage_json(usage)
        if reasoning is not None:
            changes["reasoning"] = reasoning
        if replay is not None:
            changes["replay"] = json.dumps(replay, sort_keys=True)
        if steps is not None:
            changes["steps"] = json.dumps(steps)
        if citations is not None:
            changes["citations"] = json.dumps(citations)
        if settled:
            changes["run_handle"] = None
            changes["owner"] = None
        self._change_message(message_id, changes, append=None)

    def set_run_handle(self, message_id: str, handle: dict[str, Any]) -> None:
        """Remember a background run's handle with its pending reply (committed at once, before anything
        else happens): a later server resumes the run from it, and a Stop cancels it upstream."""
        self._change_message(message_id, {"run_handle": json.dumps(handle, sort_keys=True)}, append=None)

    def disown(self, message_id: str) -> None:
        """Give up a pending reply (this server is shutting down): another server may resume it at once."""
        self._change_message(message_id, {"owner": None}, append=None)

    def append_to_message(self, message_id: str, text: str) -> None:
        """Append streamed text to a message: a cheap save of a reply in progress."""
        self._change_message(message_id, {}, append=text)

    def get_message(self, message_id: str) -> MessageRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
        return None if row is None else _message(row)

    def get_messages(self, conversation_id: str) -> list[MessageRecord]:
        """All messages of a conversation, oldest first (empty for an unknown conversation)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq",
                (conversation_id,),
            ).fetchall()
        return [_message(row) for row in rows]

    def iter_recent_messages(
        self, conversation_id: str, *, page_size: int = RECENT_PAGE_SIZE
    ) -> Iterator[MessageRecord]:
        """Messages newest first, read lazily a page at a time: stop iterating and nothing more is read.

        Each page is its own short query (no cursor is held open between pages), so a turn costs the same
        with 10 or 10,000 earlier messages.
        """
        before: int | None = None
        while True:
            with self._lock:
                if before is None:
                    rows = self._db.execute(
                        f"SELECT seq, {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?"
                        " ORDER BY seq DESC LIMIT ?",
                        (conversation_id, page_size),
                    ).fetchall()
                else:
                    rows = self._db.execute(
                        f"SELECT seq, {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?"
                        " AND seq < ? ORDER BY seq DESC LIMIT ?",
                        (conversation_id, before, page_size),
                    ).fetchall()
            for row in rows:
                yield _message(row[1:])
            if len(rows) < page_size:
                return
            before = rows[-1][0]

    # --- liveness ----------------------------------------------------------------------------------
    def renew_lease(self) -> None:
        """Tell other servers that this one is alive and still owns its pending replies."""
        with self._write() as db:
            self._renew_lease(db)

    def release_lease(self) -> None:
        """This server is going away: its pending replies are nobody's from now on."""
        with self._write() as db:
            db.execute("DELETE FROM owners WHERE id = ?", (self.owner.id,))

    def settle_orphaned_replies(self, conversation_id: str | None = None) -> list[str]:
        """Mark `pending` replies that no live server owns and nobody can resume as `interrupted` (their text
        kept, Retry allowed); returns their ids. A reply with a background run's handle is never settled here:
        it is resumed instead (`claim_resumable_replies`). Limited to one conversation when given."""
        if not self._has_pending(conversation_id):
            return []  # the common case, answered without taking the write lock
        with self._write() as db:
            orphans = [
                message_id for message_id, handle in self._orphans(db, conversation_id) if handle is None
            ]
            for message_id in orphans:
                db.execute(
                    "UPDATE messages SET status = 'interrupted', owner = NULL, updated_at = ? WHERE id = ?",
                    (utc_now(), message_id),
                )
        return orphans

    def claim_resumable_replies(self) -> list[MessageRecord]:
        """Take over the pending background replies no live server owns (so exactly one server resumes each);
        they are this server's from now on, its lease renewed."""
        if not self._has_pending(None):
            return []
        with self._write() as db:
            claimed = [message_id for message_id, handle in self._orphans(db, None) if handle is not None]
            if claimed:
                self._renew_lease(db)
            for message_id in claimed:
                db.execute("UPDATE messages SET owner = ? WHERE id = ?", (self.owner.id, message_id))
        return [record for record in map(self.get_message, claimed) if record is not None]

    def _has_pending(self, conversation_id: str | None) -> bool:
        query = "SELECT 1 FROM messages WHERE status = 'pending'"
        params: tuple[str, ...] = ()
        if conversation_id is not None:
            query += " AND conversation_id = ?"
            params = (conversation_id,)
        with self._lock:
            return self._db.execute(query + " LIMIT 1", params).fetchone() is not None

    def _orphans(self, db: sqlite3.Connection, conversation_id: str | None) -> list[tuple[str, str | None]]:
        """(id, run handle) of the pending replies whose owner is gone; inside a write transaction."""
        query = "SELECT id, owner, run_handle FROM messages WHERE status = 'pending'"
        params: tuple[str, ...] = ()
        if conversation_id is not None:
            query += " AND conversation_id = ?"
            params = (conversation_id,)
        pending = db.execute(query, params).fetchall()
        if not pending:
            return []
        now = utc_now()
        live = {
            owner_id
            for owner_id, host, pid, expires in db.execute("SELECT id, host, pid, lease_expires FROM owners")
            if owner_id == self.owner.id
            or owner_is_alive(host, pid, expires, now=now, this_host=self.owner.host)
        }
        return [(message_id, handle) for message_id, owner, handle in pending if owner not in live]

    def _renew_lease(self, db: sqlite3.Connection) -> None:
        expires = (datetime.now(timezone.utc) + timedelta(seconds=LEASE_SECONDS)).strftime(_TIME_FORMAT)
        db.execute(
            "INSERT INTO owners (id, host, pid, lease_expires) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET lease_expires = excluded.lease_expires",
            (self.owner.id, self.owner.host, self.owner.pid, expires),
        )

    # --- export ----------------------------------------------------------------------------------
    def export_markdown(self, conversation_id: str) -> str:
        """The conversation as Markdown (for `chatls.exportConversation`)."""
        conversation = self.get_conversation(conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        return conversation_markdown(conversation, self.get_messages(conversation_id))

    # --- LessonStore -----------------------------------------------------------------------------
    def load_lessons(self, endpoint: str, deployment: str) -> dict[str, Any]:
        """Lessons learnt for a deployment; `{}` when there are none (or the stored JSON is unreadable)."""
        with self._lock:
            row = self._db.execute(
                "SELECT lessons FROM lessons WHERE endpoint = ? AND deployment = ?", (endpoint, deployment)
            ).fetchone()
        if row is None:
            return {}
        try:
            value = json.loads(row[0])
        except ValueError:
            return {}
        return cast(dict[str, Any], value) if isinstance(value, dict) else {}

    def save_lessons(self, endpoint: str, deployment: str, lessons: dict[str, Any]) -> None:
        """Replace the lessons of a deployment (JSON-serialisable values only)."""
        text = json.dumps(lessons, sort_keys=True)
        with self._write() as db:
            db.execute(
                "INSERT INTO lessons (endpoint, deployment, lessons, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (endpoint, deployment) DO UPDATE"
                " SET lessons = excluded.lessons, updated_at = excluded.updated_at",
                (endpoint, deployment, text, utc_now()),
            )

    # --- internals -------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, holding SQLite's write lock from the start (no upgrade deadlock)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        self.checkpointer.wrote()

    def _change_message(self, message_id: str, changes: dict[str, Any], append: str | None) -> None:
        now = utc_now()
        assignments = [f"{column} = ?" for column in changes]  # column names are ours, never the caller's
        values: list[Any] = list(changes.values())
        if append is not None:
            assignments.append("content = content || ?")
            values.append(append)
        assignments.append("updated_at = ?")
        values.append(now)
        with self._write() as db:
            row = db.execute("SELECT conversation_id FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                raise MessageNotFound(message_id)
            db.execute(f"UPDATE messages SET {', '.join(assignments)} WHERE id = ?", (*values, message_id))
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, row[0]))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {sorted(ROLES)}, got {role!r}")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {sorted(STATUSES)}, got {status!r}")


def _usage_json(usage: dict[str, Any] | None) -> str | None:
    return None if usage is None else json.dumps(usage, sort_keys=True)


def _message(row: tuple[Any, ...]) -> MessageRecord:
    fields = dict(zip(_MESSAGE_FIELDS, row, strict=True))
    for name in ("usage", "replay", "run_handle", "steps", "citations", "attachments"):
        text = fields[name]
        fields[name] = None if text is None else json.loads(text)
    return MessageRecord(**fields)


def _insert_conversation(db: sqlite3.Connection, workspace_uri: str, title: str) -> str:
    conversation_id = uuid.uuid4().hex
    now = utc_now()
    db.execute(
        "INSERT INTO conversations (id, workspace_uri, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        (conversation_id, normalise_uri(workspace_uri), title, now, now),
    )
    return conversation_id


def _insert_message(
    db: sqlite3.Connection,
    conversation_id: str,
    role: str,
    content: str,
    status: str,
    *,
    profile: str | None = None,
    model: str | None = None,
    usage: dict[str, Any] | None = None,
    attachment: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    reply_to: str | None = None,
    owner: str | None = None,
) -> str:
    """Append a message inside the caller's write transaction and bump the conversation's `updated_at`."""
    message_id = uuid.uuid4().hex
    now = utc_now()
    touched = db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
    if touched.rowcount == 0:
        raise ConversationNotFound(conversation_id)
    row = {
        "id": message_id,
        "conversation_id": conversation_id,
        "role": role,
        "content": content,
        "status": status,
        "profile": profile,
        "model": model,
        "usage": _usage_json(usage),
        "attachment": attachment,
        "created_at": now,
        "updated_at": now,
        "reasoning": "",
        "replay": None,
        "run_handle": None,
        "reply_to": reply_to,
        "owner": owner,
        "steps": None,
        "citations": None,
        "attachments": None if attachments is None else json.dumps(attachments),
    }
    db.execute(_INSERT_MESSAGE, row)
    return message_id
