"""Retry rules: where the wait comes from, backoff with jitter, and when to give up."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tests.unit.azure.shared_data import azure_error

from chatls.azure import RetryPolicy
from chatls.azure.retry import backoff_delay, decide, is_retryable_status, server_delay

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("headers", "message", "expected"),
    [
        ({"retry-after-ms": "1500", "retry-after": "9"}, "Please retry after 30 seconds.", 1.5),
        ({"Retry-After": "7"}, "Please retry after 30 seconds.", 7.0),
        ({"retry-after": "2.5"}, None, 2.5),
        ({"retry-after": "Sat, 21 Nov 2026 12:00:42 GMT"}, None, 42.0),
        ({"retry-after": "Sat, 21 Nov 2026 11:59:00 GMT"}, None, 0.0),
        ({}, "Please retry after 86400 seconds. Please go here", 86400.0),
        ({"retry-after-ms": "soon", "retry-after": "garbage"}, "Please retry after 3 seconds", 3.0),
        ({"retry-after-ms": "-5"}, None, None),
        ({"retry-after": "nan"}, None, None),
        ({}, "Rate limit is exceeded.", None),
    ],
)
def test_server_delay_sources_in_order(
    headers: dict[str, str], message: str | None, expected: float | None
) -> None:
    assert server_delay(headers, message, now=NOW) == expected


@pytest.mark.parametrize(
    ("error_file", "seconds"),
    [("rate-limit-429-old-format", 86400.0), ("rate-limit-429-newer-message", 60.0)],
)
def test_both_429_message_generations_are_understood(error_file: str, seconds: float) -> None:
    _, error = azure_error(error_file)
    assert server_delay({}, error["message"]) == seconds


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (503, True),
        (400, False),
        (401, False),
        (404, False),
    ],
)
def test_retryable_statuses(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


def test_backoff_grows_exponentially_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay=0.5, max_backoff=4.0, jitter=0.5)
    assert [backoff_delay(n, policy, rand=0.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert backoff_delay(2, policy, rand=1.0) == 0.5
    assert backoff_delay(2, policy, rand=0.5) == 0.75


def test_decide_waits_what_the_server_asked() -> None:
    decision = decide(failures=1, waited=0.0, policy=RetryPolicy(), requested=3.0, rand=0.9)
    assert (decision.delay, decision.requested) == (3.0, 3.0)


def test_a_wait_beyond_the_budget_gives_up_at_once_reporting_it() -> None:
    decision = decide(
        failures=1, waited=0.0, policy=RetryPolicy(max_total_wait=60), requested=86400.0, rand=0
    )
    assert (decision.delay, decision.requested) == (None, 86400.0)
    spent = decide(failures=2, waited=58.0, policy=RetryPolicy(max_total_wait=60), requested=3.0, rand=0)
    assert spent.delay is None


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert decide(failures=2, waited=0, policy=policy, requested=None, rand=0).delay == 1.0
    assert decide(failures=3, waited=0, policy=policy, requested=None, rand=0).delay is None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2)
