"""`chatls ask`: a real LSP client that starts `chatls serve`, asks one question and prints the streamed
reply.

Reply text goes to stdout as it arrives; status ("thinking 4 s"), reasoning summaries, server messages and
errors go to stderr. The exit status is 0 on success, 1 when the server answered with an error or the
configuration is invalid, 2 for a bad command line, 130 when interrupted (Ctrl-C).

Ctrl-C cancels the request ($/cancelRequest): the server keeps the partial reply, marked cancelled, and the
command prints the conversation id to continue with. The server runs in its own session so the terminal's
SIGINT reaches only this client, which then shuts it down in order.

Text piped into stdin (`git diff | chatls ask "review"`) is attached to the question as a context item
labelled "standard input" (stored, counted by --dry-run and shown like every `--file`). With no profile
configured anywhere (config file, environment), it starts the bundled Azure OpenAI emulator on a loopback
port and points the server at it, so the command works on a fresh machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import stat
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types

from chatls import __version__, protocol
from chatls.ask_output import DeltaPrinter, budget_report
from chatls.ask_review import AgentReviewer, TerminalAsker

EMULATOR_KEY_ENV = "CHATLS_EMULATOR_API_KEY"
EMULATOR_DEPLOYMENT = "gpt-4o"
EMULATOR_API_VERSION = "2024-10-21"
CANCEL_GRACE_S = 10.0
"""How long to wait, after Ctrl-C, for the server to store the partial reply and answer the cancel."""
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


_FILE_LINES = re.compile(r"^(.+):(\d+)-(\d+)$")


CAPABILITIES = types.ClientCapabilities(
    workspace=types.WorkspaceClientCapabilities(
        apply_edit=True,
        # Annotated edits come straight to the review below (diff, then y/n) instead of a blind question.
        workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True,
            resource_operations=[types.ResourceOperationKind.Create],
            change_annotation_support=types.ChangeAnnotationsSupportOptions(groups_on_label=False),
        ),
    ),
    window=types.WindowClientCapabilities(
        show_message=types.ShowMessageRequestClientCapabilities(
            message_action_item=types.ClientShowMessageActionItemOptions(additional_properties_support=False)
        )
    ),
)


class AskError(Exception):
    """A problem with the command line itself (exit status 2)."""


def run(args: argparse.Namespace) -> int:
    problems = _configuration_problems()
    if problems:  # reported here once; the server would only repeat them and then find no profile
        for problem in problems:
            _say(f"chatls ask: {problem}")
        return 1
    try:
        request = _chat_params(args, _piped_stdin())
    except AskError as exc:
        _say(f"chatls ask: {exc}")
        return 2
    except KeyboardInterrupt:
        _say("chatls ask: interrupted")
        return 130
    try:
        with _server_setup(args) as (init_options, env):
            return asyncio.run(_ask(args, request, init_options, env))
    except KeyboardInterrupt:  # before the question was sent (while starting up)
        _say("chatls ask: interrupted")
        return 130
    except Exception as exc:  # the server died or could not start: say so in one line
        _say(f"chatls ask: error: {exc}")
        return 1


def _configuration_problems() -> list[str]:
    """Errors in the settings the server will read (config file, environment), each naming file and key."""
    from chatls import config

    layers, errors = config.base_layers(None)
    resolved = config.resolve_settings(layers)
    return [str(error) for error in (*errors, *resolved.errors)]


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

    layers, _ = config.base_layers(None)
    return bool(config.resolve_settings(layers).settings.profiles)


def _piped_stdin() -> str | None:
    """Text piped or redirected into stdin; None for a terminal, /dev/null or a closed stdin.

    Only a pipe or a regular file is read: a terminal would wait for typing, a device for ever.
    """
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISREG(mode)):
        return None
    text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    return text if text.strip() else None


def _chat_params(args: argparse.Namespace, stdin_text: str | None = None) -> dict[str, Any]:
    if not args.prompt.strip() and not getattr(args, "dry_run", False):
        raise AskError("the prompt is empty")
    prompt = args.prompt
    params: dict[str, Any] = {}
    if args.profile:
        params["profile"] = args.profile
    conversation = _conversation_to_continue(args)
    if conversation:
        params["conversationId"] = conversation
    folder = _workspace_folder(args)
    if folder is not None and (args.workspace or getattr(args, "agent", False)):
        params["workspaceUri"] = folder.as_uri()
    if getattr(args, "agent", False):
        params["mode"] = "agent"
    files = args.file or []
    if args.range and not files:
        raise AskError("--range needs --file")
    attachments = [_file_item(name, args.range if index == 0 else None) for index, name in enumerate(files)]
    for staged in (False, True):
        if getattr(args, "staged" if staged else "diff", False):
            item: dict[str, Any] = {"kind": "diff", "uri": (folder or Path.cwd()).as_uri()}
            if staged:
                item["staged"] = True
            attachments.append(item)
    if stdin_text is not None:
        attachments.append({"kind": "text", "label": "standard input", "text": stdin_text})
    if attachments:
        params["attachments"] = attachments
    params["prompt"] = prompt
    return params


def _workspace_folder(args: argparse.Namespace) -> Path | None:
    """--workspace, else the current directory for agent mode and diffs (they need a folder)."""
    if args.workspace:
        folder = Path(args.workspace).expanduser().resolve()
        if not folder.is_dir():
            raise AskError(f"--workspace {args.workspace}: not a directory")
        return folder
    if getattr(args, "agent", False) or getattr(args, "diff", False) or getattr(args, "staged", False):
        return Path.cwd().resolve()
    return None


def _file_item(spec: str, range_spec: str | None) -> dict[str, Any]:
    """`--file PATH` (kind file) or `--file PATH:START-END` (kind range, 1-based inclusive lines)."""
    name, lines = spec, range_spec
    match = _FILE_LINES.match(spec)
    if match and not Path(spec).expanduser().is_file():
        name, lines = match.group(1), f"{match.group(2)}:{match.group(3)}"
    path = _existing_file(name)
    if lines is None:
        return {"kind": "file", "uri": path.as_uri()}
    return {"kind": "range", "uri": path.as_uri(), "range": _line_range(lines, _read(path))}


def _conversation_to_continue(args: argparse.Namespace) -> str | None:
    chosen = [flag for flag, on in (("--new", args.new), ("--continue", args.cont)) if on]
    if args.conversation:
        chosen.append("--conversation")
    if len(chosen) > 1:
        raise AskError(f"{' and '.join(chosen)} cannot be used together")
    if args.conversation:
        return str(args.conversation)
    if args.cont:
        from chatls.conversations_cli import latest_conversation_id

        latest = latest_conversation_id()
        if latest is None:
            raise AskError("--continue: there is no conversation yet")
        return latest
    return None


def _existing_file(name: str) -> Path:
    path = Path(name).expanduser().resolve()
    if not path.is_file():
        raise AskError(f"--file {name}: no such file")
    return path


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


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
    printer = DeltaPrinter(sys.stdout, sys.stderr, thinking=not args.no_thinking)
    interrupted = asyncio.Event()
    reviewer = AgentReviewer(TerminalAsker(interrupted), printer.show, printer.note, _workspace_folder(args))
    client.feature(protocol.DELTA)(lambda params: printer.delta(params))
    client.feature(types.WINDOW_SHOW_MESSAGE)(lambda params: printer.note(f"chatls: {params.message}"))
    client.feature(types.WINDOW_LOG_MESSAGE)(lambda params: None)

    # pygls marks the handler it registers, so each is a function of its own (a bound method cannot be).
    async def message_request(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        return await reviewer.message_request(params)

    async def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return await reviewer.apply_edit(params)

    client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)(message_request)
    client.feature(types.WORKSPACE_APPLY_EDIT)(apply_edit)

    command = [sys.executable, "-m", "chatls", "serve", "--log-level", args.log_level or "WARNING"]
    if args.log_file:
        command += ["--log-file", args.log_file]
    if args.pygls_log_level:
        command += ["--pygls-log-level", args.pygls_log_level]
    # A session of its own: the terminal's Ctrl-C must reach only this client, which cancels in order.
    await client.start_io(*command, env=env, start_new_session=True)
    forward = asyncio.create_task(_forward_stderr(client, printer))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, interrupted.set)
    try:
        folder = _workspace_folder(args)
        await client.initialize_async(
            types.InitializeParams(
                capabilities=CAPABILITIES,
                process_id=os.getpid(),
                initialization_options=init_options,
                workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)]
                if folder
                else None,
            )
        )
        client.initialized(types.InitializedParams())
        # The named files are open documents: the server reads them from the client, wherever they are.
        for uri in dict.fromkeys(
            item["uri"] for item in params.get("attachments", []) if item["kind"] not in ("diff", "text")
        ):
            _open_document(client, uri)
        request_id = uuid.uuid4().hex
        method = protocol.BUDGET if args.dry_run else protocol.CHAT
        reply = asyncio.ensure_future(client.protocol.send_request_async(method, params, msg_id=request_id))
        if not await _first_of(reply, interrupted):
            return await _cancel(client, request_id, reply, interrupted, printer)
        try:
            result = reply.result()
        except JsonRpcException as exc:
            printer.finish()
            _say(f"chatls ask: error: {exc.message}")
            return 1
        if args.dry_run:
            sys.stdout.write(budget_report(result))
            sys.stdout.flush()
            return 0
        printer.cite(getattr(result, "citations", None))
        printer.finish(getattr(result, "content", ""))
        _say(f"chatls ask: conversation {result.conversationId} ({result.model})")
        return 0
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await _stop(client)
        forward.cancel()


async def _first_of(reply: asyncio.Future[Any], interrupted: asyncio.Event) -> bool:
    """Wait for the reply or Ctrl-C; True when the reply came first."""
    stop = asyncio.ensure_future(interrupted.wait())
    try:
        await asyncio.wait({reply, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    return reply.done()


async def _cancel(
    client: Any,
    request_id: str,
    reply: asyncio.Future[Any],
    interrupted: asyncio.Event,
    printer: DeltaPrinter,
) -> int:
    """Ctrl-C: cancel upstream, let the server store the partial reply, say how to continue."""
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
    interrupted.clear()  # a second Ctrl-C stops waiting
    with contextlib.suppress(Exception):
        await asyncio.wait_for(_first_of(reply, interrupted), CANCEL_GRACE_S)
    if reply.done() and not reply.cancelled():
        reply.exception()  # retrieved: the cancelled request's error is expected
    printer.finish()
    conversation = printer.conversation_id
    if conversation:
        _say(
            f"chatls ask: interrupted; the partial reply is kept in conversation {conversation}. "
            f"Continue with: chatls ask --conversation {conversation} PROMPT"
        )
    else:
        _say("chatls ask: interrupted before the question was stored")
    return 130


def _open_document(client: Any, uri: str) -> None:
    path = _path_of(uri)
    text = path.read_text(encoding="utf-8", errors="replace")
    item = types.TextDocumentItem(
        uri=uri, language_id=_LANGUAGES.get(path.suffix.lower(), "plaintext"), version=1, text=text
    )
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))


def _path_of(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path))


async def _stop(client: Any) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.shutdown_async(None), 10)
        client.exit(None)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.stop(), 10)


async def _forward_stderr(client: Any, printer: DeltaPrinter) -> None:
    server = client._server
    if server is None or server.stderr is None:
        return
    while line := await server.stderr.readline():
        printer.note(line.decode("utf-8", errors="replace").rstrip("\n"))


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
