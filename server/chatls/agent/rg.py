"""ripgrep, which ChatLS depends on as a wheel: listing and searching that honour .gitignore."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from chatls.agent.paths import ToolError


def rg_binary() -> str:
    """The `rg` installed beside this Python (the ripgrep wheel), else the one on PATH."""
    beside = Path(sys.executable).parent / "rg"
    if beside.exists():
        return str(beside)
    found = shutil.which("rg")
    if found is None:
        raise ToolError("ripgrep (rg) is not installed; reinstall ChatLS (it depends on the ripgrep wheel)")
    return found


async def rg_lines(args: Sequence[str], cwd: Path, *, limit: int) -> AsyncIterator[bytes]:
    """The first `limit` output lines of `rg args` run in `cwd`; rg is stopped as soon as enough arrived."""
    process = await asyncio.create_subprocess_exec(
        rg_binary(),
        *args,
        cwd=str(cwd),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        limit=1 << 20,
    )
    assert process.stdout is not None
    count = 0
    try:
        while count < limit:
            try:
                line = await process.stdout.readline()
            except ValueError:  # one line longer than the buffer: skip what is left of it
                continue
            if not line:
                break
            count += 1
            yield line
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()
