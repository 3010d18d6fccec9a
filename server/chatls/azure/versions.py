"""Azure OpenAI api-versions: parsing and the features each one brings.

A dated version (`2024-10-21`, `2024-12-01-preview`) orders by its date; the v1 API (`v1`) is newer
than every dated one. Feature gates come from capabilities.md section (c) (D3 changelog, S1).
"""

from __future__ import annotations

import re
from datetime import date

V1 = "v1"
_DATED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(-preview)?$")

# First dated api-version with each request feature (capabilities.md (c), D3, S1).
DEVELOPER_ROLE = "2024-12-01-preview"
REASONING_EFFORT = "2024-12-01-preview"
MAX_COMPLETION_TOKENS = "2024-09-01-preview"
STREAM_USAGE = "2024-09-01-preview"


def is_valid(api_version: str) -> bool:
    """True for `v1` and for a real date with an optional `-preview` suffix."""
    if api_version == V1:
        return True
    match = _DATED.match(api_version)
    if match is None:
        return False
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


def _sort_key(api_version: str) -> tuple[int, str]:
    if api_version == V1:
        return (1, "")
    return (0, api_version[:10])


def at_least(api_version: str, minimum: str) -> bool:
    """Whether `api_version` is `minimum` or newer; an empty minimum means any version."""
    if not minimum:
        return True
    return _sort_key(api_version) >= _sort_key(minimum)


def is_v1(api_version: str) -> bool:
    return api_version == V1
