"""Azure's error bodies, loaded verbatim from ``data/errors`` (copied from ``shared/azure/errors``).

Only the parts that depend on the request are filled in (the message index, the value sent, the
retry seconds); everything else is the body as Azure sent it. Bodies marked "emulator" below have no
captured Azure original and are written in Azure's envelope (documented in docs/emulator.md).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from datetime import datetime, timezone
from email.utils import format_datetime
from functools import cache
from importlib import resources
from typing import Any

JsonDict = dict[str, Any]


class EmulatorError(Exception):
    """An HTTP error answer: status, JSON body and extra headers."""

    def __init__(
        self, status: int, body: JsonDict, headers: dict[str, str] | None = None, source: str = "emulator"
    ) -> None:
        super().__init__(f"{status} {body.get('error', {}).get('code')}")
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.source = source
        """The ``data/errors`` file the body comes from; ``emulator`` when no captured original exists."""

    @property
    def code(self) -> str | None:
        code = self.body.get("error", {}).get("code")
        return code if isinstance(code, str) else None

    @property
    def param(self) -> str | None:
        param = self.body.get("error", {}).get("param")
        return param if isinstance(param, str) else None


@cache
def _load(name: str) -> tuple[int, str]:
    text = resources.files("chatls.emulator").joinpath(f"data/errors/{name}.json").read_text("utf-8")
    data = json.loads(text)
    return int(data["status"]), json.dumps(data["body"])


ERROR_FILES: tuple[str, ...] = (
    "api-version-too-old",
    "content-filter-prompt-400",
    "context-length-exceeded",
    "context-length-exceeded-with-completion",
    "deployment-not-found-404",
    "developer-role-invalid-for-api-version",
    "developer-role-unsupported-by-model",
    "max-tokens-too-large",
    "max-tokens-unsupported",
    "parallel-tool-calls-unsupported",
    "rate-limit-429-newer-message",
    "rate-limit-429-old-format",
    "reasoning-effort-invalid-value",
    "reasoning-effort-unknown-parameter",
    "responses-server-error-500",
    "stream-unsupported",
    "system-role-unsupported",
    "temperature-unsupported-parameter",
    "temperature-unsupported-value",
    "unauthorized-401",
    "unrecognized-argument-max-completion-tokens",
    "unrecognized-argument-parallel-tool-calls",
    "context-length-exceeded-functions",
    "string-above-max-length",
    "operation-not-supported-responses-only",
    "function-tools-with-reasoning-effort",
    "reasoning-effort-unsupported-value-for-model",
    "responses-context-length-exceeded",
)
"""Every captured body the emulator can answer with (the rest of ``data/errors`` documents variants)."""


def verbatim(name: str) -> EmulatorError:
    """The captured body unchanged."""
    status, text = _load(name)
    return EmulatorError(status, json.loads(text), source=name)


def _edited(name: str, *, message: tuple[str, str] | None = None, param: str | None = None) -> EmulatorError:
    """The captured body with one substring of the message replaced and/or ``param`` set."""
    error = verbatim(name)
    inner = error.body["error"]
    if message is not None:
        inner["message"] = inner["message"].replace(*message)
    if param is not None:
        inner["param"] = param
    return error


def fmt_value(value: Any) -> str:
    """How Azure prints a value it refuses (``0.5``, ``true``, ``'none'``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


# -------------------------------------------------------------------------------- request-shape errors


def role_unsupported(role: str, index: int) -> EmulatorError:
    name = "system-role-unsupported" if role == "system" else "developer-role-unsupported-by-model"
    if role not in ("system", "developer"):
        error = _edited("system-role-unsupported", message=("'system'", f"'{role}'"))
    else:
        error = verbatim(name)
    return _at_index(error, index)


def developer_role_too_new(index: int) -> EmulatorError:
    return _at_index(verbatim("developer-role-invalid-for-api-version"), index)


def role_invalid(role: str, index: int) -> EmulatorError:
    """``invalid_value`` for a role the api-version's schema does not list (captured for developer)."""
    if role == "developer":
        return developer_role_too_new(index)
    error = _edited("developer-role-invalid-for-api-version", message=("'developer'", f"'{role}'"))
    return _at_index(error, index)


def _at_index(error: EmulatorError, index: int) -> EmulatorError:
    inner = error.body["error"]
    inner["message"] = inner["message"].replace("messages[0]", f"messages[{index}]")
    inner["param"] = f"messages[{index}].role"
    return error


def stream_unsupported() -> EmulatorError:
    return verbatim("stream-unsupported")


def max_tokens_unsupported() -> EmulatorError:
    return verbatim("max-tokens-unsupported")


def parameter_unsupported(param: str) -> EmulatorError:
    """``unsupported_parameter`` for any parameter (wording of the captured temperature body)."""
    if param == "max_tokens":
        return max_tokens_unsupported()
    if param == "parallel_tool_calls":
        return verbatim("parallel-tool-calls-unsupported")
    return _edited("temperature-unsupported-parameter", message=("'temperature'", f"'{param}'"), param=param)


def value_unsupported(param: str, value: Any) -> EmulatorError:
    """``unsupported_value``: only the default is accepted (captured for temperature)."""
    if param == "stream":
        return stream_unsupported()
    error = verbatim("temperature-unsupported-value")
    inner = error.body["error"]
    default = _DEFAULTS.get(param)
    message = f"Unsupported value: '{param}' does not support {fmt_value(value)} with this model."
    if default is not None:
        message += f" Only the default ({fmt_value(default)}) value is supported."
    inner["message"], inner["param"] = message, param
    return error


_DEFAULTS: dict[str, Any] = {
    "temperature": 1,
    "top_p": 1,
    "presence_penalty": 0,
    "frequency_penalty": 0,
    "logprobs": False,
    "n": 1,
}


def parameter_unknown(param: str) -> EmulatorError:
    return _edited(
        "reasoning-effort-unknown-parameter", message=("'reasoning_effort'", f"'{param}'"), param=param
    )


def argument_unrecognized(param: str) -> EmulatorError:
    """Classic validation of an api-version that does not know the argument (param and code null)."""
    if param == "max_completion_tokens":
        return verbatim("unrecognized-argument-max-completion-tokens")
    if param == "parallel_tool_calls":
        return verbatim("unrecognized-argument-parallel-tool-calls")
    return _edited("unrecognized-argument-max-completion-tokens", message=("max_completion_tokens", param))


def value_invalid(param: str, value: Any, supported: tuple[str, ...]) -> EmulatorError:
    """``invalid_value`` naming the supported values (captured for reasoning_effort)."""
    error = verbatim("reasoning-effort-invalid-value")
    quoted = [f"'{v}'" for v in supported]
    listing = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])}, and {quoted[-1]}"
    error.body["error"]["message"] = f"Invalid value: '{fmt_value(value)}'. Supported values are: {listing}."
    error.body["error"]["param"] = param
    return error


