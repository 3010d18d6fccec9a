"""What the server reads and writes on disk for a client: only regular text files inside the workspace,
under `maxFileBytes`, never blocking; exports never to special files nor silently over an existing file.

Before: `context.uri` read any path (`/etc/passwd`, `../` and `%2e%2e` traversal, `/proc/self/environ` with
the server's own key), a FIFO or `/proc/self/fd/0` blocked the event loop forever, `/dev/zero` read until
MemoryError, a binary file answered -32603 with Python's exception text, and an export to
`/proc/self/fd/1` wrote Markdown into the LSP stream.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.reliability.wire import INVALID_PARAMS, WireServer, chat_works
from tests.support.lsp import init_options, server_env

from chatls import protocol
from chatls.emulator.fixture import ThreadedEmulator, emulator_in_thread

MAX_FILE_BYTES = 4000


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    with emulator_in_thread() as emu:
        yield emu


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "ok.py").write_text("def answer():\n    return 42  # from disk\n")
    (tmp_path / "secret.txt").write_text("outside the workspace\n")
    (project / "link.txt").symlink_to(tmp_path / "secret.txt")
    (project / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (project / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    (project / "big.py").write_text("x = 1\n" * (MAX_FILE_BYTES // 6 + 10))
    os.mkfifo(project / "pipe")
    return {"project": project, "tmp": tmp_path}


def start(emulator: ThreadedEmulator, layout: dict[str, Path]) -> WireServer:
    tmp = layout["tmp"]
    server = WireServer(env=server_env(config_home=tmp / "config"))
    options = init_options(emulator.url, state_dir=tmp / "state", maxFileBytes=MAX_FILE_BYTES)
    server.initialize(options, layout["project"])
    return server


def chat_about(server: WireServer, uri: str) -> dict[str, Any]:
    return server.request(protocol.CHAT, {"prompt": "what is in it?", "context": {"uri": uri}})


def refused_uris(layout: dict[str, Path]) -> dict[str, tuple[str, str]]:
    """name: (uri, words the error must hold besides the uri)."""
    project = layout["project"]
    base = project.as_uri()
    return {
        "/etc/passwd": ("file:///etc/passwd", "outside the workspace"),
        "../ traversal": (f"{base}/../secret.txt", "outside the workspace"),
        "%2e%2e traversal": (f"{base}/%2e%2e/secret.txt", "outside the workspace"),
        "a symlink out of the workspace": (f"{base}/link.txt", "outside the workspace"),
        "/proc/self/environ": ("file:///proc/self/environ", "not a regular file"),
        "/proc/self/fd/0 (the server's stdin)": ("file:///proc/self/fd/0", "not a regular file"),
        "/dev/zero": ("file:///dev/zero", "not a regular file"),
        "a FIFO in the workspace": (f"{base}/pipe", "not a regular file"),
        "a binary file": (f"{base}/image.bin", "binary"),
        "a file that is not UTF-8": (f"{base}/latin1.txt", "not UTF-8"),
        "a file over maxFileBytes": (f"{base}/big.py", "maxFileBytes"),
        "a file that does not exist": (f"{base}/missing.py", "does not exist"),
    }


@pytest.mark.guarantee(
    "context.uri reads only regular text files inside the workspace, under maxFileBytes, never blocking"
)
def test_context_reads_only_regular_text_files_in_the_workspace(
    emulator: ThreadedEmulator, layout: dict[str, Path]
) -> None:
    emulator.reset()
    server = start(emulator, layout)
    try:
        for name, (uri, words) in refused_uris(layout).items():
            answer = chat_about(server, uri)
            error = answer.get("error")
            assert error is not None, f"{name}: {answer}"
            assert error["code"] == INVALID_PARAMS, f"{name}: {error}"
            assert uri in error["message"] and words in error["message"], f"{name}: {error['message']}"
            assert "Traceback" not in error["message"]
        assert server.result(protocol.CONVERSATIONS, {}) == []  # nothing stored for a refused file
        assert emulator.chat_requests() == []  # nor sent upstream

        allowed = chat_about(server, (layout["project"] / "ok.py").as_uri())  # not open: read from disk
        assert "return 42  # from disk" in allowed["result"]["content"]  # the emulator echoes what it got
        sent = str(emulator.chat_requests()[-1]["body"]["messages"])
        assert "return 42  # from disk" in sent and "ok.py" in sent
        chat_works(server, "after the refused files")
        assert server.violations == []
        assert server.shutdown() == 0
    finally:
        server.close()


@pytest.mark.guarantee(
    "an open document holding a lone surrogate is a clear InvalidParams, and nothing is stored"
)
def test_an_open_document_with_a_lone_surrogate_is_invalid_params(
    emulator: ThreadedEmulator, layout: dict[str, Path]
) -> None:
    server = start(emulator, layout)
    uri = (layout["project"] / "half_emoji.py").as_uri()
    try:
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = '\ud83d'\n"}},
        )
        answer = chat_about(server, uri)
        assert answer["error"]["code"] == INVALID_PARAMS, answer
        assert uri in answer["error"]["message"] and "surrogate" in answer["error"]["message"]
        assert server.result(protocol.CONVERSATIONS, {}) == []  # no empty conversation left behind
        assert server.shutdown() == 0
    finally:
        server.close()


def export(server: WireServer, conversation_id: str, path: Path | str, **extra: Any) -> dict[str, Any]:
    arguments = [{"conversationId": conversation_id, "path": str(path), **extra}]
    return server.request(
        "workspace/executeCommand", {"command": protocol.CMD_EXPORT_CONVERSATION, "arguments": arguments}
    )


@pytest.mark.guarantee(
    "an export never writes a special file, nor over an existing file unless overwrite: true"
)
def test_export_writes_only_regular_files_and_never_overwrites_silently(
    emulator: ThreadedEmulator, layout: dict[str, Path]
) -> None:
    project = layout["project"]
    existing = project / "notes.md"
    existing.write_text("my own notes\n")
    server = start(emulator, layout)
    try:
        conversation = chat_works(server, "export me")["conversationId"]
        for special in ("/proc/self/fd/1", "/dev/null", str(project / "pipe")):
            refused = export(server, conversation, special)
            assert refused["error"]["code"] == INVALID_PARAMS, refused
            assert special in refused["error"]["message"]
        kept = export(server, conversation, existing)
        assert kept["error"]["code"] == INVALID_PARAMS
        assert "already exists" in kept["error"]["message"] and "overwrite" in kept["error"]["message"]
        assert existing.read_text() == "my own notes\n"

        fresh = export(server, conversation, project / "exports" / "new.md")["result"]
        assert Path(fresh["path"]).read_text() == fresh["markdown"] and "export me" in fresh["markdown"]
        replaced = export(server, conversation, existing, overwrite=True)["result"]
        assert existing.read_text() == replaced["markdown"]
        assert server.violations == []  # nothing but frames reached stdout
        assert server.shutdown() == 0
    finally:
        server.close()
