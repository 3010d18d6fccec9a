"""Scripted tool-calling models, the same on both wires (issue 14 item 8).

A script matches the last user message (a regular expression, like a scripted reply) and lists steps;
each step calls one or more tools. The model takes the next step once every call of the previous ones
has its result in the conversation (chat: ``tool`` messages by ``tool_call_id``; Responses:
``function_call_output`` items by ``call_id``), and answers with the script's text after the last step.
A step's tool is a glob over the offered tool names, so an agent's namespaced MCP tool
(``git__git_status``) can be named ``*git_status``.
"""

from __future__ import annotations

import fnmatch
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatls.emulator.config_error import ConfigError

LAST_RESULT_SHOWN = 2_000


@dataclass(frozen=True)
class ScriptedCall:
    tool: str
    """A glob over the offered tool names."""
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolScript:
    pattern: re.Pattern[str]
    steps: tuple[tuple[ScriptedCall, ...], ...]
    reply: str
    """The final answer; ``{last_result}`` is replaced by the last tool result the model read."""
    deployment: str | None = None


@dataclass(frozen=True)
class ToolCall:
    """A call the model makes: ``arguments`` is the JSON string both wires carry."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolExchange:
    """What a request says about tools, read the same way from either wire."""

    offered: tuple[str, ...]
    calls_since_user: tuple[str, ...]
    """Call ids the model issued since the last user message, in order."""
    results: Mapping[str, str]
    """call id → output, for every result since the last user message."""


@dataclass(frozen=True)
class ToolDecision:
    calls: tuple[ToolCall, ...] = ()
    text: str | None = None
    missing_results: tuple[str, ...] = ()


def parse_tool_script(data: Any, where: str) -> ToolScript:
    if not isinstance(data, Mapping):
        raise ConfigError(where, "expected a table with pattern, steps and reply")
    for key in data:
        if key not in ("pattern", "steps", "reply", "deployment"):
            raise ConfigError(
                f"{where}.{key}", "unknown setting; expected one of: deployment, pattern, reply, steps"
            )
    pattern = data.get("pattern")
    if not isinstance(pattern, str):
        raise ConfigError(f"{where}.pattern", "expected a regular expression string")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}.pattern", f"invalid regular expression: {exc}") from None
    reply = data.get("reply", "Done.")
    if not isinstance(reply, str):
        raise ConfigError(f"{where}.reply", "expected the final answer as a string")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ConfigError(f"{where}.steps", "expected an array of steps ({tool = ..., arguments = {...}})")
    deployment = data.get("deployment")
    if deployment is not None and not isinstance(deployment, str):
        raise ConfigError(f"{where}.deployment", "expected a deployment name")
    parsed = tuple(_step(step, f"{where}.steps[{i}]") for i, step in enumerate(steps))
    return ToolScript(compiled, parsed, reply, deployment)


def _step(data: Any, where: str) -> tuple[ScriptedCall, ...]:
    if isinstance(data, Mapping) and "calls" in data:
        calls = data["calls"]
        if not isinstance(calls, list) or not calls:
            raise ConfigError(f"{where}.calls", "expected an array of {tool = ..., arguments = {...}}")
        return tuple(_call(c, f"{where}.calls[{i}]") for i, c in enumerate(calls))
    return (_call(data, where),)


def _call(data: Any, where: str) -> ScriptedCall:
    if not isinstance(data, Mapping) or not isinstance(data.get("tool"), str) or not data["tool"]:
        raise ConfigError(f"{where}.tool", "expected a tool name (a glob over the offered tools)")
    for key in data:
        if key not in ("tool", "arguments"):
            raise ConfigError(f"{where}.{key}", "unknown setting; expected one of: arguments, tool")
    arguments = data.get("arguments", {})
    if not isinstance(arguments, Mapping):
        raise ConfigError(f"{where}.arguments", "expected a table of arguments")
    return ScriptedCall(data["tool"], dict(arguments))


def find_script(scripts: Iterable[ToolScript], deployment: str, prompt: str) -> ToolScript | None:
    for script in scripts:
        if script.deployment in (None, deployment) and script.pattern.search(prompt):
            return script
    return None


def decide(script: ToolScript, exchange: ToolExchange) -> ToolDecision:
    """The model's next move: call the next step's tools, or answer once every step is done."""
    missing = tuple(c for c in exchange.calls_since_user if c not in exchange.results)
    if missing:
        return ToolDecision(missing_results=missing)
    done = len(exchange.calls_since_user)
    consumed = 0
    for step in script.steps:
        if consumed >= done:
            return _calls(step, exchange.offered)
        consumed += len(step)
    last = next(reversed(list(exchange.results.values())), "") if exchange.results else ""
    return ToolDecision(text=script.reply.replace("{last_result}", last[:LAST_RESULT_SHOWN]))


def _calls(step: Sequence[ScriptedCall], offered: Sequence[str]) -> ToolDecision:
    calls: list[ToolCall] = []
    for scripted in step:
        name = next((n for n in offered if fnmatch.fnmatchcase(n, scripted.tool)), None)
        if name is None:
            return ToolDecision(text=f"I need the tool '{scripted.tool}', but it was not offered.")
        calls.append(ToolCall(new_call_id(), name, json.dumps(scripted.arguments)))
    return ToolDecision(calls=tuple(calls))


def new_call_id() -> str:
    return "call_" + secrets.token_hex(12)


# ------------------------------------------------------------------------------------ reading the wires


def chat_exchange(body: Mapping[str, Any]) -> ToolExchange:
    offered = tuple(
        str(t["function"]["name"])
        for t in _list(body.get("tools"))
        if isinstance(t.get("function"), dict) and t["function"].get("name")
    )
    messages = [m for m in body.get("messages") or () if isinstance(m, dict)]
    tail = _after_last(messages, lambda m: m.get("role") == "user")
    calls: list[str] = []
    results: dict[str, str] = {}
    for message in tail:
        for call in message.get("tool_calls") or () if message.get("role") == "assistant" else ():
            if isinstance(call, dict) and isinstance(call.get("id"), str):
                calls.append(call["id"])
        if message.get("role") == "tool" and isinstance(message.get("tool_call_id"), str):
            results[message["tool_call_id"]] = _text(message.get("content"))
    return ToolExchange(offered, tuple(calls), results)


def responses_exchange(tools: Any, items: Sequence[Mapping[str, Any]]) -> ToolExchange:
    offered = tuple(str(t["name"]) for t in _list(tools) if t.get("type") == "function" and t.get("name"))
    tail = _after_last(list(items), lambda i: i.get("role") == "user")
    calls = [str(i["call_id"]) for i in tail if i.get("type") == "function_call" and i.get("call_id")]
    results = {
        str(i["call_id"]): _text(i.get("output"))
        for i in tail
        if i.get("type") == "function_call_output" and i.get("call_id")
    }
    return ToolExchange(offered, tuple(calls), results)


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _after_last(items: Sequence[Mapping[str, Any]], is_user: Any) -> Sequence[Mapping[str, Any]]:
    for index in range(len(items) - 1, -1, -1):
        if is_user(items[index]):
            return items[index + 1 :]
    return items


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return "" if content is None else json.dumps(content)
