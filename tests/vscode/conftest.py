"""Fixtures for the VS Code client tests: the built extension (vscode-client/scripts/build.sh) and tools.

Missing tools are failures, not skips: CI installs everything (see vscode-client/README.md, "Tests").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "vscode-client"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
VSIX = CLIENT / "chatls-0.1.0.vsix"


def require_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: {hint}")
    return path


@pytest.fixture(scope="session")
def built_client() -> Path:
    """Type-check, lint, bundle and package the extension once per session; returns vscode-client/.

    `npm ci` runs only when node_modules is missing. Set CHATLS_VSCODE_PREBUILT=1 to reuse a build made by
    `vscode-client/scripts/build.sh` in the same checkout (CI builds once, then runs pytest).
    """
    require_tool("node", "install Node.js 20 (apt-get install -y nodejs npm)")
    require_tool("npm", "install npm")
    if not CHROMIUM.exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: apt-get install -y chromium")
    prebuilt = os.environ.get("CHATLS_VSCODE_PREBUILT") == "1"
    if not (prebuilt and VSIX.exists() and (CLIENT / "out" / "src" / "protocol.js").exists()):
        args = [str(CLIENT / "scripts" / "build.sh")]
        if (CLIENT / "node_modules" / ".package-lock.json").exists():
            args.append("--skip-install")
        result = subprocess.run(args, cwd=CLIENT, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            pytest.fail(f"vscode-client build failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    return CLIENT


NodeTests = Callable[[str], "subprocess.CompletedProcess[str]"]


@pytest.fixture
def node_tests(built_client: Path) -> NodeTests:
    """`node_tests("test/webview/")` runs `node --test` on a path of vscode-client/."""

    def run(target: str) -> subprocess.CompletedProcess[str]:
        return _run_node_tests(built_client, target)

    return run


def _run_node_tests(client: Path, target: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", "--test", "--test-reporter=spec", target],
        cwd=client,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CHROMIUM_PATH": str(CHROMIUM), "NO_COLOR": "1"},
    )
