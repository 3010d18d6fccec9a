"""What agent tools need from the editor, over LSP: open buffers, edit review, approvals, diagnostics.

`agent_tools(ls, settings, mcp)` builds the tools for one turn from the language server; nothing here knows
about models or the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types

from chatls import edits
from chatls.agent.commands import CommandRunner, CommandSettings
from chatls.agent.files import FileLimits, ReadTools
from chatls.agent.mcp_servers import MCPServerConfig, MCPServers
from chatls.agent.paths import Workspace
from chatls.agent.policy import DEFAULT_SECRET_PATTERNS, SecretFiles
from chatls.agent.tools import AgentTools
from chatls.agent.waiting import within
from chatls.protocol import DIAGNOSTICS, PARAMS_CONVERTER
from chatls.workspaces import file_path

log = logging.getLogger(__name__)

DIAGNOSTICS_REQUEST = DIAGNOSTICS
REVIEW_TIMEOUT = 24 * 3600.0
"""A review may stay open as long as the user likes; only Stop ends the wait."""
RUN = "Run"
DONT_RUN = "Don't run"
ALLOW = "Allow"
DENY = "Deny"


@dataclass(frozen=True)
class AgentSettings:
    max_steps: int = 25
    run_commands: bool = False
    command_shell: bool = False
    command_timeout_seconds: float = 60.0
    approval_timeout_seconds: float = 120.0
    allow_secret_files: bool = False
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS
    max_file_bytes: int = 1_000_000
    mcp_servers: tuple[MCPServerConfig, ...] = field(default=())


class AgentResources:
    """What agent turns share for the server's life: MCP servers (started on first use) and the diagnostics
    code-action requests carried."""

    def __init__(self) -> None:
        self.diagnostics = DiagnosticsCache()
        self._mcp: MCPServers | None = None
        self._mcp_config: tuple[MCPServerConfig, ...] = ()
        self.reported: set[str] = set()

    async def mcp_servers(self, configs: tuple[MCPServerConfig, ...]) -> MCPServers | None:
        """The running servers for `configs` (restarted when the configuration changed)."""
        if configs != self._mcp_config and self._mcp is not None:
            await self._mcp.aclose()
            self._mcp = None
        self._mcp_config = configs
        if not configs:
            return None
        if self._mcp is None:
            self._mcp = MCPServers(configs)
        await self._mcp.start()
        return self._mcp

    async def aclose(self) -> None:
        if self._mcp is not None:
            await self._mcp.aclose()
            self._mcp = None


class DiagnosticsCache:
    """Diagnostics the editor sent with code-action requests, for editors without `chatls/diagnostics`."""

    def __init__(self) -> None:
        self._by_uri: dict[str, list[types.Diagnostic]] = {}

    def remember(self, uri: str, diagnostics: Sequence[types.Diagnostic]) -> None:
        self._by_uri[unquote(uri)] = list(diagnostics)

    def get(self, uri: str | None) -> dict[str, list[types.Diagnostic]]:
        if uri is None:
            return dict(self._by_uri)
        return {uri: self._by_uri.get(unquote(uri), [])}


def workspace_of(ls: Any) -> Workspace:
    folders = [
        path
        for folder in (ls.workspace.folders or {}).values()
        if (path := file_path(folder.uri)) is not None
    ]
    if not folders and ls.workspace.root_uri and (root := file_path(ls.workspace.root_uri)) is not None:
        folders.append(root)
    return Workspace.of(folders)


def agent_tools(
    ls: Any, settings: AgentSettings, mcp: MCPServers | None, cache: DiagnosticsCache
) -> AgentTools:
    workspace = workspace_of(ls)
    encoding = str(
        getattr(ls.workspace.position_encoding, "value", ls.workspace.position_encoding or edits.UTF16)
    )

    def open_buffer(path: Path) -> tuple[str, int | None] | None:
        document = ls.workspace.text_documents.get(path.as_uri())
        return (document.source, document.version) if document is not None else None

    async def approve(message: str, yes: str = ALLOW, no: str = DENY) -> bool:
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=message,
            actions=[types.MessageActionItem(title=yes), types.MessageActionItem(title=no)],
        )
        try:
            # Not cancelled on Stop or timeout: pygls fails on an answer to a request whose future was
            # cancelled; the editor's late answer then lands on a future nobody waits for.
            request = ls.window_show_message_request_async(params)
            answer = await within(request, settings.approval_timeout_seconds, cancel_late=False)
        except asyncio.TimeoutError:
            log.info("approval unanswered after %g s: declined", settings.approval_timeout_seconds)
            return False
        except Exception:
            log.warning("window/showMessageRequest failed; taken as declined", exc_info=True)
            return False
        return answer is not None and getattr(answer, "title", None) == yes

    async def approve_command(command: str) -> bool:
        return await approve(f"ChatLS agent wants to run: {command}", RUN, DONT_RUN)

    async def apply_edit(edit: types.WorkspaceEdit, label: str) -> bool:
        try:
            params = types.ApplyWorkspaceEditParams(edit=edit, label=f"ChatLS agent: {label}")
            response = await within(ls.workspace_apply_edit_async(params), REVIEW_TIMEOUT, cancel_late=False)
        except Exception as exc:  # eglot answers a refused edit with an error
            log.info("workspace/applyEdit failed: %s", getattr(exc, "message", exc))
            return False
        return bool(response.applied)

    async def diagnostics(path: Path | None) -> str:
        uri = path.as_uri() if path is not None else None
        found = await _client_diagnostics(ls, uri) if _client_serves_diagnostics(ls) else None
        if found is None:
            found = cache.get(uri)
        return _describe_diagnostics(found, workspace)

    read = ReadTools(
        workspace,
        open_document=lambda path: doc[0] if (doc := open_buffer(path)) is not None else None,
        secrets=SecretFiles(settings.secret_patterns),
        allow_secrets=settings.allow_secret_files,
        limits=FileLimits(max_file_bytes=settings.max_file_bytes),
    )
    runner = CommandRunner(
        workspace,
        approve_command,
        CommandSettings(
            enabled=settings.run_commands,
            allow_shell=settings.command_shell,
            timeout_seconds=settings.command_timeout_seconds,
        ),
    )
    support = edits.EditSupport.from_capabilities(ls.client_capabilities)
    return AgentTools(read, runner, open_buffer, apply_edit, diagnostics, approve, support, encoding, mcp)


def _client_serves_diagnostics(ls: Any) -> bool:
    experimental = getattr(ls.client_capabilities, "experimental", None)
    return isinstance(experimental, dict) and experimental.get("chatlsDiagnostics") is True


async def _client_diagnostics(ls: Any, uri: str | None) -> dict[str, list[types.Diagnostic]] | None:
    try:
        request = ls.protocol.send_request_async(DIAGNOSTICS_REQUEST, {"uri": uri})
        raw = await within(request, 10, cancel_late=False)
    except Exception:
        log.warning(
            "%s failed; using the diagnostics code actions carried", DIAGNOSTICS_REQUEST, exc_info=True
        )
        return None
    found: dict[str, list[types.Diagnostic]] = {}
    for entry in raw or []:
        entry = entry if isinstance(entry, dict) else PARAMS_CONVERTER.unstructure(entry)
        diagnostics = entry.get("diagnostics", [])
        found[entry["uri"]] = [PARAMS_CONVERTER.structure(d, types.Diagnostic) for d in diagnostics]
    return found


def diagnostic_lines(found: dict[str, list[types.Diagnostic]], name_of: Callable[[str], str]) -> list[str]:
    """`file:line: severity [source]: message`, one line per diagnostic, files in order."""
    lines = []
    for uri, diagnostics in sorted(found.items()):
        name = name_of(uri)
        for d in diagnostics:
            severity = types.DiagnosticSeverity(d.severity).name.lower() if d.severity else "problem"
            source = f" [{d.source}]" if d.source else ""
            lines.append(f"{name}:{d.range.start.line + 1}: {severity}{source}: {d.message}")
    return lines


def _describe_diagnostics(found: dict[str, list[types.Diagnostic]], workspace: Workspace) -> str:
    def name_of(uri: str) -> str:
        path = file_path(uri)
        return workspace.relative(path) if path is not None else uri

    lines = diagnostic_lines(found, name_of)
    return "\n".join(lines) if lines else "The editor reports no problems."


async def prepare_agent(ls: Any, settings: Any, resources: AgentResources) -> AgentTools:
    """The tools of one agent turn, from the workspace's settings (`chatls.config.Settings`); an MCP server
    that cannot start is told to the user once, and the others still serve."""
    agent_settings = AgentSettings(
        max_steps=settings.agent_max_steps,
        run_commands=settings.agent_run_commands,
        command_shell=settings.agent_command_shell,
        command_timeout_seconds=settings.agent_command_timeout_seconds,
        approval_timeout_seconds=settings.agent_approval_timeout_seconds,
        allow_secret_files=settings.agent_allow_secret_files,
        secret_patterns=settings.agent_secret_patterns,
        max_file_bytes=getattr(settings, "max_file_bytes", AgentSettings.max_file_bytes),
        mcp_servers=settings.mcp_servers,
    )
    mcp = await resources.mcp_servers(agent_settings.mcp_servers)
    for problem in mcp.problems if mcp is not None else ():
        if problem not in resources.reported:
            resources.reported.add(problem)
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=problem))
    return agent_tools(ls, agent_settings, mcp, resources.diagnostics)
