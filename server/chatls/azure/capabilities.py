"""The capability table (capabilities.toml, plus the user's models.toml) and model resolution.

Resolution order (the issue's): the profile's `model`; else the deployment name when it names one model;
else the model Azure reported for this deployment (the `model` field of a response, remembered as a
lesson); else the conservative "unknown" row, which self-healing then refines.

Each name is looked up in three steps: a row of that exact name (or alias); else, for a name no row lists,
the nearest row of the same line and variant at a lower generation (`inference.nearest_row`, marked
"inferred"); else nothing. So only a name with no recognisable line is "unknown".

Two exceptions to the order. Deployment names are chosen by users and go stale: once Azure has reported
a model of a *different* family than the name suggests, the report wins (the client says so in a note).
And a model-router deployment (a `router` row) is never re-typed by a report: each reply reports whichever
model the router picked, and re-typing would change the request's shape on every turn.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from chatls.azure.inference import nearest_row
from chatls.azure.naming import ModelName, find_model_name, parse_model_name, split_version
from chatls.azure.rows import RowProblem, check_row, merge_like, row_problems
from chatls.azure.types import ModelCapabilities

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

UNKNOWN = "unknown"
Resolution = Literal["table", "inferred", "user", "unknown"]


@dataclass(frozen=True)
class CapabilityTable:
    rows: dict[str, dict[str, Any]]
    """Family name -> row as in the TOML file, with `like` already applied."""
    names: tuple[tuple[str, str], ...]
    """(lower-case spelling, family) for name matching, longest spelling first."""
    parsed: tuple[tuple[ModelName, str], ...] = ()
    """(the row's name read by naming.py, family) for every matchable row: what inference searches."""
    user_rows: frozenset[str] = frozenset()
    """Rows that came from the user's models file (shown as resolution "user")."""
    spellings: dict[str, str] = field(default_factory=dict)
    """Exact lower-case spelling -> family (names and aliases)."""
    prepared: dict[tuple[str, str | None, bool], tuple[dict[str, Any], dict[str, Any]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Rows turned into ModelCapabilities fields, per (family, listed version, inferred): built once."""

    def row(self, family: str) -> dict[str, Any]:
        return self.rows[family]

    def with_user_rows(self, user_rows: Mapping[str, dict[str, Any]]) -> CapabilityTable:
        """This table with the user's rows added; a user row replaces a table row of the same name."""
        if not user_rows:
            return self
        return _index({**self.rows, **user_rows}, user_rows=frozenset(user_rows))


def load_capabilities() -> CapabilityTable:
    """The packaged table, parsed and checked once per process."""
    return _load_packaged()


@lru_cache(maxsize=1)
def _load_packaged() -> CapabilityTable:
    text = resources.files("chatls.azure").joinpath("capabilities.toml").read_text(encoding="utf-8")
    return parse_table(text)


def parse_table(text: str) -> CapabilityTable:
    """Parse and check a capability table; a malformed row is a ValueError naming the family and key."""
    families = tomllib.loads(text).get("families")
    if not isinstance(families, dict) or UNKNOWN not in families:
        raise ValueError("capability table needs [families.*] rows including [families.unknown]")
    rows: dict[str, dict[str, Any]] = {}
    for family, raw in families.items():
        problems = row_problems(family, raw, known=families, user=False)
        if problems:
            first = problems[0]
            raise ValueError(f"capability row {family!r}: {first.key or 'row'}: {first.reason}")
        rows[family] = merge_like(family, raw, families)
        check_row(family, rows[family])
    return _index(rows)


def parse_user_rows(
    text: str, base: CapabilityTable, source: str
) -> tuple[dict[str, dict[str, Any]], list[RowProblem]]:
    """The rows of a user's models.toml (same format, `[families.NAME]` or `[models.NAME]`) and every
    problem, one per bad key; a row with a problem is left out, the others are kept."""
    data = tomllib.loads(text)
    problems: list[RowProblem] = []
    extra = set(data) - {"families", "models"}
    problems.extend(
        RowProblem("", key, "unknown top-level table; use [models.NAME]") for key in sorted(extra)
    )
    raw_rows = {
        str(name).lower(): raw
        for section in ("families", "models")
        if isinstance(data.get(section), dict)
        for name, raw in data[section].items()
    }
    rows: dict[str, dict[str, Any]] = {}
    for family, raw in raw_rows.items():
        row_issues = row_problems(family, raw, known={**base.rows, **raw_rows}, user=True)
        if row_issues:
            problems.extend(row_issues)
            continue
        # `like` its own name starts from the packaged row of that name
        donors = base.rows if raw.get("like") == family else {**base.rows, **raw_rows}
        merged = merge_like(family, {"source": source, **raw}, donors, keep_lifecycle=True)
        missing = check_row(family, merged, raise_on_problem=False)
        if missing:
            problems.append(missing)
            continue
        rows[family] = merged
    return rows, problems


def _index(rows: dict[str, dict[str, Any]], user_rows: frozenset[str] = frozenset()) -> CapabilityTable:
    names: list[tuple[str, str]] = []
    parsed: list[tuple[ModelName, str]] = []
    for family, row in rows.items():
        if not row.get("match", True):
            continue
        names.extend((spelling.lower(), family) for spelling in [family, *row.get("aliases", [])])
        read = parse_model_name(family)
        if read is not None:
            parsed.append((read, family))
    names.sort(key=lambda item: -len(item[0]))
    spellings = {spelling: family for spelling, family in reversed(names)}
    return CapabilityTable(
        rows=rows, names=tuple(names), parsed=tuple(parsed), user_rows=user_rows, spellings=spellings
    )


def split_model_version(model: str) -> tuple[str, str | None]:
    """ "gpt-4o-2024-08-06" -> ("gpt-4o", "2024-08-06"); "gpt-35-turbo-0125" -> ("gpt-35-turbo", "0125")."""
    return split_version(model)


def family_in_name(name: str, table: CapabilityTable | None = None) -> str | None:
    """The one family a deployment or model name spells out, or None.

    A spelling counts when it stands alone: at the start or after a separator, and followed by the end or
    a separator other than "." (so "gpt-5.2" does not count as "gpt-5"). Spellings inside a longer match
    are ignored ("gpt-4o-mini" is not also "gpt-4o"); two different families left over are ambiguous.
    """
    table = table or load_capabilities()
    lowered = name.lower()
    spans: list[tuple[int, int, str]] = []
    for spelling, family in table.names:
        start = lowered.find(spelling)
        while start != -1:
            end = start + len(spelling)
            standalone = (start == 0 or not lowered[start - 1].isalnum()) and (
                end == len(lowered) or not (lowered[end].isalnum() or lowered[end] == ".")
            )
            if standalone and not any(s <= start and end <= e for s, e, _ in spans):
                spans.append((start, end, family))
            start = lowered.find(spelling, start + 1)
    families = {family for _, _, family in spans}
    return families.pop() if len(families) == 1 else None


@dataclass(frozen=True)
class Identified:
    """What a name stands for: the row, the version it named, and whether the row was inferred."""

    family: str
    version: str | None
    inferred_for: str | None = None
    """The name's base when no row lists it ("gpt-5.9-mini"), else None."""


def identify(name: str | None, table: CapabilityTable, *, deployment: bool = False) -> Identified | None:
    """The row a model name (or, with `deployment`, a deployment name) stands for, or None.

    A row of the exact name wins; then, in a deployment name, a family spelled out at least as long as
    the model name read from it ("gpt-7-foo-prod" is the user's row gpt-7-foo, but "gpt-5.5-pro-east" is
    not gpt-5.5: a -pro never falls into its base); then the nearest row for the name read.
    """
    if not name:
        return None
    read = find_model_name(name) if deployment else parse_model_name(name)
    base, version = split_version(name.strip().lower())
    for spelling, named_version in ((read.base, read.version) if read else ("", None), (base, version)):
        exact = table.spellings.get(spelling)
        if exact is not None and exact != UNKNOWN:
            return Identified(exact, named_version)
    # every packaged spelling is a readable name, found above; user rows and aliases may not be
    if read is None or (deployment and table.user_rows):
        spelled = family_in_name(name, table)
        if spelled is not None and (read is None or len(spelled) >= len(read.base)):
            return Identified(spelled, read.version if read else version)
    if read is None:
        return None
    donor = nearest_row(read, table.parsed)
    return Identified(donor, read.version, inferred_for=read.base) if donor is not None else None


def capabilities_for_family(
    family: str,
    *,
    version: str | None = None,
    model: str = "",
    resolved_from: str = "table",
    context_window: int | None = None,
    table: CapabilityTable | None = None,
    inferred_for: str | None = None,
) -> ModelCapabilities:
    """Build ModelCapabilities from a row (with its per-version overrides and a context-window override).

    An inferred row keeps its donor's request rules but none of its lifecycle (the new model is not the
    donor's retirement), and the smaller GPT-5 window unless the profile says otherwise (catalogue:
    "assume 400k/272k unless the model is known to be a 1.05M flagship").
    """
    table = table or load_capabilities()
    fields, details_base = _prepared(table, family, version, inferred_for is not None)
    window = context_window or fields["context_window"]
    details = {
        **details_base,
        "resolvedFrom": resolved_from,
        "model": model or family,
        "contextWindow": window,
        "contextWindowFrom": "profile" if context_window else "table",
    }
    if inferred_for is not None:
        details.update(inferredFor=inferred_for, inferredFrom=family)
    return ModelCapabilities(
        **{
            **fields,
            "context_window": window,
            "max_output_tokens": min(fields["max_output_tokens"], window),
            "details": details,
            "model": model or family,
        }
    )


def _prepared(
    table: CapabilityTable, family: str, version: str | None, inferred: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ModelCapabilities fields and the details of one row (version, inferred), built once per table."""
    overrides = table.row(family).get("versions", {})
    key = (family, version if version in overrides else None, inferred)
    cached = table.prepared.get(key)
    if cached is not None:
        return cached
    row = {name: value for name, value in table.row(family).items() if name != "versions"}
    if key[1] is not None:
        row.update(overrides[key[1]])
    resolution: Resolution = "table"
    if family == UNKNOWN:
        resolution = "unknown"
    elif inferred:
        resolution = "inferred"
        for name in ("deprecated", "retires", "replacement", "retired"):
            row.pop(name, None)
        if row["context_window"] > _INFERRED_WINDOW[0] and row.get("max_input_tokens"):
            row["context_window"], row["max_input_tokens"] = _INFERRED_WINDOW
    elif family in table.user_rows:
        resolution = "user"
    fields: dict[str, Any] = {
        "family": family,
        "reasoning": bool(row["reasoning"]),
        "streaming": bool(row["streaming"]),
        "context_window": row["context_window"],
        "max_output_tokens": row["max_output_tokens"],
        "max_input_tokens": row.get("max_input_tokens"),
        "instructions": row["instructions"],
        "sampling": frozenset(row.get("sampling", ())),
        "token_parameter": row["token_parameter"],
        "reasoning_efforts": tuple(row.get("reasoning_efforts", ())),
        "responses_only_efforts": tuple(row.get("responses_only_efforts", ())),
        "verbosity": tuple(row.get("verbosity", ())),
        "min_api_version": row.get("min_api_version", ""),
        "wires": tuple(row.get("wires", ("chat",))),
        "reasoning_summaries": bool(row.get("reasoning_summaries", False)),
        "encrypted_reasoning": bool(row.get("encrypted_reasoning", False)),
        "background": bool(row.get("background", False)),
        "tools": bool(row.get("tools", False)),
        "parallel_tool_calls": bool(row.get("parallel_tool_calls", False)),
        "tools_with_effort_on_chat": bool(row.get("tools_with_effort_on_chat", True)),
        "router": bool(row.get("router", False)),
        "data_sources": bool(row.get("data_sources", False)),
        "resolution": resolution,
        "deprecated": row.get("deprecated"),
        "retires": row.get("retires"),
        "replacement": row.get("replacement"),
    }
    details = {name: value for name, value in row.items() if name not in ("match", "like", "aliases")}
    details["resolution"] = resolution
    table.prepared[key] = (fields, details)
    return fields, details


_INFERRED_WINDOW = (400_000, 272_000)


def resolve_capabilities(
    *,
    model: str | None = None,
    deployment: str | None = None,
    observed_model: str | None = None,
    context_window: int | None = None,
    table: CapabilityTable | None = None,
) -> ModelCapabilities:
    """Capabilities for a deployment: profile model, deployment name, reported model, else unknown.

    A reported model overrides the deployment name only when their families disagree, and never a router.
    """
    table = table or load_capabilities()
    by_profile = identify(model, table)
    by_name = None if by_profile else identify(deployment, table, deployment=True)
    by_report = None if by_profile or _is_router(by_name, table) else identify(observed_model, table)
    chosen: tuple[str, str, Identified] | None = None
    if model and by_profile:
        chosen = ("profile", model, by_profile)
    elif deployment and by_name and _is_router(by_name, table):
        chosen = ("deployment name", deployment, by_name)
    elif deployment and by_name and (by_report is None or by_report.family == by_name.family):
        # the name decides the family; a report of the same family adds the exact version
        chosen = (
            ("deployment name", observed_model, by_report)
            if observed_model and by_report
            else ("deployment name", deployment, by_name)
        )
    elif observed_model and by_report:
        chosen = ("response", observed_model, by_report)
    if chosen is None:
        caps = capabilities_for_family(
            UNKNOWN,
            model=model or observed_model or "",
            resolved_from="unknown",
            context_window=context_window,
            table=table,
        )
    else:
        source, name, found = chosen
        caps = capabilities_for_family(
            found.family,
            version=found.version,
            model=name,
            resolved_from=source,
            context_window=context_window,
            table=table,
            inferred_for=found.inferred_for,
        )
        if source == "response" and by_name is not None:
            caps.details["deploymentNameSuggests"] = by_name.family
    if observed_model:
        caps.details["reportedModel"] = observed_model
    return caps


def _is_router(found: Identified | None, table: CapabilityTable) -> bool:
    return found is not None and bool(table.row(found.family).get("router", False))


def resolution_note(caps: ModelCapabilities, deployment: str) -> str | None:
    """The turn note for a model ChatLS does not list: inferred, or not known yet (None for listed rows)."""
    if caps.resolution == "inferred":
        name = caps.details.get("inferredFor") or caps.model
        return (
            f"{deployment} runs {name}, which ChatLS's model table does not list yet; its requests follow "
            f"{caps.family}'s rules (inferred). If they are wrong, add a row to your modelsFile."
        )
    if caps.resolution == "unknown":
        return (
            f"{deployment}: its model is not known yet, so the first request is a conservative one and "
            "Azure's answers teach the rest. Set the profile's model to skip this."
        )
    return None
