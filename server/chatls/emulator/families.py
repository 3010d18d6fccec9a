# ruff: noqa: E501
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


Wire = Literal["chat", "responses"]
ChatToolRule = Literal["any", "effort_none", "never"]
"""Function tools on Chat Completions: always fine; only with ``reasoning_effort`` none or omitted (the
gpt-5.4+ rule); or never (gpt-6: refused at any effort; gpt-6.1-sol: tools are Responses-only)."""
EffortError = Literal["invalid_value", "unsupported_value"]


@dataclass(frozen=True)
class Family:
    """What one model family accepts, on Chat Completions and on Responses."""

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
    wires: tuple[Wire, ...] = ("chat",)
    """The APIs that serve the model; ``("responses",)`` = Responses-only (OperationNotSupported on chat)."""
    summaries: bool = False
    """Reasoning summaries on Responses (none for o1, o3-mini, o3-pro: responses-api.md §7)."""
    responses_efforts: tuple[str, ...] = ()
    """Efforts accepted on Responses only (``max`` on gpt-5.6 and gpt-6)."""
    tools: bool = True
    chat_tools: ChatToolRule = "any"
    effort_error: EffortError = "invalid_value"
    """How a model-level effort refusal reads: the older ``invalid_value`` capture (gpt-5.1) or the
    ``unsupported_value`` form (``reasoning-effort-unsupported-value-for-model.json``)."""
    retired: tuple[tuple[str, str], ...] = ()
    """(version, retirement date) pairs of versions that answer ``410 Gone``."""
    retires: str | None = None
    """Scheduled retirement of the default version (RS 2026-09-02), for the deployments listing."""
    replacement: str | None = None
    data_sources: bool = False
    """Takes On Your Data ``data_sources`` (only gpt-4o and gpt-4o-mini, issue 15)."""
    router: tuple[str, ...] = ()
    """model-router: the underlying models it reports, in turn."""
    version_limits: tuple[tuple[str, int, int], ...] = ()
    """(version, context window, max output) for versions whose limits differ from the default's."""

    @property
    def responses_only(self) -> bool:
        return self.wires == ("responses",)

    def retired_on(self, version: str) -> str | None:
        return dict(self.retired).get(version)

    def limits_for(self, version: str) -> tuple[int, int]:
        for known, window, output in self.version_limits:
            if known == version:
                return window, output
        return self.context_window, self.max_output


_O_EFFORTS = ("low", "medium", "high")
_GPT5_EFFORTS = ("minimal", "low", "medium", "high")
_GPT51_EFFORTS = ("none", "low", "medium", "high")
_GPT54_EFFORTS = ("none", "low", "medium", "high", "xhigh")
_GPT6_EFFORTS = ("low", "medium", "high", "xhigh")
_BOTH: tuple[Wire, ...] = ("chat", "responses")
_RESPONSES: tuple[Wire, ...] = ("responses",)
_FLAGSHIP = (1_050_000, 128_000)
"""gpt-5.4 / 5.5 / 5.6 / gpt-6 window and output (catalogue: 1,050,000 / 922,000 / 128,000)."""


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
    defaults: dict[str, Any] = {"wires": _BOTH, "summaries": True}
    return Family(
        name,
        version,
        True,
        rules.pop("context_window", 400_000),
        rules.pop("max_output", 128_000),
        sampling=rules.pop("sampling", "unsupported_value"),
        max_tokens=False,
        reasoning_efforts=efforts,
        min_api_version=since,
        source=source,
        **(defaults | rules),
    )


def _responses_only(name: str, version: str, efforts: tuple[str, ...], source: str, **rules: Any) -> Family:
    """codex and -pro variants: Responses only, sampling refused outright, v1 only (catalogue)."""
    defaults: dict[str, Any] = {
        "sampling": "unsupported_parameter",
        "max_tokens": False,
        "reasoning_efforts": efforts,
        "wires": _RESPONSES,
        "summaries": True,
        "effort_error": "unsupported_value",
        "context_window": 400_000,
        "max_output": 128_000,
    }
    merged = defaults | rules
    window, output = merged.pop("context_window"), merged.pop("max_output")
    return Family(name, version, True, window, output, source=source, **merged)


