"""Model resolution for every catalogue name and for generated names no row lists (issue 11).

Each sample resolves one name the way a deployment meets it, cold: the name caches of naming.py are
cleared first, so every sample reads the name again (the capability table itself is loaded once per
process, as in the server). Names: every row of the table as Azure reports it (with a version date),
and future names of each line and variant (`gpt-5.9-mini`, `gpt-7-sol`, `o5-pro`, ... with and without
a date) that resolve by inference; each both as a profile model and inside a deployment name. A second
figure adds shaping a short request (instructions + one prompt) for the resolved capabilities, on the
wire the model prefers (Responses or Chat Completions).
The baseline is a plain dict lookup of a row by its exact name, for scale.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from bench.results import Row, Target
from bench.scenario import RunContext, Scenario
from bench.stats import median, time_sync

RESOLVE = Row(
    scenario="models",
    metric="resolve a catalogue or generated model name (median over all names)",
    unit="ms",
    target=Target("value", "<", 0.05, "ms"),
    baseline_label="exact-name dict lookup",
)
RESOLVE_AND_SHAPE = Row(
    scenario="models",
    metric="resolve a name and shape a short request for it (median over all names)",
    unit="ms",
    target=Target("value", "<", 0.05, "ms"),
)
FUTURE = (
    "gpt-5.9-mini",
    "gpt-5.7-nano",
    "gpt-5.7",
    "gpt-6.2",
    "gpt-7-sol",
    "gpt-5.7-terra",
    "gpt-6.2-luna",
    "gpt-6-nova",
    "gpt-5.5-pro",
    "gpt-6-codex",
    "gpt-5.5-codex-max",
    "gpt-5.4-chat",
    "gpt-4.2-nano",
    "o5",
    "o5-mini",
    "o5-pro",
    "gpt-oss-240b",
)


def names() -> list[tuple[str, dict[str, str]]]:
    """(label, resolve_capabilities arguments) for every name measured."""
    from chatls.azure.capabilities import load_capabilities

    listed = [f"{family}-2026-11-01" for family in load_capabilities().rows if family != "unknown"]
    generated = [*FUTURE, *(f"{name}-2027-05-01" for name in FUTURE)]
    cases = []
    for name in (*listed, *generated):
        cases.append((name, {"model": name}))
        cases.append((f"prod-{name}-eu", {"deployment": f"prod-{name}-eu"}))
    return cases


def measure(context: RunContext) -> tuple[list[float], list[float], float, str]:
    from chatls.azure.capabilities import load_capabilities, resolve_capabilities
    from chatls.azure.naming import find_model_name, parse_model_name
    from chatls.azure.profile import Profile
    from chatls.azure.types import ChatMessage, ChatOptions, Conversation
    from chatls.azure.wires.chat import shape_request
    from chatls.azure.wires.responses import shape_responses

    table = load_capabilities()
    conversation = Conversation("Be brief.", (ChatMessage("user", "What is a monad?"),))
    options = ChatOptions(max_completion_tokens=1000, reasoning_effort="low")
    repeat = context.size(full=300, quick=30)

    def resolve(arguments: dict[str, str]) -> Any:
        parse_model_name.cache_clear()
        find_model_name.cache_clear()
        return resolve_capabilities(**arguments)

    profile = Profile.from_dict(
        {"name": "bench", "endpoint": "https://bench.openai.azure.com", "deployment": "d"}
    )

    def resolve_and_shape(arguments: dict[str, str]) -> Any:
        caps = resolve(arguments)
        if caps.wires[0] == "responses":
            return shape_responses(conversation, options, caps, profile, "d")
        return shape_request(conversation, options, caps, "v1", "d")

    resolving, shaping = [], []
    slowest, slowest_ms = "", 0.0
    for label, arguments in names():
        if resolve(arguments).resolution == "unknown":
            raise RuntimeError(f"{label} resolved to unknown")
        per_name = median(time_sync(functools.partial(resolve, arguments), repeat))
        resolving.append(per_name)
        shaping.append(median(time_sync(functools.partial(resolve_and_shape, arguments), repeat)))
        if per_name > slowest_ms:
            slowest, slowest_ms = label, per_name
    rows = table.rows
    baseline = median(time_sync(lambda: dict(rows["gpt-5.4-mini"]), repeat * 10))
    return resolving, shaping, baseline, slowest


async def run(context: RunContext) -> list[Row]:
    resolving, shaping, baseline, slowest = measure(context)
    count = len(resolving)
    return [
        dataclasses.replace(
            RESOLVE,
            measured=median(resolving),
            baseline=baseline,
            note=f"{count} names (profile models and deployment names); slowest: {slowest} "
            f"{max(resolving) * 1000:.0f} µs",
            details={"per_name_ms": resolving},
        ),
        dataclasses.replace(
            RESOLVE_AND_SHAPE,
            measured=median(shaping),
            note=f"{count} names; slowest {max(shaping) * 1000:.0f} µs",
            details={"per_name_ms": shaping},
        ),
    ]


SCENARIO = Scenario(
    name="models",
    summary="model resolution (catalogue and generated names), alone and with shaping",
    rows=(RESOLVE, RESOLVE_AND_SHAPE),
    requires=("chatls.azure.naming", "chatls.azure.inference", "chatls.azure.wires.responses"),
    run=run,
)
