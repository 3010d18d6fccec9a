"""The `chatls` command: `serve` (the language server), `ask` (a one-shot LSP client), `conversations`
(the stored conversations) and `emulator`.

Each subcommand imports what it needs only when it runs, so `chatls serve` starts as fast as pygls allows.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chatls import __version__


def build_parser(*, emulator_arguments: bool = True) -> argparse.ArgumentParser:
    """The parser; `emulator_arguments=False` skips importing the emulator (aiohttp) when it will not run."""
    parser = argparse.ArgumentParser(prog="chatls", description="Azure OpenAI chat for any editor, over LSP.")
    parser.add_argument("--version", action="version", version=f"chatls {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    serve = commands.add_parser("serve", help="run the language server (stdio unless --tcp)")
    serve.add_argument(
        "--tcp",
        metavar="[HOST:]PORT",
        help="listen on TCP instead of stdio, for one editor (host 127.0.0.1 unless given; port 0 picks one)",
    )
    _add_logging_options(serve)

    ask = commands.add_parser("ask", help="ask one question through the language server and print the reply")
    ask.add_argument("prompt", help="what to ask")
    ask.add_argument(
        "--file",
        action="append",
        metavar="PATH[:START-END]",
        help="attach a file, or only lines START to END of it (repeat for several)",
    )
    ask.add_argument(
        "--range", metavar="L1:L2", help="only lines L1 to L2 of the first --file (1-based, inclusive)"
    )
    ask.add_argument("--profile", help="settings profile to use (default: the configured default)")
    ask.add_argument("--conversation", metavar="ID", help="continue this conversation")
    ask.add_argument(
        "-c", "--continue", dest="cont", action="store_true", help="continue the latest conversation"
    )
    ask.add_argument("--new", action="store_true", help="start a new conversation (the default)")
    ask.add_argument(
        "--no-thinking", action="store_true", help="do not print the model's reasoning summaries"
    )
    ask.add_argument("--workspace", metavar="DIR", help="workspace folder the conversation belongs to")
    ask.add_argument("--diff", action="store_true", help="attach the git diff of the working tree")
    ask.add_argument("--staged", action="store_true", help="attach the staged git diff")
    ask.add_argument(
        "--dry-run", action="store_true", help="print the tokens the question would take; send nothing"
    )
    ask.add_argument(
        "--agent",
        action="store_true",
        help="agent mode: the model may read the workspace and propose edits (you approve each)",
    )
    _add_logging_options(ask)

    conversations = commands.add_parser(
        "conversations", help="list, show, export or delete stored conversations"
    )
    from chatls.conversations_cli import add_arguments as add_conversation_arguments  # stdlib only: cheap

    add_conversation_arguments(conversations)

    emulator = commands.add_parser("emulator", help="run the local Azure OpenAI emulator")
    if emulator_arguments:
        from chatls.emulator.command import add_arguments

        add_arguments(emulator)
    return parser


def _add_logging_options(parser: argparse.ArgumentParser) -> None:
    from chatls.settings_spec import LOG_LEVELS

    levels = tuple(level.upper() for level in LOG_LEVELS)
    parser.add_argument("--log-file", help="write the server log here instead of stderr")
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=levels,
        help="server log level (prompts and replies appear only at DEBUG; secrets never); wins over the "
        "logLevel setting (default WARNING)",
    )
    parser.add_argument(
        "--pygls-log-level",
        type=str.upper,
        choices=levels,
        help="pygls' own log level; at INFO it logs every message body (default WARNING)",
    )


def _parse_tcp(value: str) -> tuple[str, int]:
    host, _sep, port = value.rpartition(":")
    if not port.isdigit() or int(port) > 65535:
        raise SystemExit(
            f"chatls serve: --tcp expects HOST:PORT (or PORT alone, on 127.0.0.1), got {value!r}"
        )
    return host.strip("[]") or "127.0.0.1", int(port)


def _announce(line: str) -> None:
    sys.stderr.write(line + "\n")  # stdout stays clean even when it is not the protocol
    sys.stderr.flush()


def serve(args: argparse.Namespace) -> int:
    from chatls.logging_setup import configure_logging

    configure_logging(args.log_level, log_file=args.log_file, pygls_level=args.pygls_log_level)
    from chatls.server import create_server
    from chatls.transport import serve_stdio, serve_tcp

    server = create_server()
    if args.tcp:
        host, port = _parse_tcp(args.tcp)
        serve_tcp(server, host, port, announce=_announce)
    else:
        serve_stdio(server)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(emulator_arguments="emulator" in arguments).parse_args(arguments)
    if args.command == "serve":
        return serve(args)
    if args.command == "ask":
        from chatls.ask import run

        return run(args)
    if args.command == "conversations":
        from chatls.conversations_cli import run as run_conversations

        return run_conversations(args)
    from chatls.emulator.command import run as run_emulator

    return run_emulator(args)


if __name__ == "__main__":
    sys.exit(main())
