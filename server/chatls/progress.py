"""Cancellable work-done progress for long-running commands.

pygls runs `workspace/executeCommand` under an internal id, so `$/cancelRequest` does not stop a command
(pygls2.md §6). The progress's Cancel button (`window/workDoneProgress/cancel`) is the way: it cancels the
task running inside `cancellable_progress`. Commands must then catch `CancelledError` and return a result,
because a `CancelledError` escaping a command leaves the request unanswered forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

Reporter = Callable[[str], None]
"""Show a short message in the progress (e.g. "thinking 12 s")."""


async def _create_token(ls: LanguageServer) -> str | None:
    if not get_capability(ls.client_capabilities, "window.work_done_progress", False):
        return None
    token = f"chatls-{uuid.uuid4()}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception:  # a client may refuse progress: carry on without it
        log.warning("window/workDoneProgress/create failed; continuing without progress", exc_info=True)
        return None
    return token


@contextlib.asynccontextmanager
async def cancellable_progress(ls: LanguageServer, title: str) -> AsyncIterator[Reporter]:
    """Work-done progress whose Cancel button cancels the calling task; yields a `report(message)` function.

    Without client support for progress it yields a reporter that does nothing.
    """
    token = await _create_token(ls)
    if token is None:
        yield lambda _message: None
        return
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=True))
    task = asyncio.current_task()
    cancel_future = ls.work_done_progress.tokens.get(token)
    if task is not None and cancel_future is not None:
        cancel_future.add_done_callback(lambda _f: task.cancel())
    ended = False

    def report(message: str) -> None:
        if not ended:
            ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

    try:
        yield report
    finally:
        ended = True
        ls.work_done_progress.tokens.pop(token, None)  # pygls never drops finished tokens itself
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd())
