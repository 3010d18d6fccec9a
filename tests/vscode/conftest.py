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


_BUILD_OUTPUTS = {"node_modules", "dist", "out", "bundled", "test-artifacts"}


def _newest_source(client: Path) -> float:
    """Newest mtime among what the build reads: the client's sources and the Python package in the wheel."""
    newest = (REPO / "pyproject.toml").stat().st_mtime
    for path in client.rglob("*"):
        parts = path.relative_to(client).parts
        if parts[0] in _BUILD_OUTPUTS or path.suffix == ".vsix" or not path.is_file():
            continue
        newest = max(newest, path.stat().st_mtime)
    for path in (REPO / "server" / "chatls").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            newest = max(newest, path.stat().st_mtime)
    return newest


@pytest.fixture(scope="session")
def built_client() -> Path:
    """vscode-client/ with a fresh build: type-checked, linted, bundled, packaged (scripts/build.sh).

    The build runs when the .vsix is older than any source it is made from (CI's install step has just built
    it, so it is reused); `npm ci` runs only when node_modules is missing. CHATLS_VSCODE_REBUILD=1 forces it.
    """
    require_tool("node", "install Node.js 20 (apt-get install -y nodejs npm)")
    require_tool("npm", "install npm")
    if not CHROMIUM.exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: apt-get install -y chromium")
    outputs = (VSIX, CLIENT / "out" / "src" / "protocol.js", CLIENT / "dist" / "webview.js")
    fresh = all(p.exists() for p in outputs) and VSIX.stat().st_mtime >= _newest_source(CLIENT)
    if os.environ.get("CHATLS_VSCODE_REBUILD") == "1" or not fresh:
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
