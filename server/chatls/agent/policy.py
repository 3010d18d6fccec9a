"""Which files look like secrets: refused to agent tools unless the user allows them."""

from __future__ import annotations

from collections.abc import Sequence

import pathspec

DEFAULT_SECRET_PATTERNS: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    "credentials",
    "credentials.*",
    "*.kdbx",
    "secrets.*",
    ".aws/",
    ".ssh/",
    ".gnupg/",
    "!.env.example",
    "!.env.sample",
    "!.env.template",
)
"""gitignore-style patterns; a setting replaces them."""


class SecretFiles:
    def __init__(self, patterns: Sequence[str] = DEFAULT_SECRET_PATTERNS) -> None:
        self.patterns = tuple(patterns)
        self._spec = pathspec.GitIgnoreSpec.from_lines(self.patterns)

    def matches(self, relative_posix: str) -> bool:
        return bool(relative_posix) and self._spec.match_file(relative_posix)
