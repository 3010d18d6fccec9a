"""Emulator configuration: TOML file, TOML text, a dict of the same shape, or an ``EmulatorConfig``.

Every problem is reported as one ``ConfigError`` naming the key (and the line, when the input was TOML),
so a user fixing a config file never has to read a traceback.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chatls.emulator.config_error import ConfigError as ConfigError
from chatls.emulator.families import FAMILIES, Family, split_model
from chatls.emulator.faults import FaultSpec, parse_fault
from chatls.emulator.tool_scripts import ToolScript, parse_tool_script

# tomllib is stdlib from 3.11; tomli is the same parser for 3.10.
tomllib: Any = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")

DEFAULT_API_KEY = "emulator-key"
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
PARAMETER_REJECTION_CODES = ("unsupported_parameter", "unknown_parameter", "unrecognized_argument")


@dataclass(frozen=True)
class Timing:
    """Pacing knobs. Zero means "as fast as possible", so tests stay fast by default."""

    time_to_first_token: float = 0.0
    """Seconds before the first content byte (streaming) or the whole reply (non-streaming)."""
    tokens_per_second: float = 0.0
    """Streaming pace; 0 is unlimited."""
    thinking_time: float = 0.0
    """Extra seconds a reasoning model "thinks" at ``reasoning_effort: medium``; scaled for other efforts."""


@dataclass(frozen=True)
class Deployment:
    """One deployment: its model and any per-deployment overrides of the family rules."""

    name: str
    family: Family
    version: str
    context_window: int
    max_output: int
    streaming: bool
    timing: Timing = Timing()
    tokens_per_minute: int | None = None
    reject_parameters: Mapping[str, str] = field(default_factory=dict)
    """Parameter → error code (one of ``PARAMETER_REJECTION_CODES``)."""
    reject_values: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    reject_roles: tuple[str, ...] = ()
    """Roles the model refuses (``unsupported_value``)."""
    unknown_roles: tuple[str, ...] = ()
    """Roles answered as an api-version predating them would (``invalid_value``), whatever the version."""
    allow_parameters: tuple[str, ...] = ()
    """Parameters the family would refuse but this deployment accepts."""
    retired: bool = False
    """Answers every request with ``410 Gone`` (the model version was retired)."""
    summary: str | None = None
    """Reasoning-summary text on Responses (``None``: one derived from the prompt)."""
    router_models: tuple[str, ...] = ()
    """model-router: the underlying models reported, one per request, in turn."""
    citations: tuple[Mapping[str, Any], ...] = ()
    """On Your Data: the citations answers carry (``()``: two derived from the question)."""

    @property
    def model(self) -> str:
        return f"{self.family.name}-{self.version}"


@dataclass(frozen=True)
class ReplyRule:
    """A scripted reply: the first rule whose pattern matches the last user message wins."""

    pattern: re.Pattern[str]
    reply: str
    deployment: str | None = None


@dataclass(frozen=True)
class EmulatorConfig:
    api_keys: tuple[str, ...] = ()
    """Accepted keys; empty means any non-empty key or bearer token."""
    api_key_header: str | None = None
    """An extra header the key may come in (an API Management gateway's ``Ocp-Apim-Subscription-Key``)."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    validate_schema: bool = True
    timing: Timing = Timing()
    deployments: Mapping[str, Deployment] = field(default_factory=dict)
    replies: tuple[ReplyRule, ...] = ()
    faults: tuple[FaultSpec, ...] = ()
    tool_scripts: tuple[ToolScript, ...] = ()

    @property
    def api_key(self) -> str:
        """A key the emulator accepts (for fixtures and the printed profile)."""
        return self.api_keys[0] if self.api_keys else DEFAULT_API_KEY


def default_deployments(timing: Timing = Timing()) -> dict[str, Deployment]:
    """One deployment per family, named after it.

    They never answer ``410 Gone``, even for a retired default version (o1-preview, the -chat
    previews): long-standing scripts and tests use them. Name a retired model in a deployment of your
    own (or set ``retired = true``) to meet Azure's answer.
    """
    return {
        name: deployment_for(name, family, family.default_version, timing, retired=False)
        for name, family in FAMILIES.items()
    }


def deployment_for(
    name: str, family: Family, version: str, timing: Timing, *, retired: bool | None = None
) -> Deployment:
    window, output = family.limits_for(version)
    return Deployment(
        name=name,
        family=family,
        version=version,
        context_window=window,
        max_output=output,
        streaming=family.streaming,
        timing=timing,
        retired=family.retired_on(version) is not None if retired is None else retired,
        router_models=family.router,
    )


# ---------------------------------------------------------------------------------------------- loading


def load_config(source: EmulatorConfig | Mapping[str, Any] | str | Path | None) -> EmulatorConfig:
    """Build a config from any accepted form; raises ``ConfigError``."""
    if source is None:
        return EmulatorConfig(deployments=default_deployments())
    if isinstance(source, EmulatorConfig):
        return source
    if isinstance(source, Mapping):
        return parse_config(source)
    if isinstance(source, Path) or not _looks_like_toml(source):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                "", f"cannot read config file: {exc.strerror or exc}", source=str(path)
            ) from None
        return parse_toml(text, source=str(path))
    return parse_toml(source)


