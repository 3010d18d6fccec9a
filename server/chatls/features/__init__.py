"""LSP features: each module's `register(server)` adds its handlers; `register_all` composes them in order."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatls.server import ChatLSServer

FEATURE_MODULES = (
    "chatls.features.lifecycle",
    "chatls.features.chat",
    "chatls.features.conversations",
    "chatls.features.code_actions",
    "chatls.features.actions",
)


def register_all(server: ChatLSServer) -> None:
    for name in FEATURE_MODULES:
        importlib.import_module(name).register(server)
