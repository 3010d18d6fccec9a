"""What a Responses run produces, event by event (responses-api.md §5, the order of its transcript).

``produce`` fills a ``Run``: created → (queued) → in_progress → a reasoning item (summary deltas spread
over the thinking time) → a message (paced text deltas) or function calls → a terminal event with the
usage. Faults that change the answer itself (filtered completion, exhausted output, failed, a stream
``error`` event) are applied here; faults of one connection (dropped, no terminal) in ``response_routes``.
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass, field
from typing import Any

from chatls.emulator.config import Timing
from chatls.emulator.replies import THINKING_SCALE, split_pieces
from chatls.emulator.runs import Run, RunStore, new_id
from chatls.emulator.tool_scripts import ToolCall

ARGUMENT_PIECE = 16
CONTEXT_MESSAGE = (
    "Your input exceeds the context window of this model. Please adjust your input and try again."
)
SERVER_ERROR_MESSAGE = (
    "The server had an error processing your request. Sorry about that! You can retry your request, or "
    "contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if "
    "you keep seeing this error."
)


@dataclass(frozen=True)
class Plan:
    """What the model answers to one request."""

    pieces: list[str]
    prompt_tokens: int
    reasoning_tokens: int = 0
    reasoning: bool = False
    summary: str | None = None
    encrypted: bool = False
    effort: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    stop: str = "completed"
    """completed; max_output_tokens or content_filter (incomplete); failed; stream_error."""
    cached_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def output_tokens(self) -> int:
        calls = sum(len(c.arguments) // 4 + 1 for c in self.tool_calls)
        return len(self.pieces) + self.reasoning_tokens + calls


def response_object(
    response_id: str, body: dict[str, Any], *, model: str, background: bool, store: bool, effort: str | None
) -> dict[str, Any]:
    """The response as created: fields of SV1 ``AzureResponse`` the request decides."""
    reasoning = _table(body, "reasoning")
    text = _table(body, "text")
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": "queued" if background else "in_progress",
        "background": background,
        "model": model,
        "output": [],
        "usage": None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": effort, "summary": reasoning.get("summary")} if effort else None,
        "text": {"format": {"type": "text"}, **text},
        "tools": body.get("tools") or [],
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "store": store,
        "truncation": body.get("truncation") or "disabled",
        "metadata": body.get("metadata") or {},
        "temperature": body.get("temperature", 1.0),
        "top_p": body.get("top_p", 1.0),
        "user": body.get("user"),
        "content_filters": None,
    }


def _table(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def usage(plan: Plan) -> dict[str, Any]:
    return {
        "input_tokens": plan.prompt_tokens,
        "input_tokens_details": {"cached_tokens": plan.cached_tokens},
        "output_tokens": plan.output_tokens,
        "output_tokens_details": {"reasoning_tokens": plan.reasoning_tokens},
        "total_tokens": plan.prompt_tokens + plan.output_tokens,
    }


class Producer:
    """Writes one run's events; paced by the deployment's timing."""

    def __init__(self, run: Run, plan: Plan, timing: Timing, store: RunStore) -> None:
        self.run = run
        self.plan = plan
        self.timing = timing
        self.store = store

    def _snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.run.response)

    def _emit(self, kind: str, **fields: Any) -> None:
        self.run.emit({"type": kind, **fields})

    async def produce(self) -> None:
        run = self.run
        try:
            self._emit("response.created", response=self._snapshot())
            if run.background:
                self._emit("response.queued", response=self._snapshot())
                await asyncio.sleep(0)
                run.response["status"] = "in_progress"
            self._emit("response.in_progress", response=self._snapshot())
            if self.plan.stop == "stream_error":
                self._stream_error()
                return
            if self.timing.time_to_first_token:
                await asyncio.sleep(self.timing.time_to_first_token)
            if self.plan.reasoning:
                await self._reasoning_item()
            if self.plan.stop == "failed":
                self._finish("failed")
            elif self.plan.tool_calls:
                await self._function_calls()
                self._finish("completed")
            else:
                await self._message()
                self._finish(self.plan.stop)
        except asyncio.CancelledError:
            if not run.finished:
                run.set_status("cancelled")
            raise

    def _index(self) -> int:
        return len(self.run.response["output"])

    async def _reasoning_item(self) -> None:
        plan, index = self.plan, self._index()
        item: dict[str, Any] = {"id": new_id("rs"), "type": "reasoning", "summary": []}
        if plan.encrypted:
            item["encrypted_content"] = self.store.seal(self.run.id, item["id"])
        self._emit("response.output_item.added", output_index=index, item=copy.deepcopy(item))
        thinking = self.timing.thinking_time * THINKING_SCALE.get(plan.effort or "medium", 1.0)
        if plan.summary:
            ids = {"item_id": item["id"], "output_index": index, "summary_index": 0}
            part = {"type": "summary_text", "text": ""}
            self._emit("response.reasoning_summary_part.added", **ids, part=part)
            pieces = split_pieces(plan.summary)
            for piece in pieces:
                if thinking:
                    await asyncio.sleep(thinking / len(pieces))
                self._emit("response.reasoning_summary_text.delta", **ids, delta=piece, obfuscation="")
            self._emit("response.reasoning_summary_text.done", **ids, text=plan.summary)
            done = {"type": "summary_text", "text": plan.summary}
            self._emit("response.reasoning_summary_part.done", **ids, part=done)
            item["summary"] = [done]
        elif thinking:
            await asyncio.sleep(thinking)
        self._emit("response.output_item.done", output_index=index, item=copy.deepcopy(item))
        self.run.response["output"].append(item)

    async def _function_calls(self) -> None:
        for call in self.plan.tool_calls:
            index = self._index()
            item: dict[str, Any] = {
                "id": new_id("fc"),
                "type": "function_call",
                "status": "in_progress",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": "",
            }
            self._emit("response.output_item.added", output_index=index, item=copy.deepcopy(item))
            ids = {"item_id": item["id"], "output_index": index}
            for start in range(0, len(call.arguments), ARGUMENT_PIECE):
                piece = call.arguments[start : start + ARGUMENT_PIECE]
                self._emit("response.function_call_arguments.delta", **ids, delta=piece, obfuscation="")
            self._emit(
                "response.function_call_arguments.done", **ids, name=call.name, arguments=call.arguments
            )
            item.update(arguments=call.arguments, status="completed")
            self._emit("response.output_item.done", output_index=index, item=copy.deepcopy(item))
            self.run.response["output"].append(item)

    async def _message(self) -> None:
        plan, index = self.plan, self._index()
        if plan.stop == "max_output_tokens" and not plan.pieces:
            return  # the budget went to reasoning: no visible text at all (R26)
        item: dict[str, Any] = {
            "id": new_id("msg"),
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        self._emit("response.output_item.added", output_index=index, item=copy.deepcopy(item))
        ids = {"item_id": item["id"], "output_index": index, "content_index": 0}
        self._emit(
            "response.content_part.added", **ids, part={"type": "output_text", "text": "", "annotations": []}
        )
        await self._text(ids)
        text = "".join(plan.pieces)
        self._emit("response.output_text.done", **ids, text=text, logprobs=[])
        part = {"type": "output_text", "text": text, "annotations": []}
        self._emit("response.content_part.done", **ids, part=part)
        item.update(content=[part], status="completed" if plan.stop == "completed" else "incomplete")
        self._emit("response.output_item.done", output_index=index, item=copy.deepcopy(item))
        self.run.response["output"].append(item)

    async def _text(self, ids: dict[str, Any]) -> None:
        rate = self.timing.tokens_per_second
        loop = asyncio.get_running_loop()
        began = loop.time()
        for number, piece in enumerate(self.plan.pieces):
            if rate > 0:
                wait = began + number / rate - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            elif number and number % 64 == 0:
                await asyncio.sleep(0)  # let followers write what is there
            self._emit("response.output_text.delta", **ids, delta=piece, logprobs=[], obfuscation="")

    def _finish(self, stop: str) -> None:
        response = self.run.response
        response["usage"] = usage(self.plan)
        if stop == "completed":
            response["status"] = "completed"
            kind = "response.completed"
        elif stop == "failed":
            response.update(status="failed", error={"code": "server_error", "message": SERVER_ERROR_MESSAGE})
            kind = "response.failed"
        else:
            response.update(status="incomplete", incomplete_details={"reason": stop})
            kind = "response.incomplete"
        self._emit(kind, response=self._snapshot())

    def _stream_error(self) -> None:
        """A stream-level ``error`` event (SDK's flat form), as for the overflow in dyad-sh/dyad#1672."""
        self.run.response.update(
            status="failed",
            error={"code": "context_length_exceeded", "message": "Your input exceeds the context window."},
        )
        self._emit(
            "error",
            code="context_length_exceeded",
            message=CONTEXT_MESSAGE,
            param="input",
        )
