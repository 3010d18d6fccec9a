"""What Azure refuses on the Responses API, per family (catalogue-2026.md, responses-api.md §3, §9).

The parameter rules follow Chat Completions' wording (responses-api.md §9: "same rules and wording" ⚠,
``param`` on Responses not captured: the emulator names the Responses field, e.g. ``reasoning.effort``).
Bodies the sources never captured are written in Azure's envelope and listed in docs/emulator.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatls.emulator import errors
from chatls.emulator.config import Deployment
from chatls.emulator.errors import EmulatorError
from chatls.emulator.replies import estimate_tokens

#: Dated api-versions with the Responses API (2025-03-01-preview added it, responses-api.md §1).
RESPONSES_SINCE = "2025-03-01-preview"
CHAT_ONLY_PARAMETERS = ("messages", "max_tokens", "max_completion_tokens", "reasoning_effort", "n")
_DEFAULTS = {"temperature": 1, "top_p": 1}


def _bad(message: str, param: str | None, code: str | None) -> EmulatorError:
    """An uncaptured refusal in Azure's envelope (source ``emulator``)."""
    return EmulatorError(
        400, {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
    )


def check_operation(deployment: Deployment) -> None:
    """A chat-only model on /responses: the captured OperationNotSupported, worded for this operation ⚠."""
    if "responses" not in deployment.family.wires:
        error = errors.operation_not_supported(deployment.family.name)
        inner = error.body["error"]
        inner["message"] = inner["message"].replace("chatCompletion operation", "responses operation")
        error.source = "emulator"
        raise error


def check_request(body: dict[str, Any], deployment: Deployment) -> None:
    """The model's rules on Responses, in the order Chat Completions applies its own."""
    family = deployment.family
    allowed = deployment.allow_parameters
    for param in CHAT_ONLY_PARAMETERS:
        if body.get(param) is not None and param not in allowed:
            raise _bad(
                f"Unsupported parameter: '{param}'. In the Responses API, use the documented fields.",
                param,
                "unsupported_parameter",
            )
    if body.get("background") is True and body.get("store") is False:
        raise _bad("Background mode requires 'store' to be true.", "background", "invalid_value")
    if family.reasoning and family.sampling != "accept":
        for param, default in _DEFAULTS.items():
            value = body.get(param)
            if value is None or param in allowed:
                continue
            if family.sampling == "unsupported_parameter":
                raise errors.parameter_unsupported(param)
            if value != default:
                raise errors.value_unsupported(param, value)
    _check_effort(body, deployment)
    tools = body.get("tools")
    if isinstance(tools, list) and tools and not family.tools and "tools" not in allowed:
        raise errors.parameter_unsupported("tools")
    ptc = body.get("parallel_tool_calls") is not None and "parallel_tool_calls" not in allowed
    if ptc and not family.parallel_tool_calls:
        raise errors.parameter_unsupported("parallel_tool_calls")
    if body.get("stream") is True and not deployment.streaming:
        raise errors.stream_unsupported()
    cap = body.get("max_output_tokens")
    if isinstance(cap, int) and not isinstance(cap, bool) and cap > deployment.max_output:
        raise errors.max_tokens_too_large("max_output_tokens", cap, deployment.max_output)


def _check_effort(body: dict[str, Any], deployment: Deployment) -> None:
    reasoning = body.get("reasoning")
    if not isinstance(reasoning, dict) or reasoning.get("effort") is None:
        return
    family = deployment.family
    if "reasoning_effort" in deployment.allow_parameters:
        return
    if not family.reasoning or family.reasoning_efforts is None:
        error = errors.parameter_unsupported("reasoning.effort")
        raise error
    supported = (*family.reasoning_efforts, *family.responses_efforts)
    effort = reasoning["effort"]
    for param, values in deployment.reject_values.items():
        if param == "reasoning_effort" and effort in values:
            supported = tuple(v for v in supported if v not in values)
    if effort not in supported:
        raise errors.value_unsupported_for_model("reasoning.effort", effort, supported)


def effort_of(body: dict[str, Any], deployment: Deployment) -> str | None:
    if not deployment.family.reasoning:
        return None
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    if isinstance(effort, str):
        return effort
    return "none" if deployment.family.name == "gpt-5.1" else "medium"


# ---------------------------------------------------------------------------------------- input items


def input_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    """``input`` as a list of items (a string is one user message)."""
    value = body.get("input")
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if isinstance(value, list):
        return [dict(item) for item in value if isinstance(item, dict)]
    return []


def item_text(item: Mapping[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    output = item.get("output")
    return output if isinstance(output, str) else ""


def last_user_text(items: Sequence[Mapping[str, Any]]) -> str:
    for item in reversed(items):
        if item.get("role") == "user":
            return item_text(item)
    return ""


def estimate_input_tokens(body: dict[str, Any], transcript: Sequence[Mapping[str, Any]]) -> int:
    instructions = body.get("instructions")
    total = 3 + (estimate_tokens(instructions) + 4 if isinstance(instructions, str) else 0)
    for item in transcript:
        total += 4 + estimate_tokens(item_text(item) or str(item.get("arguments", "")))
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        total += estimate_tokens(str(tools))
    return total


def check_tool_outputs(transcript: Sequence[Mapping[str, Any]]) -> None:
    """Every ``function_call_output`` answers a ``function_call`` of the conversation (by ``call_id``)."""
    calls = {i.get("call_id") for i in transcript if i.get("type") == "function_call"}
    for item in transcript:
        if item.get("type") == "function_call_output" and item.get("call_id") not in calls:
            raise _bad(
                f"No tool call found for function call output with call_id {item.get('call_id')}.",
                "input",
                None,
            )


def replayed_reasoning(items: Sequence[Mapping[str, Any]], known: Mapping[str, tuple[str, str]]) -> list[str]:
    """Ids of reasoning items sent back with ``encrypted_content`` this emulator issued; else a 400 ⚠."""
    replayed: list[str] = []
    for item in items:
        if item.get("type") != "reasoning" or item.get("encrypted_content") is None:
            continue
        token = item["encrypted_content"]
        if not isinstance(token, str) or token not in known:
            raise _bad(
                f"The encrypted content for item {item.get('id')} could not be verified.",
                None,
                "invalid_encrypted_content",
            )
        replayed.append(known[token][1])
    return replayed


def previous_not_found(response_id: str) -> EmulatorError:
    return _bad(
        f"Previous response with id '{response_id}' not found.",
        "previous_response_id",
        "previous_response_not_found",
    )


def response_not_found(response_id: str) -> EmulatorError:
    return EmulatorError(
        404,
        {
            "error": {
                "message": f"Response with id '{response_id}' not found.",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
    )


def cannot_cancel() -> EmulatorError:
    return _bad("Only responses created with background=true can be cancelled.", None, None)


def cannot_resume() -> EmulatorError:
    return _bad("This response was not created with stream=true and cannot be streamed.", "stream", None)
