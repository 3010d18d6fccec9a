"""The editor's workspace as requests see it: which folder a request belongs to, and how a document is named
to the model and the user (its path relative to its folder)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from chatls import workspaces


def workspace_of(ls: LanguageServer, workspace_uri: str | None, context_uri: str | None) -> str:
    """The normalised workspace: explicit, else the folder of `context_uri`, else the first folder, else
    none."""
    folders = ls.workspace.folders.keys()
    return workspaces.workspace_for(workspace_uri, context_uri, folders, ls.workspace.root_uri)


def shown_path(ls: LanguageServer, uri: str) -> str:
    """The document's path relative to its workspace folder, else its base name."""
    path = _fs_path(uri)
    if path is None:
        return PurePosixPath(unquote(urlparse(uri).path)).name or uri
    folder = workspaces.folder_for(uri, ls.workspace.folders.keys())
    root = _fs_path(folder) if folder else None
    if root is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return path.name


def _fs_path(uri: str) -> PurePosixPath | None:
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return PurePosixPath(Path(path).as_posix()) if path else None
