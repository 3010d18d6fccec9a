"""Run the emulator in-process: ``run_emulator`` (async) and ``emulator_in_thread`` (sync, own loop).

Both hand back an object with ``url`` (a profile ``endpoint``), ``api_key``, ``control_url`` and helpers
that change the running emulator's state directly (validated like the config file).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from chatls.emulator.app import create_app
from chatls.emulator.config import EmulatorConfig, load_config
from chatls.emulator.faults import FaultSpec
from chatls.emulator.handling import STATE_KEY
from chatls.emulator.state import EmulatorState, deployment_json

ConfigSource = EmulatorConfig | Mapping[str, Any] | str | Path | None
T = TypeVar("T")
SHUTDOWN_TIMEOUT = 0.5


class RunningEmulator:
    """Handle on an emulator running in the current event loop."""

    def __init__(self, runner: web.AppRunner, host: str, port: int) -> None:
        self._runner = runner
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}"
        self.control_url = f"{self.url}/_emulator"
        self.state: EmulatorState = runner.app[STATE_KEY]
        self.config: EmulatorConfig = self.state.config
        self.api_key = self.config.api_key

    @property
    def v1_base_url(self) -> str:
        """``base_url`` for ``AsyncOpenAI`` on the v1 route."""
        return f"{self.url}/openai/v1/"

    async def add_fault(self, kind: str | FaultSpec | Mapping[str, Any], **fields: Any) -> dict[str, Any]:
        """Queue a fault, e.g. ``add_fault("rate_limit", retry_after=2, count=1)``."""
        data: FaultSpec | Mapping[str, Any] = {"kind": kind, **fields} if isinstance(kind, str) else kind
        return self.state.add_fault(data).to_json()

    async def requests(self, deployment: str | None = None) -> list[dict[str, Any]]:
        """The request log, oldest first (secrets redacted)."""
        return [r for r in self.state.requests() if deployment is None or r["deployment"] == deployment]

    async def chat_requests(self, deployment: str | None = None) -> list[dict[str, Any]]:
        """Only chat-completion requests (no model listings)."""
        return [r for r in await self.requests(deployment) if r["path"].endswith("/chat/completions")]

    async def wait_for_request(
        self, predicate: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first *finished* log entry matching ``predicate`` (e.g. a stream the client closed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for record in self.state.requests():
                if record["finished"] and (predicate is None or predicate(record)):
                    return record
            if loop.time() > deadline:
                raise TimeoutError("no matching request in the emulator's log")
            await asyncio.sleep(0.01)

    async def reset(self) -> None:
        self.state.reset()

    async def set_deployment(self, name: str, **overrides: Any) -> dict[str, Any]:
        """Add a deployment (pass ``model=``) or override rules, e.g. ``reject_parameters=["top_p"]``."""
        return deployment_json(self.state.set_deployment(name, overrides))

    async def add_reply(self, pattern: str, reply: str, deployment: str | None = None) -> None:
        self.state.add_reply(
            {"pattern": pattern, "reply": reply, **({"deployment": deployment} if deployment else {})}
        )

    async def add_tool_script(self, script: Mapping[str, Any]) -> None:
        """A tool-calling script: ``{"pattern", "steps": [{"tool", "arguments"}], "reply"}``."""
        self.state.add_tool_script(script)

    async def responses_requests(self, deployment: str | None = None) -> list[dict[str, Any]]:
        """Only Responses API requests (create, retrieve, cancel, delete)."""
        return [r for r in await self.requests(deployment) if "/responses" in r["path"]]

    async def set_timing(self, deployment: str | None = None, **timing: float) -> None:
        """E.g. ``set_timing("gpt-4o", tokens_per_second=20)``; without a deployment: all of them."""
        self.state.set_timing(timing, deployment)

    async def set_api_key_header(self, name: str | None) -> None:
        """Also accept the key in this header (a gateway's, e.g. ``Ocp-Apim-Subscription-Key``)."""
        self.state.set_api_key_header(name)


async def start_emulator(
    config: ConfigSource = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    """Start serving; the caller must ``await stop_emulator(emu)``."""
    app = create_app(load_config(config))
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    return RunningEmulator(runner, host, bound_port)


async def stop_emulator(emulator: RunningEmulator) -> None:
    await emulator._runner.cleanup()


@asynccontextmanager
async def run_emulator(
    config: ConfigSource = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningEmulator]:
    """``async with run_emulator() as emu:`` — an emulator on a free loopback port."""
    emulator = await start_emulator(config, host=host, port=port)
    try:
        yield emulator
    finally:
        await stop_emulator(emulator)


class ThreadedEmulator:
    """The same helpers as ``RunningEmulator``, callable from any thread (they run on the emulator's loop)."""

    def __init__(self, emulator: RunningEmulator, loop: asyncio.AbstractEventLoop) -> None:
        self._emulator = emulator
        self._loop = loop
        self.url = emulator.url
        self.host = emulator.host
        self.port = emulator.port
        self.control_url = emulator.control_url
        self.api_key = emulator.api_key
        self.v1_base_url = emulator.v1_base_url
        self.config = emulator.config
        self.control_token = emulator.state.control_token

    def _call(self, coroutine: Awaitable[T]) -> T:
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(
            _awaited(coroutine), self._loop
        )
        return future.result()

    def add_fault(self, kind: str | FaultSpec | Mapping[str, Any], **fields: Any) -> dict[str, Any]:
        return self._call(self._emulator.add_fault(kind, **fields))

    def requests(self, deployment: str | None = None) -> list[dict[str, Any]]:
        return self._call(self._emulator.requests(deployment))

    def chat_requests(self, deployment: str | None = None) -> list[dict[str, Any]]:
        return self._call(self._emulator.chat_requests(deployment))

    def wait_for_request(
        self, predicate: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        return self._call(self._emulator.wait_for_request(predicate, timeout))

    def reset(self) -> None:
        self._call(self._emulator.reset())

    def set_deployment(self, name: str, **overrides: Any) -> dict[str, Any]:
        return self._call(self._emulator.set_deployment(name, **overrides))

    def add_reply(self, pattern: str, reply: str, deployment: str | None = None) -> None:
        self._call(self._emulator.add_reply(pattern, reply, deployment))

    def add_tool_script(self, script: Mapping[str, Any]) -> None:
        self._call(self._emulator.add_tool_script(script))

    def responses_requests(self, deployment: str | None = None) -> list[dict[str, Any]]:
        return self._call(self._emulator.responses_requests(deployment))

    def set_timing(self, deployment: str | None = None, **timing: float) -> None:
        self._call(self._emulator.set_timing(deployment, **timing))

    def set_api_key_header(self, name: str | None) -> None:
        self._call(self._emulator.set_api_key_header(name))


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


@contextmanager
def emulator_in_thread(
    config: ConfigSource = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[ThreadedEmulator]:
    """``with emulator_in_thread() as emu:`` — for sync tests and subprocess clients."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="chatls-emulator", daemon=True)
    thread.start()
    try:
        emulator = asyncio.run_coroutine_threadsafe(
            start_emulator(config, host=host, port=port), loop
        ).result()
        try:
            yield ThreadedEmulator(emulator, loop)
        finally:
            asyncio.run_coroutine_threadsafe(stop_emulator(emulator), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


StartEmulator = Callable[..., Awaitable[RunningEmulator]]
"""The type of a pytest fixture that starts an emulator per call: `await start_emulator(config)`."""
