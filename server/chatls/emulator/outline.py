"""The shape of a body too large to log whole: every string cut to its start, so a test can still see which
messages and content parts were sent, in what order, and how long each text was."""

from __future__ import annotations

from typing import Any

KEPT_CHARS = 256
"""Characters kept from the start of a long string."""
MAX_OUTLINE_CHARS = 64 * 1024
"""An outline larger than this (a body of many short strings) is not kept: the log stays bounded."""


class _TooLarge(Exception):
    pass


def outline(body: Any) -> Any | None:
    """`body` with each string over KEPT_CHARS cut to `"<its start>…[N characters]"`; None when even that
    is over MAX_OUTLINE_CHARS."""
    left = [MAX_OUTLINE_CHARS]
    try:
        return _cut(body, left)
    except _TooLarge:
        return None


def _cut(value: Any, left: list[int]) -> Any:
    if isinstance(value, str):
        kept = value if len(value) <= KEPT_CHARS else f"{value[:KEPT_CHARS]}…[{len(value):,} characters]"
        _spend(left, len(kept))
        return kept
    if isinstance(value, dict):
        _spend(left, len(value))
        return {key: _cut(item, left) for key, item in value.items()}
    if isinstance(value, list):
        _spend(left, len(value))
        return [_cut(item, left) for item in value]
    return value


def _spend(left: list[int], amount: int) -> None:
    left[0] -= amount
    if left[0] < 0:
        raise _TooLarge
