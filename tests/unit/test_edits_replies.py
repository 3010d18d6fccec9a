"""Extracting the code to apply from a model reply."""

from __future__ import annotations

import pytest

from chatls import edits
from chatls.edits import CodeBlock


def test_one_fenced_block_with_a_language_tag() -> None:
    reply = "Here you go:\n\n```python\ndef f():\n    return 1\n```\n\nThis returns one."
    assert edits.choose_code(reply, "python") == "def f():\n    return 1"


def test_one_fenced_block_without_a_tag() -> None:
    assert edits.choose_code("```\nx = 1\n```", "python") == "x = 1"


def test_tilde_fences_and_info_strings_with_attributes() -> None:
    reply = "~~~ {.py title=x}\nprint(1)\n~~~"
    assert edits.code_blocks(reply) == [CodeBlock("py", "print(1)", closed=True)]
    assert edits.choose_code(reply, "python") == "print(1)"


def test_crlf_replies_are_read_like_lf_ones() -> None:
    assert edits.choose_code("Fixed:\r\n```js\r\nlet a = 1;\r\nlet b = 2;\r\n```\r\n", "javascript") == (
        "let a = 1;\nlet b = 2;"
    )


def test_a_longer_fence_keeps_shorter_fences_inside_the_block() -> None:
    reply = "````markdown\nUse:\n```py\nx\n```\n````"
    assert edits.choose_code(reply, "markdown") == "Use:\n```py\nx\n```"


def test_indented_fences_lose_up_to_their_own_indentation() -> None:
    reply = "1. Change it:\n   ```python\n   if x:\n       y()\n   ```"
    assert edits.choose_code(reply, "python") == "if x:\n    y()"


def test_the_block_in_the_selection_language_wins_over_others() -> None:
    reply = "Install it:\n```bash\npip install attrs\n```\nThen:\n```py\nimport attrs\n```"
    assert edits.choose_code(reply, "python") == "import attrs"


def test_untagged_blocks_beat_blocks_in_other_languages() -> None:
    reply = "```text\nTraceback: something long and unhelpful\n```\n```\nvalue = 2\n```"
    assert edits.choose_code(reply, "python") == "value = 2"


def test_the_longest_matching_block_wins() -> None:
    reply = "```ts\nconst a = f(1);\n```\nwhere\n```ts\nfunction f(x: number) {\n  return x + 1;\n}\n```"
    assert edits.choose_code(reply, "typescript") == "function f(x: number) {\n  return x + 1;\n}"


def test_on_a_tie_the_last_block_wins() -> None:
    assert edits.choose_code("```py\na = 1\n```\n```py\nb = 2\n```", "python") == "b = 2"


def test_a_block_repeating_the_original_is_dropped_when_another_is_left() -> None:
    original = "total = total + price * quantity_in_cart"
    reply = f"Instead of\n```py\n{original}\n```\nwrite\n```py\ntotal += price * qty\n```"
    assert edits.choose_code(reply, "python", original=original) == "total += price * qty"


def test_a_block_equal_to_the_original_stays_when_it_is_the_only_one() -> None:
    assert edits.choose_code("```py\nx = 1\n```\nIt is fine.", "python", original="x = 1") == "x = 1"


def test_combine_joins_all_matching_blocks_for_generated_tests() -> None:
    reply = (
        "```python\nimport pytest\n```\nand\n"
        "```python\ndef test_a():\n    assert 1\n```\n"
        "```bash\npytest\n```"
    )
    assert edits.choose_code(reply, "python", combine=True) == "import pytest\n\ndef test_a():\n    assert 1"


def test_a_closed_block_beats_one_cut_off_at_the_end() -> None:
    reply = "```py\nok = True\n```\nMore:\n```py\nnot_finished = ["
    assert edits.code_blocks(reply)[-1] == CodeBlock("py", "not_finished = [", closed=False)
    assert edits.choose_code(reply, "python") == "ok = True"


def test_a_cut_off_block_alone_is_never_code() -> None:
    assert edits.choose_code("```python\ndef f():\n    pass", "python") is None


def test_a_reply_without_fences_is_prose_not_code() -> None:
    assert edits.choose_code("\n\n  return a + b  \n\n", "python") is None
    assert edits.choose_code("I'm sorry, but I can't help with that.", "python") is None


def test_a_lone_inline_span_is_unwrapped() -> None:
    assert edits.choose_code("`x + 1`", "python") == "x + 1"


@pytest.mark.parametrize("reply", ["", "   \n", "```python\n```", "```\n   \n```"])
def test_no_code_at_all_gives_none(reply: str) -> None:
    assert edits.choose_code(reply, "python") is None


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("py", "python"),
        ("Python", "python"),
        ("ts", "typescript"),
        ("C#", "csharp"),
        ("rust", "rust"),
        (None, ""),
    ],
)
def test_fence_tags_and_language_ids_share_one_name(name: str | None, canonical: str) -> None:
    assert edits.canonical_language(name) == canonical


def test_backticks_in_a_backtick_info_string_do_not_open_a_block() -> None:
    assert edits.code_blocks("```not `a` fence\ncode\n```") == [CodeBlock("", "", closed=False)]
