"""The row format of capabilities.toml and of a user's models.toml: which keys, of which type.

`row_problems` lists every problem of a raw row (one per bad key) so a user's file can be reported key by
key; the packaged table raises on the first. `merge_like` applies `like = "OTHER"` (start from another
row, then override), so a user row for a new model can be a single line plus its differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

_SAMPLING = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_VERBOSITY = ("low", "medium", "high")
_WIRES = ("chat", "responses")
_DATE_KEYS = ("deprecated", "retires")
REQUIRED = (
    "reasoning",
    "instructions",
    "streaming",
    "token_parameter",
    "context_window",
    "max_output_tokens",
)
"""Keys every row needs once `like` is applied."""


@dataclass(frozen=True)
class RowProblem:
    """One bad key of one row: `[models."my-model"].context_window: expected a positive integer`."""

    family: str
    key: str
    reason: str

    def __str__(self) -> str:
        where = f'[models."{self.family}"].{self.key}' if self.family else f"[{self.key}]"
        return f"{where}: {self.reason}"


Check = Callable[[Any], str | None]
"""A key's check: None when the value is right, else the reason."""


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "expected a string"


def _positive(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else "expected a positive integer"


def _one_of(*options: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in options else f"expected one of {', '.join(options)}"

    return check


def _list_of(options: tuple[str, ...] | None, *, non_empty: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return "expected a list of strings"
        if non_empty and not value:
            return "expected at least one value"
        bad = [item for item in value if options is not None and item not in options]
        return f"unknown value {bad[0]!r}; expected some of {', '.join(options or ())}" if bad else None

    return check


def _date(value: Any) -> str | None:
    if isinstance(value, date):
        return None
    if isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return None
    return "expected a date, e.g. 2027-02-09"


def _table(value: Any) -> str | None:
    return None if isinstance(value, Mapping) else "expected a table of versions"


KEYS: dict[str, Check] = {
    "like": _text,
    "aliases": _list_of(None),
    "match": _bool,
    "reasoning": _bool,
    "instructions": _one_of("system", "developer", "fold"),
    "streaming": _bool,
    "sampling": _list_of(_SAMPLING),
    "token_parameter": _one_of("max_tokens", "max_completion_tokens"),
    "reasoning_efforts": _list_of(_EFFORTS),
    "responses_only_efforts": _list_of(_EFFORTS),
    "default_reasoning_effort": _text,
    "verbosity": _list_of(_VERBOSITY),
    "tools": _bool,
    "parallel_tool_calls": _bool,
    "tools_with_effort_on_chat": _bool,
    "images": _bool,
    "context_window": _positive,
    "max_input_tokens": _positive,
    "max_output_tokens": _positive,
    "min_api_version": _text,
    "wires": _list_of(_WIRES, non_empty=True),
    "reasoning_summaries": _bool,
    "encrypted_reasoning": _bool,
    "background": _bool,
    "router": _bool,
    "data_sources": _bool,
    "deprecated": _date,
    "retires": _date,
    "retired": _bool,
    "replacement": _text,
    "source": _text,
    "notes": _text,
    "versions": _table,
}
_ONE_MODEL_ONLY = ("aliases", "versions", "deprecated", "retires", "retired", "replacement", "notes")
_NOT_PER_VERSION = frozenset({"like", "aliases", "match", "versions", "source"})


def row_problems(family: str, raw: Any, *, known: Mapping[str, Any], user: bool) -> list[RowProblem]:
    """Every problem of one raw row: not a table, unknown keys, wrong types, a `like` naming no row."""
    if not isinstance(raw, Mapping):
        return [RowProblem(family, "", "expected a table of keys")]
    problems = _key_problems(family, raw, "")
    versions = raw.get("versions")
    if isinstance(versions, Mapping):
        for version, override in versions.items():
            where = f"versions.{version}."
            if not isinstance(override, Mapping):
                problems.append(RowProblem(family, where.rstrip("."), "expected a table of keys"))
                continue
            fixed = [RowProblem(family, where + key, "cannot differ per version") for key in override]
            problems.extend(p for p in fixed if p.key[len(where) :] in _NOT_PER_VERSION)
            problems.extend(_key_problems(family, override, where))
    like = raw.get("like")
    if isinstance(like, str) and (like not in known or (like == family and not user)):
        problems.append(RowProblem(family, "like", f"names no other row: {like!r}"))
    if not user and not raw.get("source"):
        problems.append(RowProblem(family, "source", "every row must cite a source"))
    return problems


def _key_problems(family: str, raw: Mapping[str, Any], prefix: str) -> list[RowProblem]:
    problems: list[RowProblem] = []
    for key, value in raw.items():
        check = KEYS.get(key)
        if check is None:
            problems.append(RowProblem(family, prefix + key, "unknown key"))
            continue
        reason = check(value)
        if reason is not None:
            problems.append(RowProblem(family, prefix + key, reason))
    return problems


def merge_like(
    family: str,
    raw: Mapping[str, Any],
    rows: Mapping[str, Any],
    depth: int = 0,
    *,
    keep_lifecycle: bool = False,
) -> dict[str, Any]:
    """The row with `like` applied (recursively, at most 8 deep) and its dates as ISO text.

    Names, versions and lifecycle belong to one model and are not copied, except when a user row starts
    from the packaged row of its own name (`keep_lifecycle`, with `rows[family]` that packaged row)."""
    like = raw.get("like")
    merged: dict[str, Any] = {}
    own = like == family and keep_lifecycle
    if isinstance(like, str) and like in rows and (like != family or own) and depth < 8:
        merged = merge_like(like, rows[like], rows, depth + 1) if not own else dict(rows[like])
        for inherited in () if own else _ONE_MODEL_ONLY:
            merged.pop(inherited, None)
    merged.update(raw)
    for key in _DATE_KEYS:
        if isinstance(merged.get(key), date):
            merged[key] = merged[key].isoformat()
    for override in (merged.get("versions") or {}).values():
        for key in _DATE_KEYS:
            if isinstance(override.get(key), date):
                override[key] = override[key].isoformat()
    return merged


def check_row(family: str, row: Mapping[str, Any], *, raise_on_problem: bool = True) -> RowProblem | None:
    """The first key a complete row lacks (after `like`), raised as ValueError for the packaged table."""
    for key in REQUIRED:
        if key not in row:
            problem = RowProblem(family, key, "missing (give it, or start from another row with `like`)")
            if raise_on_problem:
                raise ValueError(f"capability row {family!r}: {problem}")
            return problem
    return None
