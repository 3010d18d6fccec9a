"""The extension's node-based tests, run from pytest so the README's single test command covers them:
pure TypeScript unit tests (protocol mirror, settings, key handling) and the chat webview in headless
Chromium (streaming Markdown, code-block buttons, Stop, status line, errors, XSS under the real CSP)."""

from __future__ import annotations

import re
from collections.abc import Callable
from subprocess import CompletedProcess

import pytest

pytestmark = pytest.mark.vscode


def _passed(output: str) -> int:
    match = re.search(r"^ℹ pass (\d+)", output, re.MULTILINE)
    return int(match.group(1)) if match else 0


NodeTests = Callable[[str], CompletedProcess[str]]


def test_typescript_unit_tests(node_tests: NodeTests) -> None:
    result = node_tests("out/test/unit/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _passed(result.stdout) >= 20, result.stdout


def test_webview_in_headless_chromium(node_tests: NodeTests) -> None:
    result = node_tests("test/webview/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _passed(result.stdout) >= 10, result.stdout
