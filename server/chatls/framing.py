"""A forgiving LSP frame parser: bytes in, decoded messages and reports of dropped bytes out.

pygls' reader trusts every `Content-Length`: one frame whose length counts characters instead of UTF-8 bytes,
whose header name is lower-case or whose header ends in a bare LF leaves it waiting for bytes that never come,
and a length of 10**12 makes it allocate until `MemoryError`. This parser never waits on a length it cannot
believe:

- header names are case-insensitive and lines may end in CRLF or LF;
- a length above `max_frame_bytes` is refused at once (nothing is allocated for it);
- a body that does not decode, or a header that does not parse, is *salvaged*: the bytes up to the next
  `Content-Length:` header (or all that has arrived) are decoded once more, so a frame whose length is wrong
  but whose body is a whole JSON object is still handled; otherwise the bytes are dropped and reported;
- while a body is still arriving, a complete `Content-Length: N` header line inside it proves the length was
  wrong (JSON text never holds a raw line break), so the parser cuts there instead of waiting.

The parser is pure (no I/O, no logging): `chatls.transport` feeds it and reports what it drops.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_FRAME_BYTES = 128 * 1024 * 1024
"""Largest body accepted; far above any real request (a prompt is refused long before by its token count)."""
MAX_HEADER_BYTES = 8 * 1024
"""Longest header block; more without a blank line is not a header."""

_MARKER = re.compile(rb"(?i)content-length[ \t]*:")
"""Where a frame may start, when resynchronising after bytes that are not one."""
_HEADER_LINE = re.compile(rb"(?i)content-length[ \t]*:[ \t]*[0-9]+[ \t]*\r?\n")
"""A whole `Content-Length` line: impossible inside a JSON body, so it ends a body whose length was wrong."""
_HEADER_NAME = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_MARKER_TAIL = 40
"""Bytes kept at the end of dropped data: a marker split across two reads is still found."""


@dataclass(frozen=True)
class Frame(Generic[T]):
    """A decoded message; `note` says how it was recovered when its framing was wrong."""

    message: T
    note: str | None = None


@dataclass(frozen=True)
class Dropped:
    """`size` bytes that were not a message, and why."""

    size: int
    reason: str


@dataclass(frozen=True)
class Undecodable:
    """A well-framed body whose decoding failed for a reason other than bad JSON (e.g. its structuring)."""

    error: Exception


Event = Frame[T] | Dropped | Undecodable


class FrameParser(Generic[T]):
    """Feed bytes with `feed`; it returns every event those bytes completed, in order.

    `decode(body)` turns a body into a message and raises `ValueError` (which `json.JSONDecodeError` and
    `UnicodeDecodeError` are) when the bytes are not one; any other exception is reported as `Undecodable`.
    """

    def __init__(self, decode: Callable[[bytes], T], *, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self._decode = decode
        self.max_frame_bytes = max_frame_bytes
        self._buf = bytearray()
        self._state = "header"  # header | body | salvage | scan
        self._length = 0
        """Declared body length (state `body`)."""
        self._scanned = 0
        """How far the current body or salvage has been searched for a header line."""
        self._limit = 0
        """Most bytes a salvage may collect before it gives up."""
        self._dropping = 0
        """Bytes dropped so far in the current `scan`, reported when it ends."""
        self._why = ""

    @property
    def buffered(self) -> int:
        """Bytes held, waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Event[T]]:
        self._buf += data
        events: list[Event[T]] = []
        while self._step(events):
            pass
        if self._state == "scan" and self._dropping:
            events.append(Dropped(self._dropping, self._why))
            self._dropping = 0
        return events

    # --- states ---------------------------------------------------------------------------------------
    def _step(self, events: list[Event[T]]) -> bool:
        """One move of the state machine; False when it needs more bytes."""
        if self._state == "header":
            return self._read_header(events)
        if self._state == "body":
            return self._read_body(events)
        if self._state == "salvage":
            return self._salvage(events)
        return self._scan(events)

    def _read_header(self, events: list[Event[T]]) -> bool:
        buf = self._buf
        if not buf:
            return False
        pos = 0
        headers: dict[bytes, bytes] = {}
        while True:
            end = buf.find(b"\n", pos)
            line = bytes(buf[pos:]) if end < 0 else bytes(buf[pos:end])
            if end >= 0 and line.endswith(b"\r"):
                line = line[:-1]
            if end < 0:  # a partial line: wait, unless it already cannot be a header
                if len(buf) > MAX_HEADER_BYTES:
                    return self._start_scan(f"a header longer than {MAX_HEADER_BYTES} bytes")
                if not _may_start_header(line.removesuffix(b"\r")):
                    return self._start_scan("bytes that are not an LSP header")
                return False
            if not line:
                break
            name, colon, value = line.partition(b":")
            if not colon or not _HEADER_NAME.fullmatch(name):
                if not headers and not line.strip():
                    break
                return self._start_scan("bytes that are not an LSP header")
            headers[name.lower()] = value.strip()
            pos = end + 1
            if pos > MAX_HEADER_BYTES:
                return self._start_scan(f"a header longer than {MAX_HEADER_BYTES} bytes")
        header_size = end + 1
        if not headers:  # a stray blank line between frames
            del buf[:header_size]
            return True
        length = headers.get(b"content-length")
        if length is None:
            return self._start_salvage(header_size, "a header without Content-Length")
        if not length.isdigit():
            shown = length[:20].decode("ascii", "replace")
            return self._start_salvage(header_size, f"a Content-Length that is not a number ({shown!r})")
        if len(length) > 18 or int(length) > self.max_frame_bytes:
            shown = length[:24].decode("ascii") + ("..." if len(length) > 24 else "")
            limit = self.max_frame_bytes
            events.append(Dropped(header_size, f"a Content-Length of {shown} bytes (the limit is {limit})"))
            del buf[:header_size]
            return self._start_scan(f"the body of a frame over {limit} bytes", skip=0)
        del buf[:header_size]
        self._length = int(length)
        self._scanned = 0
        self._state = "body"
        return True

    def _read_body(self, events: list[Event[T]]) -> bool:
        buf, length = self._buf, self._length
        if len(buf) >= length:
            body = bytes(buf[:length])
            try:
                message = self._decode(body)
            except ValueError:
                # Wrong length or broken body: try the bytes up to the next header, at most 4 bytes a unit.
                self._limit = min(self.max_frame_bytes, 4 * length + 1024)
                self._scanned = 0
                self._state = "salvage"
                self._why = f"a body that does not match its Content-Length of {length}, or is not JSON"
                return True
            except Exception as exc:
                events.append(Undecodable(exc))
            else:
                events.append(Frame(message))
            del buf[:length]
            self._state = "header"
            return True
        found = _HEADER_LINE.search(buf, max(0, self._scanned - _MARKER_TAIL))
        if found is None:
            self._scanned = len(buf)
            return False
        # A header line inside the body: the length was too long, and the next frame has begun.
        self._take_salvaged(found.start(), events, f"a Content-Length of {length} longer than its body")
        return True

    def _start_salvage(self, header_size: int, why: str) -> bool:
        del self._buf[:header_size]
        self._limit = self.max_frame_bytes
        self._scanned = 0
        self._state = "salvage"
        self._why = why
        return True

    def _salvage(self, events: list[Event[T]]) -> bool:
        buf = self._buf
        found = _HEADER_LINE.search(buf, max(0, self._scanned - _MARKER_TAIL))
        if found is not None:
            self._take_salvaged(found.start(), events, self._why)
            return True
        self._scanned = len(buf)
        message = self._try_decode(bytes(buf))
        if message is not None:
            events.append(Frame(message, note=f"recovered a message from {self._why}"))
            buf.clear()
            self._state = "header"
            return False
        if len(buf) > self._limit:
            return self._start_scan(self._why)
        return False

    def _take_salvaged(self, end: int, events: list[Event[T]], why: str) -> None:
        """Handle or drop the bytes before a header found at `end`; the header comes next."""
        candidate = bytes(self._buf[:end])
        message = self._try_decode(candidate)
        if message is not None:
            events.append(Frame(message, note=f"recovered a message from {why}"))
        elif candidate.strip():
            events.append(Dropped(len(candidate), why))
        del self._buf[:end]
        self._state = "header"

    def _try_decode(self, candidate: bytes) -> T | None:
        candidate = candidate.strip()
        if not (candidate.startswith(b"{") and candidate.endswith(b"}")):
            return None  # only an object can be a message; cheap to rule out while a body is still arriving
        try:
            return self._decode(candidate)
        except Exception:
            return None

    def _start_scan(self, why: str, *, skip: int = 1) -> bool:
        """Drop bytes up to the next `Content-Length:`, skipping the first (so a bad header moves on)."""
        skip = min(skip, len(self._buf))
        self._state = "scan"
        self._why = why
        self._dropping += skip
        del self._buf[:skip]
        return True

    def _scan(self, events: list[Event[T]]) -> bool:
        buf = self._buf
        found = _MARKER.search(buf)
        if found is None:
            keep = min(len(buf), _MARKER_TAIL)
            self._dropping += len(buf) - keep
            del buf[: len(buf) - keep]
            return False
        if self._dropping + found.start():
            events.append(Dropped(self._dropping + found.start(), self._why))
        self._dropping = 0
        del buf[: found.start()]
        self._state = "header"
        return True

    def take_dropped(self) -> Dropped | None:
        """The bytes dropped in a scan still going on (reported by `feed` too); for the end of input."""
        if self._state == "scan" and self._dropping:
            dropped = Dropped(self._dropping, self._why)
            self._dropping = 0
            return dropped
        return None


def _may_start_header(partial: bytes) -> bool:
    """Whether a line that has not ended yet could still become a header line."""
    name, colon, _value = partial.partition(b":")
    if not name:
        return not colon
    return _HEADER_NAME.fullmatch(name) is not None
