"""Control endpoints under ``/_emulator``: faults, request log, reset, deployments, replies, timing, auth.

They take and return JSON; a bad value gets a 400 ``{"error": {"code": "invalid_config", ...}}`` naming
the key, like the config file does.

Web pages must not drive them (issue 12 item 10): a POST must say ``Content-Type: application/json`` (a
cross-origin page can only send ``text/plain`` without a CORS preflight, which is never granted), and
every request must carry a loopback ``Host`` (defeats DNS rebinding) or the control token printed at
start in ``X-Emulator-Token`` (for an emulator bound to another interface).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from chatls.emulator.config import ConfigError
from chatls.emulator.state import EmulatorState, deployment_json

PREFIX = "/_emulator"
ControlHandler = Callable[[EmulatorState, Any, web.Request], Awaitable[Any]]


def add_control_routes(app: web.Application, state_key: web.AppKey[EmulatorState]) -> None:
    def wrap(handler: ControlHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def route(request: web.Request) -> web.Response:
            state = request.app[state_key]
            refusal = _refuse_foreign(request, state.control_token)
            if refusal is not None:
                return refusal
            data: Any = None
            if request.can_read_body:
                try:
                    data = json.loads(await request.read())
                except ValueError:
                    return _invalid("", "the body must be JSON")
            try:
                result = await handler(request.app[state_key], data, request)
            except ConfigError as exc:
                return _invalid(exc.key, str(exc))
            return web.json_response(result)

        return route

    router = app.router
    router.add_get(f"{PREFIX}/health", wrap(_health))
    router.add_get(f"{PREFIX}/requests", wrap(_requests))
    router.add_delete(f"{PREFIX}/requests", wrap(_clear_requests))
    router.add_post(f"{PREFIX}/reset", wrap(_reset))
    router.add_get(f"{PREFIX}/faults", wrap(_faults))
    router.add_post(f"{PREFIX}/faults", wrap(_add_faults))
    router.add_delete(f"{PREFIX}/faults", wrap(_clear_faults))
    router.add_get(f"{PREFIX}/deployments", wrap(_deployments))
    router.add_post(f"{PREFIX}/deployments", wrap(_set_deployment))
    router.add_delete(f"{PREFIX}/deployments/{{name}}", wrap(_remove_deployment))
    router.add_post(f"{PREFIX}/replies", wrap(_add_reply))
    router.add_post(f"{PREFIX}/tool_scripts", wrap(_add_tool_script))
    router.add_post(f"{PREFIX}/timing", wrap(_set_timing))
    router.add_get(f"{PREFIX}/auth", wrap(_auth))
    router.add_post(f"{PREFIX}/auth", wrap(_set_auth))


TOKEN_HEADER = "X-Emulator-Token"
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def is_loopback_host(host: str) -> bool:
    """``Host`` header value (with or without port) naming this machine's loopback interface."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    return name in _LOOPBACK_HOSTS or name.startswith("127.")


def _refuse_foreign(request: web.Request, token: str) -> web.Response | None:
    sent = request.headers.get(TOKEN_HEADER)
    trusted = (sent is not None and secrets.compare_digest(sent, token)) or is_loopback_host(
        request.headers.get("Host", "")
    )
    if not trusted:
        body = {
            "error": {
                "code": "forbidden",
                "message": f"control requests need a loopback Host or {TOKEN_HEADER}",
            }
        }
        return web.json_response(body, status=403)
    if request.method == "POST":
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            body = {
                "error": {
                    "code": "unsupported_media_type",
                    "message": "control POSTs must be application/json",
                }
            }
            return web.json_response(body, status=415)
    return None


def _invalid(key: str, message: str) -> web.Response:
    body = {"error": {"code": "invalid_config", "param": key or None, "message": message}}
    return web.json_response(body, status=400)


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigError("", "expected a JSON object")
    return data


async def _health(state: EmulatorState, data: Any, request: web.Request) -> Any:
    return {"ok": True, "deployments": len(state.deployments)}


async def _requests(state: EmulatorState, data: Any, request: web.Request) -> Any:
    return {"requests": state.requests()}


async def _clear_requests(state: EmulatorState, data: Any, request: web.Request) -> Any:
    state.log.clear()
    return {"ok": True}


async def _reset(state: EmulatorState, data: Any, request: web.Request) -> Any:
    state.reset()
    return {"ok": True}


async def _faults(state: EmulatorState, data: Any, request: web.Request) -> Any:
    return {"faults": state.faults.pending()}


async def _add_faults(state: EmulatorState, data: Any, request: web.Request) -> Any:
    items = data if isinstance(data, list) else [_object(data)]
    queued = [state.add_fault(_object(item)).to_json() for item in items]
    return {"queued": queued, "faults": state.faults.pending()}


async def _clear_faults(state: EmulatorState, data: Any, request: web.Request) -> Any:
    state.faults.clear()
    return {"ok": True}


async def _deployments(state: EmulatorState, data: Any, request: web.Request) -> Any:
    return {"deployments": [deployment_json(d) for d in state.deployments.values()]}


async def _set_deployment(state: EmulatorState, data: Any, request: web.Request) -> Any:
    spec = dict(_object(data))
    name = spec.pop("name", None)
    return deployment_json(state.set_deployment(name, spec))


async def _remove_deployment(state: EmulatorState, data: Any, request: web.Request) -> Any:
    state.remove_deployment(request.match_info["name"])
    return {"ok": True}


async def _add_reply(state: EmulatorState, data: Any, request: web.Request) -> Any:
    rule = state.add_reply(_object(data))
    return {"pattern": rule.pattern.pattern, "reply": rule.reply, "deployment": rule.deployment}


async def _add_tool_script(state: EmulatorState, data: Any, request: web.Request) -> Any:
    script = state.add_tool_script(_object(data))
    return {"pattern": script.pattern.pattern, "steps": len(script.steps), "deployment": script.deployment}


async def _set_timing(state: EmulatorState, data: Any, request: web.Request) -> Any:
    spec = dict(_object(data))
    deployment = spec.pop("deployment", None)
    state.set_timing(spec, deployment)
    return {"ok": True}


async def _auth(state: EmulatorState, data: Any, request: web.Request) -> Any:
    return {"api_key_header": state.api_key_header}


async def _set_auth(state: EmulatorState, data: Any, request: web.Request) -> Any:
    spec = _object(data)
    for key in spec:
        if key != "api_key_header":
            raise ConfigError(key, "unknown setting; expected: api_key_header")
    return {"api_key_header": state.set_api_key_header(spec.get("api_key_header"))}
