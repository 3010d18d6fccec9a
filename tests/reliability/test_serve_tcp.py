"""`chatls serve --tcp`: one editor per server. A port probe, an HTTP request or a second connection cannot
stop the server, reach the session or read its replies (with pygls' own TCP server, any connection that
closed ended the server, a second one received the editor's replies, and an HTTP POST's body ran as a
request)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import init_options, server_command, server_env

from chatls import protocol
from chatls.emulator.fixture import ThreadedEmulator, emulator_in_thread

TIMEOUT = 30.0
"""Seconds any one read may take: a bound that turns a hang into a failure."""


class TcpServer:
    def __init__(self, address: str, tmp_path: Path) -> None:
        self.process = subprocess.Popen(
            server_command("--tcp", address),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=server_env(config_home=tmp_path / "config"),
        )
        self.stderr = bytearray()
        self._listening = threading.Event()
        self.port = 0
        threading.Thread(target=self._read_stderr, daemon=True).start()
        assert self._listening.wait(TIMEOUT), self.stderr.decode(errors="replace")

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.extend(line)
            found = re.search(rb"listening on \S+:(\d+)", line)
            if found:
                self.port = int(found[1])
                self._listening.set()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.kill()
        return self.process.wait(TIMEOUT)


class Client:
    """A plain LSP client on a socket (its own tiny framing, independent of the server's)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.ids = 0

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def receive(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        header, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", header)[1])  # type: ignore[index]
        while len(rest) < length:
            self.buffer = header + b"\r\n\r\n" + rest
            self._more()
            header, _, rest = self.buffer.partition(b"\r\n\r\n")
        self.buffer = rest[length:]
        message: dict[str, Any] = json.loads(rest[:length])
        return message

    def _more(self) -> None:
        data = self.sock.recv(65536)
        assert data, "the server closed the connection"
        self.buffer += data

    def request(self, method: str, params: Any) -> dict[str, Any]:
        self.ids += 1
        self.send({"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.ids and "method" not in message:
                return message
            if "method" in message and "id" in message:  # a server request: answer as a plain editor does
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    def initialize(self, options: dict[str, Any], folder: Path) -> None:
        answer = self.request(
            "initialize",
            {
                "processId": None,
                "capabilities": {},
                "initializationOptions": options,
                "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}],
            },
        )
        assert "result" in answer, answer
        self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})


def closed_without_answer(sock: socket.socket) -> bool:
    """Whether the server closes `sock` having written nothing."""
    received = b""
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:  # closed with our bytes unread: a reset instead of an end of stream
            data = b""
        if not data:
            return received == b""
        received += data


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    with emulator_in_thread() as emu:
        yield emu


def chat_request(prompt: str) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": protocol.CHAT, "params": {"prompt": prompt}})
    return body.encode()


@pytest.mark.guarantee(
    "--tcp: a probe, an HTTP request or a second connection cannot stop or reach the session"
)
def test_one_editor_per_tcp_server(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    server = TcpServer("127.0.0.1:0", tmp_path)
    try:
        # a port probe: connects and closes
        server.connect().close()
        # an HTTP POST whose body is an LSP chat request (what a web page can send to localhost)
        with server.connect() as http:
            body = chat_request("injected over HTTP")
            http.sendall(
                b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body
            )
            assert closed_without_answer(http)
        # a frame that is not `initialize` cannot start a session either
        with server.connect() as early:
            early.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            assert closed_without_answer(early)
        assert server.process.poll() is None

        with server.connect() as editor_socket:
            editor = Client(editor_socket)
            editor.initialize(init_options(emulator.url, state_dir=tmp_path / "state"), project)
            # a second connection while the editor is attached: refused, never sees the editor's replies
            with server.connect() as intruder:
                Client(intruder).send(
                    {"jsonrpc": "2.0", "id": 99, "method": protocol.CONVERSATIONS, "params": {}}
                )
                assert closed_without_answer(intruder)
            listed = editor.request(protocol.CONVERSATIONS, {})
            assert listed["result"] == []  # nothing the others sent was stored
            assert emulator.chat_requests() == []  # nor sent to Azure
            answer = editor.request(protocol.CHAT, {"prompt": "from the editor"})
            assert answer["result"]["content"] == "Echo from gpt-4o: from the editor"
            assert editor.request("shutdown", None).get("error") is None
            editor.send({"jsonrpc": "2.0", "method": "exit", "params": None})
            assert server.process.wait(TIMEOUT) == 0
    finally:
        server.stop()
    assert len(emulator.chat_requests()) == 1
    log = server.stderr.decode(errors="replace")
    assert "refused a connection" in log and "did not start with an LSP initialize" in log


@pytest.mark.guarantee("--tcp listens on loopback by default and warns when bound to anything else")
def test_tcp_binds_loopback_by_default_and_warns_otherwise(tmp_path: Path) -> None:
    default = TcpServer("0", tmp_path)
    try:
        assert "listening on 127.0.0.1:" in default.stderr.decode()
    finally:
        default.stop()
    exposed = TcpServer("0.0.0.0:0", tmp_path)
    try:
        assert "not a loopback address" in exposed.stderr.decode()
    finally:
        exposed.stop()
