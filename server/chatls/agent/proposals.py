"""Edits the agent proposes: one `WorkspaceEdit` across files, reviewed by the user before anything changes.

Each change is checked against the text the model saw (the editor's buffer, else disk), so a file the user
changed meanwhile is never clobbered: an existing file's edit is pinned to the open document's version, and
a `replace` whose old text no longer occurs exactly once is refused back to the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from chatls import edits
from chatls.agent.paths import ToolError


@dataclass(frozen=True)
class FileChange:
    path: Path
    uri: str
    new_text: str
    old_text: str | None
    """The whole current text; None for a file to create."""
    version: int | None
    """The open document's version, to pin the edit; None when the file is not open."""


NO_CREATE = "the editor cannot create files through an edit, so new files cannot be proposed"


def replace_once(text: str, old: str, new: str, name: str) -> str:
    """`text` with the one occurrence of `old` replaced; ToolError when it occurs zero or several times."""
    if not old:
        raise ToolError(f"{name}: old_text is empty; give the exact text to replace")
    count = text.count(old)
    if count == 0:
        raise ToolError(
            f"{name}: old_text does not occur in the file; read it again and copy the text exactly"
        )
    if count > 1:
        raise ToolError(f"{name}: old_text occurs {count} times; include more lines so it is unique")
    return text.replace(old, new, 1)


def workspace_edit(
    changes: list[FileChange], support: edits.EditSupport, label: str, encoding: str = edits.UTF16
) -> types.WorkspaceEdit:
    """One edit for every change; new files are created (never overwriting one that appeared meanwhile)."""
    if not support.document_changes:
        if any(change.old_text is None for change in changes):
            raise ToolError(NO_CREATE)
        return types.WorkspaceEdit(
            changes={
                c.uri: [types.TextEdit(range=_whole(c.old_text or "", encoding), new_text=c.new_text)]
                for c in changes
            }
        )
    annotated = support.change_annotations
    operations: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile] = []
    for change in changes:
        edit: types.TextEdit | types.AnnotatedTextEdit
        if change.old_text is None:
            if not support.create_files:
                raise ToolError(NO_CREATE)
            operations.append(
                types.CreateFile(
                    uri=change.uri,
                    options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False),
                    annotation_id=edits.ANNOTATION_ID if annotated else None,
                )
            )
            target = _whole("", encoding)
            version = None
        else:
            target = _whole(change.old_text, encoding)
            version = change.version
        if annotated:
            edit = types.AnnotatedTextEdit(
                annotation_id=edits.ANNOTATION_ID, range=target, new_text=change.new_text
            )
        else:
            edit = types.TextEdit(range=target, new_text=change.new_text)
        document = types.OptionalVersionedTextDocumentIdentifier(uri=change.uri, version=version)
        operations.append(types.TextDocumentEdit(text_document=document, edits=[edit]))
    notes = None
    if annotated:
        notes = {
            edits.ANNOTATION_ID: types.ChangeAnnotation(
                label=label, needs_confirmation=True, description="Proposed by the ChatLS agent: review first"
            )
        }
    return types.WorkspaceEdit(document_changes=operations, change_annotations=notes)


def _whole(text: str, encoding: str) -> types.Range:
    return edits.range_of(text, 0, len(text), encoding)
