"""Self-healing: each verbatim Azure 400 becomes exactly one fix; errors that name nothing fix nothing."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.azure.shared_data import azure_error

from chatls.azure import resolve_capabilities
from chatls.azure.healing import Lessons, apply_lessons, learn

PAYLOAD: dict[str, Any] = {
    "model": "dep",
    "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "hi"}],
    "max_tokens": 20000,
    "temperature": 0.5,
    "reasoning_effort": "none",
    "parallel_tool_calls": False,
    "stream": True,
    "max_completion_tokens": 20000,
}


@pytest.mark.parametrize(
    ("error_file", "expected"),
    [
        ("max-tokens-unsupported", Lessons(token_parameter="max_completion_tokens")),
        ("max-tokens-unsupported-callstack", Lessons(token_parameter="max_completion_tokens")),
        ("unrecognized-argument-max-completion-tokens", Lessons(token_parameter="max_tokens")),
        ("temperature-unsupported-value", Lessons(rejected_parameters=frozenset({"temperature"}))),
        ("temperature-unsupported-parameter", Lessons(rejected_parameters=frozenset({"temperature"}))),
        ("parallel-tool-calls-unsupported", Lessons(rejected_parameters=frozenset({"parallel_tool_calls"}))),
        (
            "unrecognized-argument-parallel-tool-calls",
            Lessons(rejected_parameters=frozenset({"parallel_tool_calls"})),
        ),
        ("reasoning-effort-unknown-parameter", Lessons(rejected_parameters=frozenset({"reasoning_effort"}))),
        ("reasoning-effort-invalid-value", Lessons(reasoning_efforts=("low", "medium", "high"))),
        ("stream-unsupported", Lessons(streaming=False)),
        ("stream-unsupported-older-form", Lessons(streaming=False)),
        ("system-role-unsupported", Lessons(instructions="fold")),
        ("developer-role-unsupported-by-model", Lessons(instructions="fold")),
        ("developer-role-invalid-for-api-version", Lessons(instructions="system")),
        ("max-tokens-too-large", Lessons(max_output_tokens=16384)),
    ],
)
def test_each_named_error_gives_its_one_fix(error_file: str, expected: Lessons) -> None:
    status, error = azure_error(error_file)
    assert status == 400
    caps = resolve_capabilities(model="gpt-5.1")
    healing = learn(error, PAYLOAD, caps, Lessons(), "dep")
    assert healing is not None
    assert healing.lessons == expected
    assert "dep" in healing.note


@pytest.mark.parametrize(
    "error_file",
    [
        "content-filter-prompt-400",
        "context-length-exceeded",
        "context-length-exceeded-with-completion",
        "api-version-too-old",
        "string-above-max-length",  # names a tools field this adapter never sends
    ],
)
def test_errors_that_name_nothing_fixable_are_not_healed(error_file: str) -> None:
    _, error = azure_error(error_file)
    assert learn(error, PAYLOAD, resolve_capabilities(model="o1"), Lessons(), "dep") is None


def test_a_parameter_that_was_not_sent_is_not_healed() -> None:
    _, error = azure_error("temperature-unsupported-value")
    payload = {key: value for key, value in PAYLOAD.items() if key != "temperature"}
    assert learn(error, payload, resolve_capabilities(model="o3"), Lessons(), "dep") is None


def test_a_fix_already_learned_is_not_retried_again() -> None:
    _, error = azure_error("temperature-unsupported-value")
    caps = resolve_capabilities(model="gpt-4o")
    first = learn(error, PAYLOAD, caps, Lessons(), "dep")
    assert first is not None
    assert learn(error, PAYLOAD, apply_lessons(caps, first.lessons), first.lessons, "dep") is None


def test_a_400_with_null_code_and_no_known_wording_names_nothing() -> None:
    error = {"message": "Something odd.", "type": "invalid_request_error", "param": None, "code": None}
    assert learn(error, PAYLOAD, resolve_capabilities(), Lessons(), "dep") is None


def test_an_invalid_value_without_a_list_drops_only_the_value_sent() -> None:
    error = {"message": "Invalid value: 'minimal'.", "param": "reasoning_effort", "code": "invalid_value"}
    caps = resolve_capabilities(model="gpt-5")
    healing = learn(error, {**PAYLOAD, "reasoning_effort": "minimal"}, caps, Lessons(), "dep")
    assert healing is not None
    assert healing.lessons.reasoning_efforts == ("low", "medium", "high")


def test_lessons_round_trip_through_a_plain_dict_and_survive_junk() -> None:
    lessons = Lessons(
        model="o1-2024-12-17",
        rejected_parameters=frozenset({"temperature", "top_p"}),
        token_parameter="max_tokens",
        instructions="fold",
        streaming=False,
        reasoning_efforts=("low",),
        verbosity=(),
        max_output_tokens=4096,
    )
    assert Lessons.from_dict(lessons.to_dict()) == lessons
    junk = {
        "model": 3,
        "rejected_parameters": "temperature",
        "streaming": "no",
        "max_output_tokens": -1,
        "x": 1,
    }
    assert Lessons.from_dict(junk) == Lessons()
    assert Lessons.from_dict(None) == Lessons()


def test_applied_lessons_are_marked_as_learned() -> None:
    caps = apply_lessons(
        resolve_capabilities(model="gpt-4o"),
        Lessons(rejected_parameters=frozenset({"temperature", "reasoning_effort"}), streaming=False),
    )
    assert "temperature" not in caps.sampling
    assert caps.streaming is False
    assert caps.reasoning_efforts == ()
    assert {"sampling", "streaming", "rejected_parameters"} <= caps.learned
    assert caps.details["learned"] == sorted(caps.learned)


@pytest.mark.parametrize(
    ("error_file", "subject"),
    [
        ("max-tokens-unsupported", "token cap"),
        ("unrecognized-argument-max-completion-tokens", "token cap"),
        ("max-tokens-too-large", "token cap"),
        ("system-role-unsupported", "instructions role"),
        ("developer-role-invalid-for-api-version", "instructions role"),
        ("temperature-unsupported-parameter", "temperature"),
        ("unrecognized-argument-parallel-tool-calls", "parallel_tool_calls"),
        ("stream-unsupported", "stream"),
    ],
)
def test_fixes_that_could_undo_each_other_share_a_subject(error_file: str, subject: str) -> None:
    """The client heals each subject once per chat, so max_tokens <-> max_completion_tokens cannot loop."""
    _, error = azure_error(error_file)
    healing = learn(error, PAYLOAD, resolve_capabilities(model="gpt-5.1"), Lessons(), "dep")
    assert healing is not None and healing.subject == subject