def value_unsupported_for_model(param: str, value: Any, supported: tuple[str, ...]) -> EmulatorError:
    """``unsupported_value`` naming the values the model takes (model-level, not the api-version's)."""
    error = verbatim("reasoning-effort-unsupported-value-for-model")
    quoted = [f"'{v}'" for v in supported]
    listing = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])}, and {quoted[-1]}"
    shown = "null" if value is None else f"'{fmt_value(value)}'"
    error.body["error"]["message"] = (
        f"Unsupported value: '{param}' does not support {shown} with this model. "
        f"Supported values are: {listing}."
    )
    error.body["error"]["param"] = param
    return error


def operation_not_supported(model: str) -> EmulatorError:
    """A Responses-only model on /chat/completions; the message names the model, not the deployment."""
    return _edited("operation-not-supported-responses-only", message=("gpt-5.1-codex-max", model))


def function_tools_with_effort() -> EmulatorError:
    return verbatim("function-tools-with-reasoning-effort")


def responses_context_length_exceeded() -> EmulatorError:
    return verbatim("responses-context-length-exceeded")


def model_retired(deployment: str, model: str, retired_on: str, replacement: str | None) -> EmulatorError:
    """410 after retirement (LC). No body was captured: this one is the emulator's, in Azure's envelope."""
    message = (
        f"The model '{model}' used by deployment '{deployment}' was retired on {retired_on} and can no "
        "longer be used for inference."
    )
    if replacement:
        message += f" Deploy {replacement} instead."
    return EmulatorError(410, {"error": {"code": "ModelRetired", "message": message}})


def max_tokens_too_large(param: str, value: int, limit: int) -> EmulatorError:
    error = verbatim("max-tokens-too-large")
    error.body["error"]["message"] = (
        f"{param} is too large: {value}. This model supports at most {limit} completion tokens, "
        f"whereas you provided {value}."
    )
    error.body["error"]["param"] = param
    return error


def api_version_too_old(min_version: str) -> EmulatorError:
    return _edited("api-version-too-old", message=("2024-12-01-preview", min_version))


def context_length_exceeded(window: int, prompt: int, completion: int | None) -> EmulatorError:
    if completion is None:
        error = verbatim("context-length-exceeded")
        error.body["error"]["message"] = (
            f"This model's maximum context length is {window} tokens. However, your messages resulted in "
            f"{prompt} tokens. Please reduce the length of the messages."
        )
        return error
    error = verbatim("context-length-exceeded-with-completion")
    error.body["error"]["message"] = (
        f"This model's maximum context length is {window} tokens. However, you requested "
        f"{prompt + completion} tokens ({prompt} in the messages, {completion} in the completion). "
        "Please reduce the length of the messages or completion."
    )
    return error


def context_length_exceeded_by_functions(window: int, messages: int, functions: int) -> EmulatorError:
    error = verbatim("context-length-exceeded-functions")
    error.body["error"]["message"] = (
        f"This model's maximum context length is {window} tokens. However, your messages resulted in "
        f"{messages + functions} tokens ({messages} in the messages, {functions} in the functions). "
        "Please reduce the length of the messages or functions."
    )
    return error


