"""Responses API routes on both styles: v1 ``/openai/v1/responses`` and dated ``/openai/responses``.

Create (streamed or not, background or not), retrieve / poll, resume a stream after a sequence number,
cancel, delete, input items. A background run lives in the store: a client that goes away (or is
killed) can resume the stream or poll, and the run goes on meanwhile (responses-api.md §6).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from aiohttp import web

from chatls.emulator import errors, response_rules, rules, validation
from chatls.emulator.config import Deployment
from chatls.emulator.faults import FaultSpec
from chatls.emulator.handling import (
    STATE_KEY,
    begin,
    check_auth,
    deployment_named,
    mark_disconnected,
    rate_limit,
    read_json,
    record_of,
)
from chatls.emulator.replies import Completion, choose_reply_for_prompt, plan_completion
from chatls.emulator.response_events import Plan, Producer, response_object
from chatls.emulator.runs import Run, new_id
from chatls.emulator.sse import SSE_HEADERS, drop_connection, write_raw_close
from chatls.emulator.state import EmulatorState, RequestRecord
from chatls.emulator.tool_scripts import decide, find_script, responses_exchange

ROUTE_BASES = ("/openai/v1/responses", "/openai/responses")


def add_responses_routes(app: web.Application) -> None:
    for base in ROUTE_BASES:
        app.router.add_post(base, _create)
        app.router.add_get(base + "/{response_id}", _retrieve)
        app.router.add_delete(base + "/{response_id}", _delete)
        app.router.add_post(base + "/{response_id}/cancel", _cancel)
        app.router.add_get(base + "/{response_id}/input_items", _input_items)


def _route_version(request: web.Request) -> str:
    v1 = request.path.startswith("/openai/v1/")
    version = rules.api_version_for(request.query.get("api-version"), v1_route=v1)
    if version.before(response_rules.RESPONSES_SINCE):
        raise errors.resource_not_found()
    record_of(request).api_version = version.label
    return version.label


def _run(state: EmulatorState, request: web.Request) -> Run:
    response_id = request.match_info["response_id"]
    record_of(request).response_id = response_id
    run = state.runs.get(response_id)
    if run is None:
        raise response_rules.response_not_found(response_id)
    record_of(request).deployment = run.deployment
    return run


# ------------------------------------------------------------------------------------------ create


async def _create(request: web.Request) -> web.StreamResponse:
    state = begin(request)
    api_version = _route_version(request)
    check_auth(request, state)
    body = await read_json(request, state)
    if state.config.validate_schema:
        validation.validate_responses_request(body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise errors.schema_invalid("'model' is a required property", "")
    deployment = deployment_named(state, model, request)
    rules.check_deployment_usable(deployment)
    response_rules.check_operation(deployment)
    response_rules.check_request(body, deployment)
    record = record_of(request)
    items = response_rules.input_items(body)
    record.replayed_reasoning = response_rules.replayed_reasoning(items, state.runs.encrypted)
    transcript = _transcript(state, body, items)
    response_rules.check_tool_outputs(transcript)
    prompt_tokens = response_rules.estimate_input_tokens(body, transcript)
    if prompt_tokens > deployment.context_window:
        raise errors.responses_context_length_exceeded()
    plan = _plan(state, deployment, body, transcript, prompt_tokens, record)
    completion = Completion(plan.pieces, "stop", prompt_tokens, plan.reasoning_tokens)
    headers = rate_limit(state, deployment, completion, api_version)
    fault = state.faults.take(deployment.name)
    if fault is not None:
        record.fault = fault.kind
        plan = await _apply_fault(fault, deployment, plan, api_version)
    background = body.get("background") is True
    store = body.get("store") is not False
    streamed = body.get("stream") is True
    response_id = new_id("resp")
    reported = state.reported_model(deployment)
    run = Run(
        response_id,
        response_object(
            response_id, body, model=reported, background=background, store=store, effort=plan.effort
        ),
        background=background,
        stored=store,
        streamed=streamed,
        deployment=deployment.name,
        transcript=transcript,
    )
    record.response_id, record.model, record.stream = response_id, reported, streamed
    record.reply = "".join(plan.pieces)
    record.tool_calls = [c.name for c in plan.tool_calls]
    record.finish_reason = plan.stop
    state.runs.add(run)
    producer = Producer(run, plan, deployment.timing, state.runs)
    if background:
        state.runs.start(run, _produce_and_remember(producer))
        if streamed:
            return await _stream(request, run, -1, fault, headers)
        return web.json_response(run.response, headers=headers)
    task = asyncio.get_running_loop().create_task(_produce_and_remember(producer))
    try:
        if streamed:
            return await _stream(request, run, -1, fault, headers)
        if fault is not None and fault.kind == "drop_connection":
            drop_connection(request)
            return web.Response(status=200)
        await asyncio.shield(task)
        return web.json_response(run.response, headers=headers)
    finally:
        if not task.done():
            task.cancel()  # a synchronous response ends with its connection (responses-api.md §6)


async def _produce_and_remember(producer: Producer) -> None:
    await producer.produce()
    run = producer.run
    run.transcript = [*run.transcript, *run.response["output"]]


def _transcript(
    state: EmulatorState, body: dict[str, Any], items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    previous_id = body.get("previous_response_id")
    if previous_id is None:
        return items
    previous = state.runs.get(str(previous_id))
    if previous is None:
        raise response_rules.previous_not_found(str(previous_id))
    return [*previous.transcript, *items]


def _plan(
    state: EmulatorState,
    deployment: Deployment,
    body: dict[str, Any],
    transcript: list[dict[str, Any]],
    prompt: int,
    record: RequestRecord,
) -> Plan:
    effort = response_rules.effort_of(body, deployment)
    reasoning = deployment.family.reasoning
    user_text = response_rules.last_user_text(transcript)
    text: str | None = None
    calls: tuple[Any, ...] = ()
    script = find_script(state.tool_scripts, deployment.name, user_text) if body.get("tools") else None
    if script is not None:
        exchange = responses_exchange(body.get("tools"), transcript)
        decision = decide(script, exchange)
        record.tool_results = dict(exchange.results)
        if decision.missing_results:
            raise response_rules._bad(
                f"No tool output found for function call {decision.missing_results[0]}.", "input", None
            )
        calls, text = decision.calls, decision.text
    if text is None and not calls:
        text = choose_reply_for_prompt(state.replies, deployment.name, user_text)
    cap = body.get("max_output_tokens")
    completion = plan_completion(
        text or "", prompt_tokens=prompt, effort=effort, cap=cap if isinstance(cap, int) else None
    )
    summary_wanted = isinstance(body.get("reasoning"), dict) and body["reasoning"].get("summary") is not None
    summary = None
    if reasoning and summary_wanted and deployment.family.summaries and effort != "none":
        summary = deployment.summary or f"**Considering the request**\n\nThe user asks: {user_text[:120]}"
    include = body.get("include")
    encrypted = reasoning and (
        body.get("store") is False or (isinstance(include, list) and "reasoning.encrypted_content" in include)
    )
    return Plan(
        pieces=completion.pieces,
        prompt_tokens=prompt,
        reasoning_tokens=completion.reasoning_tokens if reasoning else 0,
        reasoning=reasoning,
        summary=summary,
        encrypted=encrypted,
        effort=effort,
        tool_calls=tuple(calls),
        stop="max_output_tokens" if completion.finish_reason == "length" and not calls else "completed",
    )


async def _apply_fault(fault: FaultSpec, deployment: Deployment, plan: Plan, api_version: str) -> Plan:
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
        raise errors.responses_context_length_exceeded()
    if kind == "slow_first_byte":
        await asyncio.sleep(fault.delay)
    if kind == "reasoning_exhausted":
        return _replace(
            plan, pieces=[], stop="max_output_tokens", reasoning_tokens=max(plan.reasoning_tokens, 1)
        )
    if kind == "content_filter_completion":
        return _replace(plan, pieces=plan.pieces[: fault.after_chunks], stop="content_filter", tool_calls=())
    if kind == "failed":
        return _replace(plan, stop="failed")
    if kind == "stream_error":
        return _replace(plan, stop="stream_error")
    return plan


def _replace(plan: Plan, **changes: Any) -> Plan:
    return dataclasses.replace(plan, **changes)


# ------------------------------------------------------------------------------------------ streaming


async def _stream(
    request: web.Request, run: Run, after: int, fault: FaultSpec | None, headers: dict[str, str]
) -> web.StreamResponse:
    """Write the run's events after ``after`` as SSE (``event:`` and ``data:`` lines, no [DONE])."""
    kind = fault.kind if fault is not None else None
    form = fault.form if fault is not None and kind == "no_terminal" else None
    if form == "clean_close":
        return await _stream_then_close(request, run, after)
    response = web.StreamResponse(status=200, headers={**headers, **SSE_HEADERS})
    await response.prepare(request)
    deltas = 0
    try:
        async for event in run.follow(after):
            if form is not None and event["type"] in _TERMINAL_EVENTS:
                if form == "done":
                    await response.write(b"data: [DONE]\n\n")
                break
            await response.write(encode(event))
            if event["type"] == "response.output_text.delta":
                deltas += 1
                if fault is not None and kind == "drop_connection" and deltas >= fault.after_chunks:
                    drop_connection(request)
                    return response
        await response.write_eof()
    except ConnectionResetError:
        mark_disconnected(request)
    return response


