"""Reading Azure replies as the SDK hands them over (typed models built from the verbatim samples)."""

from __future__ import annotations

from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk
from tests.unit.azure.shared_data import sample_json, sample_stream

from chatls.azure import Usage
from chatls.azure.wires.chat import ChatReading


def chunk(data: dict[str, Any]) -> ChatCompletionChunk:
    return ChatCompletionChunk.construct(**data)


def test_the_gpt4o_sample_stream() -> None:
    state = ChatReading()
    texts = [state.add_chunk(chunk(data)) for data in sample_stream("gpt-4o-stream.sse")]
    assert texts[0] == ""  # the prompt-annotation chunk: empty choices, prompt_filter_results
    assert state.content == "".join(texts) != ""
    assert state.model.startswith("gpt-4o-")
    assert state.finish_reason == "stop"
    assert state.usage is not None and state.usage.prompt_tokens > 0 and state.usage.completion_tokens > 0


def test_chunks_without_delta_and_late_filter_annotations() -> None:
    state = ChatReading()
    state.add_chunk(chunk({"id": "", "choices": [], "prompt_annotations": [{"prompt_index": 0}]}))
    assert (
        state.add_chunk(
            chunk(
                {
                    "id": "c",
                    "model": "gpt-4o-2024-11-20",
                    "choices": [{"index": 0, "delta": {"content": "Hello"}}],
                }
            )
        )
        == "Hello"
    )
    annotation = {
        "index": 0,
        "content_filter_offsets": {"check_offset": 0, "start_offset": 0, "end_offset": 5},
        "content_filter_results": {"violence": {"filtered": True, "severity": "high"}},
        "finish_reason": "content_filter",
    }
    assert state.add_chunk(chunk({"id": "", "choices": [annotation]})) == ""
    assert state.add_chunk(chunk({"id": "c", "choices": [{"index": 1, "delta": {"content": "other"}}]})) == ""
    assert (state.content, state.finish_reason, state.filtered) == ("Hello", "content_filter", ("violence",))
    assert state.usage is None


def test_a_completion_with_reasoning_and_cached_tokens() -> None:
    state = ChatReading()
    text = state.add_completion(ChatCompletion.construct(**sample_json("o1-chat-completion.json")))
    assert text.startswith("The function re-reads")
    assert state.model == "o1-2024-12-17"
    assert state.usage == Usage(
        prompt_tokens=1362, completion_tokens=412, reasoning_tokens=256, cached_tokens=1024
    )


def test_a_filtered_completion_has_no_content_and_names_the_category() -> None:
    state = ChatReading()
    assert (
        state.add_completion(ChatCompletion.construct(**sample_json("content-filter-completion.json"))) == ""
    )
    assert (state.finish_reason, state.filtered) == ("content_filter", ("violence",))


def test_a_filter_that_did_not_run_is_not_a_block() -> None:
    state = ChatReading()
    state.add_completion(ChatCompletion.construct(**sample_json("content-filter-error-not-run.json")))
    assert state.filtered == ()
    assert state.finish_reason != "content_filter"
