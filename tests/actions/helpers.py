"""Helpers for the code-action tests: documents, selections, scripted replies, applying recorded edits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient
from tests.support.lsp import folder, init_options, lsp_session, server_env

from chatls import edits
from chatls.emulator.fixture import RunningEmulator


def rng(start: tuple[int, int], end: tuple[int, int]) -> types.Range:
    return types.Range(
        start=types.Position(line=start[0], character=start[1]),
        end=types.Position(line=end[0], character=end[1]),
    )


def subtraction_warning(range_: types.Range) -> types.Diagnostic:
    """What a (made-up) linter reports on `a - b` in a function called add."""
    return types.Diagnostic(
        range=range_,
        message="Subtraction where addition was meant",
        severity=types.DiagnosticSeverity.Warning,
        source="lintbot",
        code="L042",
    )


def selection(uri: str, range_: types.Range, version: int | None = 1, **extra: Any) -> dict[str, Any]:
    """A command argument as a client sends it (camelCase JSON)."""
    return {
        "uri": uri,
        "range": {
            "start": {"line": range_.start.line, "character": range_.start.character},
            "end": {"line": range_.end.line, "character": range_.end.character},
        },
        **({"version": version} if version is not None else {}),
        **extra,
    }


def reply_rule(pattern: str, reply: str) -> dict[str, str]:
    return {"pattern": pattern, "reply": reply}


def emulator_config(
    *replies: Mapping[str, str], tokens_per_second: float = 0, time_to_first_token: float = 0
) -> dict[str, Any]:
    """Default deployments plus scripted replies; the timings slow the gpt-4o deployment down."""
    config: dict[str, Any] = {"replies": [dict(r) for r in replies]}
    timing = {"tokens_per_second": tokens_per_second, "time_to_first_token": time_to_first_token}
    timing = {name: seconds for name, seconds in timing.items() if seconds}
    if timing:
        config["server"] = {"include_default_deployments": True}
        config["deployments"] = {"gpt-4o": {"model": "gpt-4o-2024-11-20", **timing}}
    return config


@contextlib.asynccontextmanager
async def session(
    preset: str, emulator: RunningEmulator, workspace: Path, state_dir: Path, **settings: Any
) -> AsyncIterator[LanguageClient]:
    """`chatls serve` as client `preset`, with `workspace` as its folder and the emulator as its profile;
    `settings` are more initializationOptions (camelCase, e.g. `maxEditBytes=100`)."""
    options = init_options(emulator.url, state_dir=state_dir, **settings)
    env = server_env(config_home=state_dir / "config")
    async with lsp_session(preset, init_options=options, env=env, folders=[folder(workspace)]) as client:
        answer_confirmations(client, "Apply")
        yield client  # lsp_session kills the server when the test fails


def answer_confirmations(client: LanguageClient, choice: str | None) -> list[types.ShowMessageRequestParams]:
    """Answer `window/showMessageRequest` (asked before an edit in editors without change annotations) with
    the action titled `choice` (None: dismissed); the questions are recorded on `client.message_requests`."""
    client.confirm_choice = choice  # type: ignore[attr-defined]
    asked: list[types.ShowMessageRequestParams] = client.message_requests  # type: ignore[attr-defined]
    return asked


def open_document(client: LanguageClient, path: Path, text: str, language_id: str, version: int = 1) -> str:
    """Write `path` (so the server could read it) and open it in the client; returns its URI."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    uri = path.resolve().as_uri()
    item = types.TextDocumentItem(uri=uri, language_id=language_id, version=version, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    return uri


def change_document(client: LanguageClient, uri: str, text: str, version: int) -> None:
    """Replace the whole text (a full-sync change) as the user typing would."""
    change = types.TextDocumentContentChangeWholeDocument(text=text)
    document = types.VersionedTextDocumentIdentifier(uri=uri, version=version)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(text_document=document, content_changes=[change])
    )


async def code_actions(
    client: LanguageClient,
    uri: str,
    range_: types.Range,
    *,
    diagnostics: Sequence[types.Diagnostic] = (),
    only: Sequence[str] | None = None,
) -> list[types.CodeAction]:
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=range_,
        context=types.CodeActionContext(diagnostics=list(diagnostics), only=list(only) if only else None),
    )
    result = await asyncio.wait_for(client.text_document_code_action_async(params), 30)
    actions = [a for a in result or [] if isinstance(a, types.CodeAction)]
    assert len(actions) == len(result or []), "every item is a CodeAction"
    return actions


def text_edits_for(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit | types.AnnotatedTextEdit]:
    """The text edits `edit` makes to `uri`, from `changes` or `documentChanges`."""
    found: list[types.TextEdit | types.AnnotatedTextEdit] = []
    if edit.changes:
        found.extend(edit.changes.get(uri, []))
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri:
            found.extend(e for e in change.edits if isinstance(e, (types.TextEdit, types.AnnotatedTextEdit)))
    return found


def apply_text_edits(
    text: str, text_edits: Sequence[types.TextEdit | types.AnnotatedTextEdit], encoding: str = edits.UTF16
) -> str:
    """What an editor does with the edits, last first so earlier ranges stay valid."""
    spans = [(edits.span_of(text, e.range, encoding), e.new_text) for e in text_edits]
    for (start, end), new_text in sorted(spans, key=lambda item: item[0], reverse=True):
        text = text[:start] + new_text + text[end:]
    return text


def user_messages(request: Mapping[str, Any]) -> str:
    """The user-role text of a recorded chat request."""
    parts = []
    for message in request["body"]["messages"]:
        if message["role"] == "user":
            content = message["content"]
            parts.append(
                content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
            )
    return "\n".join(parts)


def system_messages(request: Mapping[str, Any]) -> str:
    return "\n".join(
        m["content"] for m in request["body"]["messages"] if m["role"] in ("system", "developer")
    )
