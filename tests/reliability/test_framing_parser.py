"""`chatls.framing.FrameParser` on its own: every malformed frame the outside attack used, fed whole, a byte
at a time and in arbitrary chunks; the well-formed frame after it always comes out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatls.framing import Dropped, Frame, FrameParser, Undecodable


def request(ident: Any, method: str = "x", **params: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params}).encode()


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


UNICODE = json.dumps(
    {"jsonrpc": "2.0", "id": "u", "method": "x", "params": {"p": "é€😀"}}, ensure_ascii=False
)

BROKEN: dict[str, tuple[bytes, list[Any]]] = {
    # name: (bytes, ids of the messages handled from them; the broken frame itself when it can be recovered)
    "length counts characters, not UTF-8 bytes": (
        b"Content-Length: %d\r\n\r\n" % len(UNICODE) + UNICODE.encode(),
        ["u"],
    ),
    "lower-case header name": (b"content-length: %d\r\n\r\n" % len(request(1)) + request(1), [1]),
    "headers ending in bare LF": (b"Content-Length: %d\n\n" % len(request(2)) + request(2), [2]),
    "non-numeric length": (b"Content-Length: lots\r\n\r\n" + request(3), [3]),
    "negative length": (b"Content-Length: -5\r\n\r\n" + request(4), [4]),
    "length shorter than the body": (b"Content-Length: 5\r\n\r\n" + request(5), [5]),
    "length longer than the body": (b"Content-Length: 900\r\n\r\n" + request(6), [6]),
    "no Content-Length at all": (b"Content-Type: application/json\r\n\r\n" + request(7), [7]),
    "absurd length": (b"Content-Length: 1000000000000\r\n\r\n" + request(8), []),
    "garbage": (b"\x00\xff\xfe garbage \x80 {not json", []),
    "a body that is not JSON": (frame(b"{this is not json"), []),
    "a body that is not UTF-8": (frame(b'{"jsonrpc": "2.0", "method": "\xff\xfe"}'), []),
    "an HTTP request": (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n\r\nhello", []),
    "a header longer than any": (b"X-Padding: " + b"a" * 20000 + b"\r\n\r\n", []),
}


def ids(events: list[Any]) -> list[Any]:
    return [e.message["id"] for e in events if isinstance(e, Frame)]


def feed_in_chunks(data: bytes, cuts: list[int]) -> list[Any]:
    parser: FrameParser[Any] = FrameParser(json.loads)
    events: list[Any] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        events += parser.feed(data[start:cut])
        start = cut
    return events


@pytest.mark.guarantee("a malformed frame never hides the well-formed frames after it (frame parser)")
@pytest.mark.parametrize("name", BROKEN)
@pytest.mark.parametrize("chunking", ["whole", "byte by byte"])
def test_the_frame_after_a_broken_one_is_read(name: str, chunking: str) -> None:
    broken, recovered = BROKEN[name]
    data = broken + frame(request("next")) + frame(request("after"))
    cuts = [] if chunking == "whole" else list(range(1, len(data)))
    events = feed_in_chunks(data, cuts)
    assert ids(events) == [*recovered, "next", "after"]
    if not recovered:
        assert any(isinstance(e, Dropped) for e in events), events


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(
    name=st.sampled_from(sorted(BROKEN)), cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8)
)
def test_any_chunking_gives_the_same_messages(name: str, cuts: list[int]) -> None:
    broken, recovered = BROKEN[name]
    data = frame(request("before")) + broken + frame(request("next"))
    events = feed_in_chunks(data, [c for c in cuts if c < len(data)])
    assert ids(events) == ["before", *recovered, "next"]


def test_an_absurd_length_is_refused_without_waiting_for_or_holding_its_body() -> None:
    parser: FrameParser[Any] = FrameParser(json.loads, max_frame_bytes=1000)
    events = parser.feed(b"Content-Length: 1000000000000\r\n\r\n")
    assert [type(e) for e in events] == [Dropped]
    assert "1000000000000" in events[0].reason and "limit" in events[0].reason
    for _ in range(50):  # a large body follows anyway: dropped as it arrives, never accumulated
        parser.feed(b"x" * 10_000)
        assert parser.buffered <= 100
    assert ids(parser.feed(frame(request(1)))) == [1]


def test_well_formed_frames_in_one_read_and_split_anywhere() -> None:
    data = b"".join(frame(request(i, p="é" * i)) for i in range(20))
    assert ids(feed_in_chunks(data, [])) == list(range(20))
    assert ids(feed_in_chunks(data, list(range(0, len(data), 7)))) == list(range(20))


def test_a_body_still_arriving_is_awaited_not_dropped() -> None:
    parser: FrameParser[Any] = FrameParser(json.loads)
    body = request(1, text="y" * 100_000)
    data = frame(body)
    assert parser.feed(data[:5000]) == []
    assert parser.feed(data[5000:60000]) == []
    assert ids(parser.feed(data[60000:])) == [1]
    assert parser.buffered == 0


def test_a_decoder_failure_that_is_not_bad_json_is_reported_and_reading_goes_on() -> None:
    def decode(body: bytes) -> Any:
        message = json.loads(body)
        if message.get("id") == "bad":
            raise RuntimeError("cannot structure")
        return message

    parser: FrameParser[Any] = FrameParser(decode)
    events = parser.feed(frame(request("bad")) + frame(request("good")))
    assert isinstance(events[0], Undecodable) and str(events[0].error) == "cannot structure"
    assert ids(events) == ["good"]


def test_blank_lines_between_frames_are_ignored_silently() -> None:
    parser: FrameParser[Any] = FrameParser(json.loads)
    events = parser.feed(frame(request(1)) + b"\r\n\r\n" + frame(request(2)))
    assert events == [Frame({"jsonrpc": "2.0", "id": i, "method": "x", "params": {}}) for i in (1, 2)]
