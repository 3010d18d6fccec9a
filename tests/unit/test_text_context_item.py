"""The `text` context item (what `chatls ask` sends for piped stdin): rendered from the params alone, checked
like a file (size cap, unusable text), and reported by position when several items are rendered at once."""

from __future__ import annotations

import pytest
from pygls.exceptions import JsonRpcException

from chatls.context_items import render_items
from chatls.protocol import ContextItem

NO_SERVER = None
"""A text item reads nothing from the server (no workspace, no documents)."""


async def test_a_text_is_a_fenced_block_under_its_label() -> None:
    (attached,) = await render_items(
        NO_SERVER, [ContextItem("text", text="a ``` b\n\n", label="standard\ninput")], 1_000
    )
    assert attached.label == "standard input"  # one line: it names the block
    assert attached.text == "standard input:\n````\na ``` b\n````"


async def test_a_text_without_a_label_is_called_text() -> None:
    (attached,) = await render_items(NO_SERVER, [ContextItem("text", text="x")], 1_000)
    assert attached.label == "text" and attached.text.startswith("text:\n```\n")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (ContextItem("text"), "a text needs its text @ $.attachments[1].text"),
        (ContextItem("text", text="é" * 6), "the text is 12 bytes, over the maxFileBytes limit of 10"),
        (ContextItem("text", text="\ud800"), "unpaired UTF-16 surrogate at character 0 @ $.attachments[1]"),
    ],
)
async def test_an_unusable_text_is_refused_naming_its_position(item: ContextItem, message: str) -> None:
    with pytest.raises(JsonRpcException) as refused:
        await render_items(NO_SERVER, [ContextItem("text", text="fine"), item], 10)
    assert message in refused.value.message


async def test_when_several_items_fail_the_first_in_order_is_reported() -> None:
    items = [ContextItem("text", text="fine"), ContextItem("text"), ContextItem("text", text="x" * 50)]
    with pytest.raises(JsonRpcException) as refused:
        await render_items(NO_SERVER, items, 10)
    assert refused.value.message.endswith("@ $.attachments[1].text")
