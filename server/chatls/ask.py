"""`chatls ask`: a real LSP client that starts `chatls serve`, asks one question and prints the streamed
reply.

Reply text goes to stdout as it arrives; status lines ("thinking 4 s"), server messages and errors go to
stderr. The exit status is 0 on success, 1 when the server answered with an error, 130 when interrupted.

With no profile configured anywhere (config file, environment), it starts the bundled Azure OpenAI emulator
on a loopback port and points the server at it, so the command works on a fresh machine with no network.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from lsprotocol import types

from chatls import __version__, protocol

EMULATOR_KEY_ENV = "CHATLS_EMULATOR_API_KEY"
EMULATOR_DEPLOYMENT = "gpt-4o"
EMULATOR_API_VERSION = "2024-10-21"
_LANGUAGES = {
    ".py": "python",
    ".js": "javascript",
    ".ts": "typescript",
    ".tsx": "typescriptreact",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".cs": "csharp",
    ".rb": "ruby",
    ".sh": "shellscript",
    ".md": "markdown",
    ".json": "json",
    ".toml": "toml",
    ".yaml": "yaml",
    ".lua": "lua",
}


class AskError(Exception):
    """A problem with the command line itself (exit status 2)."""


def run(args: argparse.Namespace) -> int:
    try:
        request = _chat_params(args)
    except AskError as exc:
        _say(f"chatls ask: {exc}")
        return 2
    try:
        with _server_setup(args) as (init_options, env):
            return asyncio.run(_ask(args, request, init_options, env))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the server died or could not start: say so in one line
        _say(f"chatls ask: error: {exc}")
        return 1


@contextlib.contextmanager
def _server_setup(args: argparse.Namespace) -> Iterator[tuple[dict[str, Any] | None, dict[str, str]]]:
    """initializationOptions and environment for the server; starts the emulator when nothing is
    configured."""
    env = dict(os.environ)
    if args.profile or _profile_configured():
        yield None, env
        return
    from chatls.emulator.fixture import emulator_in_thread

    with emulator_in_thread() as emulator:
        _say(
            "chatls ask: no Azure OpenAI profile is configured; using the bundled emulator at "
            f"{emulator.url} "
            "(set AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and AZURE_OPENAI_DEPLOYMENT to use Azure)"
        )
        env[EMULATOR_KEY_ENV] = emulator.api_key
        profile = {
            "name": "emulator",
            "endpoint": emulator.url,
            "deployment": EMULATOR_DEPLOYMENT,
            "apiVersion": EMULATOR_API_VERSION,
            "auth": "apiKey",
            "apiKeyEnv": EMULATOR_KEY_ENV,
        }
        yield {"profiles": [profile], "defaultProfile": "emulator"}, env


def _profile_configured() -> bool:
    """Whether the settings the server will read (defaults, config file, environment) name any profile."""
    from chatls import config

    layers, errors = config.base_layers(None)
    if errors:  # an unreadable file: let the server report it rather than hide it behind the emulator
        return True
    resolved = config.resolve_settings(layers)
    return bool(resolved.errors) or bool(resolved.settings.profiles)


def _chat_params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {"prompt": args.prompt}
    if not args.prompt.strip():
        raise AskError("the prompt is empty")
    if args.profile:
        params["profile"] = args.profile
    if args.conversation:
        params["conversationId"] = args.conversation
    if args.workspace:
        folder = Path(args.workspace).expanduser().resolve()
        if not folder.is_dir():
            raise AskError(f"--workspace {args.workspace}: not a directory")
        params["workspaceUri"] = folder.as_uri()
    if args.range and not args.file:
        raise AskError("--range needs --file")
    if args.file:
        path = Path(args.file).expanduser().resolve()
        if not path.is_file():
            raise AskError(f"--file {args.file}: no such file")
        context: dict[str, Any] = {"uri": path.as_uri()}
        if args.range:
            context["range"] = _line_range(args.range, path.read_text(encoding="utf-8", errors="replace"))
        params["context"] = context
    return params


def _line_range(spec: str, text: str) -> dict[str, Any]:
    """`L1:L2` (1-based, inclusive) as an LSP range covering those whole lines."""
    first, sep, last = spec.partition(":")
    if not sep or not first.isdigit() or not last.isdigit():
        raise AskError(f"--range expects L1:L2 (e.g. 10:20), got {spec!r}")
    start, end = int(first), int(last)
    lines = text.splitlines()
    if start < 1 or end < start or end > max(len(lines), 1):
        raise AskError(f"--range {spec}: the file has {len(lines)} lines")
    last_line = lines[end - 1] if lines else ""
    width = len(last_line.encode("utf-16-le")) // 2
    return {"start": {"line": start - 1, "character": 0}, "end": {"line": end - 1, "character": width}}


async def _ask(
    args: argparse.Namespace, params: dict[str, Any], init_options: dict[str, Any] | None, env: dict[str, str]
) -> int:
    from pygls.exceptions import JsonRpcException
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("chatls-ask", __version__)
    printer = _DeltaPrinter(sys.stdout, sys.stderr)
    client.feature(protocol.DELTA)(lambda params: printer.delta(params))
    client.feature(types.WINDOW_SHOW_MESSAGE)(lambda params: _say(f"chatls: {params.message}"))
    client.feature(types.WINDOW_LOG_MESSAGE)(lambda params: None)

    command = [sys.executable, "-m", "chatls", "serve", "--log-level", args.log_level]
    if args.log_file:
        command += ["--log-file", args.log_file]
    if args.pygls_log_level:
        command += ["--pygls-log-level", args.pygls_log_level]
    await client.start_io(*command, env=env)
    forward = asyncio.create_task(_forward_stderr(client))
    try:
        folder = params.get("workspaceUri")
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                process_id=os.getpid(),
                initialization_options=init_options,
                workspace_folders=[types.WorkspaceFolder(uri=folder, name=Path(args.workspace).name)]
                if folder
                else None,
            )
        )
        client.initialized(types.InitializedParams())
        if "context" in params:
            _open_document(client, params["context"]["uri"], Path(args.file))
        try:
            result = await client.protocol.send_request_async(protocol.CHAT, params)
        except JsonRpcException as exc:
            printer.finish()
            _say(f"chatls ask: error: {exc.message}")
            return 1
        printer.finish(getattr(result, "content", ""))
        _say(f"chatls ask: conversation {result.conversationId} ({result.model})")
        return 0
    finally:
        await _stop(client)
        forward.cancel()


def _open_document(client: Any, uri: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    item = types.TextDocumentItem(
        uri=uri, language_id=_LANGUAGES.get(path.suffix.lower(), "plaintext"), version=1, text=text
    )
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))


async def _stop(client: Any) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.shutdown_async(None), 10)
        client.exit(None)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.stop(), 10)


async def _forward_stderr(client: Any) -> None:
    server = client._server
    if server is None or server.stderr is None:
        return
    while line := await server.stderr.readline():
        sys.stderr.buffer.write(line)
        sys.stderr.flush()


class _DeltaPrinter:
    """Prints reply text as it streams; status lines go to stderr on their own line."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self._out = out
        self._err = err
        self._printed: list[str] = []

    def delta(self, params: Any) -> None:
        content = getattr(params, "content", None)
        status = getattr(params, "status", None)
        if status:
            self._err.write(f"[{status}]\n")
            self._err.flush()
        if content:
            self._printed.append(content)
            self._out.write(content)
            self._out.flush()

    def finish(self, content: str = "") -> None:
        # Deltas always precede the response; if a client dropped any, print what is missing.
        shown = "".join(self._printed)
        if content.startswith(shown) and len(content) > len(shown):
            self._out.write(content[len(shown) :])
        if shown or content:
            self._out.write("\n")
        self._out.flush()


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
