"""How `chatls serve` talks to its editor: stdio (the default) or one TCP client, read by `chatls.framing`.

Replaces pygls' `start_io`/`start_tcp` readers (see framing.py for why). Everything after a frame is decoded
is pygls' own: `protocol.handle_message`, its writer, its shutdown.

TCP serves exactly one editor per process. A connection becomes *the* client when its first message is an
`initialize` request; until then it can do nothing. Bytes that are not LSP (an HTTP request, a port scanner's
probe) close that connection without touching anything, a connection that closes before speaking is
harmless, and while a client is attached every other connection is refused. When the client goes, the
server ends, as it does when stdin closes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter

from chatls.framing import Dropped, Frame, FrameParser, Undecodable

if TYPE_CHECKING:
    from pygls.protocol import JsonRPCProtocol
    from pygls.server import JsonRPCServer

log = logging.getLogger(__name__)

READ_SIZE = 65536


class FrameError(Exception):
    """Bytes from the client that were not a message (reported to the server's error handler)."""


def message_parser(protocol: JsonRPCProtocol) -> FrameParser[Any]:
    """A frame parser decoding bodies the way pygls does (lsprotocol structuring included)."""

    def decode(body: bytes) -> Any:
        return json.loads(body, object_hook=protocol.structure_message)

    return FrameParser(decode)


def dispatch(server: JsonRPCServer, events: list[Any]) -> None:
    """Hand decoded messages to pygls; log what was dropped (sizes and reasons only: bytes may hold a key)."""
    for event in events:
        if isinstance(event, Frame):
            if event.note:
                log.warning("%s", event.note)
            try:
                server.protocol.handle_message(event.message)
            except Exception as exc:
                log.exception("Unable to handle message")
                server._report_server_error(exc, JsonRpcException)
        elif isinstance(event, Dropped):
            text = f"dropped {event.size} byte(s) from the client: {event.reason}"
            log.warning("%s", text)
            server._report_server_error(FrameError(text), JsonRpcException)
        elif isinstance(event, Undecodable):
            log.warning("a message from the client could not be handled: %s", event.error)
            server._report_server_error(event.error, JsonRpcException)


async def read_loop(
    server: JsonRPCServer, read: Callable[[], Awaitable[bytes]], parser: FrameParser[Any]
) -> None:
    """Read until end of input (or the server stops), handling each message as it completes."""
    stop = server._stop_event
    while stop is None or not stop.is_set():
        data = await read()
        if not data:
            break
        dispatch(server, parser.feed(data))
    leftover = parser.take_dropped()
    if leftover is not None:
        dispatch(server, [leftover])
    if parser.buffered:
        log.warning("input ended inside a message; %d byte(s) dropped", parser.buffered)


class ThreadedReader:
    """Reads a blocking stream in a daemon thread, one chunk at a time (so the loop never blocks on it, and
    a read still waiting at exit does not hold the process)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=2)
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._run, name="chatls-stdin", daemon=True).start()

    def _run(self) -> None:
        read = self._raw_reader()
        while True:
            try:
                data = read()
            except (OSError, ValueError):
                data = b""
            try:
                asyncio.run_coroutine_threadsafe(self._queue.put(data), self._loop).result()
            except RuntimeError:  # the loop is gone: the server has ended
                return
            if not data:
                return

    def _raw_reader(self) -> Callable[[], bytes]:
        # os.read on the descriptor: a buffered reader's lock held by this thread at exit aborts the process.
        try:
            fd = self._stream.fileno()
        except (OSError, ValueError, AttributeError):
            return lambda: self._stream.read(READ_SIZE)
        return lambda: os.read(fd, READ_SIZE)

    async def read(self) -> bytes:
        return await self._queue.get()


def serve_stdio(server: JsonRPCServer, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
    """pygls' `start_io`, with the robust reader."""
    server._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

    async def main() -> None:
        reader = ThreadedReader(stdin or sys.stdin.buffer)
        await read_loop(server, reader.read, message_parser(server.protocol))

    try:
        asyncio.run(main())
    except BrokenPipeError:
        log.error("the connection to the editor is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]


# --- TCP ----------------------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TcpSession:
    """At most one editor per server; see the module docstring."""

    def __init__(self, server: JsonRPCServer) -> None:
        self.server = server
        self.client: asyncio.StreamWriter | None = None
        self.ended = asyncio.Event()

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            if self.client is not None:
                log.warning("refused a connection from %s: ChatLS serves one editor per process", peer)
                return
            parser = message_parser(self.server.protocol)
            first = await self._first_message(reader, parser, peer)
            if first is None:
                return
            if self.client is not None:  # another connection won meanwhile
                log.warning("refused a connection from %s: ChatLS serves one editor per process", peer)
                return
            self.client = writer
            self.server.protocol.set_writer(writer)
            log.info("editor connected from %s", peer)
            dispatch(self.server, first)
            await read_loop(self.server, lambda: reader.read(READ_SIZE), parser)
            log.info("the editor at %s disconnected; shutting down", peer)
            self.ended.set()
        except ConnectionError:
            if self.client is writer:
                self.ended.set()
        finally:
            if self.client is not writer or self.ended.is_set():
                writer.close()

    async def _first_message(
        self, reader: asyncio.StreamReader, parser: FrameParser[Any], peer: object
    ) -> list[Any] | None:
        """The events up to and including an `initialize` request, or None (connection to close)."""
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                return None  # a probe: connected and went without a word
            events = parser.feed(data)
            if not events:
                continue
            first = events[0]
            message = first.message if isinstance(first, Frame) else None
            if getattr(message, "method", None) != "initialize":
                log.warning("closed a connection from %s that did not start with an LSP initialize", peer)
                return None
            return events


def serve_tcp(server: JsonRPCServer, host: str, port: int, *, announce: Callable[[str], None]) -> None:
    """Listen on host:port for one editor; `announce` gets the "listening on" line (with the real port)."""
    if not is_loopback(host):
        log.warning(
            "listening on %s, which is not a loopback address: anyone who can reach this port can use ChatLS "
            "with your Azure key and read your conversations; prefer 127.0.0.1 or stdio",
            host,
        )
    server._stop_event = threading.Event()

    async def main() -> None:
        session = TcpSession(server)
        listener = await asyncio.start_server(session.connection, host, port)
        address = listener.sockets[0].getsockname()
        announce(f"chatls: listening on {address[0]}:{address[1]}")
        async with listener:
            await session.ended.wait()

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
