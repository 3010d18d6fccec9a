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
    if status == 429:
        return RateLimitExhausted(f"Azure kept rate-limiting deployment {deployment!r}.{azure_says}")
    if status in (408, 409) or status >= 500:
        return ServiceError(
            f"Azure kept failing ({status}) for deployment {deployment!r}; try again later.{azure_says}",
            status=status,
            code=code,
        )
    return _bad_request(status, code, message, error, api_version)


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
