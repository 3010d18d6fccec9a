"""Limits learned from Azure's own refusals: the context window, the input limit and the output limit.

Pure functions over the error object (`{"message", "code", "param"}`) and the lessons dict of one
deployment. The adapter stores what `learn_limit` returns with its other lessons (per endpoint and
deployment, so it survives a restart) and resolves capabilities through `apply_learned_limits`.
The wordings are the verbatim bodies in ../shared/azure/errors:
- "This model's maximum context length is N tokens" (context-length-exceeded*.json): the whole window;
- "Input tokens exceed the configured limit of N tokens" (…-input-limit.json): the input limit;
- "Your input exceeds the context window of this model" (responses-context-length-exceeded.json): no
  number, so the limit is below what was sent — learned only when the caller knows how much that was;
- "This model supports at most N completion tokens" (max-tokens-too-large.json): the output limit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from chatls.azure.types import ModelCapabilities

LimitKey = Literal["context_window", "max_input_tokens", "max_output_tokens"]
LIMIT_KEYS: tuple[LimitKey, ...] = ("context_window", "max_input_tokens", "max_output_tokens")

_CONTEXT = re.compile(r"maximum context length is (\d+) tokens")
_INPUT = re.compile(r"exceed the configured limit of (\d+) tokens")
_NO_NUMBER = "exceeds the context window"
_OUTPUT = re.compile(r"supports at most (\d+) (?:completion |output )?tokens")
_PATTERNS: tuple[tuple[re.Pattern[str], LimitKey], ...] = (
    (_CONTEXT, "context_window"),
    (_INPUT, "max_input_tokens"),
    (_OUTPUT, "max_output_tokens"),
)


@dataclass(frozen=True)
class LearnedLimit:
    key: LimitKey
    tokens: int

    def note(self, deployment: str) -> str:
        what = {
            "context_window": "a context window of",
            "max_input_tokens": "an input limit of",
            "max_output_tokens": "an output limit of",
        }[self.key]
        return f"{deployment} has {what} {self.tokens} tokens (Azure said so); later requests fit it"


def limit_from_error(
    error: Mapping[str, Any], *, sent_input_tokens: int | None = None
) -> LearnedLimit | None:
    """The limit an Azure error object states, or None when it states none.

    `sent_input_tokens` (the prompt's size as counted before sending) turns the Responses wording, which
    names no number, into an upper bound: the input limit is below what was sent.
    """
    message = str(error.get("message") or "")
    for pattern, key in _PATTERNS:
        found = pattern.search(message)
        if found is not None and int(found[1]) > 0:
            return LearnedLimit(key, int(found[1]))
    if _NO_NUMBER in message and sent_input_tokens is not None and sent_input_tokens > 1:
        return LearnedLimit("max_input_tokens", sent_input_tokens - 1)
    return None


def learn_limit(lessons: Mapping[str, Any], limit: LearnedLimit) -> dict[str, Any]:
    """The lessons dict with `limit` added; a limit only ever shrinks (Azure refusing less than before
    cannot raise it), so a repeated or stale refusal changes nothing."""
    current = lessons.get(limit.key)
    updated = dict(lessons)
    if not (isinstance(current, int) and not isinstance(current, bool) and 0 < current <= limit.tokens):
        updated[limit.key] = limit.tokens
    return updated


def apply_learned_limits(caps: ModelCapabilities, lessons: Mapping[str, Any]) -> ModelCapabilities:
    """`caps` with the limits this deployment taught; the profile's `contextWindow` still wins over a
    learned window or input limit (the user said so). Malformed entries are ignored."""
    learned = {
        key: value
        for key in LIMIT_KEYS
        if isinstance(value := lessons.get(key), int) and not isinstance(value, bool) and value > 0
    }
    if caps.details.get("contextWindowFrom") == "profile":
        learned.pop("context_window", None)
        learned.pop("max_input_tokens", None)
    if not learned:
        return caps
    window = learned.get("context_window", caps.context_window)
    changes: dict[str, Any] = {"context_window": window}
    if "max_input_tokens" in learned:
        changes["max_input_tokens"] = learned["max_input_tokens"]
    changes["max_output_tokens"] = min(learned.get("max_output_tokens", caps.max_output_tokens), window)
    details = {**caps.details, "learnedLimits": dict(sorted(learned.items()))}
    if "context_window" in learned:
        details.update(contextWindow=window, contextWindowFrom="learned")
    return replace(caps, **changes, details=details, learned=caps.learned | frozenset(learned))
