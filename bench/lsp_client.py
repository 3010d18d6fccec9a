"""A minimal LSP client over a child process's stdio, written for measuring.

It does the least work per message (one JSON encode, one header, one read) so that what a benchmark
times is the server, not the client. It answers the server's own requests (`workspace/configuration`,
progress creation, capability registration) so servers that ask never stall.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.procs import REPO_ROOT, child_env, stop

NotificationHandler = Callable[[Any], None]

CLIENT_CAPABILITIES: dict[str, Any] = {
    "workspace": {"configuration": True, "workspaceFolders": True, "applyEdit": True},
    "textDocument": {
        "synchronization": {"didSave": True},
        "codeAction": {
            "codeActionLiteralSupport": {
                "codeActionKind": {"valueSet": ["", "quickfix", "refactor", "refactor.rewrite", "source"]}
            },
            "resolveSupport": {"properties": ["edit", "command"]},
            "dataSupport": True,
        },
    },
    "window": {"workDoneProgress": False, "showMessage": {}},
    "general": {"positionEncodings": ["utf-16"]},
}


class LspError(Exception):
    def __init__(self, method: str, error: Mapping[str, Any]) -> None:
        self.code = int(error.get("code", 0))
        super().__init__(f"{method} failed with {self.code}: {error.get('message', '')}")


class LspClient:
    def __init__(self, proc: asyncio.subprocess.Process, settings: Mapping[str, Any] | None = None) -> None:
        self.proc = proc
        self.settings: dict[str, Any] = dict(settings or {})
        """Answer to every `workspace/configuration` item for section "chatls"."""
        self._ids = itertools.count(1)
        self._pending: dict[int | str, asyncio.Future[Any]] = {}
        self._handlers: dict[str, list[NotificationHandler]] = {}
        self.messages_shown: list[Any] = []
        self._reader = asyncio.ensure_future(self._read_loop())

    @classmethod
    async def spawn(
        cls,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        stderr_path: Path | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> LspClient:
        stderr = open(stderr_path or os.devnull, "ab")  # noqa: SIM115 - the child holds its own copy
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                cwd=REPO_ROOT,
                env=child_env(env),
                limit=64 * 1024 * 1024,
            )
        finally:
            stderr.close()
        return cls(proc, settings)

    # --- sending -------------------------------------------------------------------------------
    def _write(self, message: Mapping[str, Any]) -> None:
        assert self.proc.stdin is not None
        body = json.dumps(message, separators=(",", ":")).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: Any = None) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def send_request(self, method: str, params: Any = None) -> asyncio.Future[Any]:
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        future.method = method  # type: ignore[attr-defined]
        future.msg_id = msg_id  # type: ignore[attr-defined]
        future.add_done_callback(self._forget)
        self._write({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return future

    def _forget(self, future: asyncio.Future[Any]) -> None:
        self._pending.pop(future.msg_id, None)  # type: ignore[attr-defined]
        if not future.cancelled():
            future.exception()  # a failure nobody awaited (e.g. after an abort) is not worth a warning

    async def request(self, method: str, params: Any = None, timeout: float = 60.0) -> Any:
        return await asyncio.wait_for(self.send_request(method, params), timeout)

    async def timed_request(
        self, method: str, params: Any = None, timeout: float = 60.0
    ) -> tuple[float, Any]:
        """(milliseconds from write to response, result)."""
        start = time.perf_counter_ns()
        result = await self.request(method, params, timeout)
        return (time.perf_counter_ns() - start) / 1e6, result

    def cancel(self, future: asyncio.Future[Any]) -> None:
        """`$/cancelRequest` for a request sent with `send_request`."""
        self.notify("$/cancelRequest", {"id": future.msg_id})  # type: ignore[attr-defined]

    def on_notification(self, method: str, handler: NotificationHandler) -> None:
        self._handlers.setdefault(method, []).append(handler)

    # --- receiving -----------------------------------------------------------------------------
    async def _read_loop(self) -> None:
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        try:
            while True:
                length = 0
                while True:
                    line = await stdout.readline()
                    if not line:
                        raise EOFError("server closed stdout")
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                self._dispatch(json.loads(await stdout.readexactly(length)))
        except (EOFError, asyncio.IncompleteReadError, ConnectionError) as exc:
            for future in list(self._pending.values()):
                if not future.done():
                    future.set_exception(ConnectionError(f"server went away: {exc}"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" not in message:
            future = self._pending.get(message.get("id", -1))
            if future is None or future.done():
                return
            if "error" in message:
                future.set_exception(LspError(getattr(future, "method", "?"), message["error"]))
            else:
                future.set_result(message.get("result"))
            return
        if "id" in message:
            self._answer(message)
            return
        if message["method"] == "window/showMessage":
            self.messages_shown.append(message.get("params"))
        for handler in self._handlers.get(message["method"], ()):
            handler(message.get("params"))

    def _answer(self, message: dict[str, Any]) -> None:
        method = message["method"]
        result: Any = None
        if method == "workspace/configuration":
            items = (message.get("params") or {}).get("items", [])
            result = [self.settings if item.get("section") == "chatls" else None for item in items]
        elif method == "workspace/applyEdit":
            result = {"applied": False, "failureReason": "benchmark client applies nothing"}
        self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})

    # --- lifecycle -----------------------------------------------------------------------------
    async def initialize(
        self,
        root: Path | None,
        *,
        initialization_options: Any = None,
        timeout: float = 60.0,
    ) -> Any:
        folders = [{"uri": root.as_uri(), "name": root.name}] if root else None
        result = await self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri() if root else None,
                "workspaceFolders": folders,
                "capabilities": CLIENT_CAPABILITIES,
                "initializationOptions": initialization_options,
                "clientInfo": {"name": "chatls-bench", "version": "1"},
            },
            timeout,
        )
        self.notify("initialized", {})
        return result

    async def kill(self) -> None:
        """End the process at once (no shutdown handshake)."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def close(self) -> None:
        """shutdown + exit, then make sure the process is gone."""
        with contextlib.suppress(Exception):
            await self.request("shutdown", None, timeout=10)
            self.notify("exit")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.proc.wait(), 5)
        await stop(self.proc)
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
