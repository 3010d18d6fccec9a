"""Pure pieces of the emulator, tested directly: limiter, fault queue, families, replies, error wording."""

from __future__ import annotations

import pytest

from chatls.emulator import errors
from chatls.emulator.config import Timing, _line_of
from chatls.emulator.control import is_loopback_host
from chatls.emulator.families import FAMILIES, split_model
from chatls.emulator.faults import FaultQueue, FaultSpec, TokenRateLimiter, parse_fault
from chatls.emulator.replies import effort_of, first_token_delay, plan_completion, split_pieces
from chatls.emulator.tool_scripts import ToolExchange, decide, parse_tool_script


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_admits_until_the_window_is_full_then_says_when() -> None:
    clock = FakeClock()
    limiter = TokenRateLimiter(clock)
    assert limiter.check("d", 100, 60).allowed
    clock.now += 20
    second = limiter.check("d", 100, 30)
    assert second.allowed and second.remaining_tokens == 10
    refused = limiter.check("d", 100, 30)
    assert not refused.allowed
    assert refused.retry_after == 40  # the first 60 tokens expire 60 s after they were spent
    clock.now += 40
    assert limiter.check("d", 100, 30).allowed
    assert limiter.check("other", 100, 100).allowed  # windows are per deployment


def test_limiter_lets_one_oversized_request_through_an_empty_window() -> None:
    limiter = TokenRateLimiter(FakeClock())
    assert limiter.check("d", 10, 50).allowed
    assert not limiter.check("d", 10, 1).allowed


