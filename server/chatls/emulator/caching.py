"""Prompt caching as Azure reports it: `prompt_tokens_details.cached_tokens` for a repeated prefix.

Azure caches prompts of 1,024 tokens or more and reports the cached part in 128-token steps from the
first 1,024, for GPT-4o and newer on api-version 2024-10-01-preview and later (capabilities.md (d), D7).
The emulator works at message granularity: the longest run of leading messages (with the same tools)
this deployment has already seen counts as cached. Short prompts are not even hashed, so the common
path costs nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from chatls.emulator.replies import estimate_tokens, estimate_tool_tokens, message_text
from chatls.emulator.rules import DATED_API_VERSIONS

MIN_CACHED_TOKENS = 1024
CACHE_STEP = 128
CACHING_SINCE = "2024-10-01-preview"
_PREFIXES_PER_DEPLOYMENT = 4096
"""Bounds memory for a long-running emulator; the oldest prefixes are forgotten first."""


def reports_cached_tokens(api_version: str) -> bool:
    """v1 and dated versions from 2024-10-01-preview on report cached tokens."""
    return api_version not in DATED_API_VERSIONS or api_version[:10] >= CACHING_SINCE[:10]


class PromptCache:
    def __init__(self) -> None:
        self._seen: dict[str, OrderedDict[bytes, int]] = {}

    def reset(self) -> None:
        self._seen.clear()

    def cached_tokens(self, deployment: str, body: dict[str, Any], prompt_tokens: int) -> int:
        """Tokens of this prompt Azure would report as cached; remembers the prompt for next time."""
        if prompt_tokens < MIN_CACHED_TOKENS:
            return 0
        prefixes = list(_prefixes(body))
        seen = self._seen.setdefault(deployment, OrderedDict())
        shared = next((tokens for digest, tokens in reversed(prefixes) if digest in seen), 0)
        for digest, tokens in prefixes:
            seen[digest] = tokens
            seen.move_to_end(digest)
        while len(seen) > _PREFIXES_PER_DEPLOYMENT:
            seen.popitem(last=False)
        if shared < MIN_CACHED_TOKENS:
            return 0
        return MIN_CACHED_TOKENS + (shared - MIN_CACHED_TOKENS) // CACHE_STEP * CACHE_STEP


def _prefixes(body: dict[str, Any]) -> Iterator[tuple[bytes, int]]:
    """(digest of the tools and the first N messages, their prompt tokens) for every N, in one pass."""
    digest = hashlib.sha256()
    tools = {key: body[key] for key in ("tools", "functions") if body.get(key)}
    digest.update(json.dumps(tools, sort_keys=True).encode())
    tokens = 3 + estimate_tool_tokens(body)  # counted as replies.estimate_prompt_tokens counts them
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else ():
        digest.update(json.dumps(message, sort_keys=True).encode())
        tokens += 4 + estimate_tokens(message_text(message))
        yield digest.copy().digest(), tokens
