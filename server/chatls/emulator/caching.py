"""Prompt caching as Azure reports it: `prompt_tokens_details.cached_tokens` for a repeated prefix.

Azure caches prompts of 1,024 tokens or more and reports the cached part in 128-token steps from the
first 1,024, for GPT-4o and newer on api-version 2024-10-01-preview and later (capabilities.md (d), D7).
The emulator works at message granularity: the longest run of leading messages (with the same tools)
this deployment has already seen counts as cached. Short prompts are not even hashed, so the common
path costs nothing.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Hashable, Iterator
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
        self._seen: dict[str, OrderedDict[int, int]] = {}

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


def _prefixes(body: dict[str, Any]) -> Iterator[tuple[int, int]]:
    """(key of the tools and the first N messages, their prompt tokens) for every N, in one pass.

    Keys chain Python's own hashing (fast, and collisions are irrelevant for an emulator) rather than
    a cryptographic digest: this runs on every long request and must not slow the emulator down.
    """
    tools = [json.dumps(body[key], sort_keys=True) for key in ("tools", "functions") if body.get(key)]
    key = hash(tuple(tools))
    tokens = 3 + estimate_tool_tokens(body)  # counted as replies.estimate_prompt_tokens counts them
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else ():
        key = hash((key, _message_key(message)))
        tokens += 4 + estimate_tokens(message_text(message))
        yield key, tokens


def _message_key(message: Any) -> Hashable:
    if not isinstance(message, dict):
        return json.dumps(message, sort_keys=True)
    content = message.get("content")
    rest = {name: value for name, value in message.items() if name != "content"}
    plain = isinstance(content, str) and len(rest) == 1  # the usual {"role", "content": str}
    if plain:
        return (message.get("role"), content)
    return json.dumps(message, sort_keys=True)
