"""What `chatls ask` prints while a reply streams: the answer on stdout, everything else on stderr.

On a terminal the turn's status ("thinking 12 s", "rate limited, retrying in 8 s") is one line on stderr that
is rewritten in place and erased when text flows; piped, each new kind of status is one plain line (a
counting "thinking 1 s, 2 s, ..." is printed once, not once a second). Reasoning summaries go to stderr under
a "Thinking" heading, dimmed on a terminal, unless turned off; they are never mixed into the answer. A
grounded (On Your Data) answer ends with its numbered references, `[1] title — url`, on stdout.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

_ERASE_LINE = "\r\x1b[K"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
_NUMBER = re.compile(r"\d+")
STEP_WIDTH = 60
"""Longest running-step line on a terminal (after "ChatLS: ")."""


def _field(params: Any, camel: str, snake: str) -> Any:
    """A notification field; pygls hands custom notifications over as objects with the wire's names."""
    value = getattr(params, camel, None)
    return getattr(params, snake, None) if value is None else value


def reference_line(number: int, citation: Any) -> str:
    """`[1] policy.md — https://…`: what `[doc1]` in the answer points to (any field may be missing)."""
    fields = {
        name: _field(citation, name, name) if not isinstance(citation, dict) else citation.get(name)
        for name in ("title", "url", "filepath", "chunkId")
    }
    label = fields["title"] or fields["filepath"] or fields["url"] or "(untitled source)"
    where = next((fields[n] for n in ("url", "filepath") if fields[n] and fields[n] != label), None)
    chunk = f" (chunk {fields['chunkId']})" if fields["chunkId"] else ""
    return f"[{number}] {label}{chunk}" + (f" — {where}" if where else "")


def _step_field(step: Any, name: str) -> Any:
    return step.get(name) if isinstance(step, dict) else getattr(step, name, None)


