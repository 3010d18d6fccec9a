"""The nearest known row for a model name no row lists (catalogue-2026, "How a new generation has related
to its predecessor").

Rules, in order:
- a tier (`-sol`, `-terra`, `-luna`, `-astra`, or a new word after a generation from 5.6 on) behaves like
  the newest tiered release at or below its generation: that release's row of the same tier, else its sol;
- otherwise the same variant at the nearest lower generation (`gpt-5.9-mini` -> gpt-5.4-mini), else the
  nearest higher one; a variant no row has is shortened word by word (`codex-ultra` -> codex);
- a variant that is still unknown falls back to the base model (`gpt-4o-audio` -> gpt-4o), except -pro,
  -codex and -chat: those never fall into their base (they take another request shape), they take the
  same variant from another line (`o5-codex` -> gpt-5-codex);
- a name without a generation (`gpt-chat-next`) takes the newest row of its variant.
Pure: it sees only the names read by naming.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from chatls.azure.naming import TIERS, VARIANT_WORDS, ModelName

_NEVER_BASE = frozenset({"pro", "codex", "chat"})
_FIRST_TIERED = (5, 6)

Rows = Sequence[tuple[ModelName, str]]


def nearest_row(name: ModelName, rows: Rows) -> str | None:
    """The family of the nearest known row for `name`, or None when no row shares its line."""
    same_line = [row for row in rows if row[0].line == name.line]
    if not same_line:
        return None
    variant = name.variant
    if _is_tier(name, same_line):
        tiered = _tiered(name, same_line)
        if tiered is not None:
            return tiered
        variant = ""  # a tier older than every tiered release: the base model of its generation
    candidates = _with_variant(same_line, variant)
    while not candidates and "-" in variant:
        variant = variant.rsplit("-", 1)[0]
        candidates = _with_variant(same_line, variant)
    if not candidates and variant.split("-")[0] in _NEVER_BASE:
        candidates = _with_variant(rows, variant)
    elif not candidates:
        candidates = _with_variant(same_line, "") or same_line
    return _nearest_generation(name, candidates) if candidates else None


def _is_tier(name: ModelName, same_line: Rows) -> bool:
    if name.variant in TIERS:
        return True
    known_variants = {row[0].variant for row in same_line}
    return (
        name.line == "gpt"
        and name.generation_key >= _FIRST_TIERED
        and bool(name.variant)
        and "-" not in name.variant
        and name.variant not in VARIANT_WORDS
        and name.variant not in known_variants
    )


def _tiered(name: ModelName, same_line: Rows) -> str | None:
    key = name.generation_key
    tiered = [row for row in same_line if row[0].variant in TIERS and row[0].generation_key <= key]
    if not tiered:
        return None
    newest = max(row[0].generation_key for row in tiered)
    release = [row for row in tiered if row[0].generation_key == newest]
    for wanted in (name.variant, "sol"):
        for read, family in release:
            if read.variant == wanted:
                return family
    return release[0][1]


def _with_variant(rows: Rows, variant: str) -> list[tuple[ModelName, str]]:
    return [row for row in rows if row[0].variant == variant]


def _nearest_generation(name: ModelName, candidates: Rows) -> str:
    key = name.generation_key
    if not key:
        return max(candidates, key=lambda row: row[0].generation_key)[1]
    lower = [row for row in candidates if row[0].generation_key <= key]
    if lower:
        return max(lower, key=lambda row: row[0].generation_key)[1]
    return min(candidates, key=lambda row: row[0].generation_key)[1]
