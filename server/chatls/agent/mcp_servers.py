"""MCP servers as more agent tools, through the official `mcp` SDK.

Configured the way editors already write them (`mcpServers`: `{name: {command, args, env, cwd} | {url}}`),
each with an approval policy. A server's tools are offered to the model as `<server>__<tool>`. A server that
fails to start is one clear message; the others still work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chatls.agent.paths import ToolError
from chatls.agent.waiting import within
from chatls.azure.types import ToolSpec

log = logging.getLogger(__name__)

Approval = Literal["ask", "never"]
SEPARATOR = "__"
START_TIMEOUT = 30.0
_NAME = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class MCPServerConfig:
    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    approval: Approval = "ask"
    """"ask": the user approves each call; "never": calls run without asking."""

    @classmethod
    def from_dict(cls, name: str, raw: Any) -> MCPServerConfig:
        """One entry of `mcpServers`; ValueError saying which key is wrong."""
        if not isinstance(raw, dict):
            raise ValueError(f"mcpServers.{name}: expected an object with `command` or `url`")
        known = {"command", "args", "env", "cwd", "url", "approval", "type"}
        for key in raw:
            if key not in known:
                raise ValueError(f"mcpServers.{name}.{key}: unknown key (expected one of {sorted(known)})")
        command, url = raw.get("command"), raw.get("url")
        if (command is None) == (url is None):
            raise ValueError(f"mcpServers.{name}: give exactly one of `command` or `url`")
        if command is not None and not (isinstance(command, str) and command):
            raise ValueError(f"mcpServers.{name}.command: expected a program name")
        args = raw.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ValueError(f"mcpServers.{name}.args: expected a list of strings")
        env = raw.get("env", {})
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            raise ValueError(f"mcpServers.{name}.env: expected an object of strings")
        approval = raw.get("approval", "ask")
        if approval not in ("ask", "never"):
            raise ValueError(f'mcpServers.{name}.approval: expected "ask" or "never"')
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            raise ValueError(f"mcpServers.{name}.url: expected an http(s) URL")
        cwd = raw.get("cwd")
        if cwd is not None and not isinstance(cwd, str):
            raise ValueError(f"mcpServers.{name}.cwd: expected a folder path")
        return cls(name, command, tuple(args), dict(env), cwd, url, approval)


@dataclass
class _Running:
    config: MCPServerConfig
    session: Any
    tools: dict[str, ToolSpec]
    stop: asyncio.Event
    task: asyncio.Task[None]


class MCPServers:
    """The configured MCP servers, started on first use and kept until `aclose()`."""

    def __init__(self, configs: tuple[MCPServerConfig, ...]) -> None:
        self._configs = configs
        self._running: dict[str, _Running] = {}
        self.problems: list[str] = []
        """One message per server that could not start (shown to the user once)."""
        self._started = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self._lock:
            if self._started:
                return
            self._started = True
            await asyncio.gather(*(self._start_one(config) for config in self._configs))

    async def _start_one(self, config: MCPServerConfig) -> None:
        ready: asyncio.Future[_Running] = asyncio.get_running_loop().create_future()
        stop = asyncio.Event()
        task = asyncio.create_task(self._hold(config, ready, stop), name=f"mcp:{config.name}")
        try:
            running = await asyncio.wait_for(asyncio.shield(ready), START_TIMEOUT)
        except Exception as exc:
            task.cancel()
            reason = "it did not answer in time" if isinstance(exc, asyncio.TimeoutError) else _reason(exc)
            self.problems.append(f"MCP server {config.name!r} could not start: {reason}")
            log.warning("MCP server %s could not start: %s", config.name, reason)
            return
        self._running[config.name] = running

    async def _hold(
        self, config: MCPServerConfig, ready: asyncio.Future[_Running], stop: asyncio.Event
    ) -> None:
        """Owns the server's connection for its whole life (the SDK's contexts must exit in their task)."""
        from mcp import ClientSession

        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(_transport(config))
                session = await stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                listed = await session.list_tools()
                tools = {
                    _namespaced(config.name, tool.name): ToolSpec(
                        name=_namespaced(config.name, tool.name),
                        description=(tool.description or f"{tool.name} from MCP server {config.name}")[:1024],
                        parameters=dict(tool.input_schema or {"type": "object", "properties": {}}),
                    )
                    for tool in listed.tools
                }
                running = _Running(config, session, tools, stop, asyncio.current_task())  # type: ignore[arg-type]
                if not ready.done():
                    ready.set_result(running)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError("stopped"))
            if not isinstance(exc, (Exception, asyncio.CancelledError)):
                raise

    @property
    def tools(self) -> list[ToolSpec]:
        return [spec for running in self._running.values() for spec in running.tools.values()]

    def owns(self, name: str) -> bool:
        return any(name in running.tools for running in self._running.values())

    def needs_approval(self, name: str) -> bool:
        return self._server_of(name).config.approval == "ask"

    async def call(self, name: str, arguments: dict[str, Any], timeout: float = 120.0) -> str:
        running = self._server_of(name)
        tool = name[len(running.config.name) + len(SEPARATOR) :]
        try:
            result = await within(running.session.call_tool(tool, arguments), timeout)
        except asyncio.TimeoutError:
            raise ToolError(f"MCP tool {name} did not answer within {timeout:g} s") from None
        except Exception as exc:
            raise ToolError(f"MCP tool {name} failed: {_reason(exc)}") from None
        texts = [getattr(block, "text", None) or f"[{getattr(block, 'type', 'content')}]" for block in
                 getattr(result, "content", None) or []]  # fmt: skip
        text = "\n".join(texts) or "(no output)"
        if getattr(result, "isError", False):
            return f"MCP tool {name} reported an error:\n{text}"
        return text

    def _server_of(self, name: str) -> _Running:
        for running in self._running.values():
            if name in running.tools:
                return running
        raise ToolError(f"there is no tool named {name!r}")

    async def aclose(self) -> None:
        for running in self._running.values():
            running.stop.set()
        for running in self._running.values():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(running.task, 5.0)
        self._running.clear()


def _transport(config: MCPServerConfig) -> contextlib.AbstractAsyncContextManager[tuple[Any, Any]]:
    if config.url is not None:
        from mcp.client.streamable_http import streamable_http_client

        return _pair(streamable_http_client(config.url))
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    assert config.command is not None
    env = {**os.environ, **config.env} if config.env else None
    params = StdioServerParameters(command=config.command, args=list(config.args), env=env, cwd=config.cwd)
    return stdio_client(params, errlog=_devnull())


@contextlib.asynccontextmanager
async def _pair(context: Any) -> Any:
    async with context as streams:
        yield streams[0], streams[1]


def _devnull() -> Any:
    # The server's stderr must not reach ours wholesale (our stdout is the protocol; stderr is the log).
    return open(os.devnull, "w")  # lives as long as the server process


def _namespaced(server: str, tool: str) -> str:
    return (_NAME.sub("_", server) + SEPARATOR + _NAME.sub("_", tool))[:64]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"the program was not found ({exc.filename or exc})"
    grouped = getattr(exc, "exceptions", None)  # an ExceptionGroup from the SDK's task groups
    if isinstance(grouped, (list, tuple)) and grouped:
        return "; ".join(_reason(e) for e in grouped)
    return str(exc) or type(exc).__name__
