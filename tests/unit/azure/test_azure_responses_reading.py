"""Reading a Responses reply as neutral events: the transcript of responses-api.md §5 and its variants."""

from __future__ import annotations

from typing import Any

import pytest

from chatls.azure import (
    ContentEvent,
    IncompleteReply,
    ReasoningEvent,
    RunStartedEvent,
    ToolCall,
    Usage,
)
from chatls.azure.wires.chat import ChatReading
from chatls.azure.wires.responses import ResponsesReading

MESSAGE = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "Use `pathlib`.", "annotations": []}],
}
REASONING_ITEM = {
    "id": "rs_01",
    "type": "reasoning",
    "summary": [{"type": "summary_text", "text": "Recalling the path module."}],
    "encrypted_content": "opaque==",
}
USAGE = {
    "input_tokens": 21,
    "input_tokens_details": {"cached_tokens": 4},
    "output_tokens": 38,
    "output_tokens_details": {"reasoning_tokens": 30},
}


def transcript(
    final: dict[str, Any] | None = None, *, terminal: str = "response.completed"
) -> list[dict[str, Any]]:
    """The illustrative transcript (ids and texts invented there too), with a chosen terminal event."""
    events: list[dict[str, Any]] = [
        {
            "type": "response.created",
            "response": {"id": "resp_01", "status": "in_progress", "model": "gpt-5.6-terra"},
        },
        {"type": "response.in_progress", "response": {"id": "resp_01", "status": "in_progress"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": "rs_01", "type": "reasoning"},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_01",
            "summary_index": 0,
            "delta": "Recalling ",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_01",
            "summary_index": 0,
            "delta": "the path module.",
        },
        {"type": "response.output_item.done", "output_index": 0, "item": REASONING_ITEM},
        {"type": "response.output_text.delta", "item_id": "msg_01", "delta": "Use ", "obfuscation": "Xk2"},
        {"type": "response.output_text.delta", "item_id": "msg_01", "delta": "`pathlib`."},
        {"type": "response.output_text.done", "item_id": "msg_01", "text": "Use `pathlib`."},
    ]
    if final is not None:
        events.append({"type": terminal, "response": final})
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def read(
    events: list[dict[str, Any]], reading: ResponsesReading | None = None, **kw: Any
) -> tuple[ResponsesReading, list[Any]]:
    reading = reading or ResponsesReading()
    out = [event for raw in events for event in reading.add_event(raw, **kw)]
    return reading, out


COMPLETED = {
    "id": "resp_01",
    "status": "completed",
    "model": "gpt-5.6-terra",
    "output": [REASONING_ITEM, MESSAGE],
    "usage": USAGE,
}


def test_summary_deltas_come_before_the_answer_and_the_ending_is_neutral() -> None:
    reading, events = read(transcript(COMPLETED))
    assert events == [
        ReasoningEvent("Recalling "),
        ReasoningEvent("the path module."),
        ContentEvent("Use "),
        ContentEvent("`pathlib`."),
    ]
    ending = reading.ending()
    assert (ending.content, ending.reasoning, ending.stop_reason) == (
        "Use `pathlib`.",
        "Recalling the path module.",
        "complete",
    )
    assert ending.model == "gpt-5.6-terra"
    assert ending.usage == Usage(prompt_tokens=21, completion_tokens=38, reasoning_tokens=30, cached_tokens=4)
    assert ending.replay == {
        "wire": "responses",
        "reasoning": [
            {
                "type": "reasoning",
                "id": "rs_01",
                "summary": REASONING_ITEM["summary"],
                "encrypted_content": "opaque==",
            }
        ],
    }


def test_a_stored_reply_also_replays_its_response_id() -> None:
    reading, _ = read(transcript(COMPLETED), ResponsesReading(stored=True))
    replay = reading.ending().replay
    assert replay is not None and replay["response_id"] == "resp_01" and len(replay["reasoning"]) == 1


def test_a_background_stream_is_announced_once_before_any_content() -> None:
    _, events = read(transcript(COMPLETED), announce=True)
    assert events[0] == RunStartedEvent({"response_id": "resp_01", "stream": True})
    assert sum(isinstance(event, RunStartedEvent) for event in events) == 1


def test_events_replayed_after_a_resume_are_not_counted_twice() -> None:
    events = transcript(COMPLETED)
    reading, first = read(events[:8])
    _, again = read(events[5:], reading)  # the server resent from an earlier sequence number
    assert "".join(e.text for e in first + again if isinstance(e, ContentEvent)) == "Use `pathlib`."
    assert reading.ending().content == "Use `pathlib`."


def test_a_new_summary_part_starts_a_new_paragraph() -> None:
    events = [
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs",
            "summary_index": 0,
            "delta": "One.",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs",
            "summary_index": 1,
            "delta": "Two.",
        },
    ]
    _, out = read(events)
    assert out == [ReasoningEvent("One."), ReasoningEvent("\n\nTwo.")]


