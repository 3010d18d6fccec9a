"""The code-action commands, one per row of `action_specs.Action` (`chatls.explain`, `.fix`, `.improve`, …).

Each one takes a `protocol.SelectionArgs`, runs one turn of the workspace's conversation under cancellable
work-done progress (its deltas stream like any chat), and for the edit actions applies the reply's code with
`workspace/applyEdit`. It answers a `protocol.ActionResult`, also when cancelled: a `CancelledError`
escaping a command would leave the request unanswered (pygls2.md §6).

Never clobber: when the document changed while the model worked, the edit goes where the selected text is
now, and only if that text occurs exactly once; otherwise nothing is applied and the user is told. Versions
are checked here, before sending, because clients differ on stale edits (Neovim skips them but answers
`applied: true`; eglot answers an error).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument

from chatls import edits, prompts, protocol, workspaces
from chatls.action_specs import Instruction, Result
from chatls.attachments import Attached
from chatls.chat_service import Turn
from chatls.editor_folders import shown_path
from chatls.errors import invalid_params
from chatls.lsp_edge import send_delta
from chatls.progress import Reporter, cancellable_progress
from chatls.prompts import Action
from chatls.server import ChatLSServer
from chatls.workspace_files import describe_text_problem, read_workspace_file

log = logging.getLogger(__name__)

CANCELLED = "Cancelled: nothing was applied."


@dataclass(frozen=True)
class Snapshot:
    """The selection as it was when the command started."""

    uri: str
    version: int | None
    text: str
    """The whole document."""
    start: int
    end: int
    language_id: str | None
    encoding: str

    @property
    def original(self) -> str:
        return self.text[self.start : self.end]


@dataclass(frozen=True)
class Outcome:
    applied: bool
    reason: str | None = None
    """Why nothing was applied; the user is shown it too, unless they declined the edit themselves."""
    declined: bool = False
    """The user declined the edit in the editor (e.g. Discard in VS Code's refactor preview)."""
    level: types.MessageType = types.MessageType.Warning


@dataclass(frozen=True)
class TestsPlan:
    """Where generated tests go: the file, and how the prompt describes it."""

    uri: str
    path: Path
    target: prompts.TargetTestFile


class _Progress:
    """Records the turn's deltas (for a cancelled answer) while forwarding them and showing their status.

    The first delta of every turn is a status sent before the request goes upstream, so even a command
    cancelled before any text knows its conversation and reply ids.
    """

    def __init__(self, ls: ChatLSServer, report: Reporter) -> None:
        self._ls, self._report = ls, report
        self.conversation_id = self.message_id = ""
        self.parts: list[str] = []
        self.edit_sent = False

    def on_delta(self, delta: protocol.DeltaNotification) -> None:
        self.conversation_id, self.message_id = delta.conversation_id, delta.message_id
        if delta.content:
            self.parts.append(delta.content)
            self._report(latest_line("".join(self.parts)))
        if delta.status:
            self._report(delta.status)
        send_delta(self._ls, delta)


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def latest_line(text: str, width: int = 60) -> str:
    """The end of the reply so far, for the progress message: the user sees the text arriving (fence lines
    say nothing, so the last line of text or code is shown)."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not _FENCE.match(line)]
    last = lines[-1] if lines else ""
    return last if len(last) <= width else "…" + last[-(width - 1) :]


# --- the command ---------------------------------------------------------------------------------
async def run_action(ls: ChatLSServer, action: Action, raw_args: tuple[object, ...]) -> protocol.ActionResult:
    spec = action.spec
    args = selection_args(raw_args)
    snapshot = take_snapshot(ls, args)
    instruction = (args.instruction or "").strip() or None
    if spec.instruction is Instruction.REQUIRED and instruction is None:
        raise invalid_params(
            f"invalid params: {spec.command} needs an instruction saying what to do @ $.instruction"
        )
    plan = tests_plan(ls, snapshot) if spec.result is Result.TEST_FILE else None
    selection = prompt_selection(ls, snapshot)
    built = prompts.build_action_prompt(
        action,
        selection,
        instruction=instruction,
        diagnostics=[diagnostic_note(d) for d in args.diagnostics or ()],
        tests=plan.target if plan else None,
    )
    turn = Turn(
        prompt=built.prompt,
        workspace_uri=workspaces.workspace_for(
            None, snapshot.uri, ls.workspace.folders.keys(), ls.workspace.root_uri
        ),
        profile=args.profile,
        attachments=(_attached(selection, built.attachment),),
        task_instructions=built.task_instructions,
        client_token=args.client_token,
    )
    ls.track_current_task()  # so shutdown finishes it first (pygls#606)
    progress: _Progress | None = None
    try:
        async with cancellable_progress(ls, spec.running_title) as report:
            progress = _Progress(ls, report)
            result = await ls.chat_service.run_turn(turn, progress.on_delta)
            outcome = await apply_reply(ls, action, snapshot, result, plan, progress)
    except asyncio.CancelledError:
        return _cancelled(progress)
    if outcome.reason and not outcome.declined:
        tell(ls, outcome)
    status = protocol.STATUS_TRUNCATED if result.finish_reason == "length" else protocol.STATUS_COMPLETE
    return protocol.ActionResult(
        conversation_id=result.conversation_id,
        message_id=result.message_id,
        content=result.content,
        applied=outcome.applied,
        status=status,
        reason=outcome.reason,
    )


def _cancelled(progress: _Progress | None) -> protocol.ActionResult:
    reason = CANCELLED
    if progress is not None and progress.edit_sent:
        reason = "Cancelled while the editor was still reviewing the edit; check the document."
    return protocol.ActionResult(
        conversation_id=progress.conversation_id if progress else "",
        message_id=progress.message_id if progress else "",
        content="".join(progress.parts) if progress else "",
        applied=False,
        status=protocol.STATUS_CANCELLED,
        reason=reason,
    )


# --- validating the arguments --------------------------------------------------------------------
def selection_args(raw_args: tuple[object, ...]) -> protocol.SelectionArgs:
    if len(raw_args) != 1:
        raise invalid_params(
            f"invalid params: expected one argument {{uri, range, version?, instruction?, diagnostics?}}, "
            f"got {len(raw_args)}"
        )
    return protocol.structure_params(raw_args[0], protocol.SelectionArgs)


def take_snapshot(ls: ChatLSServer, args: protocol.SelectionArgs) -> Snapshot:
    if ":" not in args.uri:
        raise invalid_params(f"invalid params: expected a URI such as file:///path, got {args.uri!r} @ $.uri")
    document = open_document(ls, args.uri)
    if document is None:
        raise invalid_params(f"invalid params: {args.uri} is not open in the editor @ $.uri")
    problem = describe_text_problem(document.source)
    if problem is not None:
        raise invalid_params(f"invalid params: the document {args.uri} cannot be used: {problem} @ $.uri")
    if args.version is not None and document.version is not None and args.version != document.version:
        raise invalid_params(
            f"invalid params: the document changed since the action was offered (version {args.version}, "
            f"now {document.version}); select the code again @ $.version"
        )
    text, encoding = document.source, position_encoding(ls)
    try:
        start, end = edits.span_of(text, args.range, encoding)
    except edits.PositionError as exc:
        raise invalid_params(f"invalid params: {exc} @ $.range") from None
    if not text[start:end].strip():
        raise invalid_params("invalid params: the selection is empty @ $.range")
    return Snapshot(args.uri, document.version, text, start, end, document.language_id, encoding)


def open_document(ls: ChatLSServer, uri: str) -> TextDocument | None:
    document: TextDocument | None = ls.workspace.text_documents.get(unquote(uri))
    return document


def position_encoding(ls: ChatLSServer) -> str:
    encoding = ls.workspace.position_encoding or edits.UTF16
    return str(getattr(encoding, "value", encoding))


def diagnostic_note(diagnostic: types.Diagnostic) -> prompts.DiagnosticNote:
    code = diagnostic.code
    return prompts.DiagnosticNote(
        message=diagnostic.message,
        line=diagnostic.range.start.line,
        severity=int(diagnostic.severity) if diagnostic.severity is not None else None,
        source=diagnostic.source,
        code=str(code) if code is not None else None,
    )


# --- what the model sees -------------------------------------------------------------------------
def prompt_selection(ls: ChatLSServer, snapshot: Snapshot) -> prompts.Selection:
    lines = ls.settings_for(workspaces.folder_for(snapshot.uri, ls.workspace.folders.keys())).context_lines
    before, after = prompts.surroundings(
        snapshot.text[: snapshot.start], snapshot.text[snapshot.end :], radius=lines
    )
    first_line = edits.position_at(snapshot.text, snapshot.start, snapshot.encoding).line
    return prompts.Selection(
        file_name=shown_path(ls, snapshot.uri),
        language_id=snapshot.language_id,
        code=snapshot.original,
        first_line=first_line,
        before=before,
        after=after,
    )


def _attached(selection: prompts.Selection, block: str) -> Attached:
    """The action's attachment (the selection, its surroundings, the problems …): one part, named by the
    selection."""
    first, last = prompts.selected_lines(selection)
    name = selection.file_name
    label = f"selection {name}:{first}-{last}"
    return Attached(label, block, kind="selection", name=name, lines=(first, last))


def _fs_path(uri: str) -> PurePosixPath | None:
    path = workspaces.file_path(uri)
    return PurePosixPath(path.as_posix()) if path else None


def _root_of(ls: ChatLSServer, uri: str) -> PurePosixPath | None:
    folder = workspaces.folder_for(uri, ls.workspace.folders.keys())
    return _fs_path(folder) if folder else None


def tests_plan(ls: ChatLSServer, snapshot: Snapshot) -> TestsPlan | None:
    """Where the tests for this document go (None for a document that is not a file)."""
    source, root = _fs_path(snapshot.uri), _root_of(ls, snapshot.uri)
    if source is None:
        return None
    target = prompts.path_for_tests(source, snapshot.language_id, root)
    uri = from_fs_path(str(target)) or target.as_uri()
    shown = target.relative_to(root).as_posix() if root and target.is_relative_to(root) else target.name
    exists = open_document(ls, uri) is not None or Path(target).exists()
    module = prompts.python_module(source, root) if snapshot.language_id == "python" else None
    return TestsPlan(uri, Path(target), prompts.TargetTestFile(shown, exists, module))


# --- applying the reply --------------------------------------------------------------------------
async def apply_reply(
    ls: ChatLSServer,
    action: Action,
    snapshot: Snapshot,
    result: protocol.ChatResult,
    plan: TestsPlan | None,
    progress: _Progress,
) -> Outcome:
    spec = action.spec
    if not spec.edits:
        return Outcome(applied=False)
    if result.finish_reason == "length" and not _has_closed_block(result.content):
        return Outcome(False, "The reply was cut off at the length limit, so nothing was applied.")
    label = spec.running_title
    combine = spec.result is Result.TEST_FILE  # models often split the imports from the tests
    code = edits.choose_code(
        result.content, snapshot.language_id, original=snapshot.original, combine=combine
    )
    if code is None:
        return Outcome(False, no_code_reason(result.content, snapshot.language_id))
    settings = ls.settings_for(workspaces.folder_for(snapshot.uri, ls.workspace.folders.keys()))
    size = len(code.encode("utf-8"))
    if size > settings.max_edit_bytes:
        return Outcome(
            False,
            f"The code in the reply is {size} bytes, over the maxEditBytes limit of "
            f"{settings.max_edit_bytes}, so nothing was applied; the reply is in the conversation.",
        )
    confirm = Confirmation(settings.confirm_edits, spec.name)
    if combine:
        return await _apply_tests(ls, snapshot, plan, code, label, progress, confirm)
    return await _apply_replacement(ls, snapshot, code, label, progress, confirm)


REPLY_EXCERPT = 600
"""Characters of a reply shown when it holds nothing to apply."""


def no_code_reason(reply: str, language_id: str | None) -> str:
    """Why nothing was applied, with the start of the reply (often a refusal or a question) to read."""
    language = f" {language_id}" if language_id else ""
    text = reply.strip()
    excerpt = text if len(text) <= REPLY_EXCERPT else text[:REPLY_EXCERPT].rstrip() + " …"
    shown = f" The reply:\n\n{excerpt}" if excerpt else ""
    return f"The reply holds no{language} code block to apply, so nothing was changed.{shown}"


@dataclass(frozen=True)
class Confirmation:
    """Whether to ask before sending an edit (`confirmEdits`), and what the action is called."""

    mode: str
    title: str

    def needed(self, support: edits.EditSupport) -> bool:
        return self.mode == "always" or (self.mode == "auto" and not support.change_annotations)


async def confirmed(ls: ChatLSServer, confirm: Confirmation, question: str) -> bool:
    """Ask with `window/showMessageRequest`; only an explicit Apply applies."""
    apply = types.MessageActionItem(title="Apply")
    params = types.ShowMessageRequestParams(
        type=types.MessageType.Info,
        message=f"ChatLS {confirm.title}: {question}",
        actions=[apply, types.MessageActionItem(title="Don't apply")],
    )
    try:
        answer = await ls.window_show_message_request_async(params)
    except Exception as exc:  # a client that cannot ask: nothing is applied unasked
        log.info("window/showMessageRequest failed: %s", exc)
        return False
    return answer is not None and answer.title == apply.title


def change_size(old: str, new: str) -> str:
    def lines(text: str) -> int:
        return len(edits.line_starts(text.rstrip("\r\n"))) if text else 0

    return f"{lines(old)} line(s) with {lines(new)} line(s) ({len(new)} characters)"


DECLINED = "You chose not to apply the edit; the reply is in the conversation."


def _has_closed_block(reply: str) -> bool:
    """Whether a cut-off reply still holds a complete code block (only complete blocks are then used)."""
    return any(block.closed and block.code.strip() for block in edits.code_blocks(reply))


async def _apply_replacement(
    ls: ChatLSServer, snapshot: Snapshot, code: str, label: str, progress: _Progress, confirm: Confirmation
) -> Outcome:
    document = open_document(ls, snapshot.uri)
    if document is None:
        return Outcome(False, "The document was closed before the reply arrived, so nothing was applied.")
    text, version = document.source, document.version
    start = _current_start(snapshot, text, version)
    if isinstance(start, Outcome):
        return start
    end = start + len(snapshot.original)
    line_prefix, line_suffix = edits.line_context(text, start, end)
    new_text = edits.fit_replacement(
        code,
        original=snapshot.original,
        line_prefix=line_prefix,
        line_suffix=line_suffix,
        eol=edits.detect_eol(snapshot.original, text),
    )
    if new_text == snapshot.original:
        return Outcome(False, "The model suggested no change.", level=types.MessageType.Info)
    support = edits.EditSupport.from_capabilities(ls.client_capabilities)
    if confirm.needed(support):
        question = f"replace {change_size(snapshot.original, new_text)} in {shown_path(ls, snapshot.uri)}?"
        if not await confirmed(ls, confirm, question):
            return Outcome(False, DECLINED, declined=True)
        # the document may have changed while the user read the question: place the edit afresh
        return await _apply_replacement(ls, snapshot, code, label, progress, Confirmation("never", ""))
    range_ = edits.range_of(text, start, end, snapshot.encoding)
    edit = edits.replace_edit(snapshot.uri, version, range_, new_text, support, label=label)
    return await _send(ls, edit, label, progress)  # no await since reading `text`: nothing can intervene


def _current_start(snapshot: Snapshot, text: str, version: int | None) -> int | Outcome:
    """Where the selected text is now: unchanged, or relocated when it occurs exactly once."""
    if version == snapshot.version and text[snapshot.start : snapshot.end] == snapshot.original:
        return snapshot.start
    found = edits.relocate(text, snapshot.original)
    if found.start is not None:
        log.info(
            "document changed during the turn; selection relocated from %d to %d", snapshot.start, found.start
        )
        return found.start
    where = "is no longer there" if found.matches == 0 else "now occurs more than once"
    return Outcome(
        False,
        f"The document changed while the model was working and the selected code {where}, so nothing was "
        "applied. The suggestion is kept in the conversation.",
    )


def tell(ls: ChatLSServer, outcome: Outcome) -> None:
    """Say why nothing was applied, for every client: not all of them show a command's result."""
    message = f"ChatLS: {outcome.reason}"
    ls.window_show_message(types.ShowMessageParams(type=outcome.level, message=message))


async def _apply_tests(
    ls: ChatLSServer,
    snapshot: Snapshot,
    plan: TestsPlan | None,
    code: str,
    label: str,
    progress: _Progress,
    confirm: Confirmation,
) -> Outcome:
    if plan is None:
        return Outcome(
            False, "The document is not a file, so the tests were not saved; they are in the reply."
        )
    support = edits.EditSupport.from_capabilities(ls.client_capabilities)
    if confirm.needed(support):
        question = (
            f"add {code.count(chr(10)) + 1} line(s) ({len(code)} characters) of tests to {plan.target.path}?"
        )
        if not await confirmed(ls, confirm, question):
            return Outcome(False, DECLINED, declined=True)
    document = open_document(ls, plan.uri)
    if document is not None:
        existing, version = document.source, document.version
    elif os.path.lexists(plan.path):
        folders = [folder.uri for folder in ls.workspace.folders.values()]
        try:  # the same safe read as a chat's context: a FIFO or a binary file must not hang or break us
            existing = await read_workspace_file(plan.uri, folders, ls.settings.max_file_bytes)
        except JsonRpcException as exc:
            reason = str(exc.message).removeprefix("invalid params: ")
            return Outcome(False, f"Could not add the tests to {plan.target.path}: {reason}.")
        version = None
    elif support.create_files:
        edit = edits.create_file_edit(plan.uri, edits.append_text("", code), support, label=label)
        outcome = await _send(ls, edit, label, progress)
        if outcome.applied:
            await _show(ls, plan.uri)
        return outcome
    else:
        return Outcome(
            False,
            "Your editor cannot create files through LSP, so the tests were not saved; they are in the "
            f"reply (save them as {plan.target.path}).",
        )
    end = edits.position_at(existing, len(existing), snapshot.encoding)
    at_end = types.Range(start=end, end=end)
    edit = edits.replace_edit(
        plan.uri, version, at_end, edits.append_text(existing, code), support, label=label
    )
    return await _send(ls, edit, label, progress)


async def _send(ls: ChatLSServer, edit: types.WorkspaceEdit, label: str, progress: _Progress) -> Outcome:
    progress.edit_sent = True  # a cancel from now on may come while the editor shows its refactor preview
    try:
        response = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=label))
    except Exception as exc:  # eglot answers a refused (e.g. stale) edit with an error response
        progress.edit_sent = False
        message = getattr(exc, "message", None) or str(exc)
        log.info("workspace/applyEdit failed: %s", message)
        return Outcome(False, f"The editor refused the edit: {message}")
    progress.edit_sent = False
    if response.applied:
        return Outcome(applied=True)
    if response.failure_reason:
        return Outcome(False, f"The editor did not apply the edit: {response.failure_reason}")
    return Outcome(False, "The edit was not applied (it was declined in the editor).", declined=True)


async def _show(ls: ChatLSServer, uri: str) -> None:
    if not get_capability(ls.client_capabilities, "window.show_document.support", False):
        return
    try:
        await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=True))
    except Exception:  # showing the new file is a courtesy
        log.warning("window/showDocument failed", exc_info=True)


# --- registration --------------------------------------------------------------------------------
def command_handler(action: Action) -> Callable[..., Coroutine[None, None, protocol.ActionResult]]:
    async def handler(ls: ChatLSServer, *args: object) -> protocol.ActionResult:
        return await run_action(ls, action, args)

    handler.__name__ = f"chatls_{action.spec.id}"
    return handler


def register(server: ChatLSServer) -> None:
    for action in Action:
        server.command(action.command)(command_handler(action))
