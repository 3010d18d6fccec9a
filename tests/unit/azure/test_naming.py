"""Reading model names, and resolving names no row lists (future generations and variants of each line)."""

from __future__ import annotations

import pytest

from chatls.azure.capabilities import load_capabilities, resolution_note, resolve_capabilities
from chatls.azure.naming import ModelName, find_model_name, parse_model_name, split_version


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("gpt-5.4-mini-2026-03-17", ("gpt", "5.4", "mini", "2026-03-17")),
        ("o3-pro", ("o", "3", "pro", None)),
        ("gpt-6.1-sol", ("gpt", "6.1", "sol", None)),
        ("gpt-chat-latest", ("gpt", "", "chat-latest", None)),
        ("codex-mini", ("codex", "", "mini", None)),
        ("model-router", ("model-router", "", "", None)),
        ("model-router-2025-11-18", ("model-router", "", "", "2025-11-18")),
        ("gpt-oss-120b", ("gpt-oss", "", "120b", None)),
        ("gpt-35-turbo-0125", ("gpt", "3.5", "turbo", "0125")),
        ("gpt-4o-mini-2024-07-18", ("gpt", "4o", "mini", "2024-07-18")),
        ("GPT-5.1-Codex-Max", ("gpt", "5.1", "codex-max", None)),
        ("gpt-5", ("gpt", "5", "", None)),
    ],
)
def test_a_model_name_is_read_as_line_generation_variant_and_version(
    name: str, parts: tuple[str, str, str, str | None]
) -> None:
    read = parse_model_name(name)
    assert read is not None
    assert (read.line, read.generation, read.variant, read.version) == parts


@pytest.mark.parametrize(
    "name", ["contoso-llm", "DeepSeek-V3.1", "claude-sonnet-4-5", "gpt", "chat-prod", ""]
)
def test_names_without_a_recognisable_line_are_not_read(name: str) -> None:
    assert parse_model_name(name) is None


def test_generations_order_like_the_releases() -> None:
    order = ["gpt-35-turbo", "gpt-4", "gpt-4o", "gpt-4.1", "gpt-5", "gpt-5.4", "gpt-5.10", "gpt-6", "gpt-6.1"]
    keys = [parse_model_name(name).generation_key for name in order]  # type: ignore[union-attr]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("deployment", "base", "version"),
    [
        ("team_gpt-5.9-mini-east", "gpt-5.9-mini", None),
        ("prod-gpt-5.4-mini-2026-03-17-eu", "gpt-5.4-mini", "2026-03-17"),
        ("o3-pro-batch", "o3-pro", None),
        ("my-gpt-7-sol", "gpt-7-sol", None),
        ("router/model-router", "model-router", None),
        ("gpt-5.5-pro-east", "gpt-5.5-pro", None),
        ("pro1", None, None),
        ("my-gpt-4o-and-o1", None, None),  # two models: says nothing
        ("chat-prod", None, None),
    ],
)
def test_a_model_name_is_found_inside_a_deployment_name(
    deployment: str, base: str | None, version: str | None
) -> None:
    found = find_model_name(deployment)
    assert (found.base if found else None, found.version if found else None) == (base, version)


# ----- resolution of names no row lists ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("gpt-5.9-mini", "gpt-5.4-mini"),  # the example: the newest gpt-5.x mini
        ("gpt-5.9-mini-2027-04-01", "gpt-5.4-mini"),
        ("gpt-5.7-nano", "gpt-5.4-nano"),
        ("gpt-7-sol", "gpt-6.1-sol"),  # the newest tiered gpt
        ("gpt-5.7-terra", "gpt-5.6-terra"),
        ("gpt-6.2-luna", "gpt-6.1-sol"),  # the newest tiered release has no luna: its sol
        ("gpt-6-nova", "gpt-6-sol"),  # a new tier word from 5.6 on is a tier
        ("o5-pro", "o3-pro"),  # never o3: a -pro is not its base
        ("o5", "o3"),
        ("o5-mini", "o4-mini"),
        ("gpt-5.5-pro", "gpt-5.4-pro"),
        ("gpt-6-codex", "gpt-5.3-codex"),
        ("gpt-5.5-codex-max", "gpt-5.1-codex-max"),
        ("gpt-5.4-chat", "gpt-5.3-chat"),  # a -chat is never its reasoning sibling
        ("gpt-5.7", "gpt-5.5"),
        ("gpt-4.2-nano", "gpt-4.1-nano"),
        ("gpt-4o-audio-preview", "gpt-4o"),  # an unknown variant word falls back to the base
        ("gpt-oss-240b", "gpt-oss-120b"),
        ("codex-max", "codex-mini"),
        ("o5-codex", "gpt-5-codex"),  # a -codex from a line without one: another line's codex
    ],
)
def test_a_name_no_row_lists_resolves_to_the_nearest_row(name: str, family: str) -> None:
    caps = resolve_capabilities(model=name)
    assert (caps.family, caps.resolution, caps.model) == (family, "inferred", name)
    assert caps.details["inferredFrom"] == family


