"""Retirement warnings (within 30 days, or already retired) and the message for a 410 Gone."""

from __future__ import annotations

from datetime import date

from chatls.azure.capabilities import resolve_capabilities
from chatls.azure.lifecycle import lifecycle_warning, retired_message

CODEX_MINI = resolve_capabilities(model="codex-mini")  # retires 2026-11-15, no replacement named
O1 = resolve_capabilities(model="o1-2024-12-17")  # retires 2026-10-21 -> gpt-5.6-sol


def test_no_warning_while_retirement_is_more_than_30_days_away_or_unknown() -> None:
    assert lifecycle_warning(CODEX_MINI, date(2026, 10, 15)) is None
    assert lifecycle_warning(resolve_capabilities(model="gpt-6-astra"), date(2026, 12, 2)) is None
    assert lifecycle_warning(resolve_capabilities(model="contoso-llm"), date(2026, 12, 2)) is None


def test_a_warning_within_30_days_names_the_profile_model_date_and_what_to_do() -> None:
    warning = lifecycle_warning(O1, date(2026, 10, 14), profile="deep")
    assert warning == (
        "Profile 'deep' uses o1-2024-12-17, which Azure retires on 2026-10-21 (in 7 days); after that every "
        "request fails. Microsoft suggests gpt-5.6-sol instead: deploy it and point the profile at it."
    )
    assert "(in 30 days)" in (lifecycle_warning(CODEX_MINI, date(2026, 10, 16)) or "")
    assert "(tomorrow)" in (lifecycle_warning(CODEX_MINI, date(2026, 11, 14)) or "")
    assert "(today)" in (lifecycle_warning(CODEX_MINI, date(2026, 11, 15)) or "")
    assert "retirement schedule" in (lifecycle_warning(CODEX_MINI, date(2026, 11, 15)) or "")


def test_a_retired_model_gets_a_message_naming_the_replacement() -> None:
    warning = lifecycle_warning(resolve_capabilities(model="gpt-5-chat"), date(2026, 12, 2), profile="p")
    assert warning is not None
    assert "retired on 2026-06-29" in warning and "410 Gone" in warning and "gpt-chat-latest" in warning


def test_the_version_decides_the_date() -> None:
    today = date(2026, 12, 2)
    assert "2026-12-09" in (lifecycle_warning(resolve_capabilities(model="gpt-4o-2024-05-13"), today) or "")
    assert lifecycle_warning(resolve_capabilities(model="gpt-4o-2024-11-20"), today) is None


def test_an_inferred_model_never_inherits_its_donors_retirement() -> None:
    assert lifecycle_warning(resolve_capabilities(model="gpt-5.7-chat"), date(2026, 12, 2)) is None


def test_the_410_message_names_the_deployment_the_model_and_the_replacement() -> None:
    assert retired_message(O1, "reasoner") == (
        "Azure refused deployment 'reasoner': its model (o1-2024-12-17) was retired on 2026-10-21 "
        "(410 Gone). Microsoft suggests gpt-5.6-sol instead: deploy it and point the profile at it."
    )
    unknown = retired_message(resolve_capabilities(deployment="chat-prod"), "chat-prod")
    assert unknown.startswith("Azure refused deployment 'chat-prod': its model was retired (410 Gone). ")
    assert "retirement schedule" in unknown
