"""A conversation as Markdown, for `chatls.exportConversation`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatls.attachments import restored, summary
from chatls.store.records import ConversationRecord, MessageRecord

_STATUS_NOTES = {
    "cancelled": "_The reply was cancelled before it finished._",
    "error": "_The reply failed before it finished._",
    "truncated": "_The reply was cut short by the token limit._",
    "pending": "_The reply was still being written when this was exported._",
    "interrupted": "_The reply was interrupted: the server writing it stopped._",
}


def conversation_markdown(conversation: ConversationRecord, messages: Sequence[MessageRecord]) -> str:
    """Title, where and when, then each message under a role heading: a question with what was attached to
    it (kind, name, lines), a reply with a note when unfinished and its references."""
    lines = [
        f"# {_one_line(conversation.title) or 'Untitled conversation'}",
        "",
        f"- Workspace: `{conversation.workspace_uri}`",
        f"- Started: {conversation.created_at}",
        f"- Updated: {conversation.updated_at}",
    ]
    for message in messages:
        lines += ["", _heading(message), "", message.content.rstrip("\n") or "_(empty)_"]
        attached = restored(message.attachment, message.attachments)
        if attached:
            lines += ["", "Attached:", ""] + [f"- {_one_line(summary(a))}" for a in attached]
        note = _STATUS_NOTES.get(message.status)
        if note is not None:
            lines += ["", note]
        if message.citations:
            lines += ["", "References:", ""] + [_reference(n, c) for n, c in enumerate(message.citations, 1)]
    return "\n".join(lines) + "\n"


def _reference(number: int, citation: Any) -> str:
    """`1. [policy.md](https://…)`: what `[doc1]` in a grounded reply points to."""
    fields = citation if isinstance(citation, dict) else {}
    label = _one_line(str(fields.get("title") or fields.get("filepath") or fields.get("url") or "untitled"))
    url = fields.get("url")
    return f"{number}. [{label}]({url})" if isinstance(url, str) and url else f"{number}. {label}"


def _heading(message: MessageRecord) -> str:
    if message.role == "user":
        return f"## User · {message.created_at}"
    detail = f" ({message.model})" if message.model else ""
    return f"## Assistant{detail} · {message.created_at}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