async def _stream_then_close(request: web.Request, run: Run, after: int) -> web.StreamResponse:
    """The ``clean_close`` fault: an EOF-delimited body that ends (cleanly) before the terminal event."""
    chunks = [b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"]
    async for event in run.follow(after):
        if event["type"] in _TERMINAL_EVENTS:
            break
        chunks.append(encode(event))
    write_raw_close(request, b"".join(chunks))
    return web.Response(status=200)


_TERMINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")


def encode(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, separators=(",", ":"))
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


# ------------------------------------------------------------------------------------------ other routes


async def _retrieve(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    begin(request)
    _route_version(request)
    check_auth(request, state)
    run = _run(state, request)
    if request.query.get("stream") == "true":
        if not run.streamed:
            raise response_rules.cannot_resume()
        after = _int_query(request, "starting_after", -1)
        record_of(request).stream = True
        return await _stream(request, run, after, None, {})
    return web.json_response(run.response)


async def _cancel(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    begin(request)
    _route_version(request)
    check_auth(request, state)
    run = _run(state, request)
    if not run.background:
        raise response_rules.cannot_cancel()
    if not run.finished:  # idempotent; a finished run is returned as it is (responses-api.md §6)
        if run.task is not None:
            run.task.cancel()
        run.set_status("cancelled")
    return web.json_response(run.response)


async def _delete(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    begin(request)
    _route_version(request)
    check_auth(request, state)
    run = _run(state, request)
    if run.task is not None and not run.task.done():
        run.task.cancel()
    state.runs.delete(run.id)
    return web.json_response({"object": "response.deleted", "id": run.id, "deleted": True})


async def _input_items(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    begin(request)
    _route_version(request)
    check_auth(request, state)
    run = _run(state, request)
    inputs = [i for i in run.transcript if i not in run.response["output"]]
    data = [{"id": i.get("id") or new_id("msg"), **i} for i in inputs]
    limit = max(1, min(100, _int_query(request, "limit", 20)))
    data = data[:limit]
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": False,
        }
    )


def _int_query(request: web.Request, name: str, default: int) -> int:
    value = request.query.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise errors.bad_request(f"Invalid '{name}': expected an integer, got {value!r}.") from None
