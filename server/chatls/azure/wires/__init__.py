"""The two Azure APIs a turn can go over, and which one a deployment's turn takes.

`wires.chat` (Chat Completions) and `wires.responses` (Responses) each shape their request, read their
reply as neutral events and learn from their own refusals; `choose_wire` picks one per turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatls.azure import versions
from chatls.azure.types import ChatOptions, ModelCapabilities, Wire

if TYPE_CHECKING:
    from chatls.azure.profile import Profile

FIRST_RESPONSES_VERSION = "2025-03-01-preview"
"""The first dated api-version with the Responses API (S25); v1 always has it."""


def other_wire(wire: Wire) -> Wire:
    return "responses" if wire == "chat" else "chat"


def choose_wire(caps: ModelCapabilities, profile: Profile, options: ChatOptions) -> Wire:
    """The API for this turn: the profile's choice, else what the turn needs, else the model's preference.

    `caps.wires` is the table's list refined by lessons (a wire Azure refused is gone from it).
    """
    if profile.wire is not None:
        return profile.wire
    if profile.data_sources:
        return "chat"  # On Your Data exists on Chat Completions only
    wires = caps.wires or ("chat",)
    if "responses" not in wires:
        return wires[0]
    if "chat" not in wires:
        return "responses"
    if not versions.at_least(profile.api_version, FIRST_RESPONSES_VERSION):
        return "chat"  # a dated api-version before Responses existed
    effort = options.reasoning_effort or profile.reasoning_effort
    if options.tools and effort not in (None, "none") and not caps.tools_with_effort_on_chat:
        return "responses"  # Chat Completions refuses function tools with an effort (gpt-5.4 on)
    if options.background or (options.background is None and profile.background):
        return "responses"
    return wires[0]
