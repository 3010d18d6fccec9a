"""Success payloads in Azure's shape (``shared/azure/samples``): filter annotations, completions, chunks."""

from __future__ import annotations

import json
import secrets
import time
import zlib
from typing import Any

from chatls.emulator.replies import Completion, usage
from chatls.emulator.tool_scripts import ToolCall

SAFE = {"filtered": False, "severity": "safe"}
NOT_DETECTED = {"filtered": False, "detected": False}


def new_id() -> str:
    return "chatcmpl-" + secrets.token_urlsafe(22).replace("-", "x").replace("_", "y")[:29]


def fingerprint(model: str) -> str:
    """Stable per model (crc32, not ``hash()``, which changes between processes)."""
    return "fp_" + format(zlib.crc32(model.encode()), "08x") + "a1"


def choice_filter_results(filtered_category: str | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {
        "hate": dict(SAFE),
        "protected_material_code": dict(NOT_DETECTED),
        "protected_material_text": dict(NOT_DETECTED),
        "self_harm": dict(SAFE),
        "sexual": dict(SAFE),
        "violence": dict(SAFE),
    }
    if filtered_category:
        results[filtered_category] = {"filtered": True, "severity": "high"}
    return results


def chunk_filter_results(filtered_category: str | None = None) -> dict[str, Any]:
    results = {name: dict(SAFE) for name in ("hate", "self_harm", "sexual", "violence")}
    if filtered_category:
        results[filtered_category] = {"filtered": True, "severity": "high"}
    return results


def prompt_filter_results() -> list[dict[str, Any]]:
    return [
        {
            "prompt_index": 0,
            "content_filter_results": {
                "hate": dict(SAFE),
                "jailbreak": dict(NOT_DETECTED),
                "self_harm": dict(SAFE),
                "sexual": dict(SAFE),
                "violence": dict(SAFE),
            },
        }
    ]


def completion_body(
    completion: Completion,
    *,
    model: str,
    reasoning: bool,
    filtered_category: str | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` like ``samples/o1-chat-completion.json``."""
    content: str | None = completion.content
    if completion.finish_reason in ("content_filter", "tool_calls"):
        content = None
    message: dict[str, Any] = {"content": content, "refusal": None, "role": "assistant", "annotations": []}
    if context is not None:
        message["context"] = context
    if completion.tool_calls:
        message["tool_calls"] = [
            {"id": c.call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in completion.tool_calls
        ]
    return {
        "id": new_id(),
        "choices": [
            {
                "finish_reason": completion.finish_reason,
                "index": 0,
                "logprobs": None,
                "message": message,
                "content_filter_results": choice_filter_results(filtered_category),
            }
        ],
        "created": int(time.time()),
        "model": model,
        "object": "chat.completion",
        "system_fingerprint": fingerprint(model),
        "usage": usage(completion, reasoning_model=reasoning),
        "prompt_filter_results": prompt_filter_results(),
    }


class ChunkEncoder:
    """Encodes the stream's SSE events; the per-token event is a precomputed template for speed."""

    def __init__(self, model: str, context: dict[str, Any] | None = None) -> None:
        self.context = context
        """On Your Data: citations and intent, sent in the role delta."""
        self.id = new_id()
        self.model = model
        self.created = int(time.time())
        tail = {
            "created": self.created,
            "id": self.id,
            "model": model,
            "object": "chat.completion.chunk",
            "system_fingerprint": fingerprint(model),
            "usage": None,
        }
        self._tail = json.dumps(tail, separators=(",", ":"))[1:]  # '"created":...,"usage":null}'
        filters = json.dumps(chunk_filter_results(), separators=(",", ":"))
        self._content_head = 'data: {"choices":[{"content_filter_results":' + filters + ',"delta":{"content":'
        self._content_mid = '},"finish_reason":null,"index":0,"logprobs":null}],'

    def event(self, payload: dict[str, Any]) -> bytes:
        return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"

    def prompt_annotation(self) -> bytes:
        """First chunk: empty ``choices``, ``prompt_filter_results`` and blank identity fields."""
        return self.event(
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": prompt_filter_results(),
                "usage": None,
            }
        )

    def _chunk(self, choices: list[dict[str, Any]], usage_value: dict[str, Any] | None = None) -> bytes:
        return self.event(
            {
                "choices": choices,
                "created": self.created,
                "id": self.id,
                "model": self.model,
                "object": "chat.completion.chunk",
                "system_fingerprint": fingerprint(self.model),
                "usage": usage_value,
            }
        )

    def role(self) -> bytes:
        delta: dict[str, Any] = {"content": "", "refusal": None, "role": "assistant"}
        if self.context is not None:
            delta["context"] = self.context
        return self._chunk(
            [
                {
                    "content_filter_results": {},
                    "delta": delta,
                    "finish_reason": None,
                    "index": 0,
                    "logprobs": None,
                }
            ]
        )

    def content(self, piece: str) -> bytes:
        return (self._content_head + json.dumps(piece) + self._content_mid + self._tail + "\n\n").encode()

    def tool_calls(self, calls: tuple[ToolCall, ...]) -> bytes:
        """Streamed tool calls: a chunk naming each call, then its arguments in pieces (by ``index``)."""
        chunks: list[bytes] = []
        for index, call in enumerate(calls):
            head = {"index": index, "id": call.call_id, "type": "function"}
            chunks.append(
                self._delta({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
            )
            for start in range(0, len(call.arguments), 16):
                piece = call.arguments[start : start + 16]
                chunks.append(
                    self._delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                )
        return b"".join(chunks)

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return self._chunk(
            [
                {
                    "content_filter_results": {},
                    "delta": delta,
                    "finish_reason": None,
                    "index": 0,
                    "logprobs": None,
                }
            ]
        )

    def finish(self, reason: str, filtered_category: str | None = None) -> bytes:
        filters = chunk_filter_results(filtered_category) if filtered_category else {}
        return self._chunk(
            [
                {
                    "content_filter_results": filters,
                    "delta": {},
                    "finish_reason": reason,
                    "index": 0,
                    "logprobs": None,
                }
            ]
        )

    def usage(self, completion: Completion, reasoning: bool) -> bytes:
        return self._chunk([], usage(completion, reasoning_model=reasoning))

    @staticmethod
    def done() -> bytes:
        return b"data: [DONE]\n\n"
