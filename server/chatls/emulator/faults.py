"""Scripted faults and the per-deployment tokens-per-minute limiter.

A fault is queued for the next ``count`` requests (optionally of one deployment) and is consumed only
by requests that pass auth, routing and validation, i.e. requests that would otherwise succeed.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal[
    "rate_limit",
    "server_error",
    "slow_first_byte",
    "drop_connection",
    "content_filter_prompt",
    "content_filter_completion",
    "reasoning_exhausted",
    "context_length_exceeded",
    "no_terminal",
    "failed",
    "stream_error",
]
FAULT_KINDS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]
FILTER_CATEGORIES = ("hate", "self_harm", "sexual", "violence", "jailbreak")
NO_TERMINAL_FORMS = ("clean_close", "chunked_end", "done")
RetryHeaders = Literal["both", "ms", "seconds", "date", "none"]
RETRY_HEADER_FORMS: tuple[str, ...] = RetryHeaders.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FaultSpec:
    """One fault as written in the config file or posted to ``/_emulator/faults``."""

    kind: str
    count: int = 1
    deployment: str | None = None
    retry_after: float = 1.0
    """rate_limit: seconds announced in the headers and in the message."""
    message: str = "old"
    """rate_limit: ``old`` (2023-2025 wording) or ``new`` (2025-11 wording)."""
    retry_headers: str = "both"
    """rate_limit: the headers that carry the wait: ``both`` (``retry-after-ms`` and ``retry-after``
    seconds), ``ms``, ``seconds``, ``date`` (``retry-after`` as an HTTP date) or ``none`` (message only)."""
    ratelimit_headers: bool = True
    """rate_limit: send the ``x-ratelimit-*`` headers."""
    status: int = 500
    """server_error: 500, 502, 503 or 504."""
    delay: float = 1.0
    """slow_first_byte: seconds before the response starts."""
    after_chunks: int = 0
    """drop_connection / content_filter_completion: content chunks sent before the fault hits."""
    category: str = "violence"
    """content_filter_*: the category reported as filtered (``jailbreak``: a prompt-shield hit)."""
    form: str = "clean_close"
    """no_terminal: how a stream ends without its finish: ``clean_close`` (EOF-delimited body closed),
    ``chunked_end`` (the chunked body ends properly) or ``done`` (``data: [DONE]``, then the end)."""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


_INT_FIELDS = {"count", "status", "after_chunks"}
_FLOAT_FIELDS = {"retry_after", "delay"}


def parse_fault(data: Any) -> FaultSpec:
    """Validate a fault dict; ``ValueError("key: reason")`` on bad input."""
    if not isinstance(data, Mapping):
        raise ValueError("expected a table with kind = ...")
    allowed = set(FaultSpec.__dataclass_fields__)
    for key in data:
        if key not in allowed:
            raise ValueError(f"{key}: unknown fault setting; expected one of: {', '.join(sorted(allowed))}")
    kind = data.get("kind")
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind: expected one of: {', '.join(FAULT_KINDS)}")
    values: dict[str, Any] = {"kind": kind}
    for key, value in data.items():
        if key in _INT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{key}: expected an integer >= 0")
            values[key] = value
        elif key in _FLOAT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{key}: expected a number >= 0")
            values[key] = float(value)
    _check_choices(data, values)
    return FaultSpec(**values)


def _check_choices(data: Mapping[str, Any], values: dict[str, Any]) -> None:
    if values.get("count", 1) < 1:
        raise ValueError("count: expected an integer >= 1")
    if "deployment" in data:
        if not isinstance(data["deployment"], str) or not data["deployment"]:
            raise ValueError("deployment: expected a deployment name")
        values["deployment"] = data["deployment"]
    if "message" in data:
        if data["message"] not in ("old", "new"):
            raise ValueError("message: expected 'old' or 'new'")
        values["message"] = data["message"]
    if "retry_headers" in data:
        if data["retry_headers"] not in RETRY_HEADER_FORMS:
            raise ValueError(f"retry_headers: expected one of: {', '.join(RETRY_HEADER_FORMS)}")
        values["retry_headers"] = data["retry_headers"]
    if "ratelimit_headers" in data:
        if not isinstance(data["ratelimit_headers"], bool):
            raise ValueError("ratelimit_headers: expected true or false")
        values["ratelimit_headers"] = data["ratelimit_headers"]
    if "status" in values and values["status"] not in (500, 502, 503, 504):
        raise ValueError("status: expected 500, 502, 503 or 504")
    if "form" in data:
        if data["form"] not in NO_TERMINAL_FORMS:
            raise ValueError(f"form: expected one of: {', '.join(NO_TERMINAL_FORMS)}")
        values["form"] = data["form"]
    if "category" in data:
        if data["category"] not in FILTER_CATEGORIES:
            raise ValueError(f"category: expected one of: {', '.join(FILTER_CATEGORIES)}")
        values["category"] = data["category"]


class FaultQueue:
    """Faults waiting for requests; each entry keeps its remaining count."""

    def __init__(self) -> None:
        self._pending: list[list[Any]] = []  # [spec, remaining]

    def add(self, spec: FaultSpec) -> None:
        self._pending.append([spec, spec.count])

    def clear(self) -> None:
        self._pending.clear()

    def take(self, deployment: str) -> FaultSpec | None:
        """The first fault that applies to this deployment, consuming one of its uses."""
        for entry in self._pending:
            spec: FaultSpec = entry[0]
            if spec.deployment in (None, deployment):
                entry[1] -= 1
                if entry[1] <= 0:
                    self._pending.remove(entry)
                return spec
        return None

    def pending(self) -> list[dict[str, Any]]:
        return [{**entry[0].to_json(), "remaining": entry[1]} for entry in self._pending]


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: float
    remaining_tokens: int
    limit_tokens: int


class TokenRateLimiter:
    """Sliding one-minute window of tokens per deployment, like Azure's TPM quota."""

    WINDOW = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._spent: dict[str, deque[tuple[float, int]]] = {}

    def reset(self) -> None:
        self._spent.clear()

    def check(self, deployment: str, limit: int, tokens: int) -> RateDecision:
        """Admit ``tokens`` if the window has room; otherwise say when it will."""
        now = self._clock()
        window = self._spent.setdefault(deployment, deque())
        while window and window[0][0] <= now - self.WINDOW:
            window.popleft()
        used = sum(n for _, n in window)
        if used + tokens <= limit or (not window and tokens > limit):
            window.append((now, tokens))
            return RateDecision(True, 0.0, max(0, limit - used - tokens), limit)
        freed, wait = used, 0.0
        for stamp, spent in window:  # oldest first: how long until enough has expired
            freed -= spent
            wait = stamp + self.WINDOW - now
            if freed + tokens <= limit:
                break
        return RateDecision(False, float(max(1, math.ceil(wait))), max(0, limit - used), limit)
