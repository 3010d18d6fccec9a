"""Typed adapter errors, each with a message that says what happened and what to do.

`error_from_status` maps an HTTP status and Azure's error object to one of these in one place. It
branches on `error.code` and `error.param` (capabilities.md rule a.9), never on `type`, and accepts both
spellings of the content-filter detail (live `innererror.content_filter_result`, spec
`inner_error.content_filter_results`). Messages never carry a secret or a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_UNSUPPORTED_OPERATION = re.compile(r"operation does not work with the specified model, (.+?)\. Please", re.S)
_CONTEXT_NUMBERS = re.compile(
    r"maximum context length is (\d+) tokens.*?(?:resulted in|requested) (\d+) tokens", re.S
)


class AzureError(Exception):
    """Base of every adapter error. `str(error)` is `user_message`."""

    kind = "azure"

    def __init__(self, user_message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.status = status
        self.code = code


class AuthError(AzureError):
    kind = "auth"


class DeploymentNotFound(AzureError):
    kind = "deployment_not_found"

    def __init__(
        self, user_message: str, *, deployment: str, status: int | None = 404, code: str | None = None
    ):
        super().__init__(user_message, status=status, code=code)
        self.deployment = deployment


class ContentFilterError(AzureError):
    """The content filter blocked the prompt (HTTP 400) or the completion (finish_reason content_filter)."""

    kind = "content_filter"

    def __init__(
        self, categories: tuple[str, ...], where: str, *, partial: str = "", status: int | None = None
    ):
        tripped = ", ".join(categories) or "unspecified"
        if where == "prompt":
            message = (
                f"Azure's content filter blocked the prompt ({tripped}). Rephrase the request and try again."
            )
        else:
            message = (
                f"Azure's content filter stopped the reply ({tripped}). Rephrase the request and try again."
            )
        super().__init__(message, status=status, code="content_filter")
        self.categories = categories
        self.where = where
        self.partial = partial


class ContextLengthExceeded(AzureError):
    """The prompt (plus completion budget) is over the model's context; the caller trims, retries once."""

    kind = "context_length"

    def __init__(self, user_message: str, *, limit: int | None = None, requested: int | None = None):
        super().__init__(user_message, status=400, code="context_length_exceeded")
        self.limit = limit
        self.requested = requested


class RateLimitExhausted(AzureError):
    kind = "rate_limit"

    def __init__(self, user_message: str, *, retry_after: float | None = None, status: int | None = 429):
        super().__init__(user_message, status=status, code="429")
        self.retry_after = retry_after


