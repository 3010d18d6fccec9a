"""The emulator's HTTP application.

Why aiohttp: it is a mature, actively maintained asyncio HTTP server that needs no separate ASGI
server process, starts in-process on port 0 in a few milliseconds (the test fixture relies on that),
gives direct control over streamed bytes (``StreamResponse.write``) for Azure's exact SSE framing, and
can cancel a handler when the client disconnects (``handler_cancellation``), which is how the request
log learns that a client closed a stream early.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from chatls.emulator import data_sources, errors, rules, validation
from chatls.emulator.caching import reports_cached_tokens
from chatls.emulator.config import Deployment, EmulatorConfig
from chatls.emulator.control import add_control_routes
from chatls.emulator.errors import EmulatorError
from chatls.emulator.faults import FaultSpec
from chatls.emulator.handling import (
    STATE_KEY,
    begin,
    check_auth,
    deployment_named,
    mark_disconnected,
    rate_limit,
    read_json,
    record_for,
    record_of,
)
from chatls.emulator.payloads import ChunkEncoder, completion_body
from chatls.emulator.replies import (
    Completion,
    choose_reply,
    effort_of,
    estimate_prompt_tokens,
    first_token_delay,
    last_user_message,
    plan_completion,
)
from chatls.emulator.response_routes import add_responses_routes
from chatls.emulator.sse import (
    SSE_HEADERS,
    StreamPlan,
    chat_stream_bytes,
    drop_connection,
    stream_completion,
    write_raw_close,
)
from chatls.emulator.state import EmulatorState, RequestRecord
from chatls.emulator.tool_scripts import ToolCall, chat_exchange, decide, find_script

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(config: EmulatorConfig) -> web.Application:
    if config.validate_schema:
        validation.warm_up()
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=[_azure_errors])
    app[STATE_KEY] = EmulatorState(config)
    app.router.add_post("/openai/deployments/{deployment}/chat/completions", _dated_chat)
    app.router.add_post("/openai/v1/chat/completions", _v1_chat)
    app.router.add_get("/openai/v1/models", _v1_models)
    app.router.add_get("/openai/models", _dated_models)
    app.router.add_get("/openai/deployments", _dated_models)
    add_responses_routes(app)
    app.on_shutdown.append(_stop_runs)
    add_control_routes(app, STATE_KEY)
    return app


async def _stop_runs(app: web.Application) -> None:
    """Background runs belong to the emulator: they end with it (no task left pending on its loop)."""
    app[STATE_KEY].runs.cancel_all()


# ------------------------------------------------------------------------------------------ middleware


@web.middleware
async def _azure_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes an Azure-style JSON error; never an HTML page or a traceback."""
    try:
        response = await handler(request)
    except EmulatorError as exc:
        response = _error_response(request, exc)
    except web.HTTPException as exc:
        response = _error_response(request, _from_http_exception(request, exc))
    except (asyncio.CancelledError, ConnectionResetError):
        mark_disconnected(request)
        raise
    except Exception:
        log.exception("emulator: unexpected error for %s %s", request.method, request.path)
        response = _error_response(request, errors.internal_error())
    _finish_record(request, response)
    return response


def _from_http_exception(request: web.Request, exc: web.HTTPException) -> EmulatorError:
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return errors.body_too_large(request.app[STATE_KEY].config.max_body_bytes)
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return errors.method_not_allowed(request.method)
    if isinstance(exc, web.HTTPNotFound):
        return errors.resource_not_found()
    return EmulatorError(exc.status, {"error": {"code": str(exc.status), "message": exc.reason}})


def _error_response(request: web.Request, error: EmulatorError) -> web.Response:
    record = record_for(request)
    if record is not None:
        record.error_source = error.source
    headers = {"apim-request-id": str(uuid.uuid4()), **error.headers}
    return web.Response(
        status=error.status, text=json.dumps(error.body), content_type="application/json", headers=headers
    )


def _finish_record(request: web.Request, response: web.StreamResponse) -> None:
    record = record_for(request)
    if record is None:
        return
    record.status = response.status
    if isinstance(response, web.Response) and response.status >= 400 and response.text:
        try:
            inner = json.loads(response.text).get("error", {})
        except ValueError:
            inner = {}
        record.error_code = inner.get("code")
        record.error_param = inner.get("param")
    record.finished = True


