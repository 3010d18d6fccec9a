"""The shaping decisions both wires share: what of the caller's wishes the model takes, and a note for
each thing it does not.

Unsupported parameters are omitted (never forced to a default) and each omission becomes a short note for
the user. Each wire (`wires/chat.py`, `wires/responses.py`) places the decided values in its own body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatls.azure import versions
from chatls.azure.errors import ConfigurationError
from chatls.azure.types import ChatOptions, ModelCapabilities, Wire


@dataclass(frozen=True)
class ShapedRequest:
    payload: dict[str, Any]
    """The JSON body, `model` (the deployment) first."""
    stream: bool
    adaptations: tuple[str, ...]
    wire: Wire = "chat"
    background: bool = False
    """A Responses background run (resumable; kept on Azure)."""


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


def who(caps: ModelCapabilities, field_name: str) -> str:
    """Whom a note blames: the family, or the deployment when Azure taught it (or the model is unknown)."""
    if field_name in caps.learned:
        return "this deployment"
    if caps.family == "unknown":
        return "the deployment's model (not known yet)"
    return caps.family


def token_cap(options: ChatOptions, caps: ModelCapabilities, notes: list[str]) -> int | None:
    """The completion-token cap to send (lowered to what the model produces), or None."""
    wanted = options.max_completion_tokens
    if wanted is None:
        return None
    tokens = min(wanted, caps.max_output_tokens)
    if tokens < wanted:
        notes.append(
            f"maxCompletionTokens {wanted} lowered to {tokens}: "
            f"the most {who(caps, 'max_output_tokens')} produces"
        )
    return tokens


def temperature(options: ChatOptions, caps: ModelCapabilities, notes: list[str]) -> float | None:
    if options.temperature is None:
        return None
    if "temperature" in caps.sampling:
        return options.temperature
    blamed = "this deployment" if "temperature" in caps.rejected_parameters else who(caps, "sampling")
    notes.append(f"temperature {options.temperature:g} not sent: {blamed} only accepts the default")
    return None


def choice(
    parameter: str,
    value: str | None,
    accepted: tuple[str, ...],
    caps: ModelCapabilities,
    api_version: str,
    notes: list[str],
) -> str | None:
    """`value` when the model accepts it for `parameter` ("reasoning_effort", "verbosity"), else a note."""
    if value is None:
        return None
    label = parameter.replace("_", " ")
    field_name = "reasoning_efforts" if parameter == "reasoning_effort" else parameter
    if not accepted:
        notes.append(f"{label} {value!r} not sent: {who(caps, field_name)} does not take it")
    elif parameter == "reasoning_effort" and not versions.at_least(api_version, versions.REASONING_EFFORT):
        notes.append(f"{label} {value!r} not sent: api-version {api_version} predates it")
    elif value not in accepted:
        notes.append(f"{label} {value!r} not sent: {who(caps, field_name)} accepts {', '.join(accepted)}")
    else:
        return value
    return None


def streams(options: ChatOptions, caps: ModelCapabilities, notes: list[str]) -> bool:
    if options.stream and not caps.streaming:
        notes.append(
            f"streaming off: {who(caps, 'streaming')} does not stream, so the reply arrives in one piece"
        )
    return options.stream and caps.streaming


def folded_note(caps: ModelCapabilities) -> str:
    return f"instructions sent in the first message: {who(caps, 'instructions')} takes no system message"