class ConfigurationError(AzureError):
    """Settings are missing or wrong; `key` names the setting to change."""

    kind = "configuration"

    def __init__(
        self, user_message: str, *, key: str | None = None, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(user_message, status=status, code=code)
        self.key = key


class NetworkError(AzureError):
    kind = "network"


class ServiceError(AzureError):
    """Azure kept failing (408, 409, 5xx) after every retry."""

    kind = "service"


class ReasoningBudgetExhausted(AzureError):
    kind = "reasoning_budget"

    def __init__(self, completion_tokens: int) -> None:
        super().__init__(
            f"The model spent all {completion_tokens} completion tokens on reasoning and wrote no answer; "
            "raise maxCompletionTokens or lower reasoningEffort.",
            code="length",
        )
        self.completion_tokens = completion_tokens


class BadRequest(AzureError):
    kind = "bad_request"


class OperationNotSupported(AzureError):
    """The deployment refused the API it was called on (`OperationNotSupported`): a Responses-only model on
    Chat Completions, or a deployment that is not a chat model at all. `model` is the model Azure named."""

    kind = "operation_not_supported"

    def __init__(
        self, user_message: str, *, deployment: str, model: str | None = None, status: int | None = 400
    ) -> None:
        super().__init__(user_message, status=status, code="OperationNotSupported")
        self.deployment = deployment
        self.model = model


class ModelRetired(AzureError):
    """Azure answered 410 Gone: the deployment's model is retired."""

    kind = "model_retired"

    def __init__(
        self, user_message: str, *, deployment: str, status: int | None = 410, code: str | None = None
    ):
        super().__init__(user_message, status=status, code=code)
        self.deployment = deployment


class IncompleteReply(AzureError):
    """The reply stream ended without Azure saying it was finished (no finish reason, no terminal event):
    what a proxy or gateway timeout looks like. `partial` is the text that arrived; never a complete reply."""

    kind = "incomplete_reply"

    def __init__(self, partial: str, *, wire: str = "chat") -> None:
        kept = "; the partial reply was kept" if partial else ""
        super().__init__(
            "The reply stopped before Azure said it was finished (the connection closed without a final "
            f"event, as a proxy or gateway timeout does){kept}. Try again.",
            code="incomplete",
        )
        self.partial = partial
        self.wire = wire


class RunLost(AzureError):
    """A background run to resume is no longer on Azure (expired or deleted)."""

    kind = "run_lost"


def unsupported_operation_model(error: Mapping[str, Any] | None) -> str | None:
    """The model an `OperationNotSupported` refusal names ("" when it names none), or None for any other
    error. Matched on the code and the words "operation does not work", never on the whole text."""
    if not isinstance(error, Mapping) or error.get("code") != "OperationNotSupported":
        return None
    message = str(error.get("message") or "")
    if "operation does not work" not in message:
        return None
    named = _UNSUPPORTED_OPERATION.search(message)
    return named[1].strip() if named else ""


def filter_categories(results: Any) -> tuple[str, ...]:
    """Names of the categories marked filtered (or detected) in a content_filter_result(s) object."""
    if not isinstance(results, Mapping):
        return ()
    tripped = []
    for name, verdict in results.items():
        if not isinstance(verdict, Mapping):
            continue
        # "detected" alone counts for protected material; a detected jailbreak only counts when filtered.
        hit = verdict.get("filtered") is True or (verdict.get("detected") is True and name != "jailbreak")
        if hit:
            tripped.append(str(name).replace("_", " "))
    return tuple(tripped)


def _prompt_filter_categories(error: Mapping[str, Any]) -> tuple[str, ...]:
    for inner_key, results_key in (
        ("innererror", "content_filter_result"),
        ("inner_error", "content_filter_results"),
    ):
        inner = error.get(inner_key)
        if isinstance(inner, Mapping):
            categories = filter_categories(inner.get(results_key))
            if categories:
                return categories
    return ()


def error_from_status(
    status: int,
    error: Mapping[str, Any] | None,
    *,
    deployment: str,
    endpoint: str,
    api_version: str,
    auth_hint: str,
) -> AzureError:
    """One typed error for an HTTP error answer (429 and 5xx here mean: retries are used up)."""
    error = error if isinstance(error, Mapping) else {}
    code = error.get("code")
    code = str(code) if code is not None else None
    message = str(error.get("message") or "").strip()
    azure_says = f" Azure said: {message}" if message else ""
    if status == 401:
        return AuthError(
            f"Azure rejected the credentials (401) for {endpoint}. {auth_hint}{azure_says}",
            status=status,
            code=code,
        )
    if status == 403:
        return AuthError(
            f"Azure denied access (403) to {endpoint}. {auth_hint} The resource's network rules "
            f"(firewall, private endpoint) can also deny access.{azure_says}",
            status=status,
            code=code,
        )
    if status == 404:
        if code == "DeploymentNotFound" or "deployment" in message.lower():
            return DeploymentNotFound(
                f'Deployment {deployment!r} was not found at {endpoint}. Check the profile\'s "deployment" '
                "(one created in the last 5 minutes may need a moment).",
                deployment=deployment,
                code=code,
            )
        return ConfigurationError(
            f"Azure answered 404 for {endpoint} (api-version {api_version}). "
            'Check "endpoint" and "apiVersion".' + azure_says,
            key="endpoint",
            status=status,
            code=code,
        )
    if status == 410:
        return ModelRetired(
            f"Azure says the model of deployment {deployment!r} is retired (410). Deploy a current model "
            f'and set the profile\'s "deployment" to it.{azure_says}',
            deployment=deployment,
            code=code,
        )
    if status == 429:
        return RateLimitExhausted(f"Azure kept rate-limiting deployment {deployment!r}.{azure_says}")
    if status in (408, 409) or status >= 500:
        return ServiceError(
            f"Azure kept failing ({status}) for deployment {deployment!r}; try again later.{azure_says}",
            status=status,
            code=code,
        )
    named = unsupported_operation_model(error)
    if named is not None:
        return operation_not_supported(deployment, named, tried=())
    return _bad_request(status, code, message, error, api_version)


def operation_not_supported(deployment: str, model: str, *, tried: tuple[str, ...]) -> OperationNotSupported:
    """The error for a deployment refused on the wires in `tried` ("chat", "responses")."""
    runs = f" (it runs {model})" if model else ""
    names = {"chat": "Chat Completions", "responses": "Responses"}
    if len(tried) > 1:
        where = " and ".join(names.get(wire, wire) for wire in tried)
        advice = 'It is not a chat model: point the profile\'s "deployment" at a chat deployment.'
    elif tried:
        where = names.get(tried[0], tried[0])
        advice = 'Remove the profile\'s "wire" setting so ChatLS can use the API the model answers on.'
    else:
        where = "this API"
        advice = 'Check that the profile\'s "deployment" is a chat model.'
    return OperationNotSupported(
        f"Deployment {deployment!r}{runs} does not answer on {where}. {advice}",
        deployment=deployment,
        model=model or None,
    )


def error_from_failed_response(
    error: Mapping[str, Any] | None, *, deployment: str, partial: str = ""
) -> AzureError:
    """A Responses reply that ended `failed` (or a stream's `error` event), as the same typed errors a
    Chat Completions HTTP error gives: what Azure said and what to do."""
    error = error if isinstance(error, Mapping) else {}
    code = str(error.get("code") or "") or None
    message = str(error.get("message") or "").strip()
    azure_says = f" Azure said: {message}" if message else ""
    if code == "content_filter":
        return ContentFilterError(_prompt_filter_categories(error), "completion", partial=partial)
    if code == "cancelled":
        return BadRequest(
            f"The background run on deployment {deployment!r} was cancelled on Azure; ask again.", code=code
        )
    if code == "context_length_exceeded":
        return ContextLengthExceeded(
            f"The conversation is too long for the model; start a new chat or attach less. {message}".strip()
        )
    if code in ("rate_limit_exceeded", "429"):
        return RateLimitExhausted(
            f"Azure rate-limited deployment {deployment!r} while it answered.{azure_says} Try again later."
        )
    if code in (None, "server_error", "internal_error"):
        return ServiceError(
            f"Azure failed while answering on deployment {deployment!r} ({code or 'no code'}); "
            f"try again.{azure_says}",
            code=code,
        )
    return BadRequest(
        f"Azure could not answer on deployment {deployment!r} ({code}).{azure_says} "
        "Rephrase or shorten the request and try again.",
        code=code,
    )


def _bad_request(
    status: int, code: str | None, message: str, error: Mapping[str, Any], api_version: str
) -> AzureError:
    if code == "content_filter":
        return ContentFilterError(_prompt_filter_categories(error), "prompt", status=status)
    if code == "context_length_exceeded":
        numbers = _CONTEXT_NUMBERS.search(message)
        limit, requested = (int(numbers[1]), int(numbers[2])) if numbers else (None, None)
        return ContextLengthExceeded(
            f"The conversation is too long for the model; start a new chat or attach less. {message}".strip(),
            limit=limit,
            requested=requested,
        )
    if "enabled only for api versions" in message or (
        "api version" in message.lower() and "not supported" in message
    ):
        return ConfigurationError(
            f"api-version {api_version} is too old for this model ({message}). "
            'Set "apiVersion" to "v1" or a newer dated version.',
            key="apiVersion",
            status=status,
            code=code,
        )
    detail = message or "no details"
    return BadRequest(
        f"Azure refused the request ({status}, {code or 'no code'}): {detail}", status=status, code=code
    )
