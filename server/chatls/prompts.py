"""Pure prompt building: how selected code and its surroundings are shown to the model.

The user's own words are never mixed into these blocks: the store keeps the prompt as typed, and these blocks
travel beside it only in the request.
"""

from __future__ import annotations


def fence_for(code: str) -> str:
    """A backtick fence longer than any run of backticks inside `code`, so the block cannot end early."""
    longest = run = 0
    for ch in code:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def selection_block(
    file_name: str,
    language_id: str | None,
    code: str,
    *,
    first_line: int,
    before: str = "",
    after: str = "",
) -> str:
    """Describe a selection (and optional surrounding lines) as Markdown for the model.

    `first_line` is the 0-based line the selection starts on; it is shown 1-based, as editors do.
    """
    lang = language_id or ""
    last_line = first_line + code.count("\n")
    parts = [f"File: {file_name} (lines {first_line + 1}-{last_line + 1}, language: {lang or 'unknown'})"]
    if before.strip():
        fence = fence_for(before)
        parts.append(f"Code before the selection:\n{fence}{lang}\n{before.rstrip()}\n{fence}")
    fence = fence_for(code)
    parts.append(f"Selected code:\n{fence}{lang}\n{code}\n{fence}")
    if after.strip():
        fence = fence_for(after)
        parts.append(f"Code after the selection:\n{fence}{lang}\n{after.rstrip()}\n{fence}")
    return "\n\n".join(parts)
