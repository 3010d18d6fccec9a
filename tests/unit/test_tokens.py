"""Token counting (tiktoken from a pre-seeded cache, else a conservative estimate) and history fitting."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import os
import random
import shutil
import string
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import pytest

from chatls import tokens
from chatls.tokens import (
    MESSAGE_OVERHEAD,
    REPLY_PRIMER,
    EstimateCounter,
    PromptTooLarge,
    encoding_for_family,
    fit_history,
    trim_further,
)

O200K_FILE = "fb374d419588a4632f3f557e76b4b70aebbca790"
CL100K_FILE = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"


def _samples() -> dict[str, str]:
    """Ordinary and adversarial text, generated from a fixed seed."""
    rng = random.Random(4242)
    letters, upper = string.ascii_letters, string.ascii_uppercase
    return {
        "python": "def fib(n: int) -> int:\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n" * 20,
        "prose": "The quick brown fox jumps over the lazy dog, then explains recursion to it. " * 20,
        "lockfile": "".join(f"sha256:{rng.getrandbits(256):064x} \\\n" for _ in range(20)),
        "hex_upper": "".join(f"{rng.getrandbits(256):064X}\n" for _ in range(20)),
        "base64": base64.b64encode(rng.randbytes(1500)).decode(),
        "uuids": "\n".join(str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(50)),
        "numbers": " ".join(str(rng.randint(0, 10**9)) for _ in range(150)),
        "floats": ", ".join(f"{rng.random():.6f}" for _ in range(150)),
        "json": json.dumps([{"id": i, "name": f"item{i}", "v": rng.random()} for i in range(40)]),
        "cjk": "这是一个用于测试分词器的中文句子。日本語の文も少し入れます。한국어 문장도 있습니다。" * 10,
        "rare_cjk": "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(300)),
        "cyrillic": "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 10,
        "emoji": "🙂🚀✨🔥👩‍💻🇫🇷🧑🏽‍🚀🫠" * 20,
        "symbols": "".join(rng.choice("!@#$%^&*()[]{};:'\",.<>/?\\|`~-_=+") for _ in range(1000)),
        "whitespace": "    \n\t\t  \n" * 100 + "x" + " " * 300,
        "random_ascii": "".join(chr(rng.randint(33, 126)) for _ in range(1500)),
        "random_letters": "".join(rng.choice(letters) for _ in range(1500)),
        "random_upper": "".join(rng.choice(upper) for _ in range(1500)),
        "random_unicode": "".join(chr(rng.randint(0x80, 0x2FFF)) for _ in range(600)),
        "latin1": "".join(chr(rng.randint(0xA0, 0xFF)) for _ in range(600)),
        "control": "".join(chr(rng.randint(0, 31)) for _ in range(600)),
    }


SAMPLES = _samples()


@dataclass(frozen=True)
class Msg:
    role: str
    content: str
    parts: tuple[str, ...] = ()


class CharCounter:
    """One token per character: makes budgets easy to reason about in fitting tests."""

    name = "chars"

    def count(self, text: str) -> int:
        return len(text)


def cost(text: str) -> int:
    return len(text) + MESSAGE_OVERHEAD


@pytest.fixture
def fresh_counters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_counters", {})


@pytest.fixture
def seeded_cache() -> Path:
    """The tiktoken cache scripts/fetch-tiktoken-cache.sh fills (CI runs it before the tests)."""
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    directory = Path(configured) if configured else Path(platformdirs.user_cache_dir("chatls")) / "tiktoken"
    missing = [name for name in (O200K_FILE, CL100K_FILE) if not (directory / name).is_file()]
    if missing:
        pytest.fail(f"tiktoken files missing from {directory}: run scripts/fetch-tiktoken-cache.sh first")
    return directory


# --- counting ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 3),  # letters: 0.6 a character, rounded up
        ("hello world", 6),  # the space before a word is part of it
        ("camelCaseName", 10),  # 8 + one per lower-to-upper change
        ("1234567", 3),  # digits: one per group of three
        (" 42", 2),  # a space before digits is a token of its own
        ("a+b", 3),  # punctuation: one each
        ("x\n    y", 4),  # a line break, its indentation (1 per 4), then the word
        ("é", 2),  # anything else: its UTF-8 bytes
        ("中文", 6),
        ("🙂", 4),
    ],
)
def test_estimate_pieces(text: str, expected: int) -> None:
    assert EstimateCounter().count(text) == expected


@pytest.mark.parametrize(
    ("family", "encoding"),
    [
        ("gpt-35-turbo", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("my-prod-deployment", "o200k_base"),
        (None, "o200k_base"),
    ],
)
def test_encoding_for_family(family: str | None, encoding: str) -> None:
    assert encoding_for_family(family) == encoding


def test_without_the_file_the_estimate_is_used_and_logged_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fresh_counters: None
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    with caplog.at_level(logging.INFO, logger="chatls.tokens"):
        first = tokens.counter_for("gpt-4o")
        second = tokens.counter_for("gpt-4o-mini")
    assert isinstance(first, EstimateCounter)
    assert second is first
    notes = [r.getMessage() for r in caplog.records if "token counting" in r.getMessage()]
    assert len(notes) == 1
    assert "o200k_base" in notes[0] and "estimate" in notes[0]


def test_a_damaged_cache_file_is_ignored_and_left_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_counters: None
) -> None:
    damaged = tmp_path / O200K_FILE
    damaged.write_bytes(b"not the encoding")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert tokens.cached_encoding_file("o200k_base") is None
    assert isinstance(tokens.counter_for("gpt-4o"), EstimateCounter)
    assert damaged.read_bytes() == b"not the encoding"  # tiktoken would have deleted it and downloaded


def test_disabled_cache_means_estimate(monkeypatch: pytest.MonkeyPatch, fresh_counters: None) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # tiktoken would download on every use
    assert tokens.tiktoken_cache_dir() is None
    assert isinstance(tokens.counter_for("gpt-4o"), EstimateCounter)


def test_cache_dir_defaults_to_ours_and_tiktoken_is_not_imported_without_a_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    script = (
        "import os, sys\n"
        "from chatls import tokens\n"
        "counter = tokens.counter_for('gpt-4o')\n"
        "print(os.environ['TIKTOKEN_CACHE_DIR'])\n"
        "print(counter.name)\n"
        "print('tiktoken' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    cache_dir, name, imported = result.stdout.splitlines()
    assert Path(cache_dir) == tmp_path / "chatls" / "tiktoken"
    assert name == "estimate (conservative)"
    assert imported == "False"


def test_tiktoken_counts_exactly_from_the_seeded_cache(
    seeded_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_counters: None
) -> None:
    copy = tmp_path / "cache"
    shutil.copytree(seeded_cache, copy)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(copy))
    o200k = tokens.counter_for("gpt-4o")
    cl100k = tokens.counter_for("gpt-35-turbo")
    assert o200k.name == "tiktoken o200k_base"
    assert cl100k.name == "tiktoken cl100k_base"
    assert o200k.count("hello world") == 2
    assert o200k.count("<|endoftext|>") > 1  # counted as text, not refused as a special token
    assert sorted(p.name for p in copy.iterdir() if not p.name.startswith(".")) == sorted(
        [CL100K_FILE, O200K_FILE]
    )
    digest = hashlib.sha256((copy / O200K_FILE).read_bytes()).hexdigest()
    assert digest == tokens.ENCODING_SHA256["o200k_base"]


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_the_estimate_never_undercounts(
    sample: str, seeded_cache: Path, monkeypatch: pytest.MonkeyPatch, fresh_counters: None
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(seeded_cache))
    text = SAMPLES[sample]
    exact = max(tokens.counter_for("gpt-4o").count(text), tokens.counter_for("gpt-35-turbo").count(text))
    assert exact > 0
    assert EstimateCounter().count(text) >= exact


# --- fitting -----------------------------------------------------------------------------------------
def conversation(turns: int, size: int = 10) -> list[Msg]:
    """Alternating user/assistant messages, oldest first, each `size` characters."""
    messages = []
    for index in range(turns):
        messages.append(Msg("user", f"q{index}".ljust(size, ".")))
        messages.append(Msg("assistant", f"a{index}".ljust(size, ".")))
    return messages


def newest_first(messages: list[Msg]) -> Iterator[Msg]:
    return iter(reversed(messages))


def test_everything_fits() -> None:
    history = conversation(3)
    fitted = fit_history(
        newest_first(history),
        prompt="now?",
        counter=CharCounter(),
        context_window=1000,
        completion_reserve=100,
    )
    assert list(fitted.history) == history
    assert not fitted.omitted
    assert fitted.fixed_tokens == REPLY_PRIMER + cost("now?")
    assert fitted.total_tokens == fitted.fixed_tokens + 6 * cost("x" * 10)
    assert fitted.budget == 900


def test_oldest_turns_go_first_and_the_budget_is_never_exceeded() -> None:
    history = conversation(10)
    fixed = REPLY_PRIMER + cost("prompt") + cost("be brief")
    budget = fixed + 4 * cost("x" * 10) + 5  # room for four messages and a bit
    fitted = fit_history(
        newest_first(history),
        prompt="prompt",
        instructions="be brief",
        counter=CharCounter(),
        context_window=budget + 50,
        completion_reserve=50,
    )
    assert list(fitted.history) == history[-4:]
    assert fitted.omitted
    assert fitted.total_tokens <= fitted.budget
    assert fitted.total_tokens == fixed + 4 * cost("x" * 10)


def test_an_orphaned_reply_is_dropped_with_its_missing_question() -> None:
    history = conversation(5)
    budget = REPLY_PRIMER + cost("p") + 3 * cost("x" * 10)  # three messages: a, q, a -> keep q, a only
    fitted = fit_history(
        newest_first(history), prompt="p", counter=CharCounter(), context_window=budget, completion_reserve=0
    )
    assert [m.content[:2] for m in fitted.history] == ["q4", "a4"]
    assert fitted.history[0].role == "user"
    assert fitted.total_tokens <= fitted.budget


def test_history_is_read_only_as_far_as_needed() -> None:
    consumed = 0

    def endless() -> Iterator[Msg]:
        nonlocal consumed
        index = 0
        while True:
            consumed += 1
            yield Msg("assistant" if index % 2 == 0 else "user", "x" * 10)
            index += 1

    budget = REPLY_PRIMER + cost("p") + 6 * cost("x" * 10)
    fitted = fit_history(
        endless(), prompt="p", counter=CharCounter(), context_window=budget, completion_reserve=0
    )
    assert len(fitted.history) == 6
    assert consumed == 7  # the six kept and the one that did not fit


def test_max_messages_caps_history_reading_one_message_beyond() -> None:
    history = conversation(50)
    source = newest_first(history)
    fitted = fit_history(
        source,
        prompt="p",
        counter=CharCounter(),
        context_window=100_000,
        completion_reserve=0,
        max_messages=4,
    )
    assert list(fitted.history) == history[-4:]
    assert fitted.omitted
    assert next(source) == history[-6]  # one more was looked at (to know history was cut), no further


def test_attachment_and_instructions_count_against_the_budget() -> None:
    history = conversation(4)
    plain = fit_history(
        newest_first(history), prompt="p", counter=CharCounter(), context_window=120, completion_reserve=0
    )
    loaded = fit_history(
        newest_first(history),
        prompt="p",
        attachment_tokens=[tokens.part_tokens(CharCounter(), "```py\n" + "x" * 40 + "\n```")],
        instructions="i" * 10,
        counter=CharCounter(),
        context_window=120,
        completion_reserve=0,
    )
    assert len(loaded.history) < len(plain.history)
    assert loaded.total_tokens <= loaded.budget


def test_an_earlier_question_costs_its_attachments_too() -> None:
    history = [Msg("user", "q", parts=("x" * 50,)), Msg("assistant", "a")]
    fixed = REPLY_PRIMER + cost("p")
    with_parts = cost("q") + tokens.part_tokens(CharCounter(), "x" * 50)
    tight = fit_history(
        newest_first(history), prompt="p", counter=CharCounter(),
        context_window=fixed + cost("q") + cost("a") + 10, completion_reserve=0,
    )  # fmt: skip
    roomy = fit_history(
        newest_first(history), prompt="p", counter=CharCounter(),
        context_window=fixed + with_parts + cost("a"), completion_reserve=0,
    )  # fmt: skip
    assert tight.history == ()  # the question did not fit with its attachment, and its reply goes with it
    assert roomy.history == tuple(history)
    assert roomy.history_tokens == (with_parts, cost("a"))


def test_a_prompt_that_cannot_fit_is_a_clear_error() -> None:
    with pytest.raises(PromptTooLarge) as caught:
        fit_history(
            iter([]),
            prompt="p" * 500,
            attachment_tokens=[tokens.part_tokens(CharCounter(), "code" * 100)],
            counter=CharCounter(),
            context_window=1000,
            completion_reserve=600,
        )
    message = str(caught.value)
    assert "context window of 1000" in message and "600 reserved for the reply" in message
    assert "select less code" in message
    assert caught.value.budget == 400
    assert caught.value.needed > 400


def test_a_reserve_larger_than_the_window_is_a_clear_error() -> None:
    with pytest.raises(PromptTooLarge, match="at most 0"):
        fit_history(iter([]), prompt="p", counter=CharCounter(), context_window=100, completion_reserve=200)


def test_history_share_keeps_a_fraction_for_a_retry() -> None:
    history = conversation(20)
    args = {"prompt": "p", "counter": CharCounter(), "context_window": 10_000, "completion_reserve": 0}
    full = fit_history(newest_first(history), **args)  # type: ignore[arg-type]
    half = fit_history(newest_first(history), history_share=0.01, **args)  # type: ignore[arg-type]
    assert len(full.history) == 40
    assert sum(half.history_tokens) <= (half.budget - half.fixed_tokens) * 0.01
    assert list(half.history) == history[len(history) - len(half.history) :]


def test_trim_further_halves_the_history_and_keeps_the_newest() -> None:
    history = conversation(10)
    fitted = fit_history(
        newest_first(history), prompt="p", counter=CharCounter(), context_window=10_000, completion_reserve=0
    )
    trimmed = trim_further(fitted)
    assert sum(trimmed.history_tokens) <= sum(fitted.history_tokens) / 2
    assert list(trimmed.history) == history[-len(trimmed.history) :]
    assert trimmed.history[0].role == "user"
    assert trimmed.omitted
    assert trimmed.fixed_tokens == fitted.fixed_tokens and trimmed.budget == fitted.budget
    assert trim_further(trim_further(trim_further(trimmed, 0.0))).history == ()


def test_fitting_is_always_within_budget_and_a_newest_suffix() -> None:
    rng = random.Random(20261121)  # fixed seed: deterministic
    counter = CharCounter()
    for _ in range(200):
        history = [
            Msg("user" if i % 2 == 0 else "assistant", "x" * rng.randint(0, 300))
            for i in range(rng.randint(0, 40))
        ]
        window = rng.randint(50, 5000)
        reserve = rng.randint(0, window // 2)
        try:
            fitted = fit_history(
                newest_first(history),
                prompt="y" * rng.randint(0, 100),
                counter=counter,
                context_window=window,
                completion_reserve=reserve,
                history_share=rng.choice([1.0, 0.5]),
            )
        except PromptTooLarge as exc:
            assert exc.needed > window - reserve
            continue
        assert fitted.total_tokens <= window - reserve
        kept = list(fitted.history)
        assert kept == history[len(history) - len(kept) :]
        assert not kept or kept[0].role == "user" or len(kept) == len(history)
        retried = trim_further(fitted)
        assert retried.total_tokens <= fitted.total_tokens


# --- long texts: estimated from samples --------------------------------------------------------------
def _code(size: int) -> str:
    line = "def handler_{0}(request):\n    return route(request, 'path/{0}', {1})\n"
    return "".join(line.format(n, n % 7) for n in range(size // 40 + 1))[:size]


def test_texts_up_to_the_threshold_are_counted_exactly() -> None:
    text = _code(tokens.SAMPLED_ABOVE)
    assert tokens.text_tokens(EstimateCounter(), text) == EstimateCounter().count(text)


@pytest.mark.parametrize("kind", ["code", "prose", "diff"])
def test_a_long_text_is_sampled_and_over_counts_even_text_a_little(
    kind: str, seeded_cache: Path, monkeypatch: pytest.MonkeyPatch, fresh_counters: None
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(seeded_cache))
    counter = tokens.counter_for("gpt-4o")
    rng = random.Random(7)
    words = ["the", "model", "reads", "every", "attached", "file", "before", "it", "answers", "quickly"]
    texts = {
        "code": _code(400_000),
        "prose": " ".join(rng.choice(words) for _ in range(80_000)),
        "diff": "".join(f"-a{i}\n+b{i}\n" for i in range(30_000)),
    }
    text = texts[kind]
    exact = counter.count(text)
    estimate = tokens.text_tokens(counter, text)
    assert exact <= estimate <= exact * 1.3, (exact, estimate)


def test_sampling_reads_only_a_few_slices_of_a_long_text() -> None:
    seen: list[int] = []

    class Recording:
        name = "recording"

        def count(self, text: str) -> int:
            seen.append(len(text))
            return len(text) // 4

    assert tokens.text_tokens(Recording(), "x" * 1_000_000) == math.ceil(250_000 * tokens.SAMPLE_MARGIN)
    assert seen == [tokens.SAMPLE_CHARS] * tokens.SAMPLES
