"""DeltaCoalescer: increments only, order kept, batched when content comes faster than the interval."""

from __future__ import annotations

from tests.support.waiting import wait_until_async

from chatls.deltas import DeltaCoalescer
from chatls.protocol import DeltaNotification


def make(interval: float) -> tuple[DeltaCoalescer, list[DeltaNotification]]:
    sent: list[DeltaNotification] = []
    return DeltaCoalescer(sent.append, "c1", "m1", interval=interval), sent


async def test_a_burst_is_sent_as_few_deltas_adding_up_to_the_text() -> None:
    coalescer, sent = make(interval=60.0)
    pieces = [f"w{i} " for i in range(500)]
    for piece in pieces:
        coalescer.content(piece)
    coalescer.close()
    assert [d.content for d in sent] == [pieces[0], "".join(pieces[1:])]
    assert all((d.conversation_id, d.message_id, d.status) == ("c1", "m1", None) for d in sent)


async def test_with_no_interval_every_piece_is_its_own_delta() -> None:
    coalescer, sent = make(interval=0.0)
    for piece in ("a", "b", "c"):
        coalescer.content(piece)
    coalescer.close()
    assert [d.content for d in sent] == ["a", "b", "c"]


async def test_pending_content_is_flushed_by_the_timer() -> None:
    coalescer, sent = make(interval=0.01)
    coalescer.content("first")
    coalescer.content("second")
    assert [d.content for d in sent] == ["first"]
    await wait_until_async(lambda: len(sent) >= 2, "the timer to flush the pending content")
    assert [d.content for d in sent] == ["first", "second"]
    coalescer.close()
    assert len(sent) == 2


async def test_a_status_flushes_pending_content_first() -> None:
    coalescer, sent = make(interval=60.0)
    coalescer.content("a")
    coalescer.content("b")
    coalescer.status("rate limited, retrying in 3 s")
    coalescer.content("c")
    coalescer.close()
    assert [(d.content, d.status) for d in sent] == [
        ("a", None),
        ("b", None),
        (None, "rate limited, retrying in 3 s"),
        ("c", None),
    ]


async def test_empty_pieces_send_nothing_and_a_failing_sink_loses_nothing() -> None:
    calls: list[DeltaNotification] = []

    def broken(delta: DeltaNotification) -> None:
        calls.append(delta)
        raise BrokenPipeError("editor went away")

    coalescer = DeltaCoalescer(broken, "c", "m", interval=0.0)
    coalescer.content("")
    coalescer.content("x")
    coalescer.close()
    assert [d.content for d in calls] == ["x"]


async def test_reasoning_is_batched_apart_from_content_and_order_is_kept() -> None:
    coalescer, sent = make(interval=60.0)
    for piece in ("Look", "ing", " at it"):
        coalescer.reasoning(piece)
    for piece in ("It ", "ends", "."):
        coalescer.content(piece)
    coalescer.reasoning("Second thoughts")
    coalescer.close()
    assert [(d.reasoning, d.content) for d in sent] == [
        ("Look", None),
        ("ing at it", None),  # the answer's first piece sends the pending reasoning first
        (None, "It ends."),
        ("Second thoughts", None),
    ]


async def test_every_delta_carries_the_client_token() -> None:
    sent: list[DeltaNotification] = []
    coalescer = DeltaCoalescer(sent.append, "c", "m", interval=0.0, client_token="tab-3")
    coalescer.status("waiting for my-reasoner")
    coalescer.reasoning("hm")
    coalescer.content("ok")
    coalescer.close()
    assert [d.client_token for d in sent] == ["tab-3"] * 3
