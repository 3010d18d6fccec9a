"""Reading Azure's replies, streamed or not, without tripping on its quirks (capabilities.md section e).

Azure's first chunk has empty `choices` and `prompt_filter_results`; annotation chunks may lack `delta`;
a choice can end with `finish_reason: content_filter`; the usage chunk has empty `choices`. Every field
is read as optional and nullable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatls.azure.errors import filter_categories
from chatls.azure.types import Usage


def _get(obj: Any, name: str) -> Any:
    """An attribute of an SDK model, or a key of its extra fields, or None."""
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None)
        if isinstance(extra, dict):
            value = extra.get(name)
    return value


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_from(raw: Any) -> Usage | None:
    if raw is None:
        return None
    completion_details = _get(raw, "completion_tokens_details")
    prompt_details = _get(raw, "prompt_tokens_details")
    return Usage(
        prompt_tokens=_int(_get(raw, "prompt_tokens")),
        completion_tokens=_int(_get(raw, "completion_tokens")),
        reasoning_tokens=_int(_get(completion_details, "reasoning_tokens")) if completion_details else 0,
        cached_tokens=_int(_get(prompt_details, "cached_tokens")) if prompt_details else 0,
    )


def _choice_filter(choice: Any) -> tuple[str, ...]:
    results = _get(choice, "content_filter_results")
    if results is not None and not isinstance(results, dict):
        results = results.model_dump() if hasattr(results, "model_dump") else None
    return filter_categories(results)


@dataclass
class ReplyState:
    """What a reply has said so far; one per attempt."""

    parts: list[str] = field(default_factory=list)
    model: str = ""
    finish_reason: str = ""
    usage: Usage | None = None
    filtered: tuple[str, ...] = ()

    @property
    def content(self) -> str:
        return "".join(self.parts)

    def add_chunk(self, chunk: Any) -> str:
        """Record one stream chunk; return the text it adds (maybe "")."""
        model = _get(chunk, "model")
        if model and not self.model:
            self.model = str(model)
        usage = usage_from(_get(chunk, "usage"))
        if usage is not None:
            self.usage = usage
        text = ""
        for choice in _get(chunk, "choices") or ():
            if (_get(choice, "index") or 0) != 0:
                continue
            delta = _get(choice, "delta")
            piece = _get(delta, "content") if delta is not None else None
            if isinstance(piece, str) and piece:
                text += piece
            self._finish(choice)
        if text:
            self.parts.append(text)
        return text

    def add_completion(self, completion: Any) -> str:
        """Record a whole (non-streamed) completion; return its text."""
        self.model = str(_get(completion, "model") or "")
        self.usage = usage_from(_get(completion, "usage"))
        text = ""
        for choice in _get(completion, "choices") or ():
            if (_get(choice, "index") or 0) != 0:
                continue
            message = _get(choice, "message")
            content = _get(message, "content") if message is not None else None
            text = content if isinstance(content, str) else ""
            self._finish(choice)
        if text:
            self.parts.append(text)
        return text

    def _finish(self, choice: Any) -> None:
        reason = _get(choice, "finish_reason")
        if reason:
            self.finish_reason = str(reason)
            if reason == "content_filter":
                self.filtered = _choice_filter(choice)
