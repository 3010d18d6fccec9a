"""The log redaction filter: known secrets and key-shaped material never reach a log handler."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator

import pytest

from chatls.logging_setup import REDACTED, RedactingFilter, redact, register_secret


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"test.redaction.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


@pytest.mark.guarantee("a registered secret is masked in log messages and arguments")
def test_a_registered_secret_is_masked_in_messages_and_arguments(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    secret = f"canary-{uuid.uuid4().hex}"
    register_secret(secret)
    logger.debug("sending with %s", secret)
    logger.debug(f"inline {secret}")
    assert secret not in stream.getvalue()
    assert stream.getvalue().count(REDACTED) == 2


@pytest.mark.guarantee("a secret inside a logged traceback is masked")
def test_a_secret_inside_a_traceback_is_masked(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    secret = f"canary-{uuid.uuid4().hex}"
    register_secret(secret)
    try:
        raise RuntimeError(f"request failed for key {secret}")
    except RuntimeError:
        logger.exception("boom")
    assert "RuntimeError" in stream.getvalue()
    assert secret not in stream.getvalue()


@pytest.mark.parametrize(
    "line",
    [
        "headers: {'api-key': 'k3y-value-123456'}",
        '{"apiKey": "k3y-value-123456"}',
        "api_key=k3y-value-123456",
        "Authorization: Bearer k3y-value-123456",
        "using sk-k3yvalue1234567890abcd",
    ],
)
@pytest.mark.guarantee("key-shaped material (api-key:, Bearer, sk-) is masked without registration")
def test_key_shaped_material_is_masked_without_registration(line: str) -> None:
    assert "k3y" not in redact(line)
    assert REDACTED in redact(line)


@pytest.mark.guarantee("redaction leaves ordinary text alone")
def test_ordinary_text_is_left_alone() -> None:
    text = "Echo from gpt-4o: the keyword is apple (api version 2024-10-21)"
    assert redact(text) == text


@pytest.mark.guarantee("values too short to be keys are not treated as secrets")
def test_short_values_are_not_registered_as_secrets() -> None:
    register_secret("abc")
    assert redact("abc is a word") == "abc is a word"