def test_fault_queue_counts_and_scopes() -> None:
    queue = FaultQueue()
    queue.add(FaultSpec("server_error", count=2, deployment="o1"))
    queue.add(FaultSpec("rate_limit"))
    assert queue.take("gpt-4o") == FaultSpec("rate_limit")
    assert queue.take("gpt-4o") is None
    assert [queue.take("o1") for _ in range(3)] == [
        FaultSpec("server_error", count=2, deployment="o1")
    ] * 2 + [None]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "rate_limit", "retry_after": -1}, "retry_after: expected a number >= 0"),
        ({"kind": "rate_limit", "count": 0}, "count: expected an integer >= 1"),
        ({"kind": "rate_limit", "colour": "red"}, "colour: unknown fault setting"),
        ({"kind": "rate_limit", "message": "middle"}, "message: expected 'old' or 'new'"),
        ({"kind": "content_filter_prompt", "category": "rude"}, "category: expected one of"),
        ({"kind": "rate_limit", "retry_headers": "iso"}, "retry_headers: expected one of: both, ms, seconds"),
        ({"kind": "rate_limit", "ratelimit_headers": "no"}, "ratelimit_headers: expected true or false"),
        ("rate_limit", "expected a table"),
    ],
)
def test_parse_fault_rejects(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fault(data)


@pytest.mark.parametrize(
    ("model", "family", "version"),
    [
        ("o1-2024-12-17", "o1", "2024-12-17"),
        ("gpt-35-turbo-0125", "gpt-35-turbo", "0125"),
        ("gpt-5.1", "gpt-5.1", "2025-11-13"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", "2024-07-18"),
        ("gpt-5-chat-2025-08-07", "gpt-5-chat", "2025-08-07"),
    ],
)
def test_split_model(model: str, family: str, version: str) -> None:
    found, found_version = split_model(model)
    assert (found.name, found_version) == (family, version)


def test_split_model_names_the_known_families() -> None:
    with pytest.raises(KeyError, match="known: gpt-35-turbo, gpt-4o"):
        split_model("claude-3")


def test_family_table_is_consistent() -> None:
    for family in FAMILIES.values():
        assert family.max_output <= family.context_window
        if not family.reasoning and not family.router:
            assert family.sampling == "accept" and family.max_tokens and family.reasoning_efforts is None
        assert family.wires and set(family.wires) <= {"chat", "responses"}
        assert not family.summaries or family.reasoning
        assert family.source


def test_pieces_join_back_and_are_small() -> None:
    text = "def add(a, b):\n    return a + b  # über-long_identifier_name\n"
    pieces = split_pieces(text)
    assert "".join(pieces) == text
    assert max(len(p.strip()) for p in pieces) <= 6


def test_plan_completion_spends_reasoning_first() -> None:
    plenty = plan_completion("one two three", prompt_tokens=10, effort="low", cap=None)
    assert (plenty.finish_reason, plenty.reasoning_tokens, plenty.content) == ("stop", 64, "one two three")
    starved = plan_completion("one two three", prompt_tokens=10, effort="low", cap=50)
    assert (starved.finish_reason, starved.content, starved.completion_tokens) == ("length", "", 50)
    partial = plan_completion("one two three", prompt_tokens=10, effort=None, cap=2)
    assert (partial.finish_reason, partial.content) == ("length", "one two")


def test_error_wording_fills_in_the_request() -> None:
    assert errors.value_unsupported("temperature", 0.5).body["error"]["message"] == (
        "Unsupported value: 'temperature' does not support 0.5 with this model. "
        "Only the default (1) value is supported."
    )
    assert errors.value_invalid("reasoning_effort", "none", ("low", "medium", "high")).body["error"][
        "message"
    ] == ("Invalid value: 'none'. Supported values are: 'low', 'medium', and 'high'.")
    role = errors.role_unsupported("system", 3).body["error"]
    assert (role["param"], role["message"]) == (
        "messages[3].role",
        "Unsupported value: 'messages[3].role' does not support 'system' with this model.",
    )
    too_old = errors.api_version_too_old("2025-04-01-preview").body["error"]["message"]
    assert too_old == "Model {modelName} is enabled only for api versions 2025-04-01-preview and later"


def test_every_listed_error_file_loads_with_its_status() -> None:
    for name in errors.ERROR_FILES:
        error = errors.verbatim(name)
        assert error.status in (400, 401, 404, 429, 500)
        assert error.source == name
        assert "message" in error.body["error"]


def test_line_of_a_dotted_key() -> None:
    text = '[server]\nx = 1\n\n[deployments.fast]\nmodel = "gpt-4o"\ncontext_window = 0\n'
    assert _line_of(text, "deployments.fast.context_window") == 6
    assert _line_of(text, "server.x") == 2


THINKING = Timing(time_to_first_token=0.5, thinking_time=2.0)


@pytest.mark.parametrize(
    ("effort", "delay"),
    [
        ("none", 0.5),  # no thinking at all: only the time to first token
        ("minimal", 1.0),  # a quarter of medium's thinking
        ("low", 1.5),  # half
        ("medium", 2.5),  # thinking_time is defined at medium
        ("high", 4.5),  # twice
        ("xhigh", 6.5),  # three times
        ("unheard-of", 2.5),  # an effort outside the table thinks like medium
    ],
)
def test_thinking_time_scales_with_reasoning_effort(effort: str, delay: float) -> None:
    assert first_token_delay(THINKING, effort) == pytest.approx(delay)


def test_more_effort_never_thinks_less() -> None:
    efforts = ["none", "minimal", "low", "medium", "high", "xhigh"]
    delays = [first_token_delay(THINKING, effort) for effort in efforts]
    assert delays == sorted(delays) and len(set(delays)) == len(delays)


def test_non_reasoning_models_never_think() -> None:
    assert first_token_delay(THINKING, None) == 0.5
    assert first_token_delay(Timing(thinking_time=5.0), None) == 0.0
    assert first_token_delay(Timing(), "high") == 0.0  # defaults: no pacing, so tests stay fast


@pytest.mark.parametrize(
    ("family", "reasoning", "body", "effort"),
    [
        ("o1", True, {}, "medium"),  # the service default
        ("o3-mini", True, {"reasoning_effort": "high"}, "high"),
        ("gpt-5.1", True, {}, "none"),  # gpt-5.1 defaults to no reasoning
        ("gpt-4o", False, {"reasoning_effort": "high"}, None),  # not a reasoning model: no effort at all
    ],
)
def test_the_effort_a_request_thinks_with(
    family: str, reasoning: bool, body: dict[str, str], effort: str | None
) -> None:
    assert effort_of(family, reasoning, body) == effort


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:8011", True),
        ("localhost", True),
        ("[::1]:8011", True),
        ("127.1.2.3", True),
        ("evil.example:8011", False),
        ("0.0.0.0", False),
        ("localhost.evil.example", False),
        ("", False),
    ],
)
def test_loopback_host_header(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_tool_script_decides_the_next_step_from_the_results() -> None:
    script = parse_tool_script(
        {
            "pattern": ".",
            "steps": [{"tool": "ls"}, {"calls": [{"tool": "read", "arguments": {"p": 1}}]}],
            "reply": "{last_result}!",
        },
        "s",
    )
    first = decide(script, ToolExchange(("ls", "read"), (), {}))
    assert [c.name for c in first.calls] == ["ls"]
    waiting = decide(script, ToolExchange(("ls", "read"), ("c1",), {}))
    assert waiting.missing_results == ("c1",)
    second = decide(script, ToolExchange(("ls", "read"), ("c1",), {"c1": "a.py"}))
    assert [(c.name, c.arguments) for c in second.calls] == [("read", '{"p": 1}')]
    done = decide(script, ToolExchange(("ls", "read"), ("c1", "c2"), {"c1": "a.py", "c2": "text"}))
    assert done.text == "text!"
    missing_tool = decide(script, ToolExchange(("other",), (), {}))
    assert missing_tool.text == "I need the tool 'ls', but it was not offered."


def test_catalogue_rows_follow_the_naming_rules() -> None:
    """Every -codex / -pro variant is Responses-only; every retired row names its replacement."""
    for name, family in FAMILIES.items():
        if "codex" in name or name.endswith("-pro"):
            assert family.wires == ("responses",), name
        if family.retired:
            assert family.replacement, name
        window, output = family.limits_for(family.default_version)
        assert output <= window
    assert FAMILIES["gpt-4o"].limits_for("2024-05-13") == (128_000, 4_096)
