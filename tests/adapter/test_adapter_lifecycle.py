"""A deployment whose model retired: Azure's 410 Gone becomes an error naming the date and the replacement."""

from __future__ import annotations

import pytest
from tests.adapter.conftest import MakeClient, collect

from chatls.azure import ChatMessage, ChatOptions, Conversation
from chatls.azure.errors import ModelRetired
from chatls.emulator.fixture import RunningEmulator

CONVERSATION = Conversation("Be brief.", (ChatMessage("user", "hello"),))


async def test_a_retired_model_is_an_error_naming_the_suggested_replacement(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_deployment("old-reasoner", model="o1-2024-12-17", retired=True)
    client = make_client("old-reasoner", model="o1", apiVersion="2024-12-01-preview")
    with pytest.raises(ModelRetired) as caught:
        await collect(client, CONVERSATION, ChatOptions())
    message = caught.value.user_message
    assert message.startswith(
        "Azure refused deployment 'old-reasoner': its model (o1) was retired on 2026-10-21 (410 Gone). "
        "Microsoft suggests gpt-5.6-sol instead: deploy it and point the profile at it."
    )
    assert caught.value.status == 410
    requests = await emulator.requests("old-reasoner")
    assert [r["status"] for r in requests] == [410]  # not retried, not healed


async def test_an_unknown_model_that_retired_still_says_what_to_do(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    await emulator.set_deployment("legacy", model="gpt-4o-2024-05-13", retired=True)
    with pytest.raises(ModelRetired) as caught:
        await collect(make_client("legacy"), CONVERSATION, ChatOptions())
    assert caught.value.user_message.startswith("Azure refused deployment 'legacy': its model was retired")
    assert "retirement schedule" in caught.value.user_message
