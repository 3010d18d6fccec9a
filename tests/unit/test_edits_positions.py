"""UTF-16 (and UTF-8/32) positions <-> Python indices, LSP line breaks, ranges."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatls import edits
from chatls.edits import UTF8, UTF16, UTF32, PositionError


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def rng(a: tuple[int, int], b: tuple[int, int]) -> types.Range:
    return types.Range(start=pos(*a), end=pos(*b))


@pytest.mark.parametrize(
    ("text", "utf8", "utf16", "utf32"),
    [
        ("abc", 3, 3, 3),
        ("😋", 4, 2, 1),  # outside the BMP: a surrogate pair in UTF-16
        ("漢字", 6, 2, 2),  # CJK: BMP, one UTF-16 unit each, three UTF-8 bytes
        ("e\u0301", 3, 2, 2),  # e + combining acute accent: two code points
        ("👩‍💻", 11, 5, 3),  # ZWJ sequence: woman + ZWJ + laptop
    ],
)
def test_code_units_per_encoding(text: str, utf8: int, utf16: int, utf32: int) -> None:
    assert edits.code_units(text, UTF8) == utf8
    assert edits.code_units(text, UTF16) == utf16
    assert edits.code_units(text, UTF32) == utf32


def test_columns_after_an_emoji_count_two_utf16_units() -> None:
    text = 'a = "😋" + b'
    start = edits.offset_at(text, pos(0, 4))
    end = edits.offset_at(text, pos(0, 8))
    assert text[start:end] == '"😋"'
    assert edits.position_at(text, end) == pos(0, 8)
    assert edits.position_at(text, end, UTF32) == pos(0, 7)
    assert edits.position_at(text, end, UTF8) == pos(0, 10)


def test_a_column_inside_a_surrogate_pair_is_rejected() -> None:
    with pytest.raises(PositionError, match="inside the character"):
        edits.offset_at("x😋y", pos(0, 2))


def test_a_column_inside_a_utf8_sequence_is_rejected() -> None:
    with pytest.raises(PositionError, match="inside"):
        edits.offset_at("漢字", pos(0, 1), UTF8)


def test_combining_characters_are_separate_code_points() -> None:
    text = "cafe\u0301 = 1"
    assert edits.offset_at(text, pos(0, 5)) == 5
    start, end = edits.span_of(text, rng((0, 0), (0, 5)))
    assert text[start:end] == "cafe\u0301"


def test_a_column_past_the_end_of_the_line_means_its_end() -> None:
    text = "ab\r\ncd"
    assert edits.offset_at(text, pos(0, 99)) == 2  # before the CRLF, not inside it


def test_crlf_cr_and_lf_all_end_lines() -> None:
    text = "one\r\ntwo\rthree\nfour"
    assert edits.line_starts(text) == [0, 5, 9, 15]
    assert text[edits.offset_at(text, pos(2, 0)) :].startswith("three")
    assert edits.position_at(text, text.index("four")) == pos(3, 0)
    assert edits.position_at(text, text.rindex("\n")) == pos(2, 5)


def test_text_ending_in_a_line_break_has_an_empty_last_line() -> None:
    text = "a\r\n"
    assert edits.line_starts(text) == [0, 3]
    assert edits.offset_at(text, pos(1, 0)) == 3
    assert edits.position_at(text, 3) == pos(1, 0)


def test_the_line_after_the_last_at_column_zero_is_the_end_of_the_text() -> None:
    assert edits.offset_at("abc", pos(1, 0)) == 3


def test_lines_outside_the_document_are_rejected() -> None:
    with pytest.raises(PositionError, match="line 5 is outside the document"):
        edits.offset_at("a\nb", pos(5, 0))


def test_inverted_ranges_are_rejected() -> None:
    with pytest.raises(PositionError, match="ends before it starts"):
        edits.span_of("hello", rng((0, 3), (0, 1)))


def test_range_of_round_trips_through_span_of() -> None:
    text = "x = '😋漢'\r\nprint(x)  # é\n"
    for start, end in [(0, 3), (4, 8), (5, 7), (10, 13), (10, len(text)), (0, len(text))]:
        for encoding in (UTF8, UTF16, UTF32):
            assert edits.span_of(text, edits.range_of(text, start, end, encoding), encoding) == (start, end)


def test_position_at_rejects_offsets_outside_the_text() -> None:
    with pytest.raises(PositionError):
        edits.position_at("ab", 3)


def test_detect_eol_takes_the_first_line_break_of_the_first_text_that_has_one() -> None:
    assert edits.detect_eol("no break", "a\r\nb\n") == "\r\n"
    assert edits.detect_eol("a\rb") == "\r"
    assert edits.detect_eol("", "") == "\n"
