"""The emulator's own table of Azure OpenAI model families.

Written from ``/work/shared/azure/capabilities.md`` (section keys D1…D12 and the ``errors/`` files are
cited per row). It deliberately shares nothing with ``chatls.azure``: the emulator is an independent
witness, so a wrong row in the adapter's table cannot make both sides agree by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

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
    source: str = ""
    notes: tuple[str, ...] = field(default=())


_O_EFFORTS = ("low", "medium", "high")

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("gpt-35-turbo", "0125", False, 16_385, 4_096, source="D5; capabilities b1-b3"),
        Family("gpt-4o", "2024-11-20", False, 128_000, 16_384, source="D5"),
        Family("gpt-4o-mini", "2024-07-18", False, 128_000, 16_384, source="D5"),
        Family("gpt-4.1", "2025-04-14", False, 128_000, 32_768, source="D11 (standard deployment window)"),
        Family(
            "o1-preview",
            "2024-09-12",
            True,
            128_000,
            32_768,
            system_role=False,
            developer_role=False,
            streaming=False,
            sampling="unsupported_value",
            max_tokens=False,
            reasoning_efforts=None,
            parallel_tool_calls=False,
            min_api_version="2024-09-01-preview",
            source="D2, D5; system-role-unsupported.json",
        ),
        Family(
            "o1-mini",
            "2024-09-12",
            True,
            128_000,
            65_536,
            system_role=False,
            developer_role=False,
            streaming=False,
            sampling="unsupported_value",
            max_tokens=False,
            reasoning_efforts=None,
            parallel_tool_calls=False,
            min_api_version="2024-09-01-preview",
            source="D2, D5; developer-role-unsupported-by-model, reasoning-effort-unknown-parameter",
        ),
        Family(
            "o1",
            "2024-12-17",
            True,
            200_000,
            100_000,
            streaming=False,
            sampling="unsupported_value",
            max_tokens=False,
            reasoning_efforts=_O_EFFORTS,
            parallel_tool_calls=False,
            min_api_version="2024-12-01-preview",
            source="D1; stream-unsupported.json, api-version-too-old.json",
        ),
        Family(
            "o3-mini",
            "2025-01-31",
            True,
            200_000,
            100_000,
            sampling="unsupported_parameter",
            max_tokens=False,
            reasoning_efforts=_O_EFFORTS,
            parallel_tool_calls=False,
            min_api_version="2024-12-01-preview",
            source="D1; temperature-unsupported-parameter.json, parallel-tool-calls-unsupported.json",
        ),
        Family(
            "o3",
            "2025-04-16",
            True,
            200_000,
            100_000,
            sampling="unsupported_value",
            max_tokens=False,
            reasoning_efforts=_O_EFFORTS,
            parallel_tool_calls=False,
            min_api_version="2025-04-01-preview",
            source="D1, D2; temperature-unsupported-value.json",
            notes=("Streaming is 'limited access' on Azure (D1); the emulator lets it stream.",),
        ),
        Family(
            "o4-mini",
            "2025-04-16",
            True,
            200_000,
            100_000,
            sampling="unsupported_value",
            max_tokens=False,
            reasoning_efforts=_O_EFFORTS,
            parallel_tool_calls=False,
            min_api_version="2025-04-01-preview",
            source="D1",
        ),
        *(
            Family(
                name,
                "2025-08-07",
                True,
                400_000,
                128_000,
                sampling="unsupported_value",
                max_tokens=False,
                reasoning_efforts=("minimal", "low", "medium", "high"),
                parallel_tool_calls_minimal_effort=False,
                min_api_version="2025-04-01-preview",
                source="D1, D5; promptfoo/promptfoo#6153 (dated preview works)",
            )
            for name in ("gpt-5", "gpt-5-mini", "gpt-5-nano")
        ),
        Family(
            "gpt-5-chat",
            "2025-10-03",
            False,
            128_000,
            16_384,
            min_api_version="2025-04-01-preview",
            source="D5, D11 (not a reasoning model)",
        ),
        Family(
            "gpt-5.1",
            "2025-11-13",
            True,
            400_000,
            128_000,
            sampling="unsupported_value",
            max_tokens=False,
            reasoning_efforts=("none", "low", "medium", "high"),
            min_api_version="2025-03-01-preview",
            source="D1; dyad-sh/dyad#1849",
            notes=("'none' is documented (D1) but was once rejected (BerriAI/litellm#16704).",),
        ),
    )
}

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
