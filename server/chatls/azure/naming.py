"""Reading Azure model names: line, generation, variant and version (catalogue-2026, "Naming patterns").

Pure string work, no table: `parse_model_name("gpt-5.4-mini-2026-03-17")` is line "gpt", generation "5.4",
variant "mini", version "2026-03-17". `find_model_name` looks for one model name inside a deployment name
("team_gpt-5.9-mini-east"), where users add words of their own, so it keeps only variant words it knows.
The capability table uses both to find the nearest known row for a name it does not list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_VERSION = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")
"""A trailing version: a date, or gpt-35-turbo's four digits (0125, 1106)."""
_GENERATION = re.compile(r"^(\d+(?:\.\d+)?)(o?)$")
_O_SERIES = re.compile(r"^o(\d+)$")

TIERS = frozenset({"sol", "terra", "luna", "astra"})
"""Tier words from gpt-5.6 on (sol = flagship, terra = middle, luna = cheapest; astra from gpt-6)."""
VARIANT_WORDS = frozenset(
    {"mini", "nano", "pro", "chat", "codex", "max", "turbo", "preview", "latest", "16k", "32k", *TIERS}
)
"""Words that belong to a model's name, as opposed to words users put in deployment names ("prod")."""

# Where a model name can start inside a deployment name: not after a letter or digit.
_ANCHOR = re.compile(
    r"(?<![a-z0-9])(?:gpt-oss-\d+b|model-router|codex-mini|gpt-\d+(?:\.\d+)?o?(?![0-9a-z.])|gpt-chat-latest|o\d+(?![0-9a-z.]))"
)
_DATE_AFTER = re.compile(r"-(\d{4}-\d{2}-\d{2})(?![0-9])")


@dataclass(frozen=True)
class ModelName:
    """A model name read into its parts; `base` is the name without its version."""

    line: str
    """"gpt", "o" (o-series), "codex", "gpt-oss" or "model-router"."""
    generation: str
    """"5.4", "4o", "3.5" (gpt-35), "3" (o3); "" where the line has none (gpt-chat-latest, codex-mini)."""
    variant: str
    """Everything after the generation: "mini", "codex-max", "sol", "chat-latest", "120b"; "" for the base."""
    version: str | None
    """"2026-03-17", "0125"; None when the name carries none."""
    base: str

    @property
    def generation_key(self) -> tuple[int, ...]:
        """Orders generations: 3.5 < 4 < 4o < 4.1 < 5 < 5.4 < 6 < 6.1 ("" sorts first)."""
        return _generation_key(self.generation)


@lru_cache(maxsize=256)
def _generation_key(generation: str) -> tuple[int, ...]:
    if not generation:
        return ()
    omni = generation.endswith("o")
    numbers = tuple(int(part) for part in generation.rstrip("o").split("."))
    return (*numbers, 0, 1) if omni and len(numbers) == 1 else numbers


def split_version(name: str) -> tuple[str, str | None]:
    """ "gpt-4o-2024-08-06" -> ("gpt-4o", "2024-08-06"); "gpt-35-turbo-0125" -> ("gpt-35-turbo", "0125")."""
    match = _VERSION.search(name)
    if match is None:
        return name, None
    return name[: match.start()], match[1]


@lru_cache(maxsize=4096)
def parse_model_name(name: str) -> ModelName | None:
    """A whole model name (a profile's `model`, the `model` Azure reports) read into its parts, or None.

    Every word after the generation is kept in the variant, known or not ("gpt-6-nova" has variant
    "nova"): the name is a model's, so each word means something.
    """
    base, version = split_version(name.strip().lower())
    words = base.split("-")
    if base == "model-router":
        return ModelName("model-router", "", "", version, base)
    if words[0] == "codex" and len(words) > 1:
        return ModelName("codex", "", "-".join(words[1:]), version, base)
    if words[0] == "gpt" and len(words) > 2 and words[1] == "oss":
        return ModelName("gpt-oss", "", "-".join(words[2:]), version, base)
    o_series = _O_SERIES.match(words[0])
    if o_series is not None:
        return ModelName("o", o_series[1], "-".join(words[1:]), version, base)
    if words[0] != "gpt" or len(words) < 2:
        return None
    generation = _GENERATION.match(words[1])
    if generation is None:
        # gpt-chat-latest: a rolling name without a generation
        return ModelName("gpt", "", "-".join(words[1:]), version, base) if words[1].isalpha() else None
    number = "3.5" if generation[1] == "35" else generation[1]
    return ModelName("gpt", number + generation[2], "-".join(words[2:]), version, base)


@lru_cache(maxsize=4096)
def find_model_name(text: str) -> ModelName | None:
    """The one model name inside a deployment name, or None when there is none or more than one.

    After the model's own start ("gpt-5.9", "o3", "codex-mini") only known variant words are kept, so
    "gpt-5.9-mini-east" is gpt-5.9-mini; a date right after them is the version.
    """
    lowered = text.strip().lower()
    found: list[ModelName] = []
    consumed = 0
    for anchor in _ANCHOR.finditer(lowered):
        if anchor.start() < consumed:
            continue  # inside the previous name ("gpt-5.4-codex-mini" holds "codex-mini")
        end = anchor.end()
        words = [anchor[0]]
        for word in lowered[end:].split("-")[1:] if lowered[end : end + 1] == "-" else []:
            if word not in VARIANT_WORDS:
                break
            words.append(word)
            end += len(word) + 1
        date = _DATE_AFTER.match(lowered, end)
        consumed = date.end() if date else end
        parsed = parse_model_name("-".join(words) + (f"-{date[1]}" if date else ""))
        if parsed is not None:
            found.append(parsed)
    bases = {name.base for name in found}
    return found[0] if len(bases) == 1 else None
