"""Request shaping: one pure function from what the caller wants to the exact JSON body Azure gets.

Unsupported parameters are omitted (never forced to a default) and each omission becomes a short note
for the user. Shaping copies no history beyond building the message list once, so it stays cheap for
long conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatls.azure import versions
from chatls.azure.errors import ConfigurationError
from chatls.azure.types import ChatOptions, Conversation, ModelCapabilities


@dataclass(frozen=True)
class ShapedRequest:
    payload: dict[str, Any]
    """The JSON body, `model` (the deployment) first."""
    stream: bool
    adaptations: tuple[str, ...]


def check_api_version(caps: ModelCapabilities, api_version: str) -> None:
    """An api-version older than the model needs is a configuration error before anything is sent."""
    if versions.at_least(api_version, caps.min_api_version):
        return
    raise ConfigurationError(
        f"{caps.family} needs api-version {caps.min_api_version} or later, "
        f"but the profile uses {api_version}. "
        f'Set "apiVersion" to "v1" (or a dated version from {caps.min_api_version} on).',
        key="apiVersion",
    )


def shape_request(
    conversation: Conversation,
    options: ChatOptions,
    caps: ModelCapabilities,
    api_version: str,
    deployment: str,
) -> ShapedRequest:
    check_api_version(caps, api_version)
    notes: list[str] = []
    payload: dict[str, Any] = {
        "model": deployment,
        "messages": _messages(conversation, caps, api_version, notes),
    }
    _token_cap(payload, options, caps, api_version, notes)
    _temperature(payload, options, caps, notes)
    _choice(
        payload,
        "reasoning_effort",
        options.reasoning_effort,
        caps.reasoning_efforts,
        caps,
        api_version,
        notes,
    )
    _choice(payload, "verbosity", options.verbosity, caps.verbosity, caps, api_version, notes)
    stream = options.stream and caps.streaming
    if options.stream and not caps.streaming:
        notes.append(
            f"streaming off: {_who(caps, 'streaming')} does not stream, so the reply arrives in one piece"
        )
    payload["stream"] = stream
    if stream and caps.stream_usage and versions.at_least(api_version, versions.STREAM_USAGE):
        payload["stream_options"] = {"include_usage": True}
    for parameter in sorted(caps.rejected_parameters):
        if parameter in payload and parameter not in ("model", "messages", "stream"):
            del payload[parameter]
    return ShapedRequest(payload=payload, stream=stream, adaptations=tuple(notes))


def _who(caps: ModelCapabilities, field_name: str) -> str:
    """Whom a note blames: the family, or the deployment when Azure taught it (or the model is unknown)."""
    if field_name in caps.learned:
        return "this deployment"
    if caps.family == "unknown":
        return "the deployment's model (not known yet)"
    return caps.family


def _messages(
    conversation: Conversation, caps: ModelCapabilities, api_version: str, notes: list[str]
) -> list[dict[str, str]]:
    turns = [{"role": message.role, "content": message.content} for message in conversation.messages]
    if not turns:
        raise ValueError("a conversation needs at least one message")
    instructions = (conversation.instructions or "").strip()
    if not instructions:
        return turns
    role = caps.instructions
    if role == "developer" and not versions.at_least(api_version, versions.DEVELOPER_ROLE):
        role = "fold"
        notes.append(
            f"instructions sent in the first message: api-version {api_version} predates the developer role"
        )
    elif role == "fold":
        notes.append(
            f"instructions sent in the first message: {_who(caps, 'instructions')} takes no system message"
        )
    if role != "fold":
        return [{"role": role, "content": instructions}, *turns]
    first_user = next((index for index, turn in enumerate(turns) if turn["role"] == "user"), None)
    if first_user is None:
        return [{"role": "user", "content": instructions}, *turns]
    turns[first_user] = {"role": "user", "content": f"{instructions}\n\n{turns[first_user]['content']}"}
    return turns


def _token_cap(
    payload: dict[str, Any], options: ChatOptions, caps: ModelCapabilities, api_version: str, notes: list[str]
) -> None:
    wanted = options.max_completion_tokens
    if wanted is None:
        return
    tokens = min(wanted, caps.max_output_tokens)
    if tokens < wanted:
        notes.append(
            f"maxCompletionTokens {wanted} lowered to {tokens}: "
            f"the most {_who(caps, 'max_output_tokens')} produces"
        )
    parameter = caps.token_parameter
    if parameter == "max_completion_tokens" and not versions.at_least(
        api_version, versions.MAX_COMPLETION_TOKENS
    ):
        parameter = "max_tokens"
    payload[parameter] = tokens


def _temperature(
    payload: dict[str, Any], options: ChatOptions, caps: ModelCapabilities, notes: list[str]
) -> None:
    if options.temperature is None:
        return
    if "temperature" in caps.sampling:
        payload["temperature"] = options.temperature
        return
    who = "this deployment" if "temperature" in caps.rejected_parameters else _who(caps, "sampling")
    notes.append(f"temperature {options.temperature:g} not sent: {who} only accepts the default")


def _choice(
    payload: dict[str, Any],
    parameter: str,
    value: str | None,
    accepted: tuple[str, ...],
    caps: ModelCapabilities,
    api_version: str,
    notes: list[str],
) -> None:
    if value is None:
        return
    label = parameter.replace("_", " ")
    field_name = "reasoning_efforts" if parameter == "reasoning_effort" else parameter
    if not accepted:
        notes.append(f"{label} {value!r} not sent: {_who(caps, field_name)} does not take it")
    elif parameter == "reasoning_effort" and not versions.at_least(api_version, versions.REASONING_EFFORT):
        notes.append(f"{label} {value!r} not sent: api-version {api_version} predates it")
    elif value not in accepted:
        notes.append(f"{label} {value!r} not sent: {_who(caps, field_name)} accepts {', '.join(accepted)}")
    else:
        payload[parameter] = value