# ------------------------------------------------------------------------------------------ routes


async def _dated_chat(request: web.Request) -> web.StreamResponse:
    state = begin(request)
    version = rules.api_version_for(request.query.get("api-version"), v1_route=False)
    record_of(request).api_version = version.label
    check_auth(request, state)
    deployment = deployment_named(state, request.match_info["deployment"], request)
    body = await read_json(request, state)
    rules.check_deployment_usable(deployment)
    rules.check_chat_operation(deployment)
    rules.check_model_available(deployment, version)
    rules.check_arguments_known(body, version)
    if state.config.validate_schema:
        validation.validate_request(body, api_version=version.label, v1=False)
    return await _complete(request, state, deployment, body, version.label)


async def _v1_chat(request: web.Request) -> web.StreamResponse:
    state = begin(request)
    version = rules.api_version_for(request.query.get("api-version"), v1_route=True)
    record_of(request).api_version = version.label
    check_auth(request, state)
    body = await read_json(request, state)
    if state.config.validate_schema:
        validation.validate_request(body, api_version=version.label, v1=True)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise errors.schema_invalid("'model' is a required property", "")
    deployment = deployment_named(state, model, request)
    rules.check_deployment_usable(deployment)
    rules.check_chat_operation(deployment)
    return await _complete(request, state, deployment, body, version.label)


async def _v1_models(request: web.Request) -> web.StreamResponse:
    state = begin(request)
    rules.api_version_for(request.query.get("api-version"), v1_route=True)
    check_auth(request, state)
    return web.json_response(_model_list(state))


async def _dated_models(request: web.Request) -> web.StreamResponse:
    state = begin(request)
    rules.api_version_for(request.query.get("api-version"), v1_route=False)
    check_auth(request, state)
    return web.json_response(_model_list(state))


def _model_list(state: EmulatorState) -> dict[str, Any]:
    data = [
        {
            "id": d.name,
            "object": "model",
            "model": d.model,
            "created": 1700000000,
            "owned_by": "system",
            "status": "succeeded",
            "capabilities": {"chat_completion": True},
        }
        for d in state.deployments.values()
    ]
    return {"object": "list", "data": data}


# ------------------------------------------------------------------------------------------ request steps


async def _complete(
    request: web.Request, state: EmulatorState, deployment: Deployment, body: dict[str, Any], api_version: str
) -> web.StreamResponse:
    rules.check_model_rules(body, deployment)
    data_sources.check(body, deployment)
    prompt_tokens = estimate_prompt_tokens(body)
    cap = rules.requested_completion_cap(body)
    effort = effort_of(deployment.family.name, deployment.family.reasoning, body)
    record = record_of(request)
    step = _scripted_tool_calls(state, deployment, body, record)
    calls = step if isinstance(step, tuple) else ()
    echo = "" if calls else choose_reply(state.replies, deployment.name, body)
    text = step if isinstance(step, str) else echo
    grounding = None
    if body.get("data_sources"):
        grounding = data_sources.context_for(last_user_message(body), deployment)
        text = data_sources.cite(text, grounding)
    record.reply = text
    completion = plan_completion(
        text, prompt_tokens=prompt_tokens, effort=effort, cap=cap[1] if cap else None
    )
    if calls:
        completion = dataclasses.replace(completion, pieces=[], finish_reason="tool_calls", tool_calls=calls)
        record.tool_calls = [c.name for c in calls]
    headers = rate_limit(state, deployment, completion, api_version)
    fault = state.faults.take(deployment.name)
    if fault is not None:
        record.fault = fault.kind
        completion = await _apply_pre_fault(request, fault, deployment, completion, api_version)
    if deployment.family.prompt_caching and reports_cached_tokens(api_version):  # only what was served
        cached = state.prompt_cache.cached_tokens(deployment.name, body, prompt_tokens)
        completion = dataclasses.replace(completion, cached_tokens=cached)
    delay = first_token_delay(deployment.timing, effort)
    if delay:
        await asyncio.sleep(delay)
    record.finish_reason = completion.finish_reason
    record.model = model = state.reported_model(deployment)
    if body.get("stream") is True:
        return await _respond_streaming(
            request, deployment, model, completion, fault, headers, body, grounding
        )
    return _respond_json(request, deployment, model, completion, fault, headers, grounding)


