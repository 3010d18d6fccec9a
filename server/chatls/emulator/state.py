"""Run-time state of one emulator: deployments, scripted replies, queued faults and the request log.

Both the HTTP control endpoints and the in-process fixture change state through these methods, so
every change is validated the same way as the config file (``ConfigError`` naming the key).
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chatls.emulator.caching import PromptCache
from chatls.emulator.config import (
    ConfigError,
    Deployment,
    EmulatorConfig,
    ReplyRule,
    parse_api_key_header,
    parse_deployment,
    parse_reply,
    parse_timing,
    update_deployment,
)
from chatls.emulator.faults import FaultQueue, FaultSpec, TokenRateLimiter, parse_fault
from chatls.emulator.runs import RunStore
from chatls.emulator.tool_scripts import ToolScript, parse_tool_script

LOG_LIMIT = 5_000
LOG_BYTES_LIMIT = 64 * 1024 * 1024
"""Bodies kept in the request log, in bytes; the oldest records go first (issue 12 item 10)."""
SECRET_HEADERS = ("api-key", "authorization", "ocp-apim-subscription-key", "cookie")


# A key sent in a header the emulator does not read (a misconfigured gateway header) is still a secret.
_SECRET_LOOKING = re.compile(r"key|token|secret|auth|cookie|password|subscription")


def redact_headers(headers: Mapping[str, str], extra: str | None = None) -> dict[str, str]:
    """Headers as recorded: secrets (and the ``extra`` key header) replaced, so the log is safe to show."""
    secret = (*SECRET_HEADERS, extra.lower()) if extra else SECRET_HEADERS
    return {
        name: ("<redacted>" if name in secret or _SECRET_LOOKING.search(name) else value)
        for name, value in ((k.lower(), v) for k, v in headers.items())
    }


@dataclass
class RequestRecord:
    """One entry of ``GET /_emulator/requests``."""

    id: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    started: float = field(default_factory=time.time)
    deployment: str | None = None
    api_version: str | None = None
    body: Any = None
    status: int | None = None
    error_code: str | None = None
    error_param: str | None = None
    error_source: str | None = None
    """Which captured Azure body (``data/errors/<name>.json``) the error was built from."""
    stream: bool = False
    fault: str | None = None
    reply: str | None = None
    finish_reason: str | None = None
    finished: bool = False
    disconnected: bool = False
    """The client went away before the response (or stream) was complete."""
    response_id: str | None = None
    """Responses API: the response this request created, read, resumed or cancelled."""
    replayed_reasoning: list[str] = field(default_factory=list)
    """Reasoning items (ids) whose ``encrypted_content`` the client sent back."""
    tool_results: dict[str, str] = field(default_factory=dict)
    """Tool results (call id → output) the model read in this request, on either wire."""
    tool_calls: list[str] = field(default_factory=list)
    """Tools the model called in its answer (names, in order)."""
    model: str | None = None
    """The model the answer reported (model-router: the pick)."""
    body_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class EmulatorState:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._ids = itertools.count(1)
        self.deployments: dict[str, Deployment] = {}
        self.replies: list[ReplyRule] = []
        self.faults = FaultQueue()
        self.limiter = TokenRateLimiter()
        self.prompt_cache = PromptCache()
        self.log: deque[RequestRecord] = deque()
        self.api_key_header = config.api_key_header
        self.control_token = secrets.token_urlsafe(16)
        """Accepted in ``X-Emulator-Token`` by the control endpoints (printed by ``chatls emulator``)."""
        self.log_bytes = 0
        self.runs = RunStore()
        self.tool_scripts: list[ToolScript] = []
        self._router_turns: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the state at start-up: config deployments, replies and faults; empty log."""
        self.api_key_header = self.config.api_key_header
        self.deployments = dict(self.config.deployments)
        self.replies = list(self.config.replies)
        self.faults.clear()
        for spec in self.config.faults:
            self.faults.add(spec)
        self.limiter.reset()
        self.prompt_cache.reset()
        self.log.clear()
        self.log_bytes = 0
        self.runs.reset()
        self.tool_scripts = list(self.config.tool_scripts)
        self._router_turns.clear()

    def reported_model(self, deployment: Deployment) -> str:
        """The model an answer reports: model-router names its next pick, in turn."""
        picks = deployment.router_models
        if not picks:
            return deployment.model
        turn = self._router_turns.get(deployment.name, 0)
        self._router_turns[deployment.name] = turn + 1
        return picks[turn % len(picks)]

    def add_tool_script(self, data: Mapping[str, Any]) -> ToolScript:
        """A run-time tool-calling script; it takes precedence over earlier ones."""
        script = parse_tool_script(data, "tool_script")
        self.tool_scripts.insert(0, script)
        return script

    # ------------------------------------------------------------------------------ request log

    def begin_record(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> RequestRecord:
        record = RequestRecord(
            next(self._ids), method, path, dict(query), redact_headers(headers, self.api_key_header)
        )
        self.log.append(record)
        while len(self.log) > LOG_LIMIT:
            self.log_bytes -= self.log.popleft().body_bytes
        return record

    def note_body_size(self, record: RequestRecord, size: int) -> None:
        """Count a logged body and drop the oldest records while the log holds more than its budget."""
        record.body_bytes = size
        self.log_bytes += size
        while self.log_bytes > LOG_BYTES_LIMIT and len(self.log) > 1:
            self.log_bytes -= self.log.popleft().body_bytes

    def requests(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.log]

    # ------------------------------------------------------------------------------ changes

    def add_fault(self, data: Mapping[str, Any] | FaultSpec) -> FaultSpec:
        if isinstance(data, FaultSpec):
            spec = data
        else:
            try:
                spec = parse_fault(data)
            except ValueError as exc:
                key, _, reason = str(exc).partition(": ")
                raise ConfigError(key if reason else "", reason or key) from None
        if spec.deployment is not None and spec.deployment not in self.deployments:
            raise ConfigError("deployment", f"no deployment named {spec.deployment!r}")
        self.faults.add(spec)
        return spec

    def set_api_key_header(self, name: Any) -> str | None:
        """Accept keys in this header too (``None``: only ``api-key`` and Bearer) until the next reset."""
        self.api_key_header = parse_api_key_header(name, "api_key_header")
        return self.api_key_header

    def set_deployment(self, name: str, data: Mapping[str, Any]) -> Deployment:
        """Add a deployment (``model`` required) or override rules of an existing one."""
        if not isinstance(name, str) or not name:
            raise ConfigError("name", "expected a deployment name")
        existing = self.deployments.get(name)
        if existing is None:
            deployment = parse_deployment(name, data, self.config.timing, name)
        else:
            deployment = update_deployment(existing, data, name)
        self.deployments[name] = deployment
        return deployment

    def remove_deployment(self, name: str) -> None:
        if self.deployments.pop(name, None) is None:
            raise ConfigError("name", f"no deployment named {name!r}")

    def add_reply(self, data: Mapping[str, Any]) -> ReplyRule:
        """A run-time reply rule; it takes precedence over earlier ones."""
        rule = parse_reply(data, "reply")
        self.replies.insert(0, rule)
        return rule

    def set_timing(self, data: Mapping[str, Any], deployment: str | None = None) -> None:
        names = [deployment] if deployment else list(self.deployments)
        for name in names:
            if name not in self.deployments:
                raise ConfigError("deployment", f"no deployment named {name!r}")
        for key in data:
            if key not in ("time_to_first_token", "tokens_per_second", "thinking_time"):
                raise ConfigError(key, "unknown timing setting")
        for name in names:
            current = self.deployments[name]
            self.deployments[name] = replace(current, timing=parse_timing(data, current.timing, ""))


def deployment_json(deployment: Deployment) -> dict[str, Any]:
    family = deployment.family
    return {
        "name": deployment.name,
        "model": deployment.model,
        "family": family.name,
        "reasoning": family.reasoning,
        "context_window": deployment.context_window,
        "max_output": deployment.max_output,
        "streaming": deployment.streaming,
        "tokens_per_minute": deployment.tokens_per_minute,
        "timing": dict(deployment.timing.__dict__),
        "reject_parameters": dict(deployment.reject_parameters),
        "reject_values": {k: list(v) for k, v in deployment.reject_values.items()},
        "reject_roles": list(deployment.reject_roles),
        "unknown_roles": list(deployment.unknown_roles),
        "allow_parameters": list(deployment.allow_parameters),
        "min_api_version": family.min_api_version,
        "wires": list(family.wires),
        "summaries": family.summaries,
        "retired": deployment.retired,
        "retires": family.retires,
        "replacement": family.replacement,
        "router_models": list(deployment.router_models),
        "data_sources": family.data_sources,
    }
