"""The tools offered to the model in agent mode, and how a call is carried out.

Every call answers with text for the model; a refused call (outside the workspace, a secrets file, a declined
command) is an answer too, never an exception out of the loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types

from chatls import edits
from chatls.agent.commands import CommandRunner
from chatls.agent.files import ReadTools
from chatls.agent.mcp_servers import MCPServers
from chatls.agent.paths import ToolError
from chatls.agent.proposals import FileChange, replace_once, workspace_edit
from chatls.azure.types import ToolCall, ToolSpec

ApplyEdit = Callable[[types.WorkspaceEdit, str], Awaitable[bool]]
"""Sends the edit for review (`workspace/applyEdit`, label); True when the user accepted it."""
Approve = Callable[[str], Awaitable[bool]]
Diagnostics = Callable[[Path | None], Awaitable[str]]
OpenBuffer = Callable[[Path], "tuple[str, int | None] | None"]

_PATH = {"type": "string", "description": "path relative to the workspace folder"}

BUILTIN_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "list_files",
        "List the files of a workspace folder (honours .gitignore); optionally only those matching a glob.",
        {
            "type": "object",
            "properties": {"path": _PATH, "pattern": {"type": "string", "description": "glob, e.g. *.py"}},
            "required": [],
        },
    ),
    ToolSpec(
        "read_file",
        "Read a text file of the workspace, or a range of its lines (1-based, inclusive).",
        {
            "type": "object",
            "properties": {
                "path": _PATH,
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1},
            },
            "required": ["path"],
        },
    ),
    ToolSpec(
        "search",
        "Search the workspace's text files for a string (or a regular expression); returns file:line: text.",
        {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "path": _PATH,
                "regex": {"type": "boolean", "description": "treat the query as a regular expression"},
            },
            "required": ["query"],
        },
    ),
    ToolSpec(
        "get_diagnostics",
        "The problems (errors, warnings) the editor reports, for one file or for all open files.",
        {"type": "object", "properties": {"path": _PATH}, "required": []},
    ),
    ToolSpec(
        "propose_edits",
        "Propose changes to one or more files (or new files) as ONE set the user reviews and accepts or "
        "discards. Each change gives a path and either the file's complete new `content`, or `old_text` "
        "(exact, occurring once) and its `new_text`.",
        {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "description": "one line saying what the changes do"},
                "changes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "path": _PATH,
                            "content": {"type": "string"},
                            "old_text": {"type": "string"},
                            "new_text": {"type": "string"},
                        },
                        "required": ["path"],
                    },
                },
            },
            "required": ["changes"],
        },
    ),
    ToolSpec(
        "run_command",
        "Run a command line in the workspace folder after the user approves it; returns its output.",
        {
            "type": "object",
            "properties": {"command": {"type": "string"}, "cwd": _PATH},
            "required": ["command"],
        },
    ),
)


@dataclass(frozen=True)
class ToolOutcome:
    output: str
    """What the model is told."""
    summary: str
    """One line for the user."""
    ok: bool = True


@dataclass
class AgentTools:
    read: ReadTools
    runner: CommandRunner
    open_buffer: OpenBuffer
    apply_edit: ApplyEdit
    diagnostics: Diagnostics
    approve: Approve
    edit_support: edits.EditSupport
    encoding: str = edits.UTF16
    mcp: MCPServers | None = None

    @property
    def specs(self) -> list[ToolSpec]:
        builtin = [t for t in BUILTIN_TOOLS if t.name != "run_command" or self.runner.settings.enabled]
        return builtin + (self.mcp.tools if self.mcp else [])

    async def call(self, call: ToolCall) -> ToolOutcome:
        try:
            arguments = json.loads(call.arguments or "{}")
        except json.JSONDecodeError:
            return ToolOutcome(
                f"the arguments are not JSON: {call.arguments[:200]!r}", "bad arguments", False
            )
        if not isinstance(arguments, dict):
            return ToolOutcome("the arguments must be a JSON object", "bad arguments", False)
        try:
            return await self._dispatch(call.name, arguments)
        except ToolError as exc:
            return ToolOutcome(f"Refused: {exc}", f"refused: {exc}", False)
        except TypeError as exc:
            return ToolOutcome(f"wrong arguments for {call.name}: {exc}", "bad arguments", False)

    async def _dispatch(self, name: str, args: dict[str, Any]) -> ToolOutcome:
        if name == "list_files":
            out = await self.read.list_files(_str(args, "path", "."), _opt_str(args, "pattern"))
            return ToolOutcome(out, f"listed {_str(args, 'path', '.')}")
        if name == "read_file":
            path = _str(args, "path")
            out = await self.read.read_file(path, _opt_int(args, "start_line"), _opt_int(args, "end_line"))
            return ToolOutcome(out, out.split("\n", 1)[0])
        if name == "search":
            query = _str(args, "query")
            out = await self.read.search(query, _str(args, "path", "."), bool(args.get("regex", False)))
            return ToolOutcome(out, out.split("\n", 1)[0])
        if name == "get_diagnostics":
            raw = _opt_str(args, "path")
            out = await self.diagnostics(self.read.workspace.resolve(raw) if raw else None)
            return ToolOutcome(out, "read the editor's problems")
        if name == "propose_edits":
            return await self._propose(args)
        if name == "run_command":
            command = _str(args, "command")
            out = await self.runner.run(command, _str(args, "cwd", "."))
            declined = out.startswith("The user declined")
            return ToolOutcome(out, f"declined: {command}" if declined else _ran(command, out), not declined)
        if self.mcp is not None and self.mcp.owns(name):
            if self.mcp.needs_approval(name) and not await self.approve(
                f"Let the agent call the MCP tool {name} with {json.dumps(args)[:300]}?"
            ):
                return ToolOutcome(
                    f"The user declined the call to {name}; it was not made.", f"declined {name}", ok=False
                )
            return ToolOutcome(await self.mcp.call(name, args), f"called {name}")
        raise ToolError(f"there is no tool named {name!r}")

    async def _propose(self, args: dict[str, Any]) -> ToolOutcome:
        raw_changes = args.get("changes")
        if not isinstance(raw_changes, list) or not raw_changes:
            raise ToolError("changes must be a non-empty list")
        workspace = self.read.workspace
        changes: list[FileChange] = []
        for raw in raw_changes:
            if not isinstance(raw, dict):
                raise ToolError("each change must be an object with a path")
            path = workspace.resolve(_str(raw, "path"), must_exist=False)
            rel = workspace.relative(path)
            self.read.check_secret(path)
            current = self.open_buffer(path)
            if current is None and path.exists():
                current = (await asyncio.to_thread(self.read.read_disk, path, rel), None)
            content = raw.get("content")
            if isinstance(content, str):
                new_text = content
            elif isinstance(raw.get("new_text"), str) and isinstance(raw.get("old_text"), str):
                if current is None:
                    raise ToolError(f"{rel} does not exist; give its complete `content` to create it")
                new_text = replace_once(current[0], raw["old_text"], raw["new_text"], rel)
            else:
                raise ToolError(f"{rel}: give `content`, or `old_text` and `new_text`")
            old = current[0] if current is not None else None
            if old == new_text:
                continue
            changes.append(FileChange(path, path.as_uri(), new_text, old, current[1] if current else None))
        if not changes:
            return ToolOutcome("The proposed changes change nothing.", "no changes", False)
        summary = _opt_str(args, "summary") or f"edit {len(changes)} file(s)"
        edit = workspace_edit(changes, self.edit_support, f"ChatLS agent: {summary}", self.encoding)
        names = ", ".join(workspace.relative(c.path) for c in changes)
        # An editor without change annotations applies an edit at once, unseen: ask first.
        if not self.edit_support.change_annotations and not await self.approve(
            f"Apply the ChatLS agent's changes to {names} ({_size(changes)})?"
        ):
            return ToolOutcome(
                f"The user discarded the proposed changes to {names}; nothing was changed.",
                f"discarded: {names}",
                False,
            )
        if await self.apply_edit(edit, summary):
            return ToolOutcome(
                f"The user accepted the changes to {names}; they are applied.", f"edited {names}"
            )
        return ToolOutcome(
            f"The user discarded the proposed changes to {names}; nothing was changed.",
            f"discarded: {names}",
            False,
        )


RAN_EXCERPT = 160
"""Characters of a command's output its step line shows (the model gets all of it, capped by the runner)."""


def _ran(command: str, out: str) -> str:
    """The step line of a command that ran: how it ended and the start of its output, on one line."""
    header, _, text = out.partition("\n")
    status = header.partition(" finished with ")[2].removesuffix(":") or header
    excerpt = " ".join(text.split())
    if len(excerpt) > RAN_EXCERPT:
        excerpt = excerpt[:RAN_EXCERPT] + "…"
    return f"ran: {command} ({status})" + (f": {excerpt}" if excerpt else "")


def _size(changes: list[FileChange]) -> str:
    old = sum(len((c.old_text or "").splitlines()) for c in changes)
    new = sum(len(c.new_text.splitlines()) for c in changes)
    return f"{len(changes)} file(s), {old} lines become {new}"


def _str(args: dict[str, Any], key: str, default: str | None = None) -> str:
    value = args.get(key, default)
    if not isinstance(value, str):
        raise ToolError(f"`{key}` must be a string")
    return value


def _opt_str(args: dict[str, Any], key: str) -> str | None:
    value = args.get(key)
    return value if isinstance(value, str) and value else None


def _opt_int(args: dict[str, Any], key: str) -> int | None:
    value = args.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
