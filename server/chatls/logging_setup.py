"""Logging for the server: stderr (or a file) only, because stdout is the LSP wire.

pygls logs every message body at INFO ("Sending data: ..."), `initializationOptions` and prompts included,
so its logger stays at WARNING unless protocol tracing is asked for explicitly. Every handler carries a
redaction filter: secrets the server learns at run time (API keys handed over by the client, keys read from
the environment) and anything shaped like an API key header or bearer token are masked before a record is
written.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import sys
import threading
from pathlib import Path

REDACTED = "***"
_MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words

_known_secrets: set[str] = set()
_lock = threading.Lock()

_SECRET_PATTERNS = (
    # header or JSON/TOML style key material: api-key: X, "apiKey": "X", api_key=X, Authorization: Bearer X
    re.compile(r"(?i)(api[-_]?key[\"']?\s*[:=]\s*[\"']?)([^\s\"',}]+)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{8,})"),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)([^\s\"',}]+)"),
    re.compile(r"()(sk-[A-Za-z0-9_-]{16,})"),
)


def register_secret(value: str | None) -> None:
    """Mask `value` wherever it would appear in a log record from now on."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _known_secrets.add(value)


def looks_like_secret(text: str) -> bool:
    """Whether a setting's value could be an API key pasted into the wrong place (a long unbroken run of
    letters and digits, as Azure keys are), so that messages describe it instead of repeating it."""
    value = text.strip()
    return (
        len(value) >= 20
        and not any(ch.isspace() or ch == "_" for ch in value)
        and "://" not in value
        and any(ch.isdigit() for ch in value)
        and any(ch.isalpha() for ch in value)
    )


def shown_value(value: object) -> str:
    """`value` for an error message: its repr, unless it could be a secret (then only its length), which
    is also masked in every log from now on."""
    if isinstance(value, str) and (looks_like_secret(value) or len(value) > 80):
        if looks_like_secret(value):
            register_secret(value.strip())
        return f"a {len(value)}-character value (not repeated here: it may be a secret)"
    return repr(value)


def redact(text: str) -> str:
    """`text` with known secrets and key-shaped material masked."""
    with _lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats each record's message and traceback once, masked, so no handler ever sees the raw values."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class ExpectedErrorFilter(logging.Filter):
    """Drops pygls' ERROR-with-traceback record for a request answered with one of our deliberate errors.

    Bad params and upstream failures are answered to the client and logged by `chatls.errors` in one line;
    a traceback for each would fill the editor's log (Neovim files every stderr line under [ERROR]).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info is None or not record.getMessage().startswith("Exception occurred for message"):
            return True
        from pygls.exceptions import JsonRpcException, JsonRpcInternalError

        error = record.exc_info[1]
        return not isinstance(error, JsonRpcException) or isinstance(error, JsonRpcInternalError)


_level_from_command_line = False
"""True when `--log-level` was given: it wins over the `logLevel` setting."""


def configure_logging(
    level: str | None = None, *, log_file: str | Path | None = None, pygls_level: str | None = None
) -> logging.Handler:
    """Send ChatLS's records at `level` to stderr (or `log_file`); pygls stays at WARNING unless
    `pygls_level`. Without a `level`, WARNING until `use_level_setting` applies the `logLevel` setting."""
    global _level_from_command_line
    _level_from_command_line = level is not None
    handler: logging.Handler
    if log_file is not None:
        make_private(log_file)
        handler = logging.FileHandler(log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(_level(level or "WARNING"))
    logging.getLogger("pygls").setLevel(_level(pygls_level) if pygls_level else logging.WARNING)
    json_rpc = logging.getLogger("pygls.protocol.json_rpc")
    if not any(isinstance(f, ExpectedErrorFilter) for f in json_rpc.filters):
        json_rpc.addFilter(ExpectedErrorFilter())
    # The HTTP stack logs request headers at DEBUG; keep it quiet unless the user traces pygls too.
    for noisy in ("httpx", "httpx2", "httpcore", "openai", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def make_private(path: str | Path) -> None:
    """Create `path` readable by its owner only (0600), or tighten it if it exists: the log names files,
    profiles and, at DEBUG, holds prompts and replies."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # never chmod a terminal or /dev/stderr given as the log
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def use_level_setting(level: str) -> None:
    """Apply the `logLevel` setting, unless `--log-level` was given (the command line wins)."""
    if not _level_from_command_line:
        logging.getLogger().setLevel(_level(level))


def _level(name: str) -> int:
    value = logging.getLevelName(name.upper())
    if not isinstance(value, int):
        raise ValueError(f"unknown log level {name!r} (use DEBUG, INFO, WARNING or ERROR)")
    return value
