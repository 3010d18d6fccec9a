"""MCP servers as agent tools: the real `mcp-server-git` from PyPI on a scratch repository."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chatls.agent.mcp_servers import MCPServerConfig, MCPServers


def git_server_command() -> str:
    beside = Path(sys.executable).parent / "mcp-server-git"
    found = str(beside) if beside.exists() else shutil.which("mcp-server-git")
    assert found, "mcp-server-git is a test dependency (pyproject [test])"
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "a.txt").write_text("hello\n", encoding="utf-8")
    return root


async def test_a_real_mcp_server_offers_namespaced_tools_that_run(repo: Path) -> None:
    servers = MCPServers(
        (
            MCPServerConfig("git", command=git_server_command(), args=("--repository", str(repo))),
            MCPServerConfig("broken", command=str(repo / "no-such-program")),
        )
    )
    try:
        await servers.start()
        names = {tool.name for tool in servers.tools}
        assert "git__git_status" in names
        assert all(name.startswith("git__") for name in names)
        assert servers.problems == [
            f"MCP server 'broken' could not start: the program was not found ({repo / 'no-such-program'})"
        ]
        assert servers.needs_approval("git__git_status")
        status = await servers.call("git__git_status", {"repo_path": str(repo)})
        assert "a.txt" in status
    finally:
        await servers.aclose()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "mcpServers.s: give exactly one of `command` or `url`"),
        ({"command": "x", "url": "http://h"}, "mcpServers.s: give exactly one of `command` or `url`"),
        ({"command": "x", "args": "--a"}, "mcpServers.s.args: expected a list of strings"),
        ({"command": "x", "approval": "sometimes"}, 'mcpServers.s.approval: expected "ask" or "never"'),
        ({"command": "x", "colour": 1}, "mcpServers.s.colour: unknown key"),
        ({"url": "ftp://h"}, "mcpServers.s.url: expected an http(s) URL"),
    ],
)
def test_configuration_errors_name_the_key(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        MCPServerConfig.from_dict("s", raw)
