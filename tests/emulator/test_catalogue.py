"""The late-2026 catalogue, row by row, restated here from shared/azure/catalogue-2026.md (not read from
the emulator's table): each family refuses what the catalogue says Azure refuses, on each wire, with
the captured body, and accepts the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import openai
import pytest

from chatls.emulator.fixture import RunningEmulator

ALL_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}


@dataclass(frozen=True)
class Row:
    name: str
    chat: bool
    """Served on Chat Completions (else "R only")."""
    sampling: str
    """"1 only" (unsupported_value), "refused" (unsupported_parameter) or "accepted"."""
    efforts: tuple[str, ...]
    """Accepted on Chat Completions; Responses adds ``responses_extra``."""
    responses_extra: tuple[str, ...] = ()
    ptc: bool = True
    tools_on_chat: str = "any"
    """"any", "effort none" (gpt-5.4 rule) or "never"."""


O_SERIES = ("low", "medium", "high")
ROWS = [
    Row("o3-pro", False, "refused", O_SERIES, ptc=False),
    Row("codex-mini", False, "refused", O_SERIES, ptc=False),
    Row("gpt-5-codex", False, "refused", O_SERIES),
    Row("gpt-5-pro", False, "refused", ("high",), ptc=False),
    Row("gpt-5.1-codex", False, "refused", ("none", "low", "medium", "high")),
    Row("gpt-5.1-codex-mini", False, "refused", ("none", "low", "medium", "high")),
    Row("gpt-5.2", True, "1 only", ("none", "low", "medium", "high")),
    Row("gpt-5.4", True, "1 only", ("none", "low", "medium", "high", "xhigh"), tools_on_chat="effort none"),
    Row("gpt-5.4-mini", True, "1 only", ("none", "low", "medium", "high"), tools_on_chat="effort none"),
    Row("gpt-5.4-nano", True, "1 only", ("none", "low", "medium", "high"), tools_on_chat="effort none"),
    Row("gpt-5.5", True, "1 only", ("none", "low", "medium", "high", "xhigh"), tools_on_chat="effort none"),
    *(
        Row(
            name,
            True,
            "1 only",
            ("none", "low", "medium", "high", "xhigh"),
            ("max",),
            tools_on_chat="effort none",
        )
        for name in ("gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna")
    ),
    *(
        Row(name, True, "refused", ("low", "medium", "high", "xhigh"), ("max",), tools_on_chat="never")
        for name in ("gpt-6-astra", "gpt-6-sol", "gpt-6-luna", "gpt-6.1-sol")
    ),
]


def v1(emulator: RunningEmulator) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=emulator.v1_base_url, api_key=emulator.api_key, max_retries=0)


async def chat(emulator: RunningEmulator, row: Row, **extra: Any) -> Any:
    client = v1(emulator)
    try:
        return await client.chat.completions.create(
            model=row.name, messages=[{"role": "user", "content": "x"}], extra_body=extra
        )
    finally:
        await client.close()


async def responses(emulator: RunningEmulator, row: Row, **extra: Any) -> Any:
    client = v1(emulator)
    try:
        return await client.responses.create(model=row.name, input="x", extra_body=extra)
    finally:
        await client.close()


async def refused(call: Any) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        await call
    return caught.value


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_chat_completions_follows_the_catalogue(emulator: RunningEmulator, row: Row) -> None:
    if not row.chat:
        error = await refused(chat(emulator, row))
        assert error.code == "OperationNotSupported" and f"model, {row.name}." in error.message
        return
    assert (await chat(emulator, row)).choices[0].message.content == f"Echo from {row.name}: x"
    sampling = await refused(chat(emulator, row, temperature=0.5))
    assert sampling.code == {"1 only": "unsupported_value", "refused": "unsupported_parameter"}[row.sampling]
    for effort in ALL_EFFORTS:
        if effort in row.efforts:
            await chat(emulator, row, reasoning_effort=effort)
        else:
            error = await refused(chat(emulator, row, reasoning_effort=effort))
            assert (error.code, error.param) == ("unsupported_value", "reasoning_effort"), effort
            assert "Supported values are: " in error.message
    with_effort = await refused(chat(emulator, row, tools=[TOOL], reasoning_effort=row.efforts[-1]))
    assert (
        with_effort.param == "reasoning_effort"
        and "Function tools with reasoning_effort" in with_effort.message
    )
    if row.tools_on_chat == "effort none":
        await chat(emulator, row, tools=[TOOL])
        await chat(emulator, row, tools=[TOOL], reasoning_effort="none")
    else:
        assert "Function tools" in (await refused(chat(emulator, row, tools=[TOOL]))).message


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_responses_follows_the_catalogue(emulator: RunningEmulator, row: Row) -> None:
    assert (await responses(emulator, row)).status == "completed"
    sampling = await refused(responses(emulator, row, temperature=0.5))
    assert sampling.code == {"1 only": "unsupported_value", "refused": "unsupported_parameter"}[row.sampling]
    accepted = (*row.efforts, *row.responses_extra)
    for effort in ALL_EFFORTS:
        if effort in accepted:
            reply = await responses(emulator, row, reasoning={"effort": effort})
            assert reply.reasoning.effort == effort
        else:
            error = await refused(responses(emulator, row, reasoning={"effort": effort}))
            assert (error.code, error.param) == ("unsupported_value", "reasoning.effort"), effort
    flat_tool = {"type": "function", "name": "f", "parameters": {"type": "object"}}
    await responses(
        emulator, row, tools=[flat_tool], reasoning={"effort": row.efforts[-1]}
    )  # no tool rule here
    if row.ptc:
        await responses(emulator, row, parallel_tool_calls=True)
    else:
        error = await refused(responses(emulator, row, parallel_tool_calls=True))
        assert (error.code, error.param) == ("unsupported_parameter", "parallel_tool_calls")
