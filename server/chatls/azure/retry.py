"""Retry decisions as pure functions of status, headers, message, attempt and time already waited.

The server's wait comes from `retry-after-ms`, then `retry-after` (seconds or an HTTP date), then
"retry after N seconds" in the error message (capabilities.md section f); otherwise 408/409/429/5xx and
connection errors back off exponentially with jitter. A wait that would pass the total budget is not
slept at all: the caller gives up at once and reports the wait Azure asked for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

_MESSAGE_DELAY = re.compile(r"retry after (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    """Requests per deployment, the first included."""
    max_total_wait: float = 60.0
    """Seconds of waiting per deployment before giving up (or failing over)."""
    base_delay: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.25
    """Backoff is scaled by a random factor in [1 - jitter, 1]."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if (
            self.max_total_wait < 0
            or self.base_delay < 0
            or self.max_backoff < 0
            or not 0 <= self.jitter <= 1
        ):
            raise ValueError("retry delays must be non-negative and jitter within 0..1")


@dataclass(frozen=True)
class RetryDecision:
    delay: float | None
    """Seconds to wait before the next attempt; None means give up."""
    requested: float | None = None
    """The wait the server asked for, when it asked (reported when giving up)."""


def is_retryable_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def _finite_non_negative(value: float) -> float | None:
    return value if math.isfinite(value) and value >= 0 else None


def server_delay(
    headers: Mapping[str, str], message: str | None = None, now: datetime | None = None
) -> float | None:
    """Seconds the server asked to wait, or None when it did not say."""
    lowered = {key.lower(): value for key, value in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            delay = _finite_non_negative(float(lowered["retry-after-ms"]) / 1000)
        except ValueError:
            delay = None
        if delay is not None:
            return delay
    if "retry-after" in lowered:
        delay = _parse_retry_after(lowered["retry-after"], now)
        if delay is not None:
            return delay
    match = _MESSAGE_DELAY.search(message or "")
    return float(match[1]) if match else None


def _parse_retry_after(value: str, now: datetime | None) -> float | None:
    try:
        return _finite_non_negative(float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def backoff_delay(failures: int, policy: RetryPolicy, rand: float) -> float:
    """Exponential backoff after `failures` failed attempts (1, 2, ...), scaled by jitter; rand in [0, 1)."""
    raw = min(policy.max_backoff, policy.base_delay * 2.0 ** (failures - 1))
    return raw * (1 - policy.jitter * rand)


def decide(
    *, failures: int, waited: float, policy: RetryPolicy, requested: float | None, rand: float
) -> RetryDecision:
    """Wait how long before attempt `failures + 1`, given `waited` seconds spent waiting so far."""
    if failures >= policy.max_attempts:
        return RetryDecision(None, requested)
    delay = requested if requested is not None else backoff_delay(failures, policy, rand)
    if waited + delay > policy.max_total_wait:
        return RetryDecision(None, requested if requested is not None else delay)
    return RetryDecision(delay, requested)
