"""`chatls conversations`: list, show, export and delete the stored conversations from a terminal.

It reads the same database the server writes (the `stateDir` of the config file and environment, else the
per-user state directory); SQLite's write-ahead log lets it do so while editors are running. A conversation
is named by its id or any unique start of it (the list shows the first 8 characters).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatls.store import ConversationStore

SHORT_ID = 8
"""Characters of an id the list shows; any unique prefix is accepted back."""
_STATUS_NOTES = {
    "cancelled": "(cancelled before it finished)",
    "error": "(failed before it finished)",
    "truncated": "(cut short by the token limit)",
    "pending": "(still being written)",
    "interrupted": "(interrupted: no server was writing it any more)",
}


class ConversationsError(Exception):
    """Something the user can fix: an unknown or ambiguous id, an invalid configuration (exit status 1)."""


@dataclass(frozen=True)
class Listed:
    id: str
    title: str
    workspace_uri: str
    updated_at: str
    message_count: int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="conversations, most recent first (the default)")
    _add_list_options(listing)
    _add_list_options(parser)  # `chatls conversations` alone lists
    show = actions.add_parser("show", help="print a conversation")
    show.add_argument("id", help="conversation id (or a unique start of it)")
    export = actions.add_parser("export", help="a conversation as Markdown")
    export.add_argument("id", help="conversation id (or a unique start of it)")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    delete = actions.add_parser("delete", help="delete a conversation and its messages")
    delete.add_argument("id", help="conversation id (or a unique start of it)")


def _add_list_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", metavar="DIR", help="only conversations of this workspace folder")
    parser.add_argument("--limit", type=int, default=20, help="at most this many (default 20; 0: all)")


def run(args: argparse.Namespace) -> int:
    try:
        with _open_store() as store:
            action = args.action or "list"
            if action == "list":
                _list(store, args.workspace, args.limit)
            elif action == "show":
                _show(store, resolve_id(store.path, args.id))
            elif action == "export":
                _export(store, resolve_id(store.path, args.id), args.output)
            else:
                _delete(store, resolve_id(store.path, args.id))
    except ConversationsError as exc:
        _say(f"chatls conversations: {exc}")
        return 1
    return 0


# --- the database ----------------------------------------------------------------------------------------
def state_dir() -> Path:
    """The state directory the server uses with the config file and environment as they are now."""
    from chatls import config

    layers, errors = config.base_layers(None)
    resolved = config.resolve_settings(layers)
    problems = [str(error) for error in (*errors, *resolved.errors)]
    if problems:
        raise ConversationsError("; ".join(problems))
    return resolved.settings.resolved_state_dir()


@contextmanager
def _open_store() -> Iterator[ConversationStore]:
    from chatls.store import ConversationStore

    with ConversationStore.open(state_dir()) as store:
        yield store


def listed(database: Path, workspace_uri: str | None = None, limit: int = 0) -> list[Listed]:
    """Conversations of every workspace (or of one), most recently updated first."""
    import sqlite3  # here, not at the top: `chatls serve` imports this module to build its parser

    query = "SELECT id, title, workspace_uri, updated_at, message_count FROM conversations"
    values: list[object] = []
    if workspace_uri is not None:
        query += " WHERE workspace_uri = ?"
        values.append(workspace_uri)
    query += " ORDER BY updated_at DESC, rowid DESC LIMIT ?"
    values.append(limit if limit > 0 else -1)
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
        return [Listed(*row) for row in db.execute(query, values).fetchall()]


def latest_conversation_id() -> str | None:
    """The most recently updated conversation of any workspace (`chatls ask --continue`)."""
    with _open_store() as store:
        rows = listed(store.path, limit=1)
    return rows[0].id if rows else None


def resolve_id(database: Path, given: str) -> str:
    """The full id of the conversation `given` names (whole or a unique start)."""
    import sqlite3

    prefix = given.strip().lower()
    if not prefix:
        raise ConversationsError("the conversation id is empty")
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        ids = [row[0] for row in db.execute(
            "SELECT id FROM conversations WHERE id LIKE ? ESCAPE '\\' LIMIT 3", (escaped + "%",)
        )]  # fmt: skip
    if not ids:
        raise ConversationsError(f"no conversation {given!r} (see `chatls conversations`)")
    if len(ids) > 1:
        raise ConversationsError(f"{given!r} names more than one conversation; give more of its id")
    return str(ids[0])


# --- the actions ---------------------------------------------------------------------------------------
def _list(store: ConversationStore, workspace: str | None, limit: int) -> None:
    from chatls.workspaces import NO_FOLDER, normalise_uri

    folder = None
    if workspace:
        path = Path(workspace).expanduser().resolve()
        if not path.is_dir():
            raise ConversationsError(f"--workspace {workspace}: not a directory")
        folder = normalise_uri(path.as_uri())
    rows = listed(store.path, folder, limit)
    if not rows:
        _say("no conversations yet; start one with: chatls ask QUESTION")
        return
    for row in rows:
        where = "" if folder else f"  [{_workspace_label(row.workspace_uri, NO_FOLDER)}]"
        count = f"{row.message_count} message{'' if row.message_count == 1 else 's'}"
        _out(f"{row.id[:SHORT_ID]}  {_when(row.updated_at)}  {count:>12}  {_one_line(row.title)}{where}")


def _show(store: ConversationStore, conversation_id: str) -> None:
    from chatls.attachments import restored, summary

    conversation = store.get_conversation(conversation_id)
    if conversation is None:  # deleted since its id was resolved
        raise ConversationsError(f"no conversation {conversation_id!r}")
    _out(f"# {_one_line(conversation.title) or 'Untitled conversation'}  ({conversation.id})")
    for message in store.get_messages(conversation_id):
        who = "You" if message.role == "user" else f"ChatLS{f' ({message.model})' if message.model else ''}"
        _out(f"\n## {who} · {_when(message.created_at)}\n")
        if message.reasoning:
            _out(f"Thinking: {message.reasoning.strip()}\n")
        _out(message.content.rstrip("\n") or "(empty)")
        attached = restored(message.attachment, message.attachments)
        if attached:
            _out("\nAttached:")
            for item in attached:
                _out(f"  - {_one_line(summary(item))}")
        note = _STATUS_NOTES.get(message.status)
        if note:
            _out(note)


def _export(store: ConversationStore, conversation_id: str, output: str | None) -> None:
    markdown: str = store.export_markdown(conversation_id)
    if output is None:
        sys.stdout.write(markdown)
        return
    target = Path(output).expanduser()
    try:
        target.write_text(markdown, encoding="utf-8")
    except OSError as exc:
        raise ConversationsError(f"cannot write {output}: {exc.strerror}") from None
    _say(f"chatls conversations: exported {conversation_id} to {target}")


def _delete(store: ConversationStore, conversation_id: str) -> None:
    store.delete_conversation(conversation_id)
    _say(f"chatls conversations: deleted {conversation_id}")


def _workspace_label(uri: str, no_folder: str) -> str:
    if uri == no_folder:
        return "no folder"
    if uri.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(uri).path)
    return uri


def _when(iso: str) -> str:
    """`2026-11-21T23:04:05.123456Z` -> `2026-11-21 23:04` (UTC, as stored)."""
    return iso[:16].replace("T", " ")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