class DeltaPrinter:
    """Prints `chatls/delta` notifications of one turn."""

    def __init__(self, out: TextIO, err: TextIO, *, thinking: bool = True, live: bool | None = None) -> None:
        self._out = out
        self._err = err
        self._thinking = thinking
        self._live = err.isatty() if live is None else live
        """stderr is a terminal: the status line is rewritten in place."""
        self.conversation_id: str | None = None
        """The conversation of the turn, known from its first delta (printed on Ctrl-C)."""
        self._printed: list[str] = []
        self._status_on_screen = False
        self._last_status_kind: str | None = None
        self._in_reasoning = False
        self._answer_mid_line = False
        self._citations: list[Any] = []

    # --- notifications ---------------------------------------------------------------------------------
    def delta(self, params: Any) -> None:
        conversation = _field(params, "conversationId", "conversation_id")
        if conversation:
            self.conversation_id = conversation
        reasoning = _field(params, "reasoning", "reasoning")
        status = _field(params, "status", "status")
        content = _field(params, "content", "content")
        self.cite(_field(params, "citations", "citations"))
        step = _field(params, "step", "step")
        if step is not None:
            self._step(step)
        if reasoning and self._thinking:
            self._reasoning(reasoning)
        if status:
            self._status(status)
        if content:
            self._answer(content)

    def note(self, line: str) -> None:
        """A line of its own on stderr (a server message), never inside the status line."""
        self._clear_status()
        self._end_reasoning()
        self._write(self._err, line + "\n")

    def finish(self, content: str = "") -> None:
        """The turn ended: erase the status, end the answer with a line break.

        Deltas always precede the response; if any were missed, the rest of `content` is printed.
        """
        self._clear_status()
        self._end_reasoning()
        shown = "".join(self._printed)
        if content.startswith(shown) and len(content) > len(shown):
            self._out.write(content[len(shown) :])
        if shown or content:
            self._out.write("\n")
        if self._citations:
            lines = (reference_line(n, c) for n, c in enumerate(self._citations, 1))
            self._out.write("\nReferences:\n" + "".join(line + "\n" for line in lines))
        self._out.flush()

    def cite(self, citations: Any) -> None:
        """Remember the answer's references (the first list that arrives), printed after the answer."""
        if citations and not self._citations:
            self._citations = list(citations)

    # --- the parts -------------------------------------------------------------------------------------
    def _status(self, status: str) -> None:
        if not self._live:
            kind = _NUMBER.sub("#", status)
            if kind != self._last_status_kind:
                self._last_status_kind = kind
                self._write(self._err, f"[{status}]\n")
            return
        self._end_reasoning()
        if self._answer_mid_line:  # the answer shares the terminal: never overwrite its last line
            self._write(self._err, f"\n[{status}]\n")
            self._answer_mid_line = False
            return
        self._write(self._err, f"{_ERASE_LINE}ChatLS: {status}")
        self._status_on_screen = True

    def _step(self, step: Any) -> None:
        """An agent tool step: "started" is the in-place status line on a terminal; "finished" is a line."""
        name = _step_field(step, "name") or "tool"
        summary = _step_field(step, "summary") or ""
        if _step_field(step, "phase") == "started":
            if self._live:  # one short line, so erasing it in place never leaves a wrapped remainder
                shown = summary if summary.startswith(name) else f"{name}: {summary}".rstrip(": ")
                self._status(shown if len(shown) <= STEP_WIDTH else shown[: STEP_WIDTH - 1] + "…")
            return
        ok = _step_field(step, "ok")
        mark = "ok" if ok is None or ok else "not done"
        self.note(f"[{_step_field(step, 'index') or '?'}] {name} ({mark}): {summary}".rstrip(": "))

    def show(self, text: str) -> None:
        """A block of lines on stderr (a proposed diff)."""
        self._clear_status()
        self._end_reasoning()
        if self._answer_mid_line:
            self._write(self._err, "\n")
            self._answer_mid_line = False
        self._write(self._err, text if text.endswith("\n") else text + "\n")

    def _reasoning(self, text: str) -> None:
        self._clear_status()
        if not self._in_reasoning:
            self._in_reasoning = True
            self._write(self._err, "Thinking:\n")
        self._write(self._err, f"{_DIM}{text}{_RESET}" if self._live else text)

    def _answer(self, text: str) -> None:
        self._clear_status()
        self._end_reasoning()
        self._printed.append(text)
        self._write(self._out, text)
        self._answer_mid_line = not text.endswith("\n")

    def _clear_status(self) -> None:
        if self._status_on_screen:
            self._write(self._err, _ERASE_LINE)
            self._status_on_screen = False

    def _end_reasoning(self) -> None:
        if self._in_reasoning:
            self._in_reasoning = False
            self._write(self._err, "\n\n")

    @staticmethod
    def _write(stream: TextIO, text: str) -> None:
        stream.write(text)
        stream.flush()


def _get(value: Any, name: str) -> Any:
    """A field of an answer; pygls hands custom responses over as objects, tests as dicts."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def budget_report(budget: Any) -> str:
    """`chatls ask --dry-run`: what the question would cost and what would be left out, for people."""
    tokens, limit = _get(budget, "tokens") or 0, _get(budget, "inputBudget") or 0
    lines = [
        f"model: {_get(budget, 'model')}",
        f"input: {tokens:,} of {limit:,} tokens "
        f"(context window {_get(budget, 'contextWindow') or 0:,}, {_get(budget, 'replyReserve') or 0:,} kept "
        "for the reply)",
        f"  instructions: {_get(budget, 'instructionsTokens') or 0:,}",
        f"  prompt: {_get(budget, 'promptTokens') or 0:,}",
    ]
    lines += [
        f"  {_get(item, 'label')}: {_get(item, 'tokens') or 0:,}"
        for item in _get(budget, "attachments") or []
    ]
    history = (
        f"  history: {_get(budget, 'historyTokens') or 0:,} ({_get(budget, 'historyMessages') or 0} messages"
    )
    left_out = _get(budget, "leftOutMessages") or 0
    lines.append(history + (f"; {left_out} older left out)" if left_out else ")"))
    dropped = _get(budget, "leftOutAttachments") or []
    if dropped:
        lines.append(f"does not fit even without history: {', '.join(dropped)}")
    lines.append("fits: yes" if _get(budget, "fits") else "fits: no — the question would be refused")
    lines.append("nothing was sent (--dry-run)")
    return "\n".join(lines) + "\n"