def _looks_like_toml(text: str) -> bool:
    return "\n" in text or "=" in text or text.lstrip().startswith("[")


def parse_toml(text: str, *, source: str = "") -> EmulatorConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            "", f"invalid TOML: {exc}", line=_toml_error_line(str(exc), text), source=source
        ) from None
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise ConfigError(exc.key, exc.reason, line=_line_of(text, exc.key), source=source) from None


def _toml_error_line(message: str, text: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    if match:
        return int(match.group(1))
    return len(text.splitlines()) or None if "end of document" in message else None


def _line_of(text: str, key: str) -> int | None:
    """Best-effort line number of a dotted key in TOML text (for error messages only)."""
    lines = text.splitlines()
    start = 0
    found: int | None = None
    for part in [p for p in re.split(r"\.|\[\d+\]", key) if p]:
        pattern = re.compile(rf"""(^|[\s.\["']){re.escape(part)}(["']?\s*(=|\]|\.))""")
        for index in range(start, len(lines)):
            if pattern.search(lines[index]):
                found, start = index + 1, index + 1
                break
    return found


_TOP_KEYS = {"server", "timing", "deployments", "replies", "faults", "tool_scripts"}
_SERVER_KEYS = {
    "api_keys",
    "api_key_header",
    "max_body_bytes",
    "validate_schema",
    "include_default_deployments",
}
# RFC 9110 field-name characters ("token").
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BUILT_IN_KEY_HEADERS = ("api-key", "authorization")


def parse_api_key_header(value: Any, where: str) -> str | None:
    """A header name for gateway keys (``None`` turns it off); ``ConfigError`` naming ``where``."""
    if value is None:
        return None
    if not isinstance(value, str) or not _HEADER_NAME.match(value):
        raise ConfigError(where, 'expected an HTTP header name such as "Ocp-Apim-Subscription-Key"')
    if value.lower() in _BUILT_IN_KEY_HEADERS:
        raise ConfigError(where, f"{value!r} is always accepted; name another header")
    return value


def parse_config(data: Mapping[str, Any]) -> EmulatorConfig:
    _reject_unknown(data, _TOP_KEYS, "")
    server = _table(data, "server")
    _reject_unknown(server, _SERVER_KEYS, "server")
    timing = parse_timing(_table(data, "timing"), Timing(), "timing")
    raw_deployments = _table(data, "deployments")
    include_defaults = _bool(
        server.get("include_default_deployments", not raw_deployments), "server.include_default_deployments"
    )
    deployments = default_deployments(timing) if include_defaults else {}
    for name, spec in raw_deployments.items():
        deployments[name] = parse_deployment(name, spec, timing, f"deployments.{name}")
    return EmulatorConfig(
        api_keys=tuple(_str_list(server.get("api_keys", []), "server.api_keys")),
        api_key_header=parse_api_key_header(server.get("api_key_header"), "server.api_key_header"),
        max_body_bytes=_positive_int(
            server.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES), "server.max_body_bytes"
        ),
        validate_schema=_bool(server.get("validate_schema", True), "server.validate_schema"),
        timing=timing,
        deployments=deployments,
        replies=tuple(parse_reply(r, f"replies[{i}]") for i, r in enumerate(_list(data, "replies"))),
        faults=tuple(_fault(f, f"faults[{i}]") for i, f in enumerate(_list(data, "faults"))),
        tool_scripts=tuple(
            parse_tool_script(t, f"tool_scripts[{i}]") for i, t in enumerate(_list(data, "tool_scripts"))
        ),
    )


