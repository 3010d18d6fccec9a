"""LSP features: each module's `register(server)` adds its handlers; `register_all` composes them in order."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatls.server import ChatLSServer

log = logging.getLogger(__name__)

FEATURE_MODULES = (
    "chatls.features.lifecycle",
    "chatls.features.chat",
    "chatls.features.conversations",
)
OPTIONAL_FEATURE_MODULES = (
    "chatls.features.code_actions",
    "chatls.features.commands",
    "chatls.features.actions",
)
"""Code actions and their commands (written separately); registered when present."""


def register_all(server: ChatLSServer) -> None:
    for name in FEATURE_MODULES:
        importlib.import_module(name).register(server)
    for name in OPTIONAL_FEATURE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            log.debug("feature module %s is not installed", name)
            continue
        module.register(server)
