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

from chatls.azure.errors import (
    AuthError,
    AzureError,
    BadRequest,
    ContentFilterError,
    ContextLengthExceeded,
    DeploymentNotFound,
    IncompleteReply,
    ModelRetired,
    NetworkError,
    OperationNotSupported,
    RateLimitExhausted,
    ReasoningBudgetExhausted,
    ServiceError,
)
from chatls.azure.errors import ConfigurationError as AdapterConfigurationError
from chatls.azure.profile import ProfileError
from chatls.config import ConfigError
from chatls.store import ConversationNotFound, MessageNotFound, StoreError

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

_ADAPTER_CODES: tuple[tuple[type[AzureError], int], ...] = (
    (AdapterConfigurationError, CONFIGURATION_ERROR),
    (OperationNotSupported, CONFIGURATION_ERROR),  # the deployment is no chat model, or the wire is forced
    (ModelRetired, CONFIGURATION_ERROR),  # deploy a current model
    (AuthError, AUTHENTICATION_ERROR),
    (DeploymentNotFound, DEPLOYMENT_NOT_FOUND),
    (RateLimitExhausted, RATE_LIMITED),
    (ContentFilterError, CONTENT_FILTERED),
    (ContextLengthExceeded, CONTEXT_TOO_LONG),
    (NetworkError, UNAVAILABLE),
    (ServiceError, UNAVAILABLE),
    (IncompleteReply, UNAVAILABLE),  # a stream cut short (proxy, gateway): try again
    (BadRequest, REQUEST_REJECTED),
    (ReasoningBudgetExhausted, REASONING_BUDGET),
)
"""The code of each adapter error type; any other `AzureError` (e.g. `RunLost`) is UPSTREAM_ERROR."""


_CODES_BY_KIND = {
    **{error_type.kind: code for error_type, code in _ADAPTER_CODES},
    "configuration": CONFIGURATION_ERROR,  # a ChatLS setting (`ConfigurationError` below)
    "agent_unavailable": CONFIGURATION_ERROR,
    "storage": STORAGE_ERROR,
    "internal": INTERNAL_ERROR,
}
"""Every `data.kind` ChatLS sends with a code of its own (derived: the adapter's kinds from their types)."""


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


def code_for(error: AzureError) -> int:
    """The JSON-RPC code of an adapter error, by its type."""
    for error_type, code in _ADAPTER_CODES:
        if isinstance(error, error_type):
            return code
    return UPSTREAM_ERROR


def code_for_kind(kind: str) -> int:
    """The code errors of this `data.kind` are sent with (for clients' and docs' checks)."""
    return _CODES_BY_KIND.get(kind, UPSTREAM_ERROR)


def to_jsonrpc(exc: BaseException) -> JsonRpcException:
    """Map any failure to the JSON-RPC error the client sees (and log what the client must not see)."""
    if isinstance(exc, JsonRpcException):
        return exc
    mapped: JsonRpcException | None = None
    if isinstance(exc, AzureError):
        mapped = _from_adapter(exc)
    elif isinstance(exc, (ConfigError, ProfileError)):
        mapped = _from_config(exc)
    elif isinstance(exc, (ConversationNotFound, MessageNotFound)):
        mapped = invalid_params(str(exc))  # e.g. deleted by another window meanwhile
    elif isinstance(exc, StoreError):
        mapped = ChatLSError(f"The conversation store failed: {exc}", kind="storage", code=STORAGE_ERROR)
    if mapped is not None:
        log.debug("request failed: %s", mapped.message)  # the client gets it; a turn logs its own line
        return mapped
    log.error("unexpected error in a request handler", exc_info=exc)
    return InternalError()


def _from_adapter(exc: AzureError) -> ChatLSError:
    extra: dict[str, Any] = {}
    if isinstance(exc, RateLimitExhausted) and exc.retry_after is not None:
        extra["retryAfter"] = exc.retry_after
    if isinstance(exc, ContentFilterError) and exc.categories:
        extra["categories"] = list(exc.categories)
    if isinstance(exc, AdapterConfigurationError) and exc.key is not None:
        extra["key"] = exc.key
    return ChatLSError(exc.user_message, kind=exc.kind, code=code_for(exc), **extra)


def _from_config(exc: ConfigError | ProfileError) -> ConfigurationError:
    if exc.key == "profile":  # the request's own `profile` names no configured profile
        return ConfigurationError(exc.reason[:1].upper() + exc.reason[1:] + ".", key=exc.key)
    return ConfigurationError(str(exc) or f"Invalid setting {exc.key}: {exc.reason}", key=exc.key)
