"""Running a command the model asks for: only after the user approves that exact command line.

Off unless the user enables it. Runs in a workspace folder, without a shell unless the user's setting allows
one, with a timeout and capped output; Stop (cancellation) kills the whole process group at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from chatls.agent.paths import ToolError, Workspace
from chatls.agent.waiting import within

Approve = Callable[[str], Awaitable[bool]]
"""Asks the user whether to run this command line; False when declined or unanswered."""


@dataclass(frozen=True)
class CommandSettings:
    enabled: bool = False
    allow_shell: bool = False
    timeout_seconds: float = 60.0
    max_output_bytes: int = 20_000


@dataclass(frozen=True)
class CommandRunner:
    workspace: Workspace
    approve: Approve
    settings: CommandSettings = CommandSettings()

    async def run(self, command: str, cwd: str = ".") -> str:
        if not self.settings.enabled:
            raise ToolError(
                "running commands is turned off; the user can enable it with the setting agent.runCommands"
            )
        if not command.strip():
            raise ToolError("an empty command cannot be run")
        folder = self.workspace.resolve(cwd)
        if not folder.is_dir():
            raise ToolError(f"{self.workspace.relative(folder)} is not a folder")
        argv = self._argv(command)
        if not await self.approve(command):
            return f"The user declined to run `{command}`; it was not run."
        return await self._execute(argv, folder, command)

    def _argv(self, command: str) -> list[str]:
        if self.settings.allow_shell:
            return ["/bin/sh", "-c", command]
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ToolError(f"the command cannot be parsed ({exc})") from None
        if any(token in ("|", "||", "&&", ";", ">", ">>", "<", "&") for token in argv):
            raise ToolError(
                "shell operators (pipes, redirections, ;, &&) need a shell, which is off; run one program, "
                "or ask the user to allow a shell (setting agent.commandShell)"
            )
        return argv

    async def _execute(self, argv: list[str], folder: Path, command: str) -> str:
        spawn = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *argv,
                cwd=str(folder),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own process group, so Stop kills its children too
            )
        )
        try:
            process = await asyncio.shield(spawn)
        except asyncio.CancelledError:  # Stop while it starts: it must not live on unseen
            with contextlib.suppress(Exception):
                _kill_group((await spawn).pid)
            raise
        except OSError as exc:
            return f"`{command}` could not start: {exc.strerror or exc}"
        assert process.stdout is not None
        cap = self.settings.max_output_bytes
        output = bytearray()
        timed_out = False

        async def collect() -> None:
            assert process.stdout is not None
            while chunk := await process.stdout.read(65536):
                if len(output) <= cap:
                    output.extend(chunk[: cap + 1 - len(output)])

        reader = asyncio.ensure_future(collect())
        try:
            # The output ends when every process of the group has closed it; then the exit code is there.
            await within(asyncio.shield(reader), self.settings.timeout_seconds)
            await process.wait()
        except asyncio.TimeoutError:
            timed_out = True
        finally:
            if process.returncode is None or not reader.done():
                _kill_group(process.pid)
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.gather(reader, process.wait(), return_exceptions=True))
        text = output[:cap].decode("utf-8", "replace")
        notes = []
        if len(output) > cap:
            notes.append(f"output cut at {cap:,} bytes")
        if timed_out:
            notes.append(f"stopped after {self.settings.timeout_seconds:g} s (timeout)")
        status = "timed out" if timed_out else f"exit code {process.returncode}"
        tail = f" ({'; '.join(notes)})" if notes else ""
        return f"`{command}` finished with {status}{tail}:\n{text}"


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