def _chat_preview(name: str, version: str, retired: tuple[tuple[str, str], ...], source: str) -> Family:
    """gpt-5.x-chat previews: 128k / 16,384, sampling refused, ``medium`` only (⚠⁵); all retired."""
    return Family(
        name,
        version,
        True,
        128_000,
        16_384,
        sampling="unsupported_value",
        max_tokens=False,
        reasoning_efforts=("low", "medium", "high") if name == "gpt-5.1-chat" else ("medium",),
        min_api_version="2025-03-01-preview",
        wires=_BOTH,
        retired=retired,
        replacement="gpt-chat-latest",
        source=source,
        notes=("reasoning_effort values undocumented on Azure (catalogue ⚠5); verbosity not checked.",),
    )


def _tiered(name: str, version: str, efforts: tuple[str, ...], source: str, **rules: Any) -> Family:
    """gpt-5.4 and later: 1.05M flagship window, tools with reasoning only on Responses."""
    window, output = rules.pop("limits", _FLAGSHIP)
    defaults: dict[str, Any] = {
        "chat_tools": "effort_none",
        "effort_error": "unsupported_value",
        "context_window": window,
        "max_output": output,
    }
    return _gpt5(name, version, efforts, "", source, **(defaults | rules))


_O1_EARLY = {
    "system_role": False,
    "developer_role": False,
    "streaming": False,
    "reasoning_efforts": None,
    "tools": False,
}
_GPT6 = {
    "sampling": "unsupported_parameter",
    "responses_efforts": ("max",),
    "chat_tools": "never",
}
_RS = "RS 2026-09-02"

