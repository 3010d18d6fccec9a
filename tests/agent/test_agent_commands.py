"""Commands the agent asks to run: only when enabled, only after approval, capped, and stoppable at once."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from tests.support.waiting import wait_until_async

from chatls.agent.commands import CommandRunner, CommandSettings
from chatls.agent.paths import ToolError, Workspace


class Approvals:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[str] = []

    async def __call__(self, command: str) -> bool:
        self.asked.append(command)
        return self.answer


def runner(tmp_path: Path, approvals: Approvals, **settings: object) -> CommandRunner:
    return CommandRunner(
        Workspace.of([tmp_path]), approvals, CommandSettings(**{"enabled": True, **settings})
    )  # type: ignore[arg-type]


async def test_off_by_default(tmp_path: Path) -> None:
    approvals = Approvals(True)
    with pytest.raises(ToolError, match="turned off"):
        await CommandRunner(Workspace.of([tmp_path]), approvals).run("echo hi")
    assert approvals.asked == []


async def test_a_declined_command_is_not_run_and_the_model_is_told(tmp_path: Path) -> None:
    approvals = Approvals(False)
    marker = tmp_path / "ran"
    out = await runner(tmp_path, approvals).run(f"touch {marker}")
    assert approvals.asked == [f"touch {marker}"]
    assert out == f"The user declined to run `touch {marker}`; it was not run."
    assert not marker.exists()


async def test_an_approved_command_runs_in_the_workspace_with_capped_output(tmp_path: Path) -> None:
    script = "import os,sys; print(os.getcwd()); sys.stdout.write('x' * 50000)"
    out = await runner(tmp_path, Approvals(True), max_output_bytes=1000).run(
        f'{sys.executable} -c "{script}"'
    )
    assert out.startswith("`")
    assert "finished with exit code 0 (output cut at 1,000 bytes)" in out
    assert str(tmp_path.resolve()) in out
    assert len(out) < 1300


async def test_a_command_over_its_timeout_is_stopped(tmp_path: Path) -> None:
    out = await runner(tmp_path, Approvals(True), timeout_seconds=0.5).run(
        f"{sys.executable} -c 'import time; time.sleep(30)'"  # the slow command the timeout must stop
    )
    assert "timed out" in out and "stopped after 0.5 s" in out


async def test_shell_operators_need_the_shell_setting(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="need a shell"):
        await runner(tmp_path, Approvals(True)).run("echo a | wc -c")
    out = await runner(tmp_path, Approvals(True), allow_shell=True).run("echo abc | wc -c")
    assert out.rstrip().endswith("4")


async def test_stop_kills_a_running_command_and_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess,sys,time;"
        f"p=subprocess.Popen([sys.executable,'-c','import time; time.sleep(60)']);"
        f"open({str(pid_file)!r},'w').write(str(p.pid));time.sleep(60)"
    )
    task = asyncio.create_task(runner(tmp_path, Approvals(True)).run(f'{sys.executable} -c "{script}"'))
    await wait_until_async(lambda: pid_file.exists() and pid_file.read_text(), "the command's child to start")
    child = int(pid_file.read_text())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    def child_gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return Path(f"/proc/{child}/stat").read_text().split()[2] == "Z"  # killed, not yet reaped by init

    # the kill is sent before the task ends; the child is reaped by init meanwhile
    await wait_until_async(child_gone, "the command's child process to be gone after Stop", timeout=5)
