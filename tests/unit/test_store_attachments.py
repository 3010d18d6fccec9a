"""Migration 5 and `chatls.attachments`: a question keeps each attachment (its text once, and what it was),
so Retry sends the same parts and Export lists them; questions stored before keep working as one part."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.old_store import database_at_version, schema_version

from chatls.attachments import SEPARATOR, Attached, restored, stored, summary, too_long
from chatls.azure.types import MAX_STRING_CHARS
from chatls.store import ConversationStore
from chatls.store.schema import SCHEMA_VERSION

WORKSPACE = "file:///home/me/project"
FILE = Attached("file src/app.py", "File: src/app.py\n```python\nx = 1\n```", kind="file", name="src/app.py")
RANGE = Attached(
    "range src/app.py:3-9", "File: src/app.py (lines 3-9)\n```\ny\n```", kind="range", name="src/app.py",
    lines=(3, 9),
)  # fmt: skip
DIFF = Attached("diff (working tree)", "The git diff (working tree):\n```diff\n-a\n+b\n```", kind="diff")


def test_a_question_keeps_each_attachment_and_gives_back_the_same_parts(tmp_path: Path) -> None:
    text, described = stored([FILE, RANGE, DIFF])
    with ConversationStore.open(tmp_path) as store:
        ids = store.begin_turn(
            conversation_id=None, workspace_uri=WORKSPACE, title="q", question="Review",
            attachment=text, attachments=described,
        )  # fmt: skip
        question = store.get_message(ids.question_id)
    assert question is not None
    assert question.attachment == SEPARATOR.join(a.text for a in (FILE, RANGE, DIFF))  # each text once
    assert restored(question.attachment, question.attachments) == (FILE, RANGE, DIFF)
    assert question.attachments == [
        {"kind": "file", "label": "file src/app.py", "name": "src/app.py", "chars": len(FILE.text)},
        {"kind": "range", "label": "range src/app.py:3-9", "name": "src/app.py", "lines": [3, 9],
         "chars": len(RANGE.text)},
        {"kind": "diff", "label": "diff (working tree)", "chars": len(DIFF.text)},
    ]  # fmt: skip


def test_no_attachments_store_nothing() -> None:
    assert stored([]) == (None, None)
    assert restored(None, None) == ()


def test_a_question_from_before_descriptions_is_one_part_holding_its_whole_attachment() -> None:
    old = "File: a.py\n```\nx\n```\n\nThe git diff (working tree): no changes."
    assert restored(old, None) == (Attached("attached context", old, kind="context"),)
    # a description that does not add up to the text is not trusted either
    assert restored(old, [{"kind": "file", "label": "file a.py", "chars": 3}]) == (
        Attached("attached context", old, kind="context"),
    )
    for damaged in ({"kind": "file"}, ["file"], [{"chars": "3"}]):  # not what migration 5 writes
        assert restored(old, damaged) == (Attached("attached context", old, kind="context"),)  # type: ignore[arg-type]


def test_a_version_4_database_gains_the_attachments_column_and_loses_nothing(tmp_path: Path) -> None:
    database_at_version(tmp_path, 4, WORKSPACE, (
        "INSERT INTO messages"
        " (id, conversation_id, role, content, status, created_at, updated_at, attachment)"
        " VALUES ('m', 'c', 'user', 'Why?', 'complete', 'x', 'x', 'File: a.py\nx')"
    ))
    with ConversationStore.open(tmp_path) as store:
        assert store.recovered_from is None
        (message,) = store.get_messages("c")
    assert (message.content, message.attachment, message.attachments) == ("Why?", "File: a.py\nx", None)
    assert restored(message.attachment, message.attachments) == (
        Attached("attached context", "File: a.py\nx", kind="context"),
    )
    assert schema_version(tmp_path) == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("attached", "shown"),
    [
        (FILE, "file src/app.py"),
        (RANGE, "range src/app.py, lines 3–9"),
        (DIFF, "diff (working tree)"),
        (Attached("standard input", "standard input:\n```\nx\n```"), "standard input"),
    ],
)
def test_a_summary_names_kind_name_and_lines(attached: Attached, shown: str) -> None:
    assert summary(attached) == shown


def test_only_an_attachment_over_azures_string_limit_is_too_long() -> None:
    assert too_long(Attached("file a.py", "x" * MAX_STRING_CHARS)) is None
    problem = too_long(Attached("file big.py", "x" * (MAX_STRING_CHARS + 1)))
    assert problem is not None
    assert problem.startswith("file big.py is 1,048,577 characters as sent; Azure takes at most 1,048,576")


def test_export_lists_each_questions_attachments_and_not_their_text(tmp_path: Path) -> None:
    text, described = stored([FILE, RANGE, DIFF])
    with ConversationStore.open(tmp_path) as store:
        ids = store.begin_turn(
            conversation_id=None, workspace_uri=WORKSPACE, title="Review", question="Review",
            attachment=text, attachments=described,
        )  # fmt: skip
        store.update_message(ids.reply_id, content="Looks fine.", status="complete", settled=True)
        store.add_message(ids.conversation_id, "user", "And older ones?", "complete", attachment="old block")
        markdown = store.export_markdown(ids.conversation_id)
    assert (
        "\n\nReview\n\nAttached:\n\n- file src/app.py\n- range src/app.py, lines 3–9\n"
        "- diff (working tree)\n\n## Assistant"
    ) in markdown
    assert "x = 1" not in markdown  # named, not pasted
    assert markdown.endswith("And older ones?\n\nAttached:\n\n- attached context\n")
