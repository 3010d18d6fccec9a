"""What was attached to a question, as sent and as stored. Pure: no I/O, no server.

Each attachment travels as its own content part of the user message, before the prompt: Azure refuses any
one string over 1,048,576 characters (`string_above_max_length`), so a 1 MB file and a diff joined into one
string would be refused where two parts each pass. An attachment that is over the limit on its own can
never be sent, and is refused before anything is stored (`too_long`).

A question stores its attachments once: their texts joined (the message's `attachment`, readable as it
always was) and beside them what each one was (`attachments`: kind, label, name, lines and length), so Retry
sends the same parts again and the conversation, Export and `chatls conversations show` can list them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chatls.azure.types import MAX_STRING_CHARS

SEPARATOR = "\n\n"
"""Between two attachments in the stored `attachment` text (never sent: each part goes on its own)."""


@dataclass(frozen=True)
class Attached:
    """One attachment of a question: a content part of its own."""

    label: str
    """What was attached, for people: "file src/app.py", "diff (staged)", "problems in src/app.py"."""
    text: str
    """What the model reads."""
    kind: str = "text"
    """The context item's kind ("file", "range", "diff", …); "selection" for a chat's `context` or a code
    action's selection."""
    name: str | None = None
    """The file or folder, relative to its workspace folder, when the attachment is one (or part of one)."""
    lines: tuple[int, int] | None = None
    """The first and last line attached (1-based), when it is part of a file."""


def too_long(attached: Attached) -> str | None:
    """Why Azure would refuse this attachment whatever else is sent (the message, without a location), or
    None when it can be sent."""
    if len(attached.text) <= MAX_STRING_CHARS:
        return None
    return (
        f"{attached.label} is {len(attached.text):,} characters as sent; Azure takes at most "
        f"{MAX_STRING_CHARS:,} characters in one part of a message (string_above_max_length), so it can "
        "never be sent: attach a range of it instead"
    )


def stored(attached: Sequence[Attached]) -> tuple[str | None, list[dict[str, Any]] | None]:
    """The two columns a question keeps: the texts joined, and what each one was (with its length)."""
    if not attached:
        return None, None
    return SEPARATOR.join(a.text for a in attached), [_described(a) for a in attached]


def restored(text: str | None, described: Sequence[Mapping[str, Any]] | None) -> tuple[Attached, ...]:
    """The attachments as they were sent, from the stored columns.

    A question stored before attachments were described (or whose description does not add up to its text)
    gives one attachment holding the whole text: it is sent again as it was then, as one part.
    """
    if not text:
        return ()
    # Read from the database: anything but a list of objects is not trusted.
    items = [item for item in described if isinstance(item, Mapping)] if isinstance(described, list) else []
    lengths = [n for n in (item.get("chars") for item in items) if isinstance(n, int) and n >= 0]
    joined_length = sum(lengths) + len(SEPARATOR) * (len(items) - 1)
    if not items or len(lengths) != len(items) or joined_length != len(text):
        return (Attached("attached context", text, kind="context"),)
    if len(items) == 1:
        return (_from_description(items[0], text),)  # no copy of a large text
    parts: list[Attached] = []
    start = 0
    for item, length in zip(items, lengths, strict=True):
        parts.append(_from_description(item, text[start : start + length]))
        start += length + len(SEPARATOR)
    return tuple(parts)


def texts(attached: Iterable[Attached]) -> tuple[str, ...]:
    """The content parts, in order."""
    return tuple(a.text for a in attached)


def summary(attached: Attached) -> str:
    """One line for people: "file src/app.py", "range src/app.py, lines 3–9", "diff (working tree)"."""
    if attached.name is None:
        return attached.label
    lines = f", lines {attached.lines[0]}–{attached.lines[1]}" if attached.lines else ""
    return f"{attached.kind} {attached.name}{lines}"


def _described(attached: Attached) -> dict[str, Any]:
    described: dict[str, Any] = {"kind": attached.kind, "label": attached.label, "chars": len(attached.text)}
    if attached.name is not None:
        described["name"] = attached.name
    if attached.lines is not None:
        described["lines"] = list(attached.lines)
    return described


def _from_description(item: Mapping[str, Any], text: str) -> Attached:
    kind, label, name, lines = (item.get(key) for key in ("kind", "label", "name", "lines"))
    first_last = (
        (lines[0], lines[1])
        if isinstance(lines, list) and len(lines) == 2 and all(isinstance(n, int) for n in lines)
        else None
    )
    return Attached(
        label if isinstance(label, str) else "attached context",
        text,
        kind=kind if isinstance(kind, str) else "context",
        name=name if isinstance(name, str) else None,
        lines=first_last,
    )