@pytest.mark.parametrize("name", ["contoso-llm-7", "DeepSeek-V3.1", "claude-opus-4-7", "my-finetune"])
def test_only_a_name_without_a_recognisable_line_is_unknown(name: str) -> None:
    assert resolve_capabilities(model=name).resolution == "unknown"


def test_an_inferred_row_keeps_the_donor_rules_but_not_its_lifecycle_or_its_largest_window() -> None:
    inferred = resolve_capabilities(model="gpt-5.7-chat")
    assert inferred.family == "gpt-5.3-chat" and inferred.retires is None and inferred.replacement is None
    flagship = resolve_capabilities(model="gpt-5.7")  # donor gpt-5.5: 1,050,000 / 922,000
    assert (flagship.context_window, flagship.input_limit, flagship.max_output_tokens) == (
        400_000,
        272_000,
        128_000,
    )
    assert resolve_capabilities(model="gpt-5.7", context_window=1_050_000).context_window == 1_050_000


def _future(read: ModelName) -> list[str]:
    """Names a later release of this row's model could have: higher generations, with and without a date."""
    if read.line == "gpt" and read.generation:
        major, _, minor = read.generation.rstrip("o").partition(".")
        bumped = [f"{major}.{int(minor or 0) + 3}", str(int(major) + 1)]
    elif read.line == "o":
        bumped = [str(int(read.generation) + 2)]
    else:
        return []
    names = []
    for generation in bumped:
        base = "-".join(
            part for part in (f"{read.line}-{generation}" if read.line == "gpt" else "", read.variant)
        )
        base = base if read.line == "gpt" else "-".join(p for p in (f"o{generation}", read.variant) if p)
        names += [base, f"{base}-2027-05-01"]
    return names


GENERATED = sorted(
    {
        (future, family)
        for family, read in ((f, parse_model_name(f)) for f in load_capabilities().rows if f != "unknown")
        if read is not None
        for future in _future(read)
        if split_version(future)[0] not in load_capabilities().spellings
    }
)


def test_the_generated_names_cover_every_line_and_many_variants() -> None:
    lines = {parse_model_name(name).line for name, _ in GENERATED}  # type: ignore[union-attr]
    variants = {parse_model_name(name).variant for name, _ in GENERATED}  # type: ignore[union-attr]
    assert lines == {"gpt", "o"} and len(GENERATED) > 100
    assert {"mini", "nano", "pro", "codex", "codex-max", "chat", "sol", "terra", "luna", "astra"} <= variants


@pytest.mark.parametrize(("name", "origin"), GENERATED)
def test_generated_future_names_resolve_as_the_rules_say(name: str, origin: str) -> None:
    read = parse_model_name(name)
    assert read is not None
    caps = resolve_capabilities(model=name)
    donor = parse_model_name(caps.family)
    assert donor is not None
    assert caps.resolution == "inferred" and donor.line == read.line
    assert donor.generation_key <= read.generation_key  # never a newer model than the name
    assert (read.version is None) == (name == read.base)
    first = read.variant.split("-")[0]
    if first in ("pro", "codex", "chat"):  # variants never fall into their base family
        assert donor.variant.split("-")[0] == first
    if first in ("pro", "codex"):
        assert caps.wires == ("responses",)
    if read.variant in ("sol", "terra", "luna", "astra"):
        assert donor.variant in ("sol", "terra", "luna", "astra")
    if read.variant in ("mini", "nano"):
        assert donor.variant == read.variant
    if read.variant == "":
        assert donor.variant == ""
    # the same name in a deployment name, as users write them, gives the same row
    assert resolve_capabilities(deployment=f"prod-{name}-eu").family == caps.family


def test_the_turn_note_names_the_deployment_the_model_and_the_row_followed() -> None:
    inferred = resolve_capabilities(deployment="my-reasoner", observed_model="gpt-5.9-mini-2027-04-01")
    assert resolution_note(inferred, "my-reasoner") == (
        "my-reasoner runs gpt-5.9-mini, which ChatLS's model table does not list yet; its requests follow "
        "gpt-5.4-mini's rules (inferred). If they are wrong, add a row to your modelsFile."
    )
    unknown = resolution_note(resolve_capabilities(deployment="my-reasoner"), "my-reasoner")
    assert unknown is not None and unknown.startswith("my-reasoner: its model is not known yet")
    assert resolution_note(resolve_capabilities(model="gpt-5.4-mini"), "d") is None
