"""What the editors do in the e2e tests: the files they open, what they ask, the emulator's scripted answers.

Every reply is scripted (pattern -> reply rules in the emulator's config), so the tests compare exact texts.
The patterns match the last user message, which holds the prompt and, for code actions, the selected code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# --- the conversation the editors have, and the emulator's scripted side of it --------------------

CHAT_PROMPT = "chatls-e2e-hello: greet the editor"
CHAT_REPLY = "Hello from the emulator! This reply is scripted, so every editor can compare it exactly."
FOLLOW_UP_PROMPT = "chatls-e2e-again: and once more"
FOLLOW_UP_REPLY = "Still here, in the same conversation."
EXPLAIN_REPLY = "running_total walks the values once and keeps a sum of everything seen so far."
EDIT_INSTRUCTION = "chatls-e2e-rename: call it total and use sum()"
EDIT_REPLY = "Here is the method:\n\n```python\ndef total(self, numbers):\n    return sum(numbers)\n```\n"
IMPROVE_REPLY = "Simpler:\n\n```python\ndef is_even(n):\n    return n % 2 == 0\n```\n"
ABOUT_LINES_PROMPT = "chatls-e2e-lines: what do these lines do?"
ABOUT_LINES_REPLY = "They add the values up."
UNCHANGED_REPLY = "It is fine as it is:\n\n```python\ndef double(x):\n    return x * 2\n```\n"
"""Improve's reply for UNCHANGED_TEXT: the same code, so nothing is applied and the server says so."""
NO_CHANGE_NOTICE = "ChatLS: The model suggested no change."
"""What the server shows (window/showMessage) when Improve's reply is the selected code itself."""
TESTS_REPLY = "```python\nfrom tested import triple\n\n\ndef test_triple():\n    assert triple(2) == 6\n```\n"
"""Generate tests' reply for TESTED_TEXT; it goes to tests/test_tested.py, in a directory not there yet."""
REASONING_PROMPT = "Why does this loop never end?"
"""Asked of a reasoning model on the Responses wire: no reply rule matches, so the emulator echoes it, after a
reasoning summary that restates it."""
REASONING_REPLY = f"Echo from gpt-5-mini: {REASONING_PROMPT}"
SLOW_PROMPT = "chatls-e2e-slow: write a long story"
SLOW_REPLY = " ".join(f"word{i}" for i in range(600))

THINKING_S = 30
"""How long the "thinker" deployment (a reasoning model) thinks before its reply: three times eglot's 10 s
request timeout, which every such code action used to hit."""
TYPED_DURING_REVIEW = "y y RET x q"
"""Keys (`kbd` syntax) a user types while the edit waits for review; eglot's old `y-or-n-p` let such keys
into the code."""

CANARY_KEY = "canary-key-4f1c9e27d8"
"""The only key the emulator accepts; it must never show up in what the editor logs or the server stores."""

EMULATOR_CONFIG: dict[str, Any] = {
    "server": {"include_default_deployments": True, "api_keys": [CANARY_KEY]},
    "deployments": {
        "gpt-4o-slow": {"model": "gpt-4o", "tokens_per_second": 40},
        "o1-thinker": {"model": "o1", "thinking_time": THINKING_S},
    },
    "replies": [
        {"pattern": "chatls-e2e-hello", "reply": CHAT_REPLY},
        {"pattern": "chatls-e2e-again", "reply": FOLLOW_UP_REPLY},
        {"pattern": "chatls-e2e-rename", "reply": EDIT_REPLY},
        {"pattern": "chatls-e2e-slow", "reply": SLOW_REPLY},
        {"pattern": "chatls-e2e-lines", "reply": ABOUT_LINES_REPLY},
        {"pattern": "def is_even", "reply": IMPROVE_REPLY},
        {"pattern": "def triple", "reply": TESTS_REPLY},
        {"pattern": "def running_total", "reply": EXPLAIN_REPLY},
        {"pattern": "def double", "reply": UNCHANGED_REPLY},
    ],
}

# --- the workspace the editors open ----------------------------------------------------------------

CHAT_FILE = "notes.py"
CHAT_TEXT = '"""Scratch file the chat is started from."""\n'
EXPLAIN_FILE = "explain.py"
EXPLAIN_TEXT = (
    "def running_total(values):\n"
    "    total = 0\n"
    "    for value in values:\n"
    "        total += value\n"
    "    return total\n"
)
EDIT_FILE = "edit.py"
EDIT_TEXT = (
    "class Calculator:\n"
    "    def add_all(self, numbers):\n"
    "        result = 0\n"
    "        for n in numbers:\n"
    "            result += n\n"
    "        return result\n"
    "\n"
    "    def untouched(self):\n"
    '        return "unchanged"\n'
)
EDIT_EXPECTED = (
    "class Calculator:\n"
    "    def total(self, numbers):\n"
    "        return sum(numbers)\n"
    "\n"
    "    def untouched(self):\n"
    '        return "unchanged"\n'
)
IMPROVE_FILE = "improve.py"
IMPROVE_TEXT = (
    "def is_even(n):\n"
    "    if n % 2 == 0:\n"
    "        return True\n"
    "    else:\n"
    "        return False\n"
    "\n"
    "\n"
    "def other():\n"
    "    return 1\n"
)
IMPROVE_EXPECTED = "def is_even(n):\n    return n % 2 == 0\n\n\ndef other():\n    return 1\n"
UNCHANGED_FILE = "unchanged.py"
UNCHANGED_TEXT = "def double(x):\n    return x * 2\n"
TESTED_FILE = "tested.py"
TESTED_TEXT = "def triple(x):\n    return 3 * x\n"
TESTS_FILE = "tests/test_tested.py"
"""Where Generate tests puts the tests of TESTED_FILE (relative to the workspace)."""


def lines_range(text: str, first: int, last: int) -> dict[str, Any]:
    """LSP range from the start of line `first` to the end of line `last` (0-based, ASCII text)."""
    end_line = text.split("\n")[last]
    return {"start": {"line": first, "character": 0}, "end": {"line": last, "character": len(end_line)}}


def make_workspace(root: Path) -> dict[str, Path]:
    root.mkdir(parents=True)
    files = {
        "chat": CHAT_FILE,
        "explain": EXPLAIN_FILE,
        "edit": EDIT_FILE,
        "improve": IMPROVE_FILE,
        "unchanged": UNCHANGED_FILE,
        "tested": TESTED_FILE,
    }
    texts = {
        "chat": CHAT_TEXT,
        "explain": EXPLAIN_TEXT,
        "edit": EDIT_TEXT,
        "improve": IMPROVE_TEXT,
        "unchanged": UNCHANGED_TEXT,
        "tested": TESTED_TEXT,
    }
    for key, name in files.items():
        (root / name).write_text(texts[key], encoding="utf-8")
    return {key: root / name for key, name in files.items()}
