"""`chatls ask` prints a grounded (On Your Data) answer's references as a numbered list after the answer."""

from __future__ import annotations

import io
from types import SimpleNamespace

from chatls.ask_output import DeltaPrinter, reference_line


def test_references_follow_the_answer_numbered_as_the_text_cites_them() -> None:
    out, err = io.StringIO(), io.StringIO()
    p = DeltaPrinter(out, err, live=False)
    cited = [
        SimpleNamespace(title="policy.md", url="https://x/policy", filepath=None, chunkId="0"),
        SimpleNamespace(title=None, url=None, filepath="faq/receipts.md", chunkId=None),
    ]
    p.delta(SimpleNamespace(conversationId="c", messageId="m", citations=cited))
    p.delta(SimpleNamespace(conversationId="c", messageId="m", citations=cited[:1]))  # only the first counts
    p.delta(SimpleNamespace(conversationId="c", messageId="m", content="30 days [doc1], receipt [doc2]."))
    p.finish("30 days [doc1], receipt [doc2].")
    assert out.getvalue() == (
        "30 days [doc1], receipt [doc2].\n"
        "\nReferences:\n"
        "[1] policy.md (chunk 0) — https://x/policy\n"
        "[2] faq/receipts.md\n"
    )
    assert err.getvalue() == ""


def test_a_reference_with_nothing_to_show_still_keeps_its_number() -> None:
    assert reference_line(3, {"title": None, "url": None}) == "[3] (untitled source)"
    assert reference_line(1, {"url": "https://u"}) == "[1] https://u"
