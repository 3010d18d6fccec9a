"""The real `chatls serve` on stdio after every kind of malformed frame: it resynchronises at the next valid
header, answers every later well-formed request, and logs what it dropped. (pygls' own reader went deaf for
the rest of the session after any of these, and exited with MemoryError on a length of 10**12.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.reliability.wire import WireServer, chat_works, frame, start_server

from chatls import protocol
from chatls.emulator.fixture import ThreadedEmulator, emulator_in_thread

LIST = {"jsonrpc": "2.0", "method": protocol.CONVERSATIONS, "params": {}}


def body(ident: str) -> bytes:
    return json.dumps({**LIST, "id": ident}).encode()


UNICODE_BODY = json.dumps(
    {"jsonrpc": "2.0", "id": "chars", "method": protocol.CONVERSATIONS, "params": {}, "note": "é€😀"},
    ensure_ascii=False,
)

BROKEN = {
    # what: (bytes, the id of the broken frame when its body is a whole request: it is recovered and answered)
    "a Content-Length counting characters, not UTF-8 bytes": (
        b"Content-Length: %d\r\n\r\n" % len(UNICODE_BODY) + UNICODE_BODY.encode(),
        "chars",
    ),
    "a lower-case header name": (b"content-length: %d\r\n\r\n" % len(body("lower")) + body("lower"), "lower"),
    "headers ending in bare LF": (b"Content-Length: %d\n\n" % len(body("lf")) + body("lf"), "lf"),
    "a non-numeric Content-Length": (b"Content-Length: lots\r\n\r\n" + body("nan"), "nan"),
    "a negative Content-Length": (b"Content-Length: -5\r\n\r\n" + body("neg"), "neg"),
    "a Content-Length shorter than the body": (b"Content-Length: 9\r\n\r\n" + body("short"), "short"),
    "a Content-Length longer than the body": (b"Content-Length: 400\r\n\r\n" + body("long"), "long"),
    "garbage with no line end": (b"\x00\xff garbage {not json", None),
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    with emulator_in_thread() as emu:
        yield emu


def answered_after(server: WireServer, broken: bytes, what: str, recovered: str | None = None) -> None:
    """Send `broken` and a well-formed request in ONE write (the hard case: no pause to resynchronise in)."""
    itself = server.expect(recovered) if recovered else None
    answer = server.expect(f"next-{len(server.stdout)}")
    server.send_raw(broken + frame(body(answer.ident)))
    assert server.wait(answer.queue, f"the request after {what}").get("result") == [], what
    if itself is not None:
        assert server.wait(itself.queue, what).get("result") == [], what


@pytest.mark.guarantee("after any malformed frame the server resynchronises and answers every later request")
def test_every_later_request_is_answered_after_a_malformed_frame(
    emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    server = start_server(emulator, tmp_path)
    try:
        for what, (broken, recovered) in BROKEN.items():
            answered_after(server, broken, what, recovered)
            assert server.process.poll() is None, what
        chat_works(server, "after every malformed frame")
        assert server.violations == []
        assert server.shutdown() == 0
    finally:
        server.close()
    stderr = server.stderr.decode(errors="replace")
    assert "dropped" in stderr or "recovered" in stderr  # what was dropped is logged


@pytest.mark.guarantee(
    "an absurd Content-Length (10**12) is refused without allocating it; the session goes on"
)
def test_an_absurd_content_length_is_refused_and_the_session_goes_on(
    emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    server = start_server(emulator, tmp_path)
    try:
        answered_after(server, b"Content-Length: 1000000000000\r\n\r\n" + body("huge"), "a length of 10**12")
        # and a large body that does follow such a header is dropped as it arrives
        answered_after(server, b"Content-Length: 99999999999999\r\n\r\n" + b"x" * 3_000_000, "its body")
        chat_works(server, "after an absurd length")
        assert server.shutdown() == 0
    finally:
        server.close()
    stderr = server.stderr.decode(errors="replace")
    assert "MemoryError" not in stderr
    assert "Content-Length of 1000000000000 bytes" in stderr


@pytest.mark.guarantee("a frame whose length counts characters is still answered (recovered, and logged)")
def test_a_frame_whose_length_counts_characters_is_answered(
    emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    server = start_server(emulator, tmp_path)
    try:
        answer = server.expect("chars")
        server.send_raw(BROKEN["a Content-Length counting characters, not UTF-8 bytes"][0])
        assert server.wait(answer.queue, "the frame itself").get("result") == []
        assert server.shutdown() == 0
    finally:
        server.close()
    assert "recovered a message" in server.stderr.decode(errors="replace")
