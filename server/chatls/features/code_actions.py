"""`textDocument/codeAction`: the ChatLS actions offered on a selection.

Editors ask for code actions on every cursor move, so listing must stay cheap: no model, no network, no
database, not even the document text. Each action is a `Command` whose argument (`protocol.SelectionArgs`)
carries everything the command needs later: uri, range, the document version it was offered for, and for
Fix the diagnostics the client reported in the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote

from lsprotocol import types

from chatls import protocol
from chatls.action_specs import KINDS, TITLE_PREFIX, Action
from chatls.server import ChatLSServer

MAX_TITLE_MESSAGE = 60
"""A Fix title quotes a lone diagnostic up to this many characters."""

ADVERTISED_KINDS = list(KINDS)


def kind_matches(kind: str, only: Sequence[str] | None) -> bool:
    """Whether `kind` passes the client's `context.only` filter (a kind matches itself and its parents)."""
    if not only:
        return True
    return any(not wanted or kind == wanted or kind.startswith(wanted + ".") for wanted in only)


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position (touching ends count, so a diagnostic at the cursor does)."""
    a_start, a_end = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b_start, b_end = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a_start <= b_end and b_start <= a_end


def fix_title(diagnostics: Sequence[types.Diagnostic], title: str = Action.FIX.spec.title) -> str:
    """The title of an action offered on reported problems: it quotes a lone one, else counts them."""
    if len(diagnostics) > 1:
        return f"{TITLE_PREFIX}{title} {len(diagnostics)} problems"
    message = " ".join(diagnostics[0].message.split())
    if len(message) > MAX_TITLE_MESSAGE:
        message = message[: MAX_TITLE_MESSAGE - 1].rstrip() + "…"
    return f"{TITLE_PREFIX}{title} “{message}”"


def actions_for(params: types.CodeActionParams, version: int | None) -> list[types.CodeAction]:
    """The actions for a non-empty selection of an open document at `version` (pure), in the table's order;
    those that need reported problems only when some overlap the selection."""
    uri, range_, only = params.text_document.uri, params.range, params.context.only
    diagnostics = [d for d in params.context.diagnostics if overlaps(d.range, range_)]
    actions: list[types.CodeAction] = []
    for action in Action:
        spec = action.spec
        if not kind_matches(spec.kind, only) or (spec.diagnostics and not diagnostics):
            continue
        carried = diagnostics if spec.diagnostics else None
        title = fix_title(diagnostics, spec.title) if carried else TITLE_PREFIX + spec.title
        args = protocol.SelectionArgs(uri=uri, range=range_, version=version, diagnostics=carried)
        command = types.Command(title=title, command=spec.command, arguments=[args])
        actions.append(types.CodeAction(title=title, kind=spec.kind, diagnostics=carried, command=command))
    return actions


def code_action(ls: ChatLSServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    """`textDocument/codeAction`: nothing for an empty selection or a document the client has not opened."""
    # Editors without `chatls/diagnostics` tell us their problems only here; the agent's tool reads them.
    ls.agent_resources.diagnostics.remember(params.text_document.uri, params.context.diagnostics)
    if params.range.start == params.range.end:
        return None
    document = ls.workspace.text_documents.get(unquote(params.text_document.uri))
    if document is None:
        return None
    return actions_for(params, document.version) or None


def register(server: ChatLSServer) -> None:
    server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=list(ADVERTISED_KINDS), resolve_provider=False),
    )(code_action)
