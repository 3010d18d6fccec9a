"""The emulator's own table of Azure OpenAI model families.

Written from ``/work/shared/azure/capabilities.md`` (section keys D1…D12 and the ``errors/`` files are
cited per row). It deliberately shares nothing with ``chatls.azure``: the emulator is an independent
witness, so a wrong row in the adapter's table cannot make both sides agree by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

SamplingRule = Literal["accept", "unsupported_value", "unsupported_parameter"]

#: Parameters a reasoning model refuses (D1 "Not supported" list).
SAMPLING_PARAMETERS: tuple[str, ...] = (
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
)


@dataclass(frozen=True)
class Family:
    """What one model family accepts on Chat Completions."""

    name: str
    default_version: str
    reasoning: bool
    context_window: int
    max_output: int
    system_role: bool = True
    developer_role: bool = True
    streaming: bool = True
    sampling: SamplingRule = "accept"
    max_tokens: bool = True
    reasoning_efforts: tuple[str, ...] | None = None
    """Accepted ``reasoning_effort`` values; ``None`` means the parameter is unknown to the model."""
    parallel_tool_calls: bool = True
    parallel_tool_calls_minimal_effort: bool = True
    """gpt-5 accepts ``parallel_tool_calls`` except together with ``reasoning_effort: minimal`` (D1)."""
    min_api_version: str | None = None
    """Oldest dated api-version that serves the model (``api-version-too-old.json``)."""
    prompt_caching: bool = True
    """Reports ``cached_tokens`` for a repeated prefix: GPT-4o and newer (D7)."""
    source: str = ""
    notes: tuple[str, ...] = field(default=())


_O_EFFORTS = ("low", "medium", "high")
_GPT5_EFFORTS = ("minimal", "low", "medium", "high")
_GPT51_EFFORTS = ("none", "low", "medium", "high")


def _classic(name: str, version: str, window: int, output: int, source: str, **rules: Any) -> Family:
    """Chat models: every parameter and role accepted, streaming on."""
    return Family(name, version, False, window, output, source=source, **rules)


def _o_series(
    name: str, version: str, window: int, output: int, since: str, source: str, **rules: Any
) -> Family:
    """o-series reasoning models: no max_tokens, no parallel_tool_calls, sampling only at its default."""
    defaults: dict[str, Any] = {
        "sampling": "unsupported_value",
        "max_tokens": False,
        "reasoning_efforts": _O_EFFORTS,
        "parallel_tool_calls": False,
    }
    merged = defaults | rules
    return Family(name, version, True, window, output, min_api_version=since, source=source, **merged)


def _gpt5(name: str, version: str, efforts: tuple[str, ...], since: str, source: str, **rules: Any) -> Family:
    """GPT-5 reasoning models: like o-series, but parallel_tool_calls is accepted."""
    return Family(
        name,
        version,
        True,
        400_000,
        128_000,
        sampling="unsupported_value",
        max_tokens=False,
        reasoning_efforts=efforts,
        min_api_version=since,
        source=source,
        **rules,
    )


def _gpt5_chat(name: str, version: str) -> Family:
    """gpt-5.1-chat: refuses sampling parameters and max_tokens (D11, b2) in a 128k/16k window (b3).

    Its accepted ``reasoning_effort`` values are not documented separately (b2 ⚠): the emulator takes
    the values gpt-5 and gpt-5.1 share. The docs list v1 only (b1); like gpt-5.1, released the same day,
    it is served on 2025-03-01-preview and later (footnote 5 by analogy, not observed for this model).
    """
    return Family(
        name,
        version,
        True,
        128_000,
        16_384,
        sampling="unsupported_value",
        max_tokens=False,
        reasoning_efforts=("low", "medium", "high"),
        min_api_version="2025-03-01-preview",
        source="b1, b2, b3 (D1, D11); IBM/mcp-context-forge#5021 (gpt-5.x-chat refuses temperature != 1)",
        notes=("reasoning_effort values undocumented; verbosity not checked.",),
    )


_O1_EARLY = {"system_role": False, "developer_role": False, "streaming": False, "reasoning_efforts": None}

# fmt: off
FAMILIES: dict[str, Family] = {f.name: f for f in (
    _classic("gpt-35-turbo", "0125", 16_385, 4_096, "D5", prompt_caching=False),
    _classic("gpt-4o", "2024-11-20", 128_000, 16_384, "D5"),
    _classic("gpt-4o-mini", "2024-07-18", 128_000, 16_384, "D5"),
    *(_classic(name, "2025-04-14", 128_000, 32_768,
               "b1, b3 ('gpt-4.1 2025-04-14 (+ mini/nano)'); D11 (standard deployment window)")
      for name in ("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano")),
    _o_series("o1-preview", "2024-09-12", 128_000, 32_768, "2024-09-01-preview",
              "D2, D5; system-role-unsupported", **_O1_EARLY),
    _o_series("o1-mini", "2024-09-12", 128_000, 65_536, "2024-09-01-preview",
              "D2, D5; developer-role-unsupported-by-model, reasoning-effort-unknown-parameter", **_O1_EARLY),
    _o_series("o1", "2024-12-17", 200_000, 100_000, "2024-12-01-preview",
              "D1; stream-unsupported, api-version-too-old", streaming=False),
    _o_series("o3-mini", "2025-01-31", 200_000, 100_000, "2024-12-01-preview",
              "D1; temperature-unsupported-parameter, parallel-tool-calls-unsupported",
              sampling="unsupported_parameter"),
    _o_series("o3", "2025-04-16", 200_000, 100_000, "2025-04-01-preview",
              "D1, D2; temperature-unsupported-value",
              notes=("Streaming is 'limited access' on Azure (D1); the emulator lets it stream.",)),
    _o_series("o4-mini", "2025-04-16", 200_000, 100_000, "2025-04-01-preview", "D1"),
    *(_gpt5(name, "2025-08-07", _GPT5_EFFORTS, "2025-04-01-preview",
            "D1, D5; promptfoo/promptfoo#6153 (dated preview works)",
            parallel_tool_calls_minimal_effort=False)
      for name in ("gpt-5", "gpt-5-mini", "gpt-5-nano")),
    _classic("gpt-5-chat", "2025-10-03", 128_000, 16_384, "D5, D11 (not a reasoning model)",
             min_api_version="2025-04-01-preview"),
    _gpt5("gpt-5.1", "2025-11-13", _GPT51_EFFORTS, "2025-03-01-preview", "D1; dyad-sh/dyad#1849",
          notes=("'none' is documented (D1) but was once rejected (BerriAI/litellm#16704).",)),
    _gpt5_chat("gpt-5.1-chat", "2025-11-13"),
)}
# fmt: on

_VERSION_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


def split_model(model: str) -> tuple[Family, str]:
    """Map ``"o1-2024-12-17"`` (or a bare ``"o1"``) to its family and version.

    Raises ``KeyError`` naming the known families when the family is unknown.
    """
    match = _VERSION_SUFFIX.search(model)
    name, version = (model[: match.start()], match.group(1)) if match else (model, "")
    family = FAMILIES.get(name)
    if family is None:
        raise KeyError(f"unknown model family {name!r}; known: {', '.join(FAMILIES)}")
    return family, version or family.default_version


def versioned_name(family: Family, version: str) -> str:
    """The ``model`` field Azure reports, e.g. ``gpt-4o-2024-11-20``."""
    return f"{family.name}-{version}"
