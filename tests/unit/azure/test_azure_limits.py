"""Limits learned from Azure's refusals, read from the verbatim error bodies in ../shared/azure/errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.azure.shared_data import ERRORS

from chatls.azure.capabilities import resolve_capabilities
from chatls.azure.limits import LearnedLimit, apply_learned_limits, learn_limit, limit_from_error


def error_object(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((ERRORS / name).read_text(encoding="utf-8"))["body"]
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(
    ("file", "limit"),
    [
        ("context-length-exceeded.json", LearnedLimit("context_window", 128_000)),
        ("context-length-exceeded-with-completion.json", LearnedLimit("context_window", 32_768)),
        ("context-length-exceeded-functions.json", LearnedLimit("context_window", 300_000)),
        ("context-length-exceeded-input-limit.json", LearnedLimit("max_input_tokens", 272_000)),
        ("max-tokens-too-large.json", LearnedLimit("max_output_tokens", 16_384)),
    ],
)
def test_each_stated_limit_is_read_from_azures_own_words(file: str, limit: LearnedLimit) -> None:
    assert limit_from_error(error_object(file)) == limit


def test_the_responses_wording_names_no_number_so_only_what_was_sent_bounds_it() -> None:
    error = error_object("responses-context-length-exceeded.json")
    assert limit_from_error(error) is None
    assert limit_from_error(error, sent_input_tokens=150_000) == LearnedLimit("max_input_tokens", 149_999)


@pytest.mark.parametrize(
    "file",
    ["temperature-unsupported-value.json", "output-limit-reached.json", "rate-limit-429-old-format.json"],
)
def test_errors_that_state_no_limit_teach_none(file: str) -> None:
    assert limit_from_error(error_object(file), sent_input_tokens=5_000) is None


def test_a_limit_only_shrinks_and_other_lessons_are_kept() -> None:
    lessons = learn_limit({"model": "gpt-4.1-2025-04-14"}, LearnedLimit("context_window", 128_000))
    assert lessons == {"model": "gpt-4.1-2025-04-14", "context_window": 128_000}
    assert learn_limit(lessons, LearnedLimit("context_window", 300_000)) == lessons
    assert learn_limit(lessons, LearnedLimit("context_window", 100_000))["context_window"] == 100_000
    assert learn_limit({"context_window": "junk"}, LearnedLimit("context_window", 9))["context_window"] == 9


def test_learned_limits_refine_the_table_and_the_budget_follows() -> None:
    caps = resolve_capabilities(model="gpt-4.1")  # 300,000 on standard deployments, 128,000 provisioned
    learned = apply_learned_limits(caps, {"context_window": 128_000, "max_output_tokens": 16_384})
    limits = (learned.context_window, learned.input_limit, learned.max_output_tokens)
    assert limits == (128_000, 128_000, 16_384)
    assert learned.details["contextWindowFrom"] == "learned"
    assert learned.details["learnedLimits"] == {"context_window": 128_000, "max_output_tokens": 16_384}
    assert {"context_window", "max_output_tokens"} <= learned.learned
    gpt5 = apply_learned_limits(resolve_capabilities(model="gpt-5.4-mini"), {"max_input_tokens": 200_000})
    assert (gpt5.context_window, gpt5.input_limit) == (400_000, 200_000)


def test_the_profiles_context_window_wins_over_a_learned_one() -> None:
    caps = resolve_capabilities(model="gpt-4.1", context_window=1_000_000)
    kept = apply_learned_limits(
        caps, {"context_window": 128_000, "max_input_tokens": 100_000, "max_output_tokens": 8_000}
    )
    assert (kept.context_window, kept.input_limit, kept.max_output_tokens) == (1_000_000, 1_000_000, 8_000)
    assert kept.details["contextWindowFrom"] == "profile"


def test_nothing_learned_or_malformed_lessons_change_nothing() -> None:
    caps = resolve_capabilities(model="gpt-4o")
    assert apply_learned_limits(caps, {}) is caps
    assert apply_learned_limits(caps, {"context_window": True, "max_output_tokens": -3}) is caps
