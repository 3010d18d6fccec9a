"""Self-healing: a 400 that names a parameter or value becomes one precise, persisted fix.

`learn` reads an Azure error object and the payload that caused it and returns the lessons updated with
exactly that fix, or None when the error names nothing it can fix (or the fix is already known: that
would loop). `apply_lessons` turns a table row into what this deployment really accepts. Lessons are
stored per (endpoint, deployment) through the LessonStore protocol as a small JSON-able dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from chatls.azure.types import ModelCapabilities

_UNRECOGNIZED = re.compile(r"Unrecognized request argument supplied: ([A-Za-z_][A-Za-z0-9_]*)")
_ROLE_PARAM = re.compile(r"^messages\[\d+\]\.role$")
_QUOTED = re.compile(r"'([^']*)'")
_AT_MOST = re.compile(r"at most (\d+)")
_FIXABLE_CODES = {"unsupported_parameter", "unsupported_value", "unknown_parameter", "invalid_value"}
_NEVER_DROP = {"model", "messages"}


@dataclass(frozen=True)
class Lessons:
    """What Azure taught about one deployment."""

    model: str | None = None
    """The model Azure reports for the deployment (the response's `model` field)."""
    rejected_parameters: frozenset[str] = frozenset()
    token_parameter: str | None = None
    instructions: str | None = None
    streaming: bool | None = None
    reasoning_efforts: tuple[str, ...] | None = None
    verbosity: tuple[str, ...] | None = None
    max_output_tokens: int | None = None
    wire: str | None = None
    """The only API the deployment answers on, learned from an `OperationNotSupported` on the other."""
    context_window: int | None = None
    max_input_tokens: int | None = None
    """Limits Azure stated when it refused a prompt (`limits.limit_from_error`); see `limits.py`."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if value is None or value == frozenset():
                continue
            out[key] = (
                sorted(value)
                if isinstance(value, frozenset)
                else list(value)
                if isinstance(value, tuple)
                else value
            )
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Lessons:
        """Tolerant: a malformed or unknown entry (another version wrote it) is skipped, never fatal."""
        if not isinstance(data, Mapping):
            return cls()
        values: dict[str, Any] = {}
        if isinstance(data.get("model"), str):
            values["model"] = data["model"]
        if _is_str_list(data.get("rejected_parameters")):
            values["rejected_parameters"] = frozenset(data["rejected_parameters"])
        if data.get("token_parameter") in ("max_tokens", "max_completion_tokens"):
            values["token_parameter"] = data["token_parameter"]
        if data.get("instructions") in ("system", "developer", "fold"):
            values["instructions"] = data["instructions"]
        if isinstance(data.get("streaming"), bool):
            values["streaming"] = data["streaming"]
        for key in ("reasoning_efforts", "verbosity"):
            if _is_str_list(data.get(key)):
                values[key] = tuple(data[key])
        if data.get("wire") in ("chat", "responses"):
            values["wire"] = data["wire"]
        for key in ("max_output_tokens", "context_window", "max_input_tokens"):
            limit = data.get(key)
            if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
                values[key] = limit
        return cls(**values)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


@dataclass(frozen=True)
class Healing:
    lessons: Lessons
    note: str
    subject: str = ""
    """What was fixed ("temperature", "token cap", "instructions role"): a chat fixes each subject once."""


def apply_lessons(caps: ModelCapabilities, lessons: Lessons) -> ModelCapabilities:
    """The table's capabilities corrected by what this deployment taught."""
    changes: dict[str, Any] = {}
    if lessons.rejected_parameters:
        changes["rejected_parameters"] = caps.rejected_parameters | lessons.rejected_parameters
        changes["sampling"] = caps.sampling - lessons.rejected_parameters
        if "stream_options" in lessons.rejected_parameters:
            changes["stream_usage"] = False
        if "reasoning_effort" in lessons.rejected_parameters:
            changes["reasoning_efforts"] = ()
        if "verbosity" in lessons.rejected_parameters:
            changes["verbosity"] = ()
        # Responses-only subjects, in the neutral names the Responses wire learns them under.
        if "reasoning_summary" in lessons.rejected_parameters:
            changes["reasoning_summaries"] = False
        if "include" in lessons.rejected_parameters:
            changes["encrypted_reasoning"] = False
        if "background" in lessons.rejected_parameters:
            changes["background"] = False
    simple = {
        "token_parameter": lessons.token_parameter,
        "instructions": lessons.instructions,
        "streaming": lessons.streaming,
        "reasoning_efforts": lessons.reasoning_efforts,
        "verbosity": lessons.verbosity,
        "max_output_tokens": lessons.max_output_tokens,
    }
    for key, value in simple.items():
        if value is not None and key not in changes:
            changes[key] = value
    if lessons.wire is not None:
        changes["wires"] = (lessons.wire,)
    if not changes:
        return caps
    details = {**caps.details, "learned": sorted(changes)}
    return replace(caps, **changes, learned=caps.learned | frozenset(changes), details=details)


@dataclass(frozen=True)
class _Rejection:
    """One 400 that names something, with what is needed to fix it."""

    code: str
    param: str
    message: str
    payload: Mapping[str, Any]
    caps: ModelCapabilities
    lessons: Lessons
    deployment: str

    def heal(self, note: str, **changes: Any) -> Healing:
        return Healing(replace(self.lessons, **changes), f"{self.deployment} {note}", _subject(self.param))


def _subject(param: str) -> str:
    """Fixes that touch the same thing share a subject, so they cannot undo each other in one chat."""
    if _ROLE_PARAM.match(param):
        return "instructions role"
    if param in ("max_tokens", "max_completion_tokens"):
        return "token cap"
    return param


def learn(
    error: Mapping[str, Any],
    payload: Mapping[str, Any],
    caps: ModelCapabilities,
    lessons: Lessons,
    deployment: str,
) -> Healing | None:
    """The one fix a 400 error object asks for, or None if it names nothing fixable or nothing new."""
    code = error.get("code")
    message = str(error.get("message") or "")
    param = error.get("param")
    if code is None and not param:
        unrecognized = _UNRECOGNIZED.search(message)
        if unrecognized is None:
            return None
        param, code = unrecognized[1], "unknown_parameter"
    if code not in _FIXABLE_CODES or not isinstance(param, str):
        return None
    healing = _fix(_Rejection(str(code), param, message, payload, caps, lessons, deployment))
    if healing is None or healing.lessons == lessons:
        return None
    return healing


def _fix(rejection: _Rejection) -> Healing | None:
    param = rejection.param
    if _ROLE_PARAM.match(param):
        return _fix_role(rejection)
    if param not in rejection.payload or param in _NEVER_DROP:
        return None  # it names something this request did not send: nothing to fix
    if param == "stream":
        return rejection.heal("does not stream; replies now arrive in one piece", streaming=False)
    if param in ("max_tokens", "max_completion_tokens"):
        return _fix_token_cap(rejection)
    if param in ("reasoning_effort", "verbosity") and rejection.code in (
        "invalid_value",
        "unsupported_value",
    ):
        return _fix_value(rejection)
    rejected = rejection.lessons.rejected_parameters | {param}
    return rejection.heal(f"does not accept {param}; no longer sent", rejected_parameters=rejected)


def _fix_role(rejection: _Rejection) -> Healing | None:
    if "'developer'" in rejection.message:
        # An api-version predating the role says invalid_value; a model refusing it says unsupported_value.
        target = "system" if rejection.code == "invalid_value" else "fold"
    elif "'system'" in rejection.message:
        target = "fold"
    else:
        return None
    where = "as a system message" if target == "system" else "inside the first user message"
    return rejection.heal(f"refused the instructions' role; now sent {where}", instructions=target)


def _fix_token_cap(rejection: _Rejection) -> Healing | None:
    param = rejection.param
    if rejection.code == "invalid_value":
        limit = _AT_MOST.search(rejection.message)
        if limit is None or int(limit[1]) >= int(rejection.payload[param]):
            return None
        tokens = int(limit[1])
        return rejection.heal(f"allows at most {tokens} completion tokens", max_output_tokens=tokens)
    other = "max_completion_tokens" if param == "max_tokens" else "max_tokens"
    return rejection.heal(f"takes {other} instead of {param}", token_parameter=other)


def _fix_value(rejection: _Rejection) -> Healing | None:
    param = rejection.param
    sent = str(rejection.payload[param])
    supported_part = rejection.message.split("Supported values are:", 1)
    if len(supported_part) == 2:
        allowed = tuple(value for value in _QUOTED.findall(supported_part[1]) if value)
    else:
        caps = rejection.caps
        current = caps.reasoning_efforts if param == "reasoning_effort" else caps.verbosity
        allowed = tuple(value for value in current if value != sent)
    if sent in allowed:
        return None
    note = f"rejected {param.replace('_', ' ')} {sent!r}; accepts {', '.join(allowed) or 'none'}"
    if param == "reasoning_effort":
        return rejection.heal(note, reasoning_efforts=allowed)
    return rejection.heal(note, verbosity=allowed)
