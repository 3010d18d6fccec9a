"""The capability table (capabilities.toml) and model resolution.

Resolution order (the issue's): the profile's `model`; else the deployment name when it clearly names one
family; else the model Azure reported for this deployment (the `model` field of a response, remembered as
a lesson); else the conservative "unknown" row, which self-healing then refines.
One exception, because deployment names are chosen by users and can be stale: once Azure has reported a
model of a *different* family than the name suggests, the report wins from then on (the client says so
in an adaptation note). A report of the same family only refines the version.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from chatls.azure.types import ModelCapabilities

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

UNKNOWN = "unknown"
_ROW_KEYS = {
    "aliases",
    "match",
    "reasoning",
    "instructions",
    "streaming",
    "sampling",
    "token_parameter",
    "reasoning_efforts",
    "default_reasoning_effort",
    "verbosity",
    "tools",
    "parallel_tool_calls",
    "images",
    "context_window",
    "max_input_tokens",
    "max_output_tokens",
    "min_api_version",
    "source",
    "notes",
    "versions",
}
_VERSION_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


@dataclass(frozen=True)
class CapabilityTable:
    rows: dict[str, dict[str, Any]]
    """Family name -> row as in the TOML file."""
    names: tuple[tuple[str, str], ...]
    """(lower-case spelling, family) for name matching, longest spelling first."""

    def row(self, family: str) -> dict[str, Any]:
        return self.rows[family]


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
    names: list[tuple[str, str]] = []
    for family, row in families.items():
        _check_row(family, row)
        if row.get("match", True):
            names.extend((spelling.lower(), family) for spelling in [family, *row.get("aliases", [])])
    names.sort(key=lambda item: -len(item[0]))
    return CapabilityTable(rows=families, names=tuple(names))


def _check_row(family: str, row: Any) -> None:
    if not isinstance(row, dict):
        raise ValueError(f"capability row {family!r} must be a table")
    unknown = set(row) - _ROW_KEYS
    if unknown:
        raise ValueError(f"capability row {family!r}: unknown key {sorted(unknown)[0]!r}")
    if not row.get("source"):
        raise ValueError(f"capability row {family!r} must cite a source")
    if row.get("instructions") not in ("system", "developer", "fold"):
        raise ValueError(f"capability row {family!r}: instructions must be system, developer or fold")
    if row.get("token_parameter") not in ("max_tokens", "max_completion_tokens"):
        raise ValueError(
            f"capability row {family!r}: token_parameter must be max_tokens or max_completion_tokens"
        )
    for key in ("context_window", "max_output_tokens"):
        if not isinstance(row.get(key), int) or row[key] <= 0:
            raise ValueError(f"capability row {family!r}: {key} must be a positive integer")


def split_model_version(model: str) -> tuple[str, str | None]:
    """ "gpt-4o-2024-08-06" -> ("gpt-4o", "2024-08-06"); "gpt-35-turbo-0125" -> ("gpt-35-turbo", "0125")."""
    match = _VERSION_SUFFIX.search(model)
    if match is None:
        return model, None
    return model[: match.start()], match[1]


def family_in_name(name: str, table: CapabilityTable | None = None) -> str | None:
    """The one family a deployment or model name clearly names, or None.

    A spelling counts when it stands alone: at the start or after a separator, and followed by the end or
    a separator other than "." (so "gpt-5.2" does not count as "gpt-5"). Spellings inside a longer match
    are ignored ("gpt-4o-mini" is not also "gpt-4o"); two different families left over are ambiguous.
    """
    table = table or load_capabilities()
    lowered = name.lower()
    spans: list[tuple[int, int, str]] = []
    for spelling, family in table.names:
        for match in re.finditer(re.escape(spelling), lowered):
            start, end = match.span()
            if start > 0 and lowered[start - 1].isalnum():
                continue
            if end < len(lowered) and (lowered[end].isalnum() or lowered[end] == "."):
                continue
            if any(s <= start and end <= e for s, e, _ in spans):
                continue
            spans.append((start, end, family))
    families = {family for _, _, family in spans}
    return families.pop() if len(families) == 1 else None


def capabilities_for_family(
    family: str,
    *,
    version: str | None = None,
    model: str = "",
    resolved_from: str = "table",
    context_window: int | None = None,
    table: CapabilityTable | None = None,
) -> ModelCapabilities:
    """Build ModelCapabilities from a row (with its per-version overrides and a context-window override)."""
    table = table or load_capabilities()
    row = dict(table.row(family))
    overrides = row.pop("versions", {})
    if version and version in overrides:
        row.update(overrides[version])
    window = context_window or row["context_window"]
    details = {key: value for key, value in row.items() if key not in ("match",)}
    details.update(resolvedFrom=resolved_from, model=model or family, contextWindow=window)
    return ModelCapabilities(
        family=family,
        reasoning=bool(row["reasoning"]),
        streaming=bool(row["streaming"]),
        context_window=window,
        max_output_tokens=min(row["max_output_tokens"], window),
        details=details,
        max_input_tokens=row.get("max_input_tokens"),
        instructions=row["instructions"],
        sampling=frozenset(row.get("sampling", ())),
        token_parameter=row["token_parameter"],
        reasoning_efforts=tuple(row.get("reasoning_efforts", ())),
        verbosity=tuple(row.get("verbosity", ())),
        min_api_version=row.get("min_api_version", ""),
        model=model or family,
    )


def _named_family(name: str | None, table: CapabilityTable) -> tuple[str, str | None] | None:
    """(family, version) a model or deployment name stands for, or None when it names no single family."""
    if not name:
        return None
    base, version = split_model_version(name)
    lowered = base.lower()
    family = lowered if lowered in table.rows and lowered != UNKNOWN else family_in_name(name, table)
    return (family, version) if family is not None else None


def resolve_capabilities(
    *,
    model: str | None = None,
    deployment: str | None = None,
    observed_model: str | None = None,
    context_window: int | None = None,
    table: CapabilityTable | None = None,
) -> ModelCapabilities:
    """Capabilities for a deployment: profile model, deployment name, reported model, else unknown.

    A reported model overrides the deployment name only when their families disagree.
    """
    table = table or load_capabilities()
    by_profile = _named_family(model, table)
    by_name = _named_family(deployment, table)
    by_report = _named_family(observed_model, table)
    chosen: tuple[str, str, tuple[str, str | None]] | None = None
    if model and by_profile:
        chosen = ("profile", model, by_profile)
    elif deployment and by_name and (by_report is None or by_report[0] == by_name[0]):
        # the name decides the family; a report of the same family adds the exact version
        chosen = (
            ("deployment name", observed_model, by_report)
            if observed_model and by_report
            else ("deployment name", deployment, by_name)
        )
    elif observed_model and by_report:
        chosen = ("response", observed_model, by_report)
    if chosen is None:
        return capabilities_for_family(
            UNKNOWN,
            model=model or observed_model or "",
            resolved_from="unknown",
            context_window=context_window,
            table=table,
        )
    source, name, (family, version) = chosen
    caps = capabilities_for_family(
        family,
        version=version,
        model=name,
        resolved_from=source,
        context_window=context_window,
        table=table,
    )
    if source == "response" and by_name is not None:
        caps.details["deploymentNameSuggests"] = by_name[0]
    return caps
