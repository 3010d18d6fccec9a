"""The agent loop over a scripted backend: tools run between model calls, results go back as tool messages,
steps are reported, the step limit holds, and Stop propagates."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from tests.support.waiting import wait_until_async

from chatls import edits
from chatls.agent.commands import CommandRunner, CommandSettings
from chatls.agent.files import ReadTools
from chatls.agent.loop import StepEvent, run_agent
from chatls.agent.paths import Workspace
from chatls.agent.tools import AgentTools
from chatls.azure.types import (
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ChatResult,
    ContentEvent,
    Conversation,
    ToolCall,
    Usage,
)


def call(name: str, **arguments: object) -> ToolCall:
    return ToolCall(f"call_{name}", name, json.dumps(arguments))


class ScriptedModel:
    """Answers each request with the next scripted reply; records what it was sent."""

    def __init__(self, *replies: ChatResult, hold: asyncio.Event | None = None) -> None:
        self.replies = list(replies)
        self.seen: list[tuple[Conversation, ChatOptions]] = []
        self.hold = hold

    async def chat(self, conversation: Conversation, options: ChatOptions) -> AsyncIterator[ChatEvent]:
        self.seen.append((conversation, options))
        if self.hold is not None:
            await self.hold.wait()
        reply = self.replies.pop(0)
        if reply.content:
            yield ContentEvent(reply.content)
        yield reply


def tools_result(*calls: ToolCall) -> ChatResult:
    return ChatResult("", "m", "tool_calls", Usage(10, 5), tool_calls=calls)


def answer(text: str) -> ChatResult:
    return ChatResult(text, "m", "complete", Usage(20, 7))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
    return tmp_path


def agent_tools(root: Path, accept: bool = True) -> tuple[AgentTools, list[types.WorkspaceEdit]]:
    proposed: list[types.WorkspaceEdit] = []

    async def apply_edit(edit: types.WorkspaceEdit, label: str) -> bool:
        proposed.append(edit)
        return accept

    async def no_diagnostics(path: Path | None) -> str:
        return "No problems."

    async def approve(text: str) -> bool:
        return False

    workspace = Workspace.of([root])
    tools = AgentTools(
        read=ReadTools(workspace),
        runner=CommandRunner(workspace, approve, CommandSettings()),
        open_buffer=lambda _path: None,
        apply_edit=apply_edit,
        diagnostics=no_diagnostics,
        approve=approve,
        edit_support=edits.EditSupport(document_changes=True, change_annotations=True, create_files=True),
    )
    return tools, proposed


async def test_list_read_propose_then_answer(project: Path) -> None:
    model = ScriptedModel(
        tools_result(call("list_files", path="src")),
        tools_result(call("read_file", path="src/a.py")),
        tools_result(
            call(
                "propose_edits",
                summary="type hints",
                changes=[{"path": "src/a.py", "old_text": "def f(x):", "new_text": "def f(x: int) -> int:"}],
            )
        ),
        answer("Added type hints to src/a.py."),
    )
    tools, proposed = agent_tools(project)
    events: list[object] = []
    run = await run_agent(
        model,
        Conversation("be brief", (ChatMessage("user", "add hints"),)),
        ChatOptions(),
        tools,
        events.append,
    )

    assert run.result is not None and run.result.content == "Added type hints to src/a.py."
    assert run.steps == 3 and run.usage == Usage(50, 22)
    steps = [(e.phase, e.name, e.ok) for e in events if isinstance(e, StepEvent)]
    assert steps == [
        ("started", "list_files", True), ("finished", "list_files", True),
        ("started", "read_file", True), ("finished", "read_file", True),
        ("started", "propose_edits", True), ("finished", "propose_edits", True),
    ]  # fmt: skip
    assert len(proposed) == 1
    # every later request carries the calls and their results, paired by call id
    last_conversation, last_options = model.seen[-1]
    roles = [(m.role, m.call_id) for m in last_conversation.messages]
    assert roles == [
        ("user", None),
        ("assistant", None), ("tool", "call_list_files"),
        ("assistant", None), ("tool", "call_read_file"),
        ("assistant", None), ("tool", "call_propose_edits"),
    ]  # fmt: skip
    assert "1 files under src:\nsrc/a.py" in last_conversation.messages[2].content
    assert "accepted the changes to src/a.py" in last_conversation.messages[6].content
    assert {t.name for t in last_options.tools} == {
        "list_files",
        "read_file",
        "search",
        "get_diagnostics",
        "propose_edits",
    }  # fmt: skip  (run_command only when enabled)


async def test_a_discarded_proposal_is_reported_to_the_model(project: Path) -> None:
    model = ScriptedModel(
        tools_result(call("propose_edits", changes=[{"path": "src/new.py", "content": "X = 1\n"}])),
        answer("Nothing changed."),
    )
    tools, proposed = agent_tools(project, accept=False)
    run = await run_agent(
        model, Conversation(None, (ChatMessage("user", "go"),)), ChatOptions(), tools, lambda e: None
    )
    assert len(proposed) == 1
    assert "discarded the proposed changes to src/new.py" in run.messages[1].content
    assert not (project / "src" / "new.py").exists()


async def test_the_step_limit_ends_with_an_answer_without_tools(project: Path) -> None:
    model = ScriptedModel(
        tools_result(call("list_files")),
        tools_result(call("list_files")),
        answer("Stopping here."),
    )
    tools, _ = agent_tools(project)
    run = await run_agent(
        model,
        Conversation(None, (ChatMessage("user", "go"),)),
        ChatOptions(),
        tools,
        lambda e: None,
        max_steps=2,
    )
    assert run.step_limit_reached and run.steps == 2
    assert model.seen[-1][1].tools == ()


async def test_stop_interrupts_the_loop_at_once(project: Path) -> None:
    hold = asyncio.Event()
    model = ScriptedModel(answer("never"), hold=hold)
    tools, _ = agent_tools(project)
    task = asyncio.create_task(
        run_agent(
            model, Conversation(None, (ChatMessage("user", "go"),)), ChatOptions(), tools, lambda e: None
        )
    )
    await wait_until_async(lambda: model.seen, "the model to be asked", interval=0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_command_step_shows_how_it_ended_and_the_start_of_its_output(project: Path) -> None:
    async def allow(text: str) -> bool:
        return True

    tools, _ = agent_tools(project)
    workspace = tools.read.workspace
    tools.runner = CommandRunner(workspace, allow, CommandSettings(enabled=True))
    script = "print('first line'); print('y' * 400)"
    model = ScriptedModel(
        tools_result(call("run_command", command=f'{sys.executable} -c "{script}"')), answer("Ran it.")
    )
    events: list[StepEvent] = []
    run = await run_agent(
        model,
        Conversation(None, (ChatMessage("user", "go"),)),
        ChatOptions(),
        tools,
        lambda e: events.append(e) if isinstance(e, StepEvent) else None,
    )
    finished = [e for e in events if e.phase == "finished"]
    assert len(finished) == 1 and finished[0].ok
    summary = finished[0].summary
    assert summary.startswith(f'ran: {sys.executable} -c "{script}" (exit code 0): first line yyy'), summary
    assert summary.endswith("y…") and "\n" not in summary, summary
    assert "y" * 400 in run.messages[1].content  # the model gets the whole output
