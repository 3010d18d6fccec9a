"""The printer of `chatls ask` on its own: what goes to stdout and stderr for each kind of delta."""

from __future__ import annotations

import io
from types import SimpleNamespace

from chatls.ask_output import DeltaPrinter


def delta(**fields: object) -> SimpleNamespace:
    return SimpleNamespace(conversationId="c1", messageId="m1", **fields)


def printer(*, thinking: bool = True, live: bool = False) -> tuple[DeltaPrinter, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return DeltaPrinter(out, err, thinking=thinking, live=live), out, err


def test_reasoning_goes_to_stderr_under_a_heading_never_into_the_answer() -> None:
    p, out, err = printer()
    p.delta(delta(status="waiting for o4-mini"))
    p.delta(delta(reasoning="Weighing two "))
    p.delta(delta(reasoning="approaches."))
    p.delta(delta(content="Use a set."))
    p.finish("Use a set.")
    assert out.getvalue() == "Use a set.\n"
    assert err.getvalue() == "[waiting for o4-mini]\nThinking:\nWeighing two approaches.\n\n"
    assert p.conversation_id == "c1"


def test_no_thinking_hides_the_reasoning() -> None:
    p, out, err = printer(thinking=False)
    p.delta(delta(reasoning="secret musings"))
    p.delta(delta(content="Answer"))
    p.finish("Answer")
    assert "musings" not in err.getvalue() and "Thinking" not in err.getvalue()
    assert out.getvalue() == "Answer\n"


def test_live_reasoning_is_dimmed_and_replaces_the_status_line() -> None:
    p, out, err = printer(live=True)
    p.delta(delta(status="thinking 3 s"))
    p.delta(delta(reasoning="Hmm."))
    p.delta(delta(content="Done"))
    p.finish("Done")
    assert err.getvalue() == "\r\x1b[KChatLS: thinking 3 s\r\x1b[KThinking:\n\x1b[2mHmm.\x1b[0m\n\n"
    assert out.getvalue() == "Done\n"


def test_piped_statuses_of_the_same_kind_print_once() -> None:
    p, _, err = printer()
    for status in (
        "thinking 1 s",
        "thinking 2 s",
        "rate limited, retrying in 8 s",
        "rate limited, retrying in 7 s",
    ):
        p.delta(delta(status=status))
    assert err.getvalue() == "[thinking 1 s]\n[rate limited, retrying in 8 s]\n"


def test_a_live_status_after_text_started_never_overwrites_the_answers_line() -> None:
    p, out, err = printer(live=True)
    p.delta(delta(content="Half a line"))
    p.delta(delta(status="retrying"))
    assert "\r" not in err.getvalue() and err.getvalue() == "\n[retrying]\n"
    assert out.getvalue() == "Half a line"


def test_finish_prints_what_the_deltas_missed() -> None:
    p, out, _ = printer()
    p.delta(delta(content="Hello"))
    p.finish("Hello, world")
    assert out.getvalue() == "Hello, world\n"


# --- agent steps, dry run, citations ----------------------------------------------------------------


def test_finished_steps_are_lines_and_a_running_step_is_the_status_line() -> None:
    p, out, err = printer(live=True)
    long = "read_file " + "x" * 99
    p.delta(SimpleNamespace(step=SimpleNamespace(index=1, phase="started", name="read_file", summary=long)))
    p.delta(
        delta(step=SimpleNamespace(index=1, phase="finished", name="read_file", summary="a.py", ok=False))
    )
    running, finished = err.getvalue().split("\r\x1b[K")[1:]
    assert running.startswith("ChatLS: read_file xxx") and running.endswith("…") and len(running) == 68
    assert finished == "[1] read_file (not done): a.py\n"
    assert out.getvalue() == ""


def test_piped_output_shows_only_finished_steps() -> None:
    p, _, err = printer()
    p.delta(delta(step=SimpleNamespace(index=2, phase="started", name="search", summary="search def")))
    p.delta(
        delta(step=SimpleNamespace(index=2, phase="finished", name="search", summary="2 matches", ok=True))
    )
    assert err.getvalue() == "[2] search (ok): 2 matches\n"


def test_budget_report_names_every_part_and_what_is_left_out() -> None:
    from chatls.ask_output import budget_report

    report = budget_report(
        {
            "model": "gpt-4o",
            "tokens": 130500,
            "inputBudget": 128000,
            "contextWindow": 128000,
            "replyReserve": 4096,
            "promptTokens": 3,
            "instructionsTokens": 40,
            "attachments": [{"label": "file big.py", "tokens": 130000}],
            "historyTokens": 457,
            "historyMessages": 2,
            "leftOutMessages": 6,
            "leftOutAttachments": ["file big.py"],
            "fits": False,
        }
    )
    assert "input: 130,500 of 128,000 tokens" in report
    assert "  file big.py: 130,000" in report
    assert "  history: 457 (2 messages; 6 older left out)" in report
    assert "does not fit even without history: file big.py" in report
    assert "fits: no" in report