def _scripted_tool_calls(
    state: EmulatorState, deployment: Deployment, body: dict[str, Any], record: RequestRecord
) -> tuple[ToolCall, ...] | str:
    """The tool-calling script's next step on Chat Completions: calls, or its final text."""
    if not body.get("tools"):
        return ()
    script = find_script(state.tool_scripts, deployment.name, last_user_message(body))
    if script is None:
        return ()
    exchange = chat_exchange(body)
    record.tool_results = dict(exchange.results)
    decision = decide(script, exchange)
    if decision.missing_results:
        raise errors.bad_request(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: "
            f"{', '.join(decision.missing_results)}"
        )
    return decision.calls or (decision.text or "")


async def _respond_streaming(
    request: web.Request,
    deployment: Deployment,
    model: str,
    completion: Completion,
    fault: FaultSpec | None,
    headers: dict[str, str],
    body: dict[str, Any],
    grounding: dict[str, Any] | None,
) -> web.StreamResponse:
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    plan = StreamPlan.for_fault(completion, fault, deployment.timing.tokens_per_second, include_usage)
    encoder = ChunkEncoder(model, grounding)
    if plan.no_terminal == "clean_close":
        head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
        write_raw_close(request, head + chat_stream_bytes(encoder, completion))
        return web.Response(status=200)
    response = web.StreamResponse(status=200, headers={**headers, **SSE_HEADERS})
    await response.prepare(request)
    if not await stream_completion(response, encoder, plan, deployment.family.reasoning):
        mark_disconnected(request)
    if plan.drop_after is not None:
        drop_connection(request)  # no finish chunk, no [DONE], no end of the chunked body
    return response


def _respond_json(
    request: web.Request,
    deployment: Deployment,
    model: str,
    completion: Completion,
    fault: FaultSpec | None,
    headers: dict[str, str],
    grounding: dict[str, Any] | None,
) -> web.Response:
    if fault is not None and fault.kind == "drop_connection":
        drop_connection(request)  # aiohttp then fails to send this response and closes quietly
        return web.Response(status=200)
    category = fault.category if fault is not None and fault.kind == "content_filter_completion" else None
    payload = completion_body(
        completion,
        model=model,
        reasoning=deployment.family.reasoning,
        filtered_category=category,
        context=grounding,
    )
    return web.json_response(payload, headers=headers)


async def _apply_pre_fault(
    request: web.Request, fault: FaultSpec, deployment: Deployment, completion: Completion, api_version: str
) -> Completion:
    """Faults that replace or delay the whole answer; stream-level ones are handled while streaming."""
    kind = fault.kind
    if kind == "rate_limit":
        raise errors.rate_limited(
            fault.retry_after,
            deployment=deployment.name,
            model=deployment.model,
            api_version=api_version,
            newer=fault.message == "new",
            limit_tokens=deployment.tokens_per_minute or 0,
            retry_headers=fault.retry_headers,
            ratelimit_headers=fault.ratelimit_headers,
        )
    if kind == "server_error":
        raise errors.server_error(fault.status)
    if kind == "content_filter_prompt":
        raise errors.content_filter_prompt(fault.category)
    if kind == "context_length_exceeded":
        raise errors.context_length_exceeded(
            deployment.context_window, max(completion.prompt_tokens, deployment.context_window + 1), None
        )
    if kind == "slow_first_byte":
        await asyncio.sleep(fault.delay)
    if kind == "reasoning_exhausted":
        spent = max(completion.reasoning_tokens, 1)
        return Completion([], "length", completion.prompt_tokens, spent)
    if kind == "content_filter_completion":
        kept = completion.pieces[: fault.after_chunks]
        return Completion(kept, "content_filter", completion.prompt_tokens, completion.reasoning_tokens)
    return completion
