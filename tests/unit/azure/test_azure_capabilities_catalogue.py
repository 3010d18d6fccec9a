"""Every family of the late-2026 catalogue resolves to what ../shared/azure/catalogue-2026.md says.

WITNESS is written by hand from the catalogue's table (not derived from capabilities.toml), one line per
family; a ⚠ cell is written as the choice the catalogue's rule asks for (what cannot cause a 400, or what
healing repairs from Azure's 400). Columns:
wires (preferred first) | instructions | stream | token parameter | efforts (both wires) | + Responses-only
efforts | verbosity | window / input / output | tools with effort on Chat | background | retires → replacement
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from chatls.azure.capabilities import load_capabilities, resolve_capabilities


class Row(NamedTuple):
    wires: tuple[str, ...]
    instructions: str
    streaming: bool
    token_parameter: str
    efforts: tuple[str, ...]
    responses_only: tuple[str, ...]
    verbosity: bool
    limits: tuple[int, int, int]
    tools_with_effort_on_chat: bool
    background: bool
    retires: str | None
    replacement: str | None


WITNESS = """
gpt-35-turbo|C|system|y|mt|-|-|n|16385/16385/4096|y|n|-|-
gpt-4|C|system|y|mt|-|-|n|128000/128000/4096|y|n|-|-
gpt-4o|C R|system|y|mt|-|-|n|128000/128000/16384|y|n|2027-04-14|gpt-5.1
gpt-4o-mini|C R|system|y|mt|-|-|n|128000/128000/16384|y|n|2027-04-14|-
gpt-4.1|C R|system|y|mt|-|-|n|300000/300000/32768|y|n|2027-04-14|-
gpt-4.1-mini|C R|system|y|mt|-|-|n|300000/300000/32768|y|n|2027-04-14|-
gpt-4.1-nano|C R|system|y|mt|-|-|n|300000/300000/32768|y|n|2027-04-14|-
o1-preview|C|fold|n|mct|-|-|n|128000/128000/32768|y|n|2025-07-28|o1
o1-mini|C|fold|n|mct|-|-|n|128000/128000/65536|y|n|-|-
o1|C R|developer|n|mct|low medium high|-|n|200000/200000/100000|y|n|2026-10-21|gpt-5.6-sol
o1-pro|R|developer|n|mct|low medium high|-|n|200000/200000/100000|y|y|2026-10-21|gpt-5.6-sol
o3-mini|C R|developer|y|mct|low medium high|-|n|200000/200000/100000|y|n|2026-10-01|o4-mini
o3|R C|developer|n|mct|low medium high|-|n|200000/200000/100000|y|n|2026-10-21|gpt-5.6-sol
o3-pro|R|developer|n|mct|low medium high|-|n|200000/200000/100000|y|y|2026-12-17|-
o4-mini|R C|developer|y|mct|low medium high|-|n|200000/200000/100000|y|n|2026-10-16|-
codex-mini|R|developer|y|mct|low medium high|-|n|200000/200000/100000|y|n|2026-11-15|-
gpt-5|R C|developer|y|mct|minimal low medium high|-|y|400000/272000/128000|y|n|2027-02-09|-
gpt-5-mini|R C|developer|y|mct|minimal low medium high|-|y|400000/272000/128000|y|n|2027-02-09|-
gpt-5-nano|R C|developer|y|mct|minimal low medium high|-|y|400000/272000/128000|y|n|2027-02-09|-
gpt-5-chat|C R|system|y|mt|-|-|n|128000/128000/16384|y|n|2026-06-29|gpt-chat-latest
gpt-5-codex|R|developer|y|mct|low medium high|-|y|400000/272000/128000|y|n|2027-03-17|-
gpt-5-pro|R|developer|n|mct|high|-|y|400000/272000/128000|y|y|2027-04-07|-
gpt-5.1|R C|developer|y|mct|none low medium high|-|y|400000/272000/128000|y|n|2027-05-15|-
gpt-5.1-chat|C R|developer|y|mct|medium|-|n|128000/111616/16384|y|n|2026-06-29|gpt-chat-latest
gpt-5.1-codex|R|developer|y|mct|none low medium high|-|n|400000/272000/128000|y|n|2027-05-15|-
gpt-5.1-codex-mini|R|developer|y|mct|none low medium high|-|n|400000/272000/128000|y|n|2027-05-15|-
gpt-5.1-codex-max|R|developer|y|mct|none low medium high xhigh|-|n|400000/272000/128000|y|n|2027-05-18|-
gpt-5.2|R C|developer|y|mct|none low medium high xhigh|-|y|400000/272000/128000|y|n|2027-06-08|-
gpt-5.2-chat|C R|developer|y|mct|medium|-|n|128000/111616/16384|y|n|2026-06-29|gpt-chat-latest
gpt-5.2-codex|R|developer|y|mct|low medium high xhigh|-|n|400000/272000/128000|y|n|2027-07-13|-
gpt-5.3-chat|C R|developer|y|mct|medium|-|n|128000/111616/16384|y|n|2026-06-29|gpt-chat-latest
gpt-5.3-codex|R|developer|y|mct|low medium high xhigh|-|n|400000/272000/128000|y|n|2027-08-24|-
gpt-5.4|R C|developer|y|mct|none low medium high xhigh|-|y|1050000/922000/128000|n|n|2027-09-02|-
gpt-5.4-mini|R C|developer|y|mct|none low medium high xhigh|-|y|400000/272000/128000|n|n|2027-09-21|-
gpt-5.4-nano|R C|developer|y|mct|none low medium high xhigh|-|y|400000/272000/128000|n|n|2027-09-21|-
gpt-5.4-pro|R|developer|y|mct|medium high xhigh|-|y|1050000/922000/128000|n|y|2027-09-07|-
gpt-5.5|R C|developer|y|mct|none low medium high xhigh|-|y|1050000/922000/128000|n|n|2027-10-26|-
gpt-chat-latest|C R|system|y|mct|-|-|n|400000/272000/128000|y|n|-|-
gpt-5.6-sol|R C|developer|y|mct|none low medium high xhigh|max|y|1050000/922000/128000|n|n|2028-01-11|-
gpt-5.6-terra|R C|developer|y|mct|none low medium high xhigh|max|y|1050000/922000/128000|n|n|2028-01-11|-
gpt-5.6-luna|R C|developer|y|mct|none low medium high xhigh|max|y|1050000/922000/128000|n|n|2028-01-11|-
gpt-6-astra|R C|developer|y|mct|none low medium high xhigh|max|y|1050000/922000/128000|n|n|-|-
gpt-6-sol|R C|developer|y|mct|none low medium high xhigh|max|y|1050000/922000/128000|n|n|-|-
gpt-6-luna|R C|developer|y|mct|none low medium high xhigh|max|y|1050000/922000/128000|n|n|-|-
gpt-6.1-sol|R C|developer|y|mct|none low medium high xhigh|max|y|1050000/922000/128000|n|n|-|-
model-router|C|system|y|mct|low medium high|-|n|200000/200000/16384|y|n|2027-05-20|-
gpt-oss-120b|C|system|y|mct|low medium high|-|n|131072/131072/131072|y|n|-|-
gpt-oss-20b|C|system|y|mct|low medium high|-|n|131072/131072/131072|y|n|-|-
"""


def _witness() -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for line in WITNESS.strip().splitlines():
        name, wires, role, stream, token, efforts, only, verb, limits, tools, bg, retires, repl = (
            cell.strip() for cell in line.split("|")
        )
        window, inputs, output = (int(n) for n in limits.split("/"))
        rows[name] = Row(
            wires=tuple({"C": "chat", "R": "responses"}[w] for w in wires.split()),
            instructions=role,
            streaming=stream == "y",
            token_parameter={"mt": "max_tokens", "mct": "max_completion_tokens"}[token],
            efforts=() if efforts == "-" else tuple(efforts.split()),
            responses_only=() if only == "-" else tuple(only.split()),
            verbosity=verb == "y",
            limits=(window, inputs, output),
            tools_with_effort_on_chat=tools == "y",
            background=bg == "y",
            retires=None if retires == "-" else retires,
            replacement=None if repl == "-" else repl,
        )
    return rows


CATALOGUE = _witness()


def test_the_table_has_exactly_the_catalogue_families_and_the_unknown_row() -> None:
    assert set(load_capabilities().rows) == {*CATALOGUE, "unknown"}


@pytest.mark.parametrize("family", sorted(CATALOGUE))
def test_each_family_resolves_to_what_the_catalogue_says(family: str) -> None:
    expected = CATALOGUE[family]
    caps = resolve_capabilities(model=family)
    assert (caps.family, caps.resolution) == (family, "table")
    actual = Row(
        wires=caps.wires,
        instructions=caps.instructions,
        streaming=caps.streaming,
        token_parameter=caps.token_parameter,
        efforts=caps.reasoning_efforts,
        responses_only=caps.responses_only_efforts,
        verbosity=bool(caps.verbosity),
        limits=(caps.context_window, caps.input_limit, caps.max_output_tokens),
        tools_with_effort_on_chat=caps.tools_with_effort_on_chat,
        background=caps.background,
        retires=caps.retires,
        replacement=caps.replacement,
    )
    assert actual == expected


@pytest.mark.parametrize("family", sorted(CATALOGUE))
def test_reasoning_models_take_no_sampling_and_every_row_cites_its_source(family: str) -> None:
    caps = resolve_capabilities(model=family)
    if caps.reasoning:
        assert caps.sampling == frozenset(), family
        assert caps.token_parameter == "max_completion_tokens", family
    assert caps.details["source"].startswith("catalogue-2026 ")


def test_summaries_are_offered_where_the_catalogue_says_and_responses_is_then_preferred() -> None:
    for family in CATALOGUE:
        caps = resolve_capabilities(model=family)
        if caps.reasoning_summaries:
            assert caps.wires[0] == "responses", family
    no_summaries = {"o1", "o3-mini", "o3-pro"}  # responses-api.md section 7 (R26)
    assert not any(resolve_capabilities(model=f).reasoning_summaries for f in no_summaries)
    assert all(resolve_capabilities(model=f).reasoning_summaries for f in ("o3", "o4-mini", "gpt-5.4"))


def test_uncertain_minimum_api_versions_are_not_enforced() -> None:
    """Catalogue ⚠4: gpt-5-chat, gpt-5, gpt-5.1 (and every GPT-5-era row) have no certain dated minimum."""
    for family in CATALOGUE:
        if family.startswith(("gpt-5", "gpt-6", "gpt-chat", "gpt-oss", "model-router", "codex", "o3-pro")):
            assert resolve_capabilities(model=family).min_api_version == "", family
    # certain ones stay: enforced by Azure (azure-sdk-for-net#47809, langchain4j#2636) or documented (D2)
    assert resolve_capabilities(model="o1").min_api_version == "2024-12-01-preview"
    assert resolve_capabilities(model="o3-mini").min_api_version == "2024-12-01-preview"
    assert resolve_capabilities(model="o4-mini").min_api_version == "2025-04-01-preview"


def test_model_router_accepts_only_what_the_router_accepts() -> None:
    caps = resolve_capabilities(model="model-router")
    assert caps.router and caps.wires == ("chat",)
    assert caps.sampling == frozenset() and caps.verbosity == ()
    assert not caps.parallel_tool_calls  # o-series picks refuse it
    assert caps.input_limit == 200_000  # the smallest routed model's window (MS)


def test_retired_rows_are_marked_and_name_their_replacement() -> None:
    for family in ("o1-preview", "gpt-5-chat", "gpt-5.1-chat", "gpt-5.2-chat", "gpt-5.3-chat"):
        caps = resolve_capabilities(model=family)
        assert caps.details["retired"] is True and caps.replacement, family


@pytest.mark.parametrize(
    ("model", "retires", "output", "window"),
    [
        ("gpt-4o-2024-05-13", "2026-12-09", 4096, 128_000),
        ("gpt-4o-2024-08-06", "2027-04-14", 16384, 128_000),
        ("gpt-5-chat-2025-10-03", "2026-05-13", 16384, 128_000),
        ("gpt-chat-latest-2026-06-24", "2026-09-24", 16384, 128_000),
        ("gpt-chat-latest-2026-08-06", "2026-12-02", 128_000, 400_000),
        ("model-router-2025-08-07", "2026-08-30", 16384, 200_000),
    ],
)
def test_versions_carry_their_own_limits_and_dates(
    model: str, retires: str, output: int, window: int
) -> None:
    caps = resolve_capabilities(model=model)
    assert (caps.retires, caps.max_output_tokens, caps.context_window) == (retires, output, window)
