"""The typed LSP edge: ChatLS's requests and commands registered with their params and result classes.

pygls hands ChatLS's own requests over as raw JSON (`protocol.ChatLSProtocol`) and commands as raw
arguments. Here, and only here, that JSON becomes the params class (`protocol.structure_params`: strict,
InvalidParams naming the bad key) and the handler's result class becomes JSON again (`protocol.unstructure`:
camelCase, fields equal to their default left out). Handlers in `chatls.features` see and return classes only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from chatls import protocol
from chatls.errors import invalid_params
from chatls.server import ChatLSServer  # at run time: pygls reads the wrappers' annotations

P = TypeVar("P")
R = TypeVar("R")

Handler = Callable[[ChatLSServer, P], Awaitable[R]]
"""A typed handler: the server and the params class in, a result class (or a list of them) out."""


def request(
    server: ChatLSServer, method: str, params: type[P], handler: Handler[P, R], *, optional: bool = False
) -> None:
    """Register `handler` for the request `method`; `optional`: absent params mean `{}`."""

    async def raw_request(ls: ChatLSServer, raw: Any) -> Any:
        typed = protocol.structure_params({} if raw is None and optional else raw, params)
        return protocol.unstructure(await handler(ls, typed))

    raw_request.__name__ = handler.__name__
    server.feature(method)(raw_request)


def command(server: ChatLSServer, command_id: str, params: type[P], handler: Handler[P, R]) -> None:
    """Register `handler` for a command taking exactly one argument, checked like a request's params."""

    async def raw_command(ls: ChatLSServer, argument: Any) -> Any:
        return protocol.unstructure(await handler(ls, protocol.structure_params(argument, params)))

    raw_command.__name__ = handler.__name__
    server.command(command_id)(raw_command)


def optional_command(server: ChatLSServer, command_id: str, params: type[P], handler: Handler[P, R]) -> None:
    """Register `handler` for a command taking at most one argument (none means `{}`)."""

    async def raw_command(ls: ChatLSServer, *arguments: Any) -> Any:
        if len(arguments) > 1:
            raise invalid_params(f"{command_id} takes at most 1 argument, got {len(arguments)}")
        raw = arguments[0] if arguments and arguments[0] is not None else {}
        return protocol.unstructure(await handler(ls, protocol.structure_params(raw, params)))

    raw_command.__name__ = handler.__name__
    server.command(command_id)(raw_command)


def send_delta(ls: ChatLSServer, delta: protocol.DeltaNotification) -> None:
    """One `chatls/delta` notification to the client."""
    ls.send_delta(delta)
