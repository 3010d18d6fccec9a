"""What Azure refuses, per model family and api-version (sources in ``families.py`` and docs/emulator.md).

Each check raises the ``EmulatorError`` Azure would answer with. The order follows the service's layers
as far as the captured errors show: api-version gating, argument recognition by the api-version, schema,
then the model's own rules (roles, parameters, streaming, token limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatls.emulator import errors
from chatls.emulator.config import Deployment
from chatls.emulator.families import SAMPLING_PARAMETERS, Family
from chatls.emulator.replies import estimate_prompt_tokens, estimate_tool_tokens

#: Dated api-versions the emulator serves (D3 changelog). v1 routes take ``v1`` or ``preview``.
DATED_API_VERSIONS: tuple[str, ...] = (
    "2023-05-15",
    "2024-02-01",
    "2024-02-15-preview",
    "2024-03-01-preview",
    "2024-04-01-preview",
    "2024-05-01-preview",
    "2024-06-01",
    "2024-07-01-preview",
    "2024-08-01-preview",
    "2024-09-01-preview",
    "2024-10-01-preview",
    "2024-10-21",
    "2024-12-01-preview",
    "2025-01-01-preview",
    "2025-02-01-preview",
    "2025-03-01-preview",
    "2025-04-01-preview",
)
V1_API_VERSIONS: tuple[str, ...] = ("v1", "preview")

#: api-version that first knows each argument or role (D3, S1).
DEVELOPER_ROLE_SINCE = "2024-12-01-preview"
REASONING_EFFORT_SINCE = "2024-12-01-preview"
MAX_COMPLETION_TOKENS_SINCE = "2024-09-01-preview"
PARALLEL_TOOL_CALLS_SINCE = "2024-09-01-preview"
STREAM_OPTIONS_SINCE = "2024-09-01-preview"

_DEFAULT_ACCEPTED: dict[str, Any] = {
    "temperature": 1,
    "top_p": 1,
    "presence_penalty": 0,
    "frequency_penalty": 0,
    "logprobs": False,
}


@dataclass(frozen=True)
class ApiVersion:
    label: str
    dated: bool

    def before(self, version: str) -> bool:
        """True for a dated version older than ``version`` (v1 knows everything)."""
        return self.dated and self.label[:10] < version[:10]


def api_version_for(label: str | None, *, v1_route: bool) -> ApiVersion:
    """Resolve the ``api-version`` query parameter; unknown → 404 as Azure answers."""
    if v1_route:
        if label in (None, *V1_API_VERSIONS):
            return ApiVersion(label or "v1", dated=False)
        raise errors.resource_not_found()
    if label in DATED_API_VERSIONS:
        return ApiVersion(label, dated=True)
    raise errors.resource_not_found()


def check_model_available(deployment: Deployment, version: ApiVersion) -> None:
    minimum = deployment.family.min_api_version
    if minimum and version.before(minimum):
        raise errors.api_version_too_old(minimum)


def check_arguments_known(body: dict[str, Any], version: ApiVersion) -> None:
    """Arguments and roles the api-version itself does not know yet."""
    if not version.dated:
        return
    for index, message in enumerate(_messages(body)):
        if message.get("role") == "developer" and version.before(DEVELOPER_ROLE_SINCE):
            raise errors.developer_role_too_new(index)
    if _present(body, "reasoning_effort") and version.before(REASONING_EFFORT_SINCE):
        raise errors.parameter_unknown("reasoning_effort")
    for param, since in (
        ("max_completion_tokens", MAX_COMPLETION_TOKENS_SINCE),
        ("parallel_tool_calls", PARALLEL_TOOL_CALLS_SINCE),
        ("stream_options", STREAM_OPTIONS_SINCE),
    ):
        if _present(body, param) and version.before(since):
            raise errors.argument_unrecognized(param)


def check_deployment_usable(deployment: Deployment) -> None:
    """A retired model answers ``410 Gone`` on every route (LC)."""
    if deployment.retired:
        retired_on = deployment.family.retired_on(deployment.version) or "its retirement date"
        raise errors.model_retired(
            deployment.name, deployment.model, retired_on, deployment.family.replacement
        )


def check_chat_operation(deployment: Deployment) -> None:
    """A Responses-only model refuses /chat/completions, naming the model (not the deployment)."""
    if "chat" not in deployment.family.wires:
        raise errors.operation_not_supported(deployment.family.name)


def check_model_rules(body: dict[str, Any], deployment: Deployment) -> None:
    """The model's (and the deployment's overridden) rules, in the order Azure appears to apply them."""
    _check_overrides(body, deployment)
    _check_roles(body, deployment)
    _check_parameters(body, deployment)
    _check_chat_tools(body, deployment)
    if body.get("stream") is True and not deployment.streaming:
        raise errors.stream_unsupported()
    _check_token_limits(body, deployment)


def _check_overrides(body: dict[str, Any], deployment: Deployment) -> None:
    for param, code in deployment.reject_parameters.items():
        if _present(body, param):
            if code == "unknown_parameter":
                raise errors.parameter_unknown(param)
            if code == "unrecognized_argument":
                raise errors.argument_unrecognized(param)
            raise errors.parameter_unsupported(param)
    for param, values in deployment.reject_values.items():
        if _present(body, param) and body[param] in values:
            if param == "reasoning_effort":
                accepted = tuple(v for v in deployment.family.reasoning_efforts or () if v not in values)
                raise errors.value_invalid(param, body[param], accepted)
            raise errors.value_unsupported(param, body[param])
    for index, message in enumerate(_messages(body)):
        if message.get("role") in deployment.unknown_roles:
            raise errors.role_invalid(str(message["role"]), index)
        if message.get("role") in deployment.reject_roles:
            raise errors.role_unsupported(str(message["role"]), index)


def _check_roles(body: dict[str, Any], deployment: Deployment) -> None:
    family = deployment.family
    for index, message in enumerate(_messages(body)):
        role = message.get("role")
        if (role == "system" and not family.system_role) or (
            role == "developer" and not family.developer_role
        ):
            raise errors.role_unsupported(role, index)


def _check_parameters(body: dict[str, Any], deployment: Deployment) -> None:
    family = deployment.family
    allowed = deployment.allow_parameters
    if (
        family.reasoning
        and not family.max_tokens
        and _present(body, "max_tokens")
        and "max_tokens" not in allowed
    ):
        raise errors.max_tokens_unsupported()
    if family.sampling != "accept":
        for param in SAMPLING_PARAMETERS:
            if not _present(body, param) or param in allowed:
                continue
            value = body[param]
            if family.sampling == "unsupported_parameter" or param not in _DEFAULT_ACCEPTED:
                raise errors.parameter_unsupported(param)
            if value != _DEFAULT_ACCEPTED[param]:
                raise errors.value_unsupported(param, value)
    effort = body.get("reasoning_effort")
    if effort is not None and "reasoning_effort" not in allowed:
        if family.reasoning_efforts is None:
            raise errors.parameter_unknown("reasoning_effort")
        if effort not in family.reasoning_efforts:
            raise effort_refused(family, effort, family.reasoning_efforts)
    if _present(body, "parallel_tool_calls") and "parallel_tool_calls" not in allowed:
        minimal = effort == "minimal" and not family.parallel_tool_calls_minimal_effort
        if not family.parallel_tool_calls or minimal:
            raise errors.parameter_unsupported("parallel_tool_calls")


def effort_refused(family: Family, effort: Any, supported: tuple[str, ...]) -> errors.EmulatorError:
    if family.effort_error == "unsupported_value":
        return errors.value_unsupported_for_model("reasoning_effort", effort, supported)
    return errors.value_invalid("reasoning_effort", effort, supported)


def check_tools_offered(body: dict[str, Any], deployment: Deployment) -> None:
    """Models without function calling refuse ``tools`` (o1-preview, o1-mini; catalogue)."""
    offered = _present(body, "tools") and body["tools"]
    if offered and not deployment.family.tools and "tools" not in deployment.allow_parameters:
        raise errors.parameter_unsupported("tools")


def _check_chat_tools(body: dict[str, Any], deployment: Deployment) -> None:
    """The gpt-5.4+ tool rule on Chat Completions (catalogue, function-tools-with-reasoning-effort)."""
    check_tools_offered(body, deployment)
    tools = body.get("tools")
    if not isinstance(tools, list) or not any(
        isinstance(t, dict) and t.get("type") == "function" for t in tools
    ):
        return
    rule = deployment.family.chat_tools
    effort = body.get("reasoning_effort")
    if rule == "never" or (rule == "effort_none" and effort not in (None, "none")):
        raise errors.function_tools_with_effort()


def requested_completion_cap(body: dict[str, Any]) -> tuple[str, int] | None:
    for param in ("max_completion_tokens", "max_tokens"):
        value = body.get(param)
        if isinstance(value, int) and not isinstance(value, bool):
            return param, value
    return None


def _check_token_limits(body: dict[str, Any], deployment: Deployment) -> None:
    cap = requested_completion_cap(body)
    if cap is not None and cap[1] > deployment.max_output:
        raise errors.max_tokens_too_large(cap[0], cap[1], deployment.max_output)
    prompt = estimate_prompt_tokens(body)
    window = deployment.context_window
    if prompt > window:
        tools = estimate_tool_tokens(body)
        if tools and prompt - tools <= window:
            raise errors.context_length_exceeded_by_functions(window, prompt - tools, tools)
        raise errors.context_length_exceeded(window, prompt, None)
    if cap is not None and prompt + cap[1] > window:
        raise errors.context_length_exceeded(window, prompt, cap[1])


MAX_STRING_LENGTH = 1_048_576
"""Longest string Azure accepts in any field (``string-above-max-length.json``)."""


def check_string_lengths(value: Any, path: str = "") -> None:
    """Only called for bodies big enough to hold such a string (the walk is not free)."""
    if isinstance(value, str):
        if len(value) > MAX_STRING_LENGTH:
            raise errors.string_too_long(path, len(value), MAX_STRING_LENGTH)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_string_lengths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_string_lengths(item, f"{path}[{index}]")


def _present(body: dict[str, Any], param: str) -> bool:
    return body.get(param) is not None


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    return [m if isinstance(m, dict) else {} for m in messages]
