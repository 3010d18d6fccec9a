"""The capability table file and model resolution."""

from __future__ import annotations

import re

import pytest
from tests.unit.azure.shared_data import SPECS

from chatls.azure import family_in_name, load_capabilities, resolve_capabilities
from chatls.azure.capabilities import parse_table, split_model_version

CATALOGUE_MD = SPECS.parent / "azure" / "catalogue-2026.md"
REQUIRED = {
    "gpt-35-turbo",
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o1-preview",
    "o1-mini",
    "o1",
    "o3-mini",
    "o3",
    "o4-mini",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-5-chat",
    "gpt-5.1",
    "gpt-5.1-chat",
}


def test_the_table_covers_every_required_family() -> None:
    assert set(load_capabilities().rows) >= REQUIRED


def test_every_row_cites_source_keys_that_exist_in_the_catalogue() -> None:
    reference = CATALOGUE_MD.read_text(encoding="utf-8")
    declared = set(re.findall(r"^\| ([A-Z0-9]+[a-z]?) \|", reference, flags=re.MULTILINE))
    assert {"R26", "MS", "RS", "LC", "MR", "D2", "RET"} <= declared
    for family, row in load_capabilities().rows.items():
        if family == "unknown":
            continue
        assert row["source"].startswith("catalogue-2026 "), family
        issues = re.findall(r"[\w.-]+/[\w.-]+#\d+", row["source"])
        for issue in issues:
            assert issue in reference, (family, issue)
        rest = re.sub(r"[\w.-]+/[\w.-]+#\d+", "", row["source"])
        keys = set(re.findall(r"\b([A-Z][A-Z0-9]*[a-z]?)\b", rest))
        assert keys, family
        assert keys <= declared, (family, keys - declared)


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("o1-prod", "o1"),
        ("prod-o1", "o1"),
        ("o1-mini-east", "o1-mini"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("GPT-4O", "gpt-4o"),
        ("team_gpt-4.1-nano", "gpt-4.1-nano"),
        ("gpt-5-chat-2025-10-03", "gpt-5-chat"),
        ("gpt-5.1-chat", "gpt-5.1-chat"),
        ("gpt-35-turbo-0125", "gpt-35-turbo"),
        ("gpt-3.5-turbo", "gpt-35-turbo"),
        ("gpt-5.2", "gpt-5.2"),  # not gpt-5
        ("gpt-5.9", None),  # spelled nowhere (resolution infers it, see test_naming.py)
        ("my-gpt-4o-and-o1", None),  # two families: ambiguous
        ("chat-prod", None),
        ("pro1", None),
        ("o10", None),
    ],
)
def test_family_in_name(name: str, family: str | None) -> None:
    assert family_in_name(name) == family


def test_split_model_version() -> None:
    assert split_model_version("o1-2024-12-17") == ("o1", "2024-12-17")
    assert split_model_version("gpt-35-turbo-0125") == ("gpt-35-turbo", "0125")
    assert split_model_version("gpt-4o") == ("gpt-4o", None)


def test_resolution_order_profile_then_deployment_name_then_reported_model() -> None:
    both = resolve_capabilities(model="o1", deployment="gpt-4o-prod", observed_model="o3-mini-2025-01-31")
    assert (both.family, both.details["resolvedFrom"]) == ("o1", "profile")
    named = resolve_capabilities(deployment="gpt-4o-prod")
    assert (named.family, named.model, named.details["resolvedFrom"]) == (
        "gpt-4o",
        "gpt-4o-prod",
        "deployment name",
    )
    reported = resolve_capabilities(deployment="chat-prod", observed_model="o3-mini-2025-01-31")
    assert (reported.family, reported.model, reported.details["resolvedFrom"]) == (
        "o3-mini",
        "o3-mini-2025-01-31",
        "response",
    )
    unknown = resolve_capabilities(model="my-finetune", deployment="chat")
    assert (unknown.family, unknown.reasoning, unknown.sampling, unknown.details["resolvedFrom"]) == (
        "unknown",
        False,
        frozenset(),
        "unknown",
    )


def test_a_report_of_the_same_family_refines_the_version_the_name_chose() -> None:
    caps = resolve_capabilities(deployment="gpt-4o-prod", observed_model="gpt-4o-2024-05-13")
    assert (caps.family, caps.model, caps.details["resolvedFrom"]) == (
        "gpt-4o",
        "gpt-4o-2024-05-13",
        "deployment name",
    )
    assert caps.max_output_tokens == 4096  # the 2024-05-13 override, known only from the report


def test_a_report_of_another_family_overrides_a_stale_deployment_name() -> None:
    caps = resolve_capabilities(deployment="gpt-4o", observed_model="o1-2024-12-17")
    assert (caps.family, caps.model, caps.details["resolvedFrom"]) == ("o1", "o1-2024-12-17", "response")
    assert caps.details["deploymentNameSuggests"] == "gpt-4o"
    unrecognised = resolve_capabilities(deployment="gpt-4o", observed_model="contoso-internal-7")
    assert (unrecognised.family, unrecognised.details["resolvedFrom"]) == ("gpt-4o", "deployment name")


def test_version_overrides_and_context_window_override() -> None:
    assert resolve_capabilities(model="gpt-4o-2024-05-13").max_output_tokens == 4096
    assert resolve_capabilities(model="gpt-4o-2024-11-20").max_output_tokens == 16384
    big = resolve_capabilities(model="gpt-4.1", context_window=1_047_576)
    assert (big.context_window, big.details["contextWindow"]) == (1_047_576, 1_047_576)
    gpt5 = resolve_capabilities(model="gpt-5")
    assert (gpt5.context_window, gpt5.input_limit, gpt5.max_output_tokens) == (400_000, 272_000, 128_000)


def test_a_malformed_table_is_refused_naming_the_row() -> None:
    base = '[families.unknown]\nsource = "x"\ninstructions = "system"\ntoken_parameter = "max_tokens"\n'
    base += "context_window = 10\nmax_output_tokens = 5\nreasoning = false\nstreaming = true\n"
    assert "unknown" in parse_table(base).rows
    with pytest.raises(ValueError, match=r"'bad'.*instructions"):
        parse_table(base + base.replace("unknown", "bad").replace('"system"', '"both"'))
    with pytest.raises(ValueError, match="'unknown': colour: unknown key"):
        parse_table(base + 'colour = "red"\n')
    with pytest.raises(ValueError, match="cite a source"):
        parse_table(base.replace('source = "x"', 'source = ""'))