# fmt: off
FAMILIES: dict[str, Family] = {f.name: f for f in (
    _classic("gpt-35-turbo", "0125", 16_385, 4_096, "D5", prompt_caching=False),
    _classic("gpt-4o", "2024-11-20", 128_000, 16_384, "D5; catalogue (gpt-4o rows, MS, RS)",
             wires=_BOTH, data_sources=True, retired=(("2024-05-13", "2026-10-01"),),
             version_limits=(("2024-05-13", 128_000, 4_096),), retires="2027-04-14", replacement="gpt-5.1"),
    _classic("gpt-4o-mini", "2024-07-18", 128_000, 16_384, "D5; catalogue", wires=_BOTH,
             data_sources=True, retires="2027-04-14"),
    *(_classic(name, "2025-04-14", 128_000, 32_768,
               "b1, b3 ('gpt-4.1 2025-04-14 (+ mini/nano)'); D11 (standard deployment window)",
               wires=_BOTH, retires="2027-04-14")
      for name in ("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano")),
    _o_series("o1-preview", "2024-09-12", 128_000, 32_768, "2024-09-01-preview",
              "D2, D5; system-role-unsupported; RET (retired 2025-07-28)",
              retired=(("2024-09-12", "2025-07-28"),), replacement="o1", **_O1_EARLY),
    _o_series("o1-mini", "2024-09-12", 128_000, 65_536, "2024-09-01-preview",
              "D2, D5; developer-role-unsupported-by-model, reasoning-effort-unknown-parameter", **_O1_EARLY),
    _o_series("o1", "2024-12-17", 200_000, 100_000, "2024-12-01-preview",
              "D1; stream-unsupported, api-version-too-old", streaming=False, wires=_BOTH,
              retires="2026-10-21", replacement="gpt-5.6-sol"),
    _o_series("o1-pro", "2025-03-19", 200_000, 100_000, "2024-12-01-preview",
              "RS only (catalogue ⚠: no Azure capability doc; treated like o3-pro)",
              streaming=False, wires=_RESPONSES, sampling="unsupported_parameter",
              effort_error="unsupported_value", retires="2026-10-21", replacement="gpt-5.6-sol"),
    _o_series("o3-mini", "2025-01-31", 200_000, 100_000, "2024-12-01-preview",
              "D1; temperature-unsupported-parameter, parallel-tool-calls-unsupported",
              sampling="unsupported_parameter", wires=_BOTH, retires="2026-10-01", replacement="o4-mini"),
    _o_series("o3", "2025-04-16", 200_000, 100_000, "2025-04-01-preview",
              "D1, D2; temperature-unsupported-value", wires=_BOTH, summaries=True,
              retires="2026-10-21", replacement="gpt-5.6-sol",
              notes=("Streaming is 'limited access' on Azure (D1); the emulator lets it stream.",)),
    _o_series("o3-pro", "2025-06-10", 200_000, 100_000, "2025-04-01-preview",
              "catalogue (R only, no streaming, no summaries; background recommended, R26)",
              streaming=False, wires=_RESPONSES, sampling="unsupported_parameter",
              effort_error="unsupported_value", retires="2026-12-17"),
    _o_series("o4-mini", "2025-04-16", 200_000, 100_000, "2025-04-01-preview", "D1", wires=_BOTH,
              summaries=True, retires="2026-10-16"),
    _o_series("codex-mini", "2025-05-16", 200_000, 100_000, "2025-04-01-preview",
              "catalogue (R only, streams, no ptc)", wires=_RESPONSES, sampling="unsupported_parameter",
              summaries=True, effort_error="unsupported_value", retires="2026-11-15"),
    *(_gpt5(name, "2025-08-07", _GPT5_EFFORTS, "2025-04-01-preview",
            "D1, D5; promptfoo/promptfoo#6153 (dated preview works)",
            parallel_tool_calls_minimal_effort=False, retires="2027-02-09")
      for name in ("gpt-5", "gpt-5-mini", "gpt-5-nano")),
    _classic("gpt-5-chat", "2025-10-03", 128_000, 16_384, "D5, D11 (not a reasoning model); RS (retired)",
             min_api_version="2025-04-01-preview", wires=_BOTH,
             retired=(("2025-08-07", "2026-06-29"), ("2025-10-03", "2026-05-13")), replacement="gpt-chat-latest"),
    _responses_only("gpt-5-codex", "2025-09-15", _O_EFFORTS, "catalogue; vanna-ai/vanna#967",
                    retires="2027-03-17"),
    _responses_only("gpt-5-pro", "2025-10-06", ("high",), "catalogue (high only, no streaming, no ptc)",
                    streaming=False, parallel_tool_calls=False, retires="2027-04-07"),
    _gpt5("gpt-5.1", "2025-11-13", _GPT51_EFFORTS, "2025-03-01-preview", "D1; dyad-sh/dyad#1849",
          retires="2027-05-15",
          notes=("'none' is documented (D1) but was once rejected (BerriAI/litellm#16704).",)),
    _chat_preview("gpt-5.1-chat", "2025-11-13", (("2025-11-13", "2026-06-29"),), "b1, b2, b3 (D1, D11); RS"),
    *(_responses_only(name, "2025-11-13", _GPT51_EFFORTS, "catalogue (R26 fn 7); langchain-azure#228",
                      retires="2027-05-15")
      for name in ("gpt-5.1-codex", "gpt-5.1-codex-mini")),
    _responses_only("gpt-5.1-codex-max", "2025-12-04", _GPT6_EFFORTS,
                    "catalogue; dify-official-plugins#2359 ('none' ⚠: MS says not supported)",
                    retires="2027-05-18"),
    _gpt5("gpt-5.2", "2025-12-11", _GPT51_EFFORTS, "", "catalogue (xhigh ⚠6: not in R26 for 5.2)",
          effort_error="unsupported_value", retires="2027-06-08"),
    _chat_preview("gpt-5.2-chat", "2026-02-10", (("2025-12-11", "2026-05-13"), ("2026-02-10", "2026-06-29")),
                  "catalogue; Aider-AI/aider#4707; RS"),
    _responses_only("gpt-5.2-codex", "2026-01-14", _GPT6_EFFORTS, "catalogue; anomalyco/opencode#14611 (xhigh)",
                    retires="2027-07-13"),
    _chat_preview("gpt-5.3-chat", "2026-03-03", (("2026-03-03", "2026-06-29"),), "catalogue; RS"),
    _responses_only("gpt-5.3-codex", "2026-02-24", _GPT6_EFFORTS, "catalogue (as gpt-5.2-codex)",
                    retires="2027-08-24"),
    _tiered("gpt-5.4", "2026-03-05", _GPT54_EFFORTS, "catalogue (MS, R26); tool rule", retires="2027-09-02"),
    *(_tiered(name, "2026-03-17", _GPT51_EFFORTS, "catalogue; IBM/mcp-context-forge#5021 (xhigh ⚠7)",
              limits=(400_000, 128_000), retires="2027-09-21")
      for name in ("gpt-5.4-mini", "gpt-5.4-nano")),
    _responses_only("gpt-5.4-pro", "2026-03-05", _GPT54_EFFORTS,
                    "catalogue (efforts not documented ⚠: all gpt-5.4 values accepted)",
                    context_window=_FLAGSHIP[0], parallel_tool_calls=False, retires="2027-09-07"),
    _tiered("gpt-5.5", "2026-04-24", _GPT54_EFFORTS, "catalogue (MS)", retires="2027-10-26"),
    _tiered("gpt-chat-latest", "2026-08-06", ("medium",),
            "catalogue (MS: effort fixed, 'can't configure' ⚠8; limits per version)",
            chat_tools="any", summaries=False, retires="2026-12-02", replacement="gpt-chat-latest 2026-08-06",
            limits=(400_000, 128_000),
            version_limits=tuple((v, 128_000, 16_384) for v in ("2026-05-05", "2026-05-28", "2026-06-24")),
            retired=(("2026-05-05", "2026-08-05"), ("2026-05-28", "2026-08-28"), ("2026-06-24", "2026-09-24"))),
    *(_tiered(name, "2026-07-09", _GPT54_EFFORTS, "catalogue (MS, R26; BerriAI/litellm#34932)",
              responses_efforts=("max",), retires="2028-01-11")
      for name in ("gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna")),
    _tiered("gpt-6-astra", "2026-09-03", _GPT6_EFFORTS,
            "catalogue ⚠9 (BerriAI/litellm#39983, maximhq/bifrost#7275, openclaw/openclaw#148358)", **_GPT6),
    *(_tiered(name, "2026-09-22", _GPT6_EFFORTS, "catalogue ⚠ (as gpt-6-astra)", **_GPT6)
      for name in ("gpt-6-sol", "gpt-6-luna")),
    _tiered("gpt-6.1-sol", "2026-09-29", _GPT6_EFFORTS, "catalogue ⚠ (MS: tools Responses API only)", **_GPT6),
    Family("model-router", "2025-11-18", False, 200_000, 32_768, max_tokens=True,
           reasoning_efforts=("minimal", "none", "low", "medium", "high"), wires=_BOTH,
           retires="2027-05-20", source="catalogue (MR, MRR): smallest underlying window; output of gpt-4.1",
           router=("gpt-4.1-nano-2025-04-14", "gpt-5-mini-2025-08-07", "o4-mini-2025-04-16",
                   "gpt-5.4-2026-03-05", "gpt-4o-mini-2024-07-18"),
           notes=("Sampling accepted (ignored for reasoning picks); reasoning_effort passed on (MR).",)),
    *(Family(name, "1", True, 131_072, 131_072, reasoning_efforts=_O_EFFORTS, wires=_BOTH,
             source="catalogue (MS; parameters ⚠ undocumented on v1)", prompt_caching=False)
      for name in ("gpt-oss-120b", "gpt-oss-20b")),
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
