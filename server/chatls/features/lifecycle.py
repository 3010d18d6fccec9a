"""initialize / initialized / configuration changes / shutdown.

Settings come in layers (chatls.config): built-in defaults < user config file < environment <
`initializationOptions` < `workspace/configuration` section `chatls`. The last layer is requested in
`initialized` (never in `initialize`) and again on `workspace/didChangeConfiguration`, and only when the
client says it supports `workspace/configuration`. An invalid setting is reported once by
`window/showMessage` naming the key, and the server keeps the last good configuration.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from lsprotocol import types
from pygls.capabilities import get_capability

from chatls.logging_setup import use_level_setting
from chatls.server import ChatLSServer
from chatls.workspaces import normalise_uri

log = logging.getLogger(__name__)

SECTION = "chatls"
SHUTDOWN_GRACE = 5.0
"""Seconds in-flight chats and commands get to store their partial replies at shutdown."""


def initialize(ls: ChatLSServer, params: types.InitializeParams) -> None:
    # Only remembered here: validating profiles imports the adapter, which would slow down `initialize`.
    ls.initialization_options = params.initialization_options


async def initialized(ls: ChatLSServer, params: types.InitializedParams) -> None:
    try:
        _load_heavy_modules()
        gc.freeze()  # the modules just loaded live forever: keep full collections from walking them again
        ls.reload_settings()
        if _supports_configuration(ls):
            await fetch_configuration(ls)
        use_level_setting(ls.settings.log_level)  # a server-scope setting: read once, at start
        ls.open_store_early()
    finally:
        ls.mark_configured()  # requests waiting in `ls.ready()` go ahead
    if ls.store_is_open:
        ls.look_after_orphans()  # background runs an earlier server left: resumed, each stored once
    if _supports_configuration(ls):
        await _register_configuration_changes(ls)


def _load_heavy_modules() -> None:
    """Import the adapter (the openai SDK: about a second) and load the token counter once, up front, so the
    first chat does not pay for them; `initialize` stays fast because neither is imported before it answers.

    On the event loop on purpose: importing in a worker thread raced with handlers importing the same
    modules ("partially initialized module" ImportError)."""
    import chatls.azure  # noqa: F401
    from chatls import tokens

    tokens.counter_for(None)


async def did_change_configuration(ls: ChatLSServer, params: types.DidChangeConfigurationParams) -> None:
    if _supports_configuration(ls):
        await fetch_configuration(ls)
        return
    # Clients without workspace/configuration push the settings in the notification itself.
    settings = params.settings
    if isinstance(settings, dict) and SECTION in settings:
        ls.workspace_configuration = settings[SECTION]
        ls.reload_settings()


async def did_change_workspace_folders(
    ls: ChatLSServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    if _supports_configuration(ls):
        await fetch_configuration(ls)


async def fetch_configuration(ls: ChatLSServer) -> None:
    """Ask the client for section `chatls`, globally and per workspace folder, and apply it."""
    folders = [f.uri for f in ls.workspace.folders.values()]
    items = [types.ConfigurationItem(section=SECTION)]
    items += [types.ConfigurationItem(section=SECTION, scope_uri=uri) for uri in folders]
    try:
        answer = await ls.workspace_configuration_async(types.ConfigurationParams(items=items))
    except Exception as exc:
        log.warning("workspace/configuration failed (%s); keeping the current settings", exc)
        return
    values = list(answer or [])
    ls.workspace_configuration = values[0] if values and values[0] is not None else {}
    ls.folder_configuration = {
        normalise_uri(uri): value
        for uri, value in zip(folders, values[1:], strict=False)
        if value is not None
    }
    ls.reload_settings()


async def shutdown(ls: ChatLSServer, params: None) -> None:
    # pygls 2.1.1 fails `shutdown` while an executeCommand is pending (pygls#606): finish our tasks first.
    # Cancelling a chat stores its partial reply as `cancelled`; a background run is left to be resumed.
    ls.stopping = True
    tasks = [t for t in ls.command_tasks if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
    await ls.close_clients()
    await ls.agent_resources.aclose()
    ls.close_store()


def _supports_configuration(ls: ChatLSServer) -> bool:
    return bool(get_capability(ls.client_capabilities, "workspace.configuration", False))


async def _register_configuration_changes(ls: ChatLSServer) -> None:
    # Clients send didChangeConfiguration on their own, except those wanting a dynamic registration.
    if not get_capability(
        ls.client_capabilities, "workspace.did_change_configuration.dynamic_registration", False
    ):
        return
    registration = types.Registration(
        id="chatls-configuration",
        method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
        register_options=types.DidChangeConfigurationRegistrationOptions(section=SECTION),
    )
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as exc:
        log.warning("registering for configuration changes failed: %s", exc)


def register(server: ChatLSServer) -> None:
    server.feature(types.INITIALIZE)(initialize)
    server.feature(types.INITIALIZED)(initialized)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(did_change_workspace_folders)
    server.feature(types.SHUTDOWN)(shutdown)
