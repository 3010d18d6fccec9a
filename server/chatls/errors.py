"""The one boundary where failures become JSON-RPC errors the user can act on.

Every request and command handler lets its failures pass through `to_jsonrpc`. Adapter errors carry a
user-facing message already (what happened and what to do); configuration errors name the setting; anything
unexpected is logged here with its traceback and reaches the client only as "internal error, see the server
log". No traceback, URL with a key, or secret ever goes out: pygls would otherwise put the traceback in
`data`.

Error codes live in the JSON-RPC server-error range -32099..-32000 (docs/protocol.md lists them); each error's
`data` is `{"kind": ...}` plus, where it helps, `retryAfter` (seconds) or `key` (the setting to fix).
"""

from __future__ import annotations

import logging
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

log = logging.getLogger(__name__)

UPSTREAM_ERROR = -32000
"""Azure (or the network) failed in a way no more specific code covers."""
CONFIGURATION_ERROR = -32010
"""A setting is missing or invalid: no profile, no endpoint, no API key, api-version too old..."""
AUTHENTICATION_ERROR = -32011
"""Azure refused the credentials (401/403)."""
DEPLOYMENT_NOT_FOUND = -32012
"""The deployment does not exist on the endpoint (404)."""
RATE_LIMITED = -32013
"""Rate limit still exceeded after the allowed retries; `data.retryAfter` says how long Azure asked to
wait."""
CONTENT_FILTERED = -32014
"""Azure's content filter blocked the prompt or the reply; `data.categories` names what tripped."""
CONTEXT_TOO_LONG = -32015
"""The request does not fit the model's context window even after trimming history."""
UNAVAILABLE = -32016
"""Network error, timeout or 5xx after the allowed retries."""
REQUEST_REJECTED = -32017
"""Azure rejected the request (400) in a way self-healing could not fix."""
REASONING_BUDGET = -32018
"""A reasoning model used all completion tokens on reasoning and produced no reply."""
STORAGE_ERROR = -32019
"""The conversation database cannot be used (e.g. written by a newer ChatLS, disk full)."""
INTERNAL_ERROR = -32099
"""A bug in ChatLS; the details are in the server log, never in the response."""

_CODES_BY_KIND = {
    "configuration": CONFIGURATION_ERROR,
    "authentication": AUTHENTICATION_ERROR,
    "auth": AUTHENTICATION_ERROR,
    "permission": AUTHENTICATION_ERROR,
    "not_found": DEPLOYMENT_NOT_FOUND,
    "deployment_not_found": DEPLOYMENT_NOT_FOUND,
    "rate_limit": RATE_LIMITED,
    "rate_limited": RATE_LIMITED,
    "content_filter": CONTENT_FILTERED,
    "context_length": CONTEXT_TOO_LONG,
    "context_length_exceeded": CONTEXT_TOO_LONG,
    "network": UNAVAILABLE,
    "timeout": UNAVAILABLE,
    "unavailable": UNAVAILABLE,
    "server": UNAVAILABLE,
    "service": UNAVAILABLE,
    "bad_request": REQUEST_REJECTED,
    "api_version": CONFIGURATION_ERROR,
    "reasoning_budget": REASONING_BUDGET,
    "operation_not_supported": CONFIGURATION_ERROR,  # the deployment is no chat model, or the wire is forced
    "model_retired": CONFIGURATION_ERROR,  # deploy a current model
    "incomplete_reply": UNAVAILABLE,  # a stream cut short (proxy, gateway): try again
}


class ChatLSError(JsonRpcException):
    """A JSON-RPC error with a user-facing message and `data = {"kind": ...}`."""

    CODE = UPSTREAM_ERROR
    MESSAGE = "Azure OpenAI request failed"

    def __init__(self, message: str, *, kind: str, code: int | None = None, **data: Any) -> None:
        payload: dict[str, Any] = {"kind": kind}
        payload.update({k: v for k, v in data.items() if v is not None})
        super().__init__(code=code or self.CODE, message=message, data=payload)
        self.kind = kind


class ConfigurationError(ChatLSError):
    CODE = CONFIGURATION_ERROR

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message, kind="configuration", key=key)


class InternalError(ChatLSError):
    CODE = INTERNAL_ERROR

    def __init__(self) -> None:
        super().__init__("ChatLS hit an internal error; the server log has the details.", kind="internal")


def invalid_params(message: str) -> JsonRpcInvalidParams:
    """InvalidParams (-32602) whose message is exactly `message` (pygls prefixes nothing)."""
    return JsonRpcInvalidParams(message=message)


def code_for_kind(kind: str) -> int:
    return _CODES_BY_KIND.get(kind, UPSTREAM_ERROR)


def to_jsonrpc(exc: BaseException) -> JsonRpcException:
    """Map any failure to the JSON-RPC error the client sees (and log what the client must not see)."""
    if isinstance(exc, JsonRpcException):
        return exc
    mapped = _from_adapter(exc) or _from_config(exc) or _from_store(exc)
    if mapped is not None:
        log.info("request failed: %s", mapped.message)
        return mapped
    log.error("unexpected error in a request handler", exc_info=exc)
    return InternalError()


def _from_adapter(exc: BaseException) -> ChatLSError | None:
    user_message = getattr(exc, "user_message", None)
    kind = getattr(exc, "kind", None)
    if not isinstance(user_message, str) or not isinstance(kind, str):
        return None
    extra: dict[str, Any] = {}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, (int, float)):
        extra["retryAfter"] = retry_after
    categories = getattr(exc, "categories", None)
    if categories:
        extra["categories"] = list(categories)
    key = getattr(exc, "key", None)
    if isinstance(key, str):
        extra["key"] = key
    return ChatLSError(user_message, kind=kind, code=code_for_kind(kind), **extra)


def _from_config(exc: BaseException) -> ChatLSError | None:
    # ConfigError / ProfileError both carry `.key` and `.reason`; checked by shape to keep imports lazy.
    key = getattr(exc, "key", None)
    reason = getattr(exc, "reason", None)
    if not isinstance(key, str) or not isinstance(reason, str):
        return None
    if key == "profile":  # the request's own `profile` names no configured profile
        return ConfigurationError(reason[:1].upper() + reason[1:] + ".", key=key)
    return ConfigurationError(str(exc) or f"Invalid setting {key}: {reason}", key=key)


def _from_store(exc: BaseException) -> JsonRpcException | None:
    name = type(exc).__name__
    if name in ("ConversationNotFound", "MessageNotFound"):
        return invalid_params(str(exc))  # e.g. deleted by another window meanwhile
    if name == "StoreError":
        return ChatLSError(f"The conversation store failed: {exc}", kind="storage", code=STORAGE_ERROR)
    return None
