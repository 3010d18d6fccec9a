"""Spawning the processes under test: free ports, CPU pinning, readiness, RSS, and clean stops."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(core: int) -> list[str]:
    """`taskset -c CORE` when taskset exists and the core does; otherwise run unpinned."""
    if shutil.which("taskset") is None or core >= (os.cpu_count() or 1):
        return []
    return ["taskset", "-c", str(core)]


def pinning_note(core: int) -> str:
    return f"pinned to core {core}" if pinned(core) else "not pinned (no taskset or single core)"


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with the repository on PYTHONPATH, so an uninstalled
    checkout works too."""
    env = dict(os.environ if base is None else base)
    path = [str(REPO_ROOT / "server"), str(REPO_ROOT)]
    if env.get("PYTHONPATH"):
        path.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(path)
    return env


def rss_kib(pid: int) -> int | None:
    """Resident set size from /proc (Linux); None where /proc is not available."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far, from /proc (Linux); None where unavailable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after "pid (comm)": state is fields[0], utime fields[11]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_for_port(port: int, proc: asyncio.subprocess.Process, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on port {port}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise TimeoutError(f"nothing listened on port {port} within {timeout:.0f} s")


async def stop(proc: asyncio.subprocess.Process, grace: float = 5.0) -> None:
    """SIGINT (a clean Ctrl-C), then SIGKILL if it lingers."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


@contextlib.asynccontextmanager
async def http_process(
    argv: Sequence[str], port: int, *, env: Mapping[str, str] | None = None, stderr_path: Path | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run an HTTP server process until it listens on `port`; stop it on exit. Its stderr goes to a file."""
    log = open(stderr_path or os.devnull, "wb")  # noqa: SIM115 - closed in finally, after the child is gone
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            cwd=REPO_ROOT,
            env=child_env(env),
        )
        try:
            await wait_for_port(port, proc)
            yield proc
        finally:
            await stop(proc)
    finally:
        log.close()


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
