"""Which server process owns a pending reply, and whether that process is still alive.

A server that stores a pending reply writes an `owners` row (its id, host name, pid and a lease expiry) and
renews the lease while its turns run. Another server decides that the owner is gone when the lease has
expired, or at once when the owner ran on this host and its process no longer exists (a `kill -9`): no
ten-minute clock. The pid check is only a shortcut to "dead"; a recycled pid still loses at lease expiry.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from dataclasses import dataclass, field

LEASE_SECONDS = 60.0
"""How long an owner counts as alive after its last renewal (when its process cannot be checked)."""

RENEW_INTERVAL = 10.0
"""Seconds between lease renewals while a server has a turn running (well inside LEASE_SECONDS)."""


@dataclass(frozen=True)
class Owner:
    """This process, as written in the `owners` table."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


def owner_is_alive(host: str, pid: int, lease_expires: str, *, now: str, this_host: str) -> bool:
    """Whether an owner row still stands for a live server (timestamps as ISO strings that sort in time)."""
    if lease_expires < now:
        return False
    return host != this_host or process_exists(pid)


def process_exists(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (a zombie counts as gone).

    Only on POSIX: on Windows `os.kill` would terminate the process, so there the lease alone decides.
    """
    if sys.platform == "win32":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    except OSError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child not yet reaped by its parent still answers `kill(pid, 0)`; Linux marks it a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)
    except OSError:
        return False
    return len(fields) == 2 and fields[1].split()[:1] == ["Z"]
