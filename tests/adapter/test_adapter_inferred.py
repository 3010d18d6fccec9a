"""A model no row lists: its requests follow the nearest known row, and the turn's notes say so."""

from __future__ import annotations

from tests.adapter.conftest import MakeClient, collect

from chatls.azure import ChatMessage, ChatOptions, ChatResult, Conversation
from chatls.emulator.fixture import RunningEmulator


async def test_an_inferred_model_is_named_in_the_turns_notes_once(
    emulator: RunningEmulator, make_client: MakeClient
) -> None:
    client = make_client("gpt-5", model="gpt-5.9-mini")  # the emulator's gpt-5 stands in for it
    conversation = Conversation("Be brief.", (ChatMessage("user", "hello"),))
    first = (await collect(client, conversation, ChatOptions()))[-1]
    second = (await collect(client, conversation, ChatOptions()))[-1]
    assert isinstance(first, ChatResult) and isinstance(second, ChatResult)
    note = (
        "gpt-5 runs gpt-5.9-mini, which ChatLS's model table does not list yet; its requests follow "
        "gpt-5.4-mini's rules (inferred). If they are wrong, add a row to your modelsFile."
    )
    assert note in first.adaptations
    assert note not in second.adaptations