_TIMING_KEYS = ("time_to_first_token", "tokens_per_second", "thinking_time")


def parse_timing(data: Mapping[str, Any], base: Timing, where: str) -> Timing:
    values = {k: _non_negative(data[k], f"{where}.{k}" if where else k) for k in _TIMING_KEYS if k in data}
    return replace(base, **values)


_DEPLOYMENT_KEYS = {
    "model",
    "context_window",
    "max_output",
    "streaming",
    "tokens_per_minute",
    "reject_parameters",
    "reject_values",
    "reject_roles",
    "unknown_roles",
    "allow_parameters",
    "retired",
    "summary",
    "router_models",
    "citations",
    *_TIMING_KEYS,
}


def parse_deployment(name: str, spec: Any, timing: Timing, where: str) -> Deployment:
    """A ``[deployments]`` entry: a model string, or a table with ``model`` and overrides."""
    if not name:
        raise ConfigError(where, "deployment names must not be empty")
    if isinstance(spec, str):
        spec = {"model": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(where, 'expected a model name such as "o1-2024-12-17" or a table with model = ...')
    if "model" not in spec:
        raise ConfigError(
            f"{where}.model", 'missing; give the model and version, e.g. model = "gpt-4o-2024-11-20"'
        )
    family, version = _model(spec["model"], f"{where}.model")
    return update_deployment(deployment_for(name, family, version, timing), spec, where)


def update_deployment(base: Deployment, spec: Mapping[str, Any], where: str) -> Deployment:
    """Apply overrides (from TOML or the control endpoint) on top of a deployment."""
    _reject_unknown(spec, _DEPLOYMENT_KEYS, where)
    changes: dict[str, Any] = {}
    if "model" in spec:
        family, version = _model(spec["model"], f"{where}.model")
        fresh = deployment_for(base.name, family, version, base.timing)
        changes.update(
            family=family,
            version=version,
            context_window=fresh.context_window,
            max_output=fresh.max_output,
            streaming=fresh.streaming,
            retired=fresh.retired,
            router_models=fresh.router_models,
        )
    for key in ("context_window", "max_output"):
        if key in spec:
            changes[key] = _positive_int(spec[key], f"{where}.{key}")
    if "streaming" in spec:
        changes["streaming"] = _bool(spec["streaming"], f"{where}.streaming")
    if "tokens_per_minute" in spec:
        tpm = spec["tokens_per_minute"]
        changes["tokens_per_minute"] = (
            None if tpm in (None, 0) else _positive_int(tpm, f"{where}.tokens_per_minute")
        )
    if "reject_parameters" in spec:
        changes["reject_parameters"] = _rejections(spec["reject_parameters"], f"{where}.reject_parameters")
    if "reject_values" in spec:
        changes["reject_values"] = _reject_values(spec["reject_values"], f"{where}.reject_values")
    if "reject_roles" in spec:
        changes["reject_roles"] = tuple(_str_list(spec["reject_roles"], f"{where}.reject_roles"))
    if "unknown_roles" in spec:
        changes["unknown_roles"] = tuple(_str_list(spec["unknown_roles"], f"{where}.unknown_roles"))
    if "allow_parameters" in spec:
        changes["allow_parameters"] = tuple(_str_list(spec["allow_parameters"], f"{where}.allow_parameters"))
    if "retired" in spec:
        changes["retired"] = _bool(spec["retired"], f"{where}.retired")
    if "summary" in spec:
        if spec["summary"] is not None and not isinstance(spec["summary"], str):
            raise ConfigError(f"{where}.summary", "expected the reasoning-summary text as a string")
        changes["summary"] = spec["summary"]
    if "router_models" in spec:
        models = _str_list(spec["router_models"], f"{where}.router_models")
        if not models:
            raise ConfigError(f"{where}.router_models", "expected at least one model name")
        changes["router_models"] = tuple(models)
    if "citations" in spec:
        citations = spec["citations"]
        valid = isinstance(citations, list) and all(
            isinstance(c, Mapping) and isinstance(c.get("content"), str) for c in citations
        )
        if not valid:
            raise ConfigError(f"{where}.citations", "expected an array of tables, each with content = ...")
        changes["citations"] = tuple(dict(c) for c in citations)
    changes["timing"] = parse_timing(spec, base.timing, where)
    return replace(base, **changes)


def parse_reply(data: Any, where: str) -> ReplyRule:
    if not isinstance(data, Mapping):
        raise ConfigError(where, "expected a table with pattern and reply")
    _reject_unknown(data, {"pattern", "reply", "deployment"}, where)
    pattern = data.get("pattern")
    reply = data.get("reply")
    if not isinstance(pattern, str):
        raise ConfigError(f"{where}.pattern", "expected a regular expression string")
    if not isinstance(reply, str):
        raise ConfigError(f"{where}.reply", "expected the reply text as a string")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}.pattern", f"invalid regular expression: {exc}") from None
    deployment = data.get("deployment")
    if deployment is not None and not isinstance(deployment, str):
        raise ConfigError(f"{where}.deployment", "expected a deployment name")
    return ReplyRule(compiled, reply, deployment)