def string_too_long(path: str, length: int, limit: int) -> EmulatorError:
    error = verbatim("string-above-max-length")
    error.body["error"]["message"] = (
        f"Invalid '{path}': string too long. Expected a string with maximum length {limit}, "
        f"but got a string with length {length} instead."
    )
    error.body["error"]["param"] = path
    return error


def schema_invalid(message: str, path: str) -> EmulatorError:
    """Azure's classic validation envelope: ``"<problem> - '<path>'"``, param and code null (emulator)."""
    suffix = f" - '{path}'" if path else ""
    return EmulatorError(
        400,
        {
            "error": {
                "message": f"{message}{suffix}",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
    )


# -------------------------------------------------------------------------------- auth, routing, faults


def unauthorized() -> EmulatorError:
    return verbatim("unauthorized-401")


def deployment_not_found() -> EmulatorError:
    return verbatim("deployment-not-found-404")


def resource_not_found() -> EmulatorError:
    """Unknown route or api-version (emulator; Azure answers ``404 Resource not found``)."""
    return EmulatorError(404, {"error": {"code": "404", "message": "Resource not found"}})


def method_not_allowed(method: str) -> EmulatorError:
    return EmulatorError(
        405, {"error": {"code": "405", "message": f"The HTTP method {method} is not allowed here."}}
    )


def bad_request(message: str) -> EmulatorError:
    """Malformed request to the emulator itself (emulator wording in Azure's envelope)."""
    return EmulatorError(
        400, {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
    )


def body_too_large(limit: int) -> EmulatorError:
    return EmulatorError(
        413,
        {
            "error": {
                "code": "RequestEntityTooLarge",
                "message": f"The request body is larger than the allowed {limit} bytes.",
            }
        },
    )


def rate_limited(
    seconds: float,
    *,
    deployment: str,
    model: str,
    api_version: str,
    newer: bool,
    limit_tokens: int = 0,
    remaining_tokens: int = 0,
    retry_headers: str = "both",
    ratelimit_headers: bool = True,
    now: float | None = None,
) -> EmulatorError:
    """429 in either wording; ``retry_headers`` picks the header form the wait is announced in."""
    whole = max(0, round(seconds))
    if newer:
        error = verbatim("rate-limit-429-newer-message")
        message = error.body["error"]["message"]
        message = message.replace("gpt-5.1 for gpt-5.1", f"{deployment} for {model}")
        message = message.replace("2025-03-01-preview", api_version).replace("60 seconds", f"{whole} seconds")
    else:
        error = verbatim("rate-limit-429-old-format")
        message = error.body["error"]["message"]
        message = message.replace("2024-08-01-preview", api_version).replace(
            "86400 seconds", f"{whole} seconds"
        )
    error.body["error"]["message"] = message
    error.headers = _retry_headers(seconds, whole, retry_headers, time.time() if now is None else now)
    if ratelimit_headers:
        error.headers.update(
            {
                "x-ratelimit-limit-tokens": str(limit_tokens),
                "x-ratelimit-remaining-tokens": str(remaining_tokens),
                "x-ratelimit-reset-tokens": str(whole),
                "x-ratelimit-remaining-requests": "0",
            }
        )
    return error


def _retry_headers(seconds: float, whole: int, form: str, now: float) -> dict[str, str]:
    headers: dict[str, str] = {}
    if form in ("both", "seconds"):
        headers["retry-after"] = str(whole)
    if form in ("both", "ms"):
        headers["retry-after-ms"] = str(int(seconds * 1000))
    if form == "date":
        # Rounded up to a whole second, so the date never announces less than the wait.
        when = datetime.fromtimestamp(math.ceil(now + seconds), tz=timezone.utc)
        headers["retry-after"] = format_datetime(when, usegmt=True)
    return headers


def server_error(status: int) -> EmulatorError:
    if status == 500:
        error = verbatim("responses-server-error-500")
        inner = error.body["error"]
        inner["message"] = inner["message"].replace("d2008353-291d-428f-adc1-defb5d9fb109", str(uuid.uuid4()))
        return error
    messages = {
        502: "Bad gateway.",
        503: "The service is temporarily unable to process your request. Please try again later.",
        504: "The server did not respond in time.",
    }
    return EmulatorError(status, {"error": {"code": str(status), "message": messages[status]}})


def content_filter_prompt(category: str) -> EmulatorError:
    error = verbatim("content-filter-prompt-400")
    results = error.body["error"]["innererror"]["content_filter_result"]
    for name, result in results.items():
        if "severity" in result:
            result.update(filtered=name == category, severity="medium" if name == category else "safe")
        elif name == "jailbreak":  # the prompt shield (simonw/research#16 shows this shape)
            result.update(filtered=category == "jailbreak", detected=category == "jailbreak")
    return error


def internal_error() -> EmulatorError:
    return server_error(500)
