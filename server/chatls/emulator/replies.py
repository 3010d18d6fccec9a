"""Deterministic reply text, token-like pieces and usage figures.

Token counts are estimates (about four characters per token): the emulator needs stable, plausible
numbers, not a tokenizer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chatls.emulator.config import ReplyRule, Timing
from chatls.emulator.tool_scripts import ToolCall

#: Hidden reasoning tokens a reasoning model "spends" per effort (deterministic, invented magnitudes).
REASONING_TOKENS: dict[str, int] = {
    "none": 0,
    "minimal": 16,
    "low": 64,
    "medium": 192,
    "high": 512,
    "xhigh": 1024,
}
#: Thinking-time multiplier per effort, relative to ``medium``.
THINKING_SCALE: dict[str, float] = {
    "none": 0.0,
    "minimal": 0.25,
    "low": 0.5,
    "medium": 1.0,
    "high": 2.0,
    "xhigh": 3.0,
}
DEFAULT_EFFORT: dict[str, str] = {"gpt-5.1": "none"}

_PIECE = re.compile(r"\s*\S{1,6}|\s+")


def message_text(message: Any) -> str:
    """The text of a message's content, whether a string or a list of parts."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def last_user_message(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return message_text(message)
    return ""


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def estimate_prompt_tokens(body: dict[str, Any]) -> int:
    """Roughly what Azure counts: message text plus a small per-message overhead, plus tool schemas."""
    messages = body.get("messages")
    total = 3
    if isinstance(messages, list):
        for message in messages:
            total += 4 + estimate_tokens(message_text(message))
    return total + estimate_tool_tokens(body)


def estimate_tool_tokens(body: dict[str, Any]) -> int:
    return sum(estimate_tokens(json.dumps(body[key])) for key in ("tools", "functions") if body.get(key))


def choose_reply(rules: Iterable[ReplyRule], deployment: str, body: dict[str, Any]) -> str:
    """First matching scripted reply, else a recognisable echo of the last user message."""
    return choose_reply_for_prompt(rules, deployment, last_user_message(body))


def choose_reply_for_prompt(rules: Iterable[ReplyRule], deployment: str, prompt: str) -> str:
    for rule in rules:
        if rule.deployment in (None, deployment) and rule.pattern.search(prompt):
            return rule.reply
    return f"Echo from {deployment}: {prompt}"


def split_pieces(text: str) -> list[str]:
    """Token-like pieces (a leading space plus up to six characters), joining back to ``text``."""
    return _PIECE.findall(text)


@dataclass(frozen=True)
class Completion:
    """What the model "produced" for one request."""

    pieces: list[str]
    finish_reason: str
    prompt_tokens: int
    reasoning_tokens: int
    cached_tokens: int = 0
    tool_calls: tuple[ToolCall, ...] = ()

    @property
    def content(self) -> str:
        return "".join(self.pieces)

    @property
    def completion_tokens(self) -> int:
        calls = sum(len(c.arguments) // 4 + 1 for c in self.tool_calls)
        return len(self.pieces) + self.reasoning_tokens + calls


def effort_of(family_name: str, reasoning: bool, body: dict[str, Any]) -> str | None:
    if not reasoning:
        return None
    effort = body.get("reasoning_effort")
    return effort if isinstance(effort, str) else DEFAULT_EFFORT.get(family_name, "medium")


def first_token_delay(timing: Timing, effort: str | None) -> float:
    """Seconds before the first content byte: time to first token, plus thinking scaled by effort.

    ``effort`` is None for non-reasoning models (they never think); an effort outside the table thinks
    as long as ``medium``.
    """
    delay = timing.time_to_first_token
    if effort is not None:
        delay += timing.thinking_time * THINKING_SCALE.get(effort, 1.0)
    return delay


def plan_completion(text: str, *, prompt_tokens: int, effort: str | None, cap: int | None) -> Completion:
    """Apply the output cap: reasoning tokens come first, so a small cap leaves empty content."""
    pieces = split_pieces(text)
    reasoning = REASONING_TOKENS.get(effort, 192) if effort is not None else 0
    if cap is not None and reasoning + len(pieces) > cap:
        reasoning = min(reasoning, cap)
        return Completion(pieces[: cap - reasoning], "length", prompt_tokens, reasoning)
    return Completion(pieces, "stop", prompt_tokens, reasoning)


def usage(completion: Completion, *, reasoning_model: bool) -> dict[str, Any]:
    completion_details: dict[str, Any] = {
        "accepted_prediction_tokens": 0,
        "audio_tokens": 0,
        "reasoning_tokens": completion.reasoning_tokens if reasoning_model else 0,
        "rejected_prediction_tokens": 0,
    }
    return {
        "completion_tokens": completion.completion_tokens,
        "completion_tokens_details": completion_details,
        "prompt_tokens": completion.prompt_tokens,
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": completion.cached_tokens},
        "total_tokens": completion.prompt_tokens + completion.completion_tokens,
    }
