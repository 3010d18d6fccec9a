"""`ChatLSServer`: the pygls server and the state its features share; `create_server()` composes the features.

The heavy ones (the openai SDK, tiktoken's encodings) are loaded on first use, not at start-up (`initialized`
loads them once `initialize` is answered): the time to answer `initialize` must stay close to that of a bare
pygls server. Everything else the server needs, including the adapter's types and errors, is cheap to import.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException
from pygls.lsp.server import LanguageServer

from chatls import __version__, config
from chatls.agent.host import AgentResources
from chatls.azure.data_sources import secret_env_names
from chatls.azure.lifecycle import lifecycle_warning
from chatls.azure.models_file import load_models_file
from chatls.azure.retry import RetryPolicy
from chatls.chat_service import ChatService, TurnParts
from chatls.errors import to_jsonrpc
from chatls.logging_setup import register_secret
from chatls.protocol import DELTA, CapabilitiesInfo, ChatLSProtocol, DeltaNotification, ModelInfo
from chatls.store import ConversationStore
from chatls.workspaces import normalise_uri

if TYPE_CHECKING:
    from pygls.exceptions import PyglsError

    from chatls.azure.capabilities import CapabilityTable
    from chatls.azure.client import AzureChatClient
    from chatls.azure.profile import Profile
    from chatls.azure.types import ModelCapabilities
    from chatls.config import ConfigError, Resolved, Settings

    _ClientIdent = tuple[Profile, str | None, RetryPolicy, CapabilityTable, dict[str, str]]

log = logging.getLogger(__name__)

CONFIGURATION_WAIT = 10.0
"""Seconds a request waits for the settings of `initialized` before going on without them."""


class ChatLSServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("chatls", __version__, protocol_cls=ChatLSProtocol)
        self.command_tasks: set[asyncio.Task[Any]] = set()
        """In-flight chats and commands, finished by the shutdown handler (pygls#606)."""
        self.initialization_options: Any = None
        self.workspace_configuration: Any = None
        """The client's `chatls` section (global scope), from `workspace/configuration`."""
        self.folder_configuration: dict[str, Any] = {}
        """The `chatls` section per workspace folder (normalised URI), when the client scopes settings."""
        self.runtime_keys: dict[str, str] = {}
        """API keys handed over by `chatls/setApiKey`, per profile name; memory only."""
        self.chat_service = ChatService(self.turn_parts())
        self._resolved: Resolved | None = None
        self._folder_resolved: dict[str, Resolved] = {}
        self._pending_errors: list[ConfigError] = []
        self._reported_config: set[tuple[str, str]] = set()
        self._clients: dict[str, tuple[_ClientIdent, AzureChatClient]] = {}
        """Adapter clients per profile name, with the (profile, run-time key, retry, model table) they were
        built for."""
        self._store: ConversationStore | None = None
        self._reported_messages: set[str] = set()
        self._configured = asyncio.Event()
        self.stopping = False
        self.agent_resources = AgentResources()
        """MCP servers and cached diagnostics shared by agent turns (docs/agent.md)."""
        """Set by `shutdown`: background runs in flight are left for the next server to resume."""

    def turn_parts(self) -> TurnParts:
        """What the chat service needs from this server, handed over (it never sees the server itself)."""
        return TurnParts(
            ready=self.ready,
            turn_settings=self.turn_settings,
            backend=self.backend,
            store=lambda: self.store,
            stopping=lambda: self.stopping,
        )

    async def ready(self) -> None:
        """Wait until `initialized` has loaded the settings (workspace/configuration included).

        A request that arrives right after `initialized` would otherwise run on half-loaded settings (the
        wrong stateDir, say). If the client never answers, go on after CONFIGURATION_WAIT seconds.
        """
        if self._configured.is_set():
            return
        try:
            await asyncio.wait_for(self._configured.wait(), CONFIGURATION_WAIT)
        except asyncio.TimeoutError:
            log.warning("settings still loading after %s s; going on with what is known", CONFIGURATION_WAIT)

    def mark_configured(self) -> None:
        self._configured.set()

    # --- settings ---------------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The global settings (last good configuration)."""
        if self._resolved is None:
            self.reload_settings(report=False)
        assert self._resolved is not None
        return self._resolved.settings

    def settings_for(self, workspace_uri: str | None) -> Settings:
        """The settings of a workspace folder (its scoped section), else the global ones."""
        if workspace_uri is not None:
            scoped = self._folder_resolved.get(normalise_uri(workspace_uri))
            if scoped is not None:
                return scoped.settings
        return self.settings

    def reload_settings(self, *, report: bool = True) -> None:
        """Re-read every layer; invalid layers are reported once and replaced by their last good value."""
        base, errors = config.base_layers(self.initialization_options)
        resolved = config.resolve_settings(
            [*base, ("workspace settings", self.workspace_configuration)], self._resolved
        )
        all_errors = [*errors, *resolved.errors]
        folders: dict[str, Resolved] = {}
        for folder, section in self.folder_configuration.items():
            layers = [*base, (f"workspace settings of {folder}", section)]
            scoped = config.resolve_settings(layers, self._folder_resolved.get(folder))
            folders[folder] = scoped
            all_errors.extend(scoped.errors)
        self._resolved, self._folder_resolved = resolved, folders
        self._pending_errors.extend(all_errors)
        if report:
            self.report_pending_config_errors()
        self._close_stale_clients()

    def report_pending_config_errors(self) -> None:
        """One `window/showMessage` per invalid setting (by key and reason), however many scopes repeat it."""
        errors, self._pending_errors = self._pending_errors, []
        current: set[tuple[str, str]] = set()
        for error in errors:
            ident = (error.key, error.reason)
            if ident in current:
                continue
            current.add(ident)
            if ident not in self._reported_config:
                text = str(error)
                joiner = " " if text.endswith((".", "?", "!")) else ". "
                message = f"{text}{joiner}ChatLS keeps using the last valid settings."
                log.warning("%s", message)
                self.window_show_message(
                    types.ShowMessageParams(type=types.MessageType.Error, message=message)
                )
        self._reported_config = current

    def turn_settings(self, profile: str | None, workspace_uri: str | None) -> tuple[Settings, Profile]:
        settings = self.settings_for(workspace_uri)
        chosen: Profile = settings.profile(profile)
        return settings, chosen

    def describe_profiles(self, workspace_uri: str | None = None) -> list[ModelInfo]:
        """`chatls/models`: each profile (no secrets) with its resolved capabilities."""
        settings = self.settings_for(workspace_uri)
        default = settings.default_profile or (settings.profiles[0].name if settings.profiles else None)
        described = []
        for profile in settings.profiles:
            entry = ModelInfo(profile.to_dict(), profile.name == default)
            try:
                entry.capabilities = capabilities_info(self.backend(profile, settings).capabilities)
            except Exception as exc:
                entry.error = to_jsonrpc(exc).message
            described.append(entry)
        return described

    # --- adapter clients ---------------------------------------------------------------------------------
    def backend(self, profile: Profile, settings: Settings | None = None) -> AzureChatClient:
        """The cached adapter client for a profile; rebuilt when the profile, key or retry limits changed."""
        from chatls.azure.client import AzureChatClient  # the openai SDK: loaded after `initialize`

        chosen = settings or self.settings
        retry = RetryPolicy(
            max_attempts=chosen.retry_max_attempts, max_total_wait=chosen.retry_max_wait_seconds
        )
        models = load_models_file(chosen.models_file)
        for problem in models.problems:  # one message per bad key of the user's models file
            self.show_message_once(f"ChatLS {problem}", types.MessageType.Warning)
        key = self.runtime_keys.get(profile.name)
        # On Your Data secrets arrive as chatls/setApiKey for "<profile>/<name>" (data_sources.secret_name).
        scoped = profile.name + "/"
        source_keys = {n[len(scoped) :]: v for n, v in self.runtime_keys.items() if n.startswith(scoped)}
        cached = self._clients.get(profile.name)
        if cached is not None:
            if cached[0] == (profile, key, retry, models.table, source_keys):
                return cached[1]
            self._close_client(profile.name)
        register_secret(os.environ.get(profile.api_key_env))  # the adapter reads it; logs must never show it
        for name in secret_env_names(profile.data_sources):
            register_secret(os.environ.get(name))
        client = AzureChatClient(
            profile, lessons=self.store, api_key=key, retry=retry, capability_table=models.table,
            data_source_secrets=source_keys,
        )  # fmt: skip
        self._clients[profile.name] = ((profile, key, retry, models.table, source_keys), client)
        warning = lifecycle_warning(client.capabilities, datetime.date.today(), profile=profile.name)
        if warning is not None:  # once per session: the text names the profile, model and date
            self.show_message_once(warning, types.MessageType.Warning)
        return client

    def forget_clients(self, profile_name: str) -> None:
        """Close the cached client of one profile (after its key, or a data source's secret, changed)."""
        self._close_client(profile_name.split("/", 1)[0])

    async def close_clients(self) -> None:
        cached = list(self._clients.values())
        self._clients.clear()
        for _ident, client in cached:
            try:
                await client.aclose()
            except Exception:
                log.warning("closing an adapter client failed", exc_info=True)

    def _close_stale_clients(self) -> None:
        """After a settings change: close clients whose profile is gone or changed everywhere."""
        resolved = [r for r in (self._resolved, *self._folder_resolved.values()) if r is not None]
        current = [p for r in resolved for p in r.settings.profiles]
        for name, ((profile, *_rest), _client) in list(self._clients.items()):
            if not any(p == profile for p in current):
                self._close_client(name)

    def _close_client(self, profile_name: str) -> None:
        cached = self._clients.pop(profile_name, None)
        if cached is not None:
            self.run_background(cached[1].aclose(), f"closing the client of profile {profile_name}")

    # --- store ------------------------------------------------------------------------------------------
    @property
    def store(self) -> ConversationStore:
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def _open_store(self) -> ConversationStore:
        store = ConversationStore.open(self.settings.resolved_state_dir())
        try:
            # Replies a server that is gone left `pending` (a live one keeps its lease): retryable now.
            settled = store.settle_orphaned_replies()
        except Exception:
            log.warning("settling interrupted replies failed", exc_info=True)
        else:
            if settled:
                log.info(
                    "marked %d reply(s) left pending by a server that is gone as interrupted", len(settled)
                )
        if store.recovered_from is not None:
            self.show_message_once(
                f"ChatLS found its conversation database damaged and started a new one. "
                f"The old file was kept at {store.recovered_from}.",
                types.MessageType.Warning,
            )
        return store

    @property
    def store_is_open(self) -> bool:
        return self._store is not None

    def open_store_early(self) -> None:
        """Open the store now, so a damaged database is reported at start-up rather than at the first chat."""
        try:
            _ = self.store
        except Exception as exc:
            self.show_message_once(to_jsonrpc(exc).message)

    def close_store(self) -> None:
        if self._store is not None:
            try:
                self._store.release_lease()  # our pending replies (if any were left) are free at once
            except Exception:
                log.warning("releasing the lease on pending replies failed", exc_info=True)
            self._store.close()
            self._store = None

    def look_after_orphans(self, conversation_id: str | None = None) -> None:
        """Settle replies whose server is gone as `interrupted` (of one conversation, or all), and resume the
        background runs among them; called when the store opens and whenever a conversation is read."""
        if conversation_id is not None:
            self.store.settle_orphaned_replies(conversation_id)
        if not self.stopping:
            task = self.run_background(self.chat_service.resume_runs(self.send_delta), "resuming replies")
            self.command_tasks.add(task)  # shutdown leaves it resumable again
            task.add_done_callback(self.command_tasks.discard)

    def send_delta(self, delta: DeltaNotification) -> None:
        """One `chatls/delta` notification to the client."""
        self.protocol.notify(DELTA, delta)

    # --- tasks and messages -----------------------------------------------------------------------------
    def track_current_task(self) -> None:
        """Register the running command so `shutdown` can finish it first."""
        task = asyncio.current_task()
        if task is not None:
            self.command_tasks.add(task)
            task.add_done_callback(self.command_tasks.discard)

    def run_background(self, coro: Any, what: str) -> asyncio.Task[Any]:
        """Run `coro` without awaiting it; failures are logged, never lost."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)

        def done(t: asyncio.Task[Any]) -> None:
            if not t.cancelled() and t.exception() is not None:
                log.warning("%s failed", what, exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def show_message_once(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        """`window/showMessage`, unless this exact message was already shown in this session."""
        if message in self._reported_messages:
            return
        self._reported_messages.add(message)
        log.warning("%s", message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def report_server_error(self, error: Exception, source: type[PyglsError | JsonRpcException]) -> None:
        # Request errors are answered in the response; everything else is logged and shown at most once.
        if source is FeatureRequestError:
            return
        log.error("server error (%s): %s", source.__name__, error, exc_info=error)
        if source is JsonRpcException:  # pygls' reader: the bytes the editor sent could not be read
            self.show_message_once(
                "ChatLS received a message from the editor that it could not read and ignored it; "
                "the server log has the details."
            )
        else:
            self.show_message_once("ChatLS hit an internal error; the server log has the details.")


def capabilities_info(caps: ModelCapabilities) -> CapabilitiesInfo:
    """What `chatls/models` shows of a model's capabilities."""
    return CapabilitiesInfo(
        family=caps.family,
        reasoning=caps.reasoning,
        streaming=caps.streaming,
        context_window=caps.context_window,
        input_limit=caps.input_limit,
        max_output_tokens=caps.max_output_tokens,
        resolution=caps.resolution,
        reported_model=caps.details.get("reportedModel"),
        deprecated=caps.deprecated,
        retires=caps.retires,
        replacement=caps.replacement,
        details=caps.details,
    )


def create_server() -> ChatLSServer:
    """A fresh server with every feature registered (no module-level server: tests build their own)."""
    from chatls.features import register_all

    server = ChatLSServer()
    register_all(server)
    return server
