"""Small helpers for the emulator tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai

DATED = "2024-12-01-preview"
AzureFactory = Callable[..., openai.AsyncAzureOpenAI]


def user(text: str = "hello") -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]
