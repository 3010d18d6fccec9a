"""`chatls ask` under a pseudo-terminal: what a user at a real terminal sees, and Ctrl-C as the terminal
sends it (the line discipline turns ^C into SIGINT for the foreground process group)."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import termios
import time
from collections.abc import Callable
from pathlib import Path


class PtySession:
    """A command whose stdin, stdout and stderr are one pseudo-terminal, which is its controlling terminal."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        master, slave = os.openpty()
        self._master = master
        self.output = b""
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,  # setsid, then the terminal below becomes the session's
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # exec follows at once
        )
        os.close(slave)

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    def read_until(self, condition: Callable[[str], bool], timeout: float = 60.0) -> bool:
        """Read output until `condition(text)` holds, the command closes the terminal, or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while not condition(self.text):
            left = deadline - time.monotonic()
            if left <= 0 or not self._read_some(left):
                return condition(self.text)
        return True

    def _read_some(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self._master, 65536)
        except OSError:  # EIO: every process holding the terminal has exited
            return False
        self.output += chunk
        return bool(chunk)

    def type(self, keys: bytes) -> None:
        os.write(self._master, keys)

    def finish(self, timeout: float = 60.0) -> int:
        """Read to the end and return the exit status."""
        self.read_until(lambda _: False, timeout)
        try:
            return self.process.wait(timeout=10)
        finally:
            os.close(self._master)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
