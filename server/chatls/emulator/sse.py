"""Azure's SSE stream for one completion: annotation, role, paced deltas, finish, usage, [DONE]."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from chatls.emulator.faults import FaultSpec
from chatls.emulator.payloads import ChunkEncoder
from chatls.emulator.replies import Completion

SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache"}
BATCH = 64
"""Content chunks per socket write when the stream is not paced (fewer, larger writes are much faster)."""


@dataclass(frozen=True)
class StreamPlan:
    completion: Completion
    tokens_per_second: float
    include_usage: bool
    drop_after: int | None = None
    """Stop after this many content chunks (the ``drop_connection`` fault)."""
    filtered_category: str | None = None
    """Category reported on the finish chunk of a ``content_filter_completion`` fault."""
    no_terminal: str | None = None
    """The ``no_terminal`` fault's form: the stream ends without a finish chunk."""

    @classmethod
    def for_fault(
        cls, completion: Completion, fault: FaultSpec | None, tokens_per_second: float, include_usage: bool
    ) -> StreamPlan:
        kind = fault.kind if fault is not None else None
        return cls(
            completion,
            tokens_per_second,
            include_usage,
            drop_after=fault.after_chunks if fault is not None and kind == "drop_connection" else None,
            filtered_category=fault.category
            if fault is not None and kind == "content_filter_completion"
            else None,
            no_terminal=fault.form if fault is not None and kind == "no_terminal" else None,
        )


async def stream_completion(
    response: web.StreamResponse, encoder: ChunkEncoder, plan: StreamPlan, reasoning: bool
) -> bool:
    """Write the whole stream; False if the client went away between two writes."""
    try:
        await response.write(encoder.prompt_annotation() + encoder.role())
        await _write_pieces(response, encoder, plan)
        if plan.completion.tool_calls:
            await response.write(encoder.tool_calls(plan.completion.tool_calls))
        if plan.drop_after is not None:
            return True
        if plan.no_terminal is not None:
            await response.write_eof(encoder.done() if plan.no_terminal == "done" else b"")
            return True
        tail = encoder.finish(plan.completion.finish_reason, plan.filtered_category)
        if plan.include_usage:
            tail += encoder.usage(plan.completion, reasoning)
        await response.write(tail + encoder.done())
        await response.write_eof()
    except ConnectionResetError:
        return False
    return True


async def _write_pieces(response: web.StreamResponse, encoder: ChunkEncoder, plan: StreamPlan) -> None:
    pieces = plan.completion.pieces
    if plan.drop_after is not None:
        pieces = pieces[: plan.drop_after]
    if plan.tokens_per_second <= 0:
        for start in range(0, len(pieces), BATCH):
            await response.write(b"".join(encoder.content(p) for p in pieces[start : start + BATCH]))
        return
    loop = asyncio.get_running_loop()
    interval = 1.0 / plan.tokens_per_second
    began = loop.time()
    for index, piece in enumerate(pieces):
        wait = began + index * interval - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        await response.write(encoder.content(piece))


def drop_connection(request: web.Request) -> None:
    """Close the socket under aiohttp; whatever it tries to send next fails quietly."""
    transport = request.transport
    if transport is not None:
        transport.close()


def write_raw_close(request: web.Request, data: bytes) -> None:
    """Send ``data`` (status line, headers and an EOF-delimited body) and close: a clean close."""
    transport = request.transport
    if transport is not None:
        transport.write(data)
        transport.close()


def chat_stream_bytes(encoder: ChunkEncoder, completion: Completion) -> bytes:
    """Everything but the finish: the body of a ``clean_close`` fault on Chat Completions."""
    pieces = b"".join(encoder.content(p) for p in completion.pieces)
    return encoder.prompt_annotation() + encoder.role() + pieces + encoder.tool_calls(completion.tool_calls)
