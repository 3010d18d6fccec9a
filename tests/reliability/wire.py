"""`WireServer`: the real `chatls serve` over stdio, driven with raw bytes by a strict client.

It parses every byte the server writes to stdout, so a stray print or a broken frame is a test failure rather
than something a lenient client skips over. Shared by the tests in tests/reliability.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import subprocess
import threading
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from tests.support.lsp import init_options, server_command, server_env

from chatls import protocol
from chatls.emulator.fixture import ThreadedEmulator

ANSWER_TIMEOUT = 30.0
"""Seconds to wait for one answer: a bound so a lost request fails the test instead of hanging it."""

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
HEADER = re.compile(rb"([A-Za-z-]+): ([^\r\n]*)\r\n")


class Expected(NamedTuple):
    ident: str
    queue: queue.Queue[dict[str, Any]]


class WireServer:
    """`chatls serve` over stdio with a strict LSP framing parser on its stdout."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            server_command(*args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.violations: list[str] = []
        """Anything on stdout that is not a well-formed JSON-RPC 2.0 frame."""
        self.notifications: list[dict[str, Any]] = []
        self.server_requests: list[dict[str, Any]] = []
        self._answers: dict[Any, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # --- writing ---------------------------------------------------------------------------------
    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        with self._lock:
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def send(self, message: Any) -> None:
        body = json.dumps(message).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def expect(self, ident: str) -> Expected:
        """Wait for the answer to a request the test writes itself (with `send_raw`) under id `ident`."""
        answer: queue.Queue[dict[str, Any]] = queue.Queue()
        self._answers[ident] = answer
        return Expected(ident, answer)

    def start_request(self, method: str, params: Any = None) -> queue.Queue[dict[str, Any]]:
        msg_id = f"t{next(self._ids)}"
        answer: queue.Queue[dict[str, Any]] = queue.Queue()
        self._answers[msg_id] = answer
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return answer

    def request(self, method: str, params: Any = None) -> dict[str, Any]:
        """The whole response (with `result` or `error`); fails if none comes within ANSWER_TIMEOUT."""
        return self.wait(self.start_request(method, params), method)

    def wait(self, answer: queue.Queue[dict[str, Any]], what: str) -> dict[str, Any]:
        try:
            return answer.get(timeout=ANSWER_TIMEOUT)
        except queue.Empty:
            pytest.fail(f"no answer to {what} (server alive: {self.process.poll() is None})")

    def result(self, method: str, params: Any = None) -> Any:
        response = self.request(method, params)
        assert "error" not in response, response
        return response["result"]

    def initialize(self, options: dict[str, Any], folder: Path) -> None:
        self.result(
            "initialize",
            {
                "processId": None,
                "capabilities": {},
                "initializationOptions": options,
                "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}],
                "rootUri": folder.as_uri(),
            },
        )
        self.notify("initialized", {})

    def shutdown(self) -> int:
        """Shut down and exit as an editor does; the exit status."""
        self.result("shutdown")
        self.notify("exit")
        try:
            return self.process.wait(timeout=ANSWER_TIMEOUT)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=ANSWER_TIMEOUT)
        for thread in self._threads:
            thread.join(timeout=ANSWER_TIMEOUT)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    # --- reading ---------------------------------------------------------------------------------
    def _read_stderr(self) -> None:
        stderr = self.process.stderr
        assert stderr is not None
        for chunk in iter(lambda: os.read(stderr.fileno(), 65536), b""):
            self.stderr.extend(chunk)

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        out = self.process.stdout
        while True:
            headers: dict[bytes, bytes] = {}
            while True:
                line = out.readline()
                self.stdout.extend(line)
                if not line:
                    if headers:
                        self.violations.append(f"stdout ended inside a header: {headers!r}")
                    return
                if line == b"\r\n":
                    break
                match = HEADER.fullmatch(line)
                if match is None:
                    self.violations.append(f"not an LSP header line: {line[:200]!r}")
                    continue
                headers[match[1].lower()] = match[2]
            length = headers.get(b"content-length", b"")
            if not length.isdigit():
                self.violations.append(f"frame without a valid Content-Length: {headers!r}")
                continue
            body = out.read(int(length))
            self.stdout.extend(body)
            self._dispatch(body)

    def _dispatch(self, body: bytes) -> None:
        try:
            message = json.loads(body)
        except ValueError:
            self.violations.append(f"frame body is not JSON: {body[:200]!r}")
            return
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            self.violations.append(f"frame is not a JSON-RPC 2.0 message: {body[:200]!r}")
            return
        if "method" in message and "id" in message:  # server -> client request: answer like a plain editor
            self.server_requests.append(message)
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        elif message.get("id") in self._answers:
            self._answers[message["id"]].put(message)
        else:
            self.violations.append(f"answer to a request nobody sent: {body[:200]!r}")


def start_server(emulator: ThreadedEmulator, tmp_path: Path, *args: str, key: str = "test-key") -> WireServer:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    server = WireServer(*args, env=server_env(key, config_home=tmp_path / "config"))
    server.initialize(init_options(emulator.url, state_dir=tmp_path / "state"), project)
    return server


def chat_works(server: WireServer, prompt: str) -> dict[str, Any]:
    result: dict[str, Any] = server.result(protocol.CHAT, {"prompt": prompt})
    assert result["content"] == f"Echo from gpt-4o: {prompt}"
    return result


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body