@pytest.mark.parametrize(
    ("final", "stop"),
    [
        ({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}, "truncated"),
        ({"status": "incomplete", "incomplete_details": {"reason": "content_filter"}}, "filtered"),
        ({"status": "failed", "error": {"code": "server_error", "message": "boom"}}, "failed"),
        ({"status": "cancelled"}, "failed"),
    ],
)
def test_terminal_states_map_to_neutral_stop_reasons(final: dict[str, Any], stop: str) -> None:
    reading, _ = read(
        transcript({"id": "resp_01", "output": [MESSAGE], **final}, terminal="response.incomplete")
    )
    ending = reading.ending()
    assert ending.stop_reason == stop
    if stop == "failed":
        assert ending.failure and ending.failure.get("code") in ("server_error", "cancelled")


def test_a_stream_without_a_terminal_event_is_an_incomplete_reply_keeping_the_text() -> None:
    reading, _ = read(transcript(None))
    with pytest.raises(IncompleteReply) as caught:
        reading.ending()
    assert caught.value.partial == "Use `pathlib`." and caught.value.kind == "incomplete_reply"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "error", "code": "context_length_exceeded", "message": "too long", "param": "input"},
        {
            "type": "error",
            "error": {"code": "context_length_exceeded", "message": "too long", "param": "input"},
        },
    ],
)
def test_an_error_event_flat_or_nested_ends_the_reply_as_failed(event: dict[str, Any]) -> None:
    reading, _ = read([*transcript(None)[:3], {**event, "sequence_number": 3}])
    ending = reading.ending()
    assert (
        ending.stop_reason == "failed"
        and ending.failure
        and ending.failure["code"] == "context_length_exceeded"
    )


def test_function_calls_end_the_reply_with_tool_calls() -> None:
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "list_files",
        "arguments": "{}",
    }
    reading, _ = read(transcript({"id": "resp_01", "status": "completed", "output": [call]}))
    ending = reading.ending()
    assert ending.stop_reason == "tool_calls" and ending.tool_calls == (
        ToolCall("call_1", "list_files", "{}"),
    )


def test_a_polled_response_is_read_whole() -> None:
    reading = ResponsesReading()
    reading.add_response({"id": "resp_2", "status": "queued"})
    assert reading.final is None and reading.status == "queued" and reading.response_id == "resp_2"
    reading.add_response({**COMPLETED, "id": "resp_2"})
    assert reading.ending().content == "Use `pathlib`."


def test_a_chat_stream_without_a_finish_reason_is_an_incomplete_reply() -> None:
    reading = ChatReading()
    reading.add_chunk({"model": "gpt-4o", "choices": [{"index": 0, "delta": {"content": "def f(x):\n"}}]})
    with pytest.raises(IncompleteReply) as caught:
        reading.ending()
    assert caught.value.partial == "def f(x):\n" and caught.value.wire == "chat"


def test_chat_tool_call_deltas_assemble_into_calls() -> None:
    reading = ChatReading()
    first = {"index": 0, "id": "call_1", "function": {"name": "read_file", "arguments": '{"pa'}}
    reading.add_chunk({"choices": [{"index": 0, "delta": {"tool_calls": [first]}}]})
    rest = {"index": 0, "function": {"arguments": 'th": "a"}'}}
    reading.add_chunk(
        {"choices": [{"index": 0, "delta": {"tool_calls": [rest]}, "finish_reason": "tool_calls"}]}
    )
    ending = reading.ending()
    assert ending.stop_reason == "tool_calls"
    assert ending.tool_calls == (ToolCall("call_1", "read_file", '{"path": "a"}'),)
