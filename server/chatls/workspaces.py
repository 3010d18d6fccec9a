"""Which workspace a conversation belongs to: URI normalisation and folder lookup.

Conversations are keyed by a normalised workspace-folder URI so that `file:///C%3A/src/` from one editor and
`file:///c:/src` from another land in the same place. Files outside every folder, and editors opened without
a folder, share the "no folder" space `NO_FOLDER`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

from pygls.uris import to_fs_path

NO_FOLDER = "chatls:no-folder"
"""The workspace of conversations that belong to no folder."""

_WINDOWS_DRIVE = re.compile(r"^(file:///)([A-Za-z])(:)")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def normalise_uri(uri: str) -> str:
    """The comparable form of a URI: unquoted, lower-case scheme and drive letter, no trailing slash.

    The result is a key for storage and comparison, not a URI to hand back to an editor (spaces stay
    unquoted). A bare root such as `file:///` keeps its slash.
    """
    text = unquote(uri.strip())
    text = _SCHEME.sub(lambda m: m.group(1).lower() + ":", text, count=1)
    text = _WINDOWS_DRIVE.sub(lambda m: m.group(1) + m.group(2).lower() + m.group(3), text, count=1)
    while text.endswith("/") and not text.endswith(":///") and not text.endswith(":/"):
        text = text[:-1]
    return text


def _contains(folder: str, uri: str) -> bool:
    """Whether normalised `uri` is `folder` itself or inside it (on a path boundary)."""
    if uri == folder:
        return True
    prefix = folder if folder.endswith("/") else folder + "/"
    return uri.startswith(prefix)


def folder_for(uri: str, folders: Iterable[str]) -> str | None:
    """The folder of `folders` that contains `uri` (the longest match), returned as given, or None.

    Matching is on normalised URIs and respects path boundaries: `file:///a/b` contains `file:///a/b/c.py`
    but not `file:///a/bc/x.py`.
    """
    target = normalise_uri(uri)
    best: str | None = None
    best_length = -1
    for folder in folders:
        normalised = normalise_uri(folder)
        if _contains(normalised, target) and len(normalised) > best_length:
            best, best_length = folder, len(normalised)
    return best


def workspace_for(
    workspace_uri: str | None,
    context_uri: str | None,
    folders: Iterable[str],
    root_uri: str | None,
) -> str:
    """The normalised workspace a chat turn belongs to.

    In order: the explicit `workspace_uri`; the folder containing `context_uri`; the first workspace folder;
    the client's `root_uri`; otherwise `NO_FOLDER`.
    """
    if workspace_uri:
        return normalise_uri(workspace_uri)
    folder_list = list(folders)
    if context_uri:
        containing = folder_for(context_uri, folder_list)
        if containing is not None:
            return normalise_uri(containing)
    if folder_list:
        return normalise_uri(folder_list[0])
    if root_uri:
        return normalise_uri(root_uri)
    return NO_FOLDER


def file_path(uri: str) -> Path | None:
    """The local path of a `file:` URI (percent-decoded, the platform's form); None for any other scheme."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None
