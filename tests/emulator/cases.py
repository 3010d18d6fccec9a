"""Every Azure refusal the emulator reproduces, as data: the request, and the answer expected.

Shared by the rule tests (each case through the SDK on the routes it applies to) and by the test that
every error body the emulator emits parses as the SDK's typed error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import openai

SYSTEM = {"role": "system", "content": "You are terse."}
DEVELOPER = {"role": "developer", "content": "You are terse."}
USER = {"role": "user", "content": "hello"}
NEW = "2025-04-01-preview"
FUNCTION_TOOL = {
    "type": "function",
    "function": {"name": "read_file", "description": "Read a file", "parameters": {"type": "object"}},
}
RESPONSES_ONLY = (
    "gpt-5-codex",
    "gpt-5-pro",
    "gpt-5.1-codex",
    "gpt-5.1-codex-mini",
    "gpt-5.1-codex-max",
    "gpt-5.2-codex",
    "gpt-5.3-codex",
    "gpt-5.4-pro",
    "o3-pro",
    "codex-mini",
    "o1-pro",
)


@dataclass(frozen=True)
class Case:
    id: str
    deployment: str
    request: dict[str, Any]
    status: int
    code: str | None
    param: str | None
    message: str
    """A substring the error message must contain."""
    sdk_error: type[openai.APIStatusError] = openai.BadRequestError
    api_version: str = "2025-04-01-preview"
    routes: tuple[str, ...] = ("dated", "v1")
    overrides: dict[str, Any] = field(default_factory=dict)
    """Run-time deployment overrides applied before the request."""

    def body(self) -> dict[str, Any]:
        return {"messages": [USER], **self.request}


def _c(
    id: str,
    deployment: str,
    request: dict[str, Any],
    code: str | None,
    param: str | None,
    message: str,
    **kw: Any,
) -> Case:
    status = kw.pop("status", 400)
    return Case(id, deployment, request, status, code, param, message, **kw)


DATED_ONLY = ("dated",)

RULE_CASES: list[Case] = [
    # roles
    _c(
        "system-o1-preview",
        "o1-preview",
        {"messages": [SYSTEM, USER]},
        "unsupported_value",
        "messages[0].role",
        "does not support 'system' with this model",
    ),
    _c(
        "system-o1-mini-index",
        "o1-mini",
        {"messages": [USER, SYSTEM]},
        "unsupported_value",
        "messages[1].role",
        "'messages[1].role' does not support 'system'",
    ),
    _c(
        "developer-o1-mini",
        "o1-mini",
        {"messages": [DEVELOPER, USER]},
        "unsupported_value",
        "messages[0].role",
        "does not support 'developer' with this model",
    ),
    _c(
        "developer-o1-preview",
        "o1-preview",
        {"messages": [DEVELOPER, USER]},
        "unsupported_value",
        "messages[0].role",
        "does not support 'developer'",
    ),
    _c(
        "developer-old-api-version",
        "gpt-4o",
        {"messages": [DEVELOPER, USER]},
        "invalid_value",
        "messages[0].role",
        "Invalid value: 'developer'",
        api_version="2024-10-21",
        routes=DATED_ONLY,
    ),
    # streaming
    _c("stream-o1", "o1", {"stream": True}, "unsupported_value", "stream", "'stream' does not support true"),
    _c(
        "stream-o1-mini",
        "o1-mini",
        {"stream": True},
        "unsupported_value",
        "stream",
        "Supported values are: false",
    ),
    _c(
        "stream-o1-preview",
        "o1-preview",
        {"stream": True},
        "unsupported_value",
        "stream",
        "does not support true",
    ),
    # sampling parameters: both shapes the service uses
    _c(
        "temperature-value-o4-mini",
        "o4-mini",
        {"temperature": 0.5},
        "unsupported_value",
        "temperature",
        "'temperature' does not support 0.5 with this model. Only the default (1) value is supported.",
    ),
    _c(
        "temperature-value-gpt-5",
        "gpt-5",
        {"temperature": 0},
        "unsupported_value",
        "temperature",
        "does not support 0 with this model",
    ),
    _c(
        "temperature-value-o1",
        "o1",
        {"temperature": 0.2},
        "unsupported_value",
        "temperature",
        "Only the default",
    ),
    _c(
        "temperature-parameter-o3-mini",
        "o3-mini",
        {"temperature": 0.5},
        "unsupported_parameter",
        "temperature",
        "Unsupported parameter: 'temperature' is not supported with this model.",
    ),
    _c(
        "top-p-gpt-5-mini",
        "gpt-5-mini",
        {"top_p": 0.5},
        "unsupported_value",
        "top_p",
        "'top_p' does not support",
    ),
    _c(
        "presence-penalty-o3",
        "o3",
        {"presence_penalty": 0.5},
        "unsupported_value",
        "presence_penalty",
        "'presence_penalty' does not support 0.5",
        api_version="2025-04-01-preview",
    ),
    _c(
        "frequency-penalty-gpt-5-1",
        "gpt-5.1",
        {"frequency_penalty": 1},
        "unsupported_value",
        "frequency_penalty",
        "'frequency_penalty' does not support 1",
        api_version="2025-04-01-preview",
    ),
    _c(
        "temperature-value-gpt-5-1-chat",
        "gpt-5.1-chat",
        {"temperature": 0.7},
        "unsupported_value",
        "temperature",
        "'temperature' does not support 0.7 with this model. Only the default (1) value is supported.",
        api_version="2025-04-01-preview",
    ),
    _c(
        "logprobs-gpt-5-nano",
        "gpt-5-nano",
        {"logprobs": True},
        "unsupported_value",
        "logprobs",
        "'logprobs' does not support true",
        api_version="2025-04-01-preview",
    ),
    _c(
        "logit-bias-o1",
        "o1",
        {"logit_bias": {"50256": -100}},
        "unsupported_parameter",
        "logit_bias",
        "'logit_bias' is not supported",
    ),
    _c(
        "top-p-o3-mini",
        "o3-mini",
        {"top_p": 0.9},
        "unsupported_parameter",
        "top_p",
        "'top_p' is not supported",
    ),
    # token parameters and limits
    _c(
        "max-tokens-o1",
        "o1",
        {"max_tokens": 100},
        "unsupported_parameter",
        "max_tokens",
        "Use 'max_completion_tokens' instead.",
    ),
    _c(
        "max-tokens-gpt-5",
        "gpt-5",
        {"max_tokens": 100},
        "unsupported_parameter",
        "max_tokens",
        "'max_tokens' is not supported with this model",
        api_version="2025-04-01-preview",
    ),
    _c(
        "max-tokens-gpt-5-1-chat",
        "gpt-5.1-chat",
        {"max_tokens": 100},
        "unsupported_parameter",
        "max_tokens",
        "'max_tokens' is not supported with this model",
        api_version="2025-04-01-preview",
    ),
    _c(
        "max-completion-tokens-too-large-gpt-5-1-chat",
        "gpt-5.1-chat",
        {"max_completion_tokens": 20_000},
        "invalid_value",
        "max_completion_tokens",
        "at most 16384 completion tokens, whereas you provided 20000",
        api_version="2025-04-01-preview",
    ),
    _c(
        "max-tokens-too-large-gpt-4-1-nano",
        "gpt-4.1-nano",
        {"max_tokens": 40_000},
        "invalid_value",
        "max_tokens",
        "This model supports at most 32768 completion tokens",
    ),
    _c(
        "max-tokens-o1-preview",
        "o1-preview",
        {"max_tokens": 100},
        "unsupported_parameter",
        "max_tokens",
        "max_completion_tokens",
    ),
    _c(
        "max-completion-tokens-too-large",
        "o1",
        {"max_completion_tokens": 150_000},
        "invalid_value",
        "max_completion_tokens",
        "at most 100000 completion tokens, whereas you provided 150000",
    ),
    _c(
        "max-tokens-too-large-gpt-4o",
        "gpt-4o",
        {"max_tokens": 20_000},
        "invalid_value",
        "max_tokens",
        "max_tokens is too large: 20000. This model supports at most 16384 completion tokens",
    ),
    _c(
        "max-completion-tokens-old-api-version",
        "gpt-4o",
        {"max_completion_tokens": 100},
        None,
        None,
        "Unrecognized request argument supplied: max_completion_tokens",
        api_version="2024-08-01-preview",
        routes=DATED_ONLY,
    ),
    # reasoning_effort
    _c(
        "effort-o1-mini",
        "o1-mini",
        {"reasoning_effort": "low"},
        "unknown_parameter",
        "reasoning_effort",
        "Unknown parameter: 'reasoning_effort'.",
    ),
    _c(
        "effort-old-api-version",
        "o1-mini",
        {"reasoning_effort": "low"},
        "unknown_parameter",
        "reasoning_effort",
        "Unknown parameter",
        api_version="2024-10-21",
        routes=DATED_ONLY,
    ),
    _c(
        "effort-classic-model",
        "gpt-4o",
        {"reasoning_effort": "high"},
        "unknown_parameter",
        "reasoning_effort",
        "'reasoning_effort'",
    ),
    _c(
        "effort-minimal-o3-mini",
        "o3-mini",
        {"reasoning_effort": "minimal"},
        "invalid_value",
        "reasoning_effort",
        "Invalid value: 'minimal'. Supported values are: 'low', 'medium', and 'high'.",
    ),
    _c(
        "effort-none-gpt-5",
        "gpt-5",
        {"reasoning_effort": "none"},
        "invalid_value",
        "reasoning_effort",
        "Supported values are: 'minimal', 'low', 'medium', and 'high'.",
        api_version="2025-04-01-preview",
    ),
    _c(
        "effort-minimal-gpt-5-1-chat",
        "gpt-5.1-chat",
        {"reasoning_effort": "minimal"},
        "invalid_value",
        "reasoning_effort",
        "Supported values are: 'low', 'medium', and 'high'.",
        api_version="2025-04-01-preview",
    ),
    # parallel_tool_calls
    _c(
        "parallel-tool-calls-o3-mini",
        "o3-mini",
        {"parallel_tool_calls": False},
        "unsupported_parameter",
        "parallel_tool_calls",
        "'parallel_tool_calls' is not supported with this model.",
    ),
    _c(
        "parallel-tool-calls-o1",
        "o1",
        {"parallel_tool_calls": True},
        "unsupported_parameter",
        "parallel_tool_calls",
        "parallel_tool_calls",
    ),
    _c(
        "parallel-tool-calls-gpt-5-minimal",
        "gpt-5",
        {"parallel_tool_calls": True, "reasoning_effort": "minimal"},
        "unsupported_parameter",
        "parallel_tool_calls",
        "not supported",
        api_version="2025-04-01-preview",
    ),
    _c(
        "parallel-tool-calls-old-api-version",
        "gpt-4o",
        {"parallel_tool_calls": True},
        None,
        None,
        "Unrecognized request argument supplied: parallel_tool_calls.",
        api_version="2024-05-01-preview",
        routes=DATED_ONLY,
    ),
    # the model needs a newer api-version
    _c(
        "o1-needs-2024-12",
        "o1",
        {},
        "BadRequest",
        None,
        "enabled only for api versions 2024-12-01-preview and later",
        api_version="2024-10-21",
        routes=DATED_ONLY,
    ),
    _c(
        "o3-needs-2025-04",
        "o3",
        {},
        "BadRequest",
        None,
        "enabled only for api versions 2025-04-01-preview and later",
        api_version="2024-12-01-preview",
        routes=DATED_ONLY,
    ),
    _c(
        "o1-mini-needs-2024-09",
        "o1-mini",
        {},
        "BadRequest",
        None,
        "2024-09-01-preview and later",
        api_version="2024-08-01-preview",
        routes=DATED_ONLY,
    ),
    _c(
        "gpt-5-needs-2025-04",
        "gpt-5",
        {},
        "BadRequest",
        None,
        "2025-04-01-preview and later",
        api_version="2024-12-01-preview",
        routes=DATED_ONLY,
    ),
    _c(
        "gpt-5-1-chat-needs-2025-03",
        "gpt-5.1-chat",
        {},
        "BadRequest",
        None,
        "2025-03-01-preview and later",
        api_version="2025-01-01-preview",
        routes=DATED_ONLY,
    ),
    # routing
    _c(
        "unknown-deployment",
        "no-such-deployment",
        {},
        "DeploymentNotFound",
        None,
        "The API deployment for this resource does not exist",
        status=404,
        sdk_error=openai.NotFoundError,
    ),
    # context window (configurable per deployment so small prompts reach it)
    _c(
        "context-length",
        "gpt-4o",
        {"messages": [{"role": "user", "content": "x" * 400}]},
        "context_length_exceeded",
        "messages",
        "This model's maximum context length is 50 tokens. However, your messages resulted in",
        overrides={"context_window": 50},
    ),
    _c(
        "context-length-with-completion",
        "gpt-4o",
        {"max_tokens": 45},
        "context_length_exceeded",
        "messages",
        "in the completion). Please reduce the length of the messages or completion.",
        overrides={"context_window": 50},
    ),
    # run-time overrides: "Azure changed and now rejects something"
    _c(
        "override-reject-parameter",
        "gpt-4o",
        {"top_p": 0.5},
        "unsupported_parameter",
        "top_p",
        "'top_p' is not supported",
        overrides={"reject_parameters": ["top_p"]},
    ),
    _c(
        "override-unknown-parameter",
        "gpt-4o",
        {"seed": 7},
        "unknown_parameter",
        "seed",
        "Unknown parameter: 'seed'",
        overrides={"reject_parameters": {"seed": "unknown_parameter"}},
    ),
    _c(
        "override-reject-value",
        "gpt-5.1",
        {"reasoning_effort": "none"},
        "invalid_value",
        "reasoning_effort",
        "Invalid value: 'none'. Supported values are: 'low', 'medium', and 'high'.",
        overrides={"reject_values": {"reasoning_effort": ["none"]}},
        api_version="2025-04-01-preview",
    ),
    _c(
        "override-reject-temperature-value",
        "gpt-4o",
        {"temperature": 0.2},
        "unsupported_value",
        "temperature",
        "'temperature' does not support 0.2",
        overrides={"reject_values": {"temperature": [0.2]}},
    ),
    _c(
        "override-reject-role",
        "gpt-4o",
        {"messages": [SYSTEM, USER]},
        "unsupported_value",
        "messages[0].role",
        "does not support 'system'",
        overrides={"reject_roles": ["system"]},
    ),
    _c(
        "override-unknown-role",
        "o3-mini",
        {"messages": [USER, DEVELOPER]},
        "invalid_value",
        "messages[1].role",
        "Invalid value: 'developer'. Supported values are:",
        overrides={"unknown_roles": ["developer"]},
    ),
    _c(
        "override-no-streaming",
        "gpt-4o",
        {"stream": True},
        "unsupported_value",
        "stream",
        "does not support true",
        overrides={"streaming": False},
    ),
    _c(
        "override-output-limit",
        "gpt-4o",
        {"max_tokens": 600},
        "invalid_value",
        "max_tokens",
        "supports at most 500 completion tokens",
        overrides={"max_output": 500},
    ),
    # ---- the late-2026 catalogue (catalogue-2026.md)
    *(
        _c(
            f"responses-only-{name.replace('.', '-')}-on-chat",
            name,
            {},
            "OperationNotSupported",
            None,
            f"The chatCompletion operation does not work with the specified model, {name}.",
        )
        for name in RESPONSES_ONLY
    ),
    *(
        _c(
            f"tools-with-effort-{name.replace('.', '-')}",
            name,
            {"tools": [FUNCTION_TOOL], "reasoning_effort": "low"},
            None,
            "reasoning_effort",
            "Function tools with reasoning_effort are not supported",
        )
        for name in ("gpt-5.4", "gpt-5.4-mini", "gpt-5.5", "gpt-5.6-sol", "gpt-5.6-luna")
    ),
    _c(
        "tools-without-effort-gpt-6-astra",
        "gpt-6-astra",
        {"tools": [FUNCTION_TOOL]},
        None,
        "reasoning_effort",
        "use /v1/responses or set reasoning_effort to 'none'",
    ),
    _c(
        "tools-on-chat-gpt-6-1-sol",
        "gpt-6.1-sol",
        {"tools": [FUNCTION_TOOL], "reasoning_effort": "low"},
        None,
        "reasoning_effort",
        "Function tools with reasoning_effort",
    ),
    _c(
        "effort-none-gpt-6-astra",
        "gpt-6-astra",
        {"reasoning_effort": "none"},
        "unsupported_value",
        "reasoning_effort",
        "Supported values are: 'low', 'medium', 'high', and 'xhigh'.",
    ),
    _c(
        "effort-max-on-chat-gpt-5-6-terra",
        "gpt-5.6-terra",
        {"reasoning_effort": "max"},
        "unsupported_value",
        "reasoning_effort",
        "'reasoning_effort' does not support 'max' with this model.",
    ),
    _c(
        "effort-xhigh-gpt-5-2",
        "gpt-5.2",
        {"reasoning_effort": "xhigh"},
        "unsupported_value",
        "reasoning_effort",
        "Supported values are: 'none', 'low', 'medium', and 'high'.",
    ),
    _c(
        "temperature-gpt-6-sol",
        "gpt-6-sol",
        {"temperature": 0.2},
        "unsupported_parameter",
        "temperature",
        "'temperature' is not supported with this model",
    ),
    _c(
        "parallel-tool-calls-o4-mini-tools",
        "o4-mini",
        {"tools": [FUNCTION_TOOL], "parallel_tool_calls": False},
        "unsupported_parameter",
        "parallel_tool_calls",
        "'parallel_tool_calls' is not supported with this model.",
    ),
    _c(
        "tools-on-o1-mini",
        "o1-mini",
        {"tools": [FUNCTION_TOOL]},
        "unsupported_parameter",
        "tools",
        "'tools' is not supported with this model",
        api_version="2024-12-01-preview",
    ),
    _c(
        "retired-gpt-4o-2024-05-13",
        "gpt-4o",
        {},
        "ModelRetired",
        None,
        "was retired on 2026-10-01",
        status=410,
        sdk_error=openai.APIStatusError,
        overrides={"model": "gpt-4o-2024-05-13"},
    ),
    _c(
        "override-window-gpt-5-4",
        "gpt-5.4",
        {"messages": [{"role": "user", "content": "word " * 400}]},
        "context_length_exceeded",
        "messages",
        "maximum context length is 200 tokens",
        overrides={"context_window": 200},
    ),
    _c(
        "override-output-gpt-5-4",
        "gpt-5.4",
        {"max_completion_tokens": 9000},
        "invalid_value",
        "max_completion_tokens",
        "supports at most 8000 completion tokens",
        overrides={"max_output": 8000},
    ),
]

#: Requests each family accepts (the other side of every rule above).
ACCEPTED_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("system-on-o1", "o1", {"messages": [SYSTEM, USER]}, "2024-12-01-preview"),
    ("developer-on-o1", "o1", {"messages": [DEVELOPER, USER]}, "2024-12-01-preview"),
    ("system-on-o3-mini", "o3-mini", {"messages": [SYSTEM, USER]}, "2024-12-01-preview"),
    ("developer-on-gpt-5", "gpt-5", {"messages": [DEVELOPER, USER]}, "2025-04-01-preview"),
    ("stream-on-o3-mini", "o3-mini", {"stream": True}, "2024-12-01-preview"),
    ("stream-on-o4-mini", "o4-mini", {"stream": True}, "2025-04-01-preview"),
    ("temperature-1-on-o4-mini", "o4-mini", {"temperature": 1}, "2025-04-01-preview"),
    (
        "temperature-on-gpt-5-chat",
        "gpt-5-chat",
        {"temperature": 0.3, "max_tokens": 100},
        "2025-04-01-preview",
    ),
    ("max-completion-tokens-on-o1", "o1", {"max_completion_tokens": 1000}, "2024-12-01-preview"),
    ("max-completion-tokens-on-gpt-4o", "gpt-4o", {"max_completion_tokens": 1000}, "2024-12-01-preview"),
    ("minimal-on-gpt-5", "gpt-5", {"reasoning_effort": "minimal"}, "2025-04-01-preview"),
    ("none-on-gpt-5-1", "gpt-5.1", {"reasoning_effort": "none"}, "2025-04-01-preview"),
    ("parallel-tool-calls-on-gpt-5", "gpt-5", {"parallel_tool_calls": True}, "2025-04-01-preview"),
    ("parallel-tool-calls-on-gpt-4o", "gpt-4o", {"parallel_tool_calls": False}, "2024-10-21"),
    ("verbosity-on-gpt-5", "gpt-5", {"verbosity": "low"}, "2025-04-01-preview"),
    (
        "sampling-on-gpt-4-1-mini",
        "gpt-4.1-mini",
        {"messages": [SYSTEM, USER], "temperature": 0.2, "top_p": 0.9, "max_tokens": 100},
        "2024-10-21",
    ),
    ("stream-on-gpt-4-1-nano", "gpt-4.1-nano", {"stream": True, "temperature": 0}, "2024-10-21"),
    (
        "developer-and-effort-on-gpt-5-1-chat",
        "gpt-5.1-chat",
        {"messages": [DEVELOPER, USER], "reasoning_effort": "low", "max_completion_tokens": 1000},
        "2025-03-01-preview",
    ),
    ("stream-on-gpt-5-1-chat", "gpt-5.1-chat", {"stream": True, "temperature": 1}, "2025-04-01-preview"),
    ("system-on-gpt-35-turbo", "gpt-35-turbo", {"messages": [SYSTEM, USER], "max_tokens": 50}, "2024-02-01"),
    (
        "tools-effort-none-gpt-5-4",
        "gpt-5.4",
        {"tools": [FUNCTION_TOOL], "reasoning_effort": "none"},
        "2025-04-01-preview",
    ),
    ("tools-no-effort-gpt-5-6-luna", "gpt-5.6-luna", {"tools": [FUNCTION_TOOL]}, NEW),
    (
        "tools-with-effort-gpt-5-1",
        "gpt-5.1",
        {"tools": [FUNCTION_TOOL], "reasoning_effort": "high"},
        "2025-04-01-preview",
    ),
    ("xhigh-on-gpt-5-5", "gpt-5.5", {"reasoning_effort": "xhigh", "verbosity": "high"}, NEW),
    ("developer-on-gpt-6-astra", "gpt-6-astra", {"messages": [DEVELOPER, USER]}, NEW),
    ("system-on-gpt-chat-latest", "gpt-chat-latest", {"messages": [SYSTEM, USER]}, NEW),
    (
        "sampling-on-model-router",
        "model-router",
        {"temperature": 0.2, "max_tokens": 100},
        "2025-04-01-preview",
    ),
]