def _fault(data: Any, where: str) -> FaultSpec:
    try:
        return parse_fault(data)
    except ValueError as exc:
        key, _, reason = str(exc).partition(": ")
        raise ConfigError(f"{where}.{key}" if reason else where, reason or key) from None


# ---------------------------------------------------------------------------------------------- helpers


def _model(value: Any, where: str) -> tuple[Family, str]:
    if not isinstance(value, str) or not value:
        raise ConfigError(where, 'expected a model name such as "o1-2024-12-17"')
    try:
        return split_model(value)
    except KeyError as exc:
        raise ConfigError(where, str(exc.args[0])) from None


def _reject_unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            name = f"{where}.{key}" if where else key
            raise ConfigError(name, f"unknown setting; expected one of: {', '.join(sorted(allowed))}")


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(key, "expected a table")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(key, f"expected an array of tables ([[{key}]])")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(where, "expected true or false")
    return value


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(where, "expected a positive integer")
    return value


def _non_negative(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(where, "expected a number >= 0")
    return float(value)


def _str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(where, "expected an array of non-empty strings")
    return value


def _rejections(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, list):
        return {p: "unsupported_parameter" for p in _str_list(value, where)}
    if not isinstance(value, Mapping):
        raise ConfigError(where, "expected an array of parameter names or a table parameter = error code")
    for param, code in value.items():
        if code not in PARAMETER_REJECTION_CODES:
            raise ConfigError(f"{where}.{param}", f"expected one of: {', '.join(PARAMETER_REJECTION_CODES)}")
    return dict(value)


def _reject_values(value: Any, where: str) -> dict[str, tuple[Any, ...]]:
    if not isinstance(value, Mapping):
        raise ConfigError(where, "expected a table parameter = [values]")
    result: dict[str, tuple[Any, ...]] = {}
    for param, values in value.items():
        if not isinstance(values, list):
            raise ConfigError(f"{where}.{param}", "expected an array of values")
        result[param] = tuple(values)
    return result
