"""The one error every bad emulator setting raises (config file, control endpoint, fixture)."""

from __future__ import annotations


class ConfigError(ValueError):
    """A bad emulator setting; ``str()`` names the key and, for TOML input, the line."""

    def __init__(self, key: str, reason: str, *, line: int | None = None, source: str = "") -> None:
        self.key = key
        self.reason = reason
        self.line = line
        self.source = source
        where = f"{source}: " if source else ""
        at_line = f" (line {line})" if line else ""
        super().__init__(f"{where}{key}{at_line}: {reason}" if key else f"{where}{reason}")
