"""Steps every data-plane request takes: the log record, auth, the deployment, the JSON body, quota."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from chatls.emulator import data_sources, errors, rules
from chatls.emulator.config import Deployment
from chatls.emulator.outline import outline
from chatls.emulator.replies import Completion
from chatls.emulator.state import EmulatorState, RequestRecord

STATE_KEY = web.AppKey("state", EmulatorState)
RECORD_KEY = web.RequestKey("record", RequestRecord)
LOGGED_BODY_BYTES = 1024 * 1024


def begin(request: web.Request) -> EmulatorState:
    state = request.app[STATE_KEY]
    request[RECORD_KEY] = state.begin_record(request.method, request.path, request.query, request.headers)
    return state


def record_of(request: web.Request) -> RequestRecord:
    record = record_for(request)
    assert record is not None  # _begin ran first
    return record


def check_auth(request: web.Request, state: EmulatorState) -> None:
    key = request.headers.get("api-key", "").strip()
    if not key and state.api_key_header:
        key = request.headers.get(state.api_key_header, "").strip()
    if not key:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    accepted = state.config.api_keys
    if not key or (accepted and key not in accepted):
        raise errors.unauthorized()


def deployment_named(state: EmulatorState, name: str, request: web.Request) -> Deployment:
    record_of(request).deployment = name
    deployment = state.deployments.get(name)
    if deployment is None:
        raise errors.deployment_not_found()
    return deployment


async def read_json(request: web.Request, state: EmulatorState) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise errors.bad_request(
            f"Invalid Content-Type header ({content_type or 'none'}), expected application/json."
        )
    raw = await request.read()  # raises HTTPRequestEntityTooLarge above client_max_size
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.bad_request(
            "We could not parse the JSON body of your request. The API expects a JSON payload, "
            "but what was sent was not valid JSON."
        ) from None
    # Huge bodies are summarised in the log so a long benchmark cannot grow memory without bound: their size,
    # and their shape with every long string cut short (what was sent, in what order, how long).
    logged = data_sources.redacted(body) if isinstance(body, dict) else body
    if len(raw) > LOGGED_BODY_BYTES:
        shape = outline(logged)
        logged = {"omitted_bytes": len(raw), **({"outline": shape} if shape is not None else {})}
    record_of(request).body = logged
    state.note_body_size(record_of(request), min(len(raw), LOGGED_BODY_BYTES))
    if len(raw) > rules.MAX_STRING_LENGTH:
        rules.check_string_lengths(body)
    if not isinstance(body, dict):
        raise errors.schema_invalid(f"{json.dumps(body)[:100]} is not of type 'object'", "")
    record_of(request).stream = body.get("stream") is True
    return body


def rate_limit(
    state: EmulatorState, deployment: Deployment, completion: Completion, api_version: str
) -> dict[str, str]:
    headers = {"apim-request-id": str(uuid.uuid4()), "x-ms-region": "Emulator"}
    limit = deployment.tokens_per_minute
    if limit is None:
        return headers
    tokens = completion.prompt_tokens + completion.completion_tokens
    decision = state.limiter.check(deployment.name, limit, tokens)
    if not decision.allowed:
        raise errors.rate_limited(
            decision.retry_after,
            deployment=deployment.name,
            model=deployment.model,
            api_version=api_version,
            newer=False,
            limit_tokens=limit,
            remaining_tokens=decision.remaining_tokens,
        )
    headers.update(
        {
            "x-ratelimit-limit-tokens": str(limit),
            "x-ratelimit-remaining-tokens": str(decision.remaining_tokens),
        }
    )
    return headers


def record_for(request: web.Request) -> RequestRecord | None:
    record: RequestRecord | None = request.get(RECORD_KEY)
    return record


def mark_disconnected(request: web.Request) -> None:
    record = record_for(request)
    if record is not None:
        record.disconnected = True
        record.finished = True
