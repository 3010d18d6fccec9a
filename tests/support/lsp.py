"""Shared helpers for end-to-end tests that drive `chatls serve` with a pytest-lsp client.

Typical use (every e2e test talks to the emulator over loopback HTTP):

    async with lsp_session(preset, init_options=init_options(emulator.url, state_dir=tmp_path)) as client:
        result = await chat(client, prompt="hello", workspace_uri=folder_uri)
        assert "".join(d["content"] for d in client.deltas if d.get("content")) == result["content"]

`client.deltas` holds every `chatls/delta` as a plain dict (camelCase keys, as on the wire),
`client.applied_edits` every `workspace/applyEdit` the server sent and `client.configuration_requests` every
`workspace/configuration` it asked. To wait for one of them use `tests.support.waiting`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Union

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, default_converter, register_lsp_features

OpenSession = Callable[..., AbstractAsyncContextManager[LanguageClient]]
"""`session(**overrides)` fixtures: open an `lsp_session` with test defaults filled in."""

PRESETS = ("visual-studio-code", "neovim@v0.7.0")
"""Client presets every e2e test runs with: VS Code declares the most, Neovim 0.7 lacks documentChanges."""

SPEC_WARNINGS_ARE_ERRORS = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")
"""Mark for e2e modules (`pytestmark = SPEC_WARNINGS_ARE_ERRORS`): a client-spec violation fails the test."""

TEST_KEY_ENV = "CHATLS_TEST_API_KEY"
"""Environment variable the test profiles read their API key from."""

_AZURE_ENV = (
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_DEPLOYMENT",
    "OPENAI_API_VERSION",
)


def server_command(*extra: str) -> list[str]:
    """The command that starts the server under test (the same module the console script runs)."""
    return [sys.executable, "-m", "chatls", "serve", *extra]


def server_env(api_key: str = "test-key", *, config_home: Path | None = None, **extra: str) -> dict[str, str]:
    """Environment for the server: the caller's, minus any real Azure settings, plus the test key.

    `config_home` points XDG_CONFIG_HOME somewhere private so a developer's own `config.toml` never leaks in.
    """
    env = {k: v for k, v in os.environ.items() if k not in _AZURE_ENV}
    env[TEST_KEY_ENV] = api_key
    if config_home is not None:
        env["XDG_CONFIG_HOME"] = str(config_home)
    env.update(extra)
    return env


def profile(
    endpoint: str,
    *,
    name: str = "default",
    deployment: str = "gpt-4o",
    api_version: str = "2024-10-21",
    api_key_env: str = TEST_KEY_ENV,
    **extra: Any,
) -> dict[str, Any]:
    """A profile in the settings contract's shape (camelCase keys)."""
    return {
        "name": name,
        "endpoint": endpoint,
        "deployment": deployment,
        "apiVersion": api_version,
        "auth": "apiKey",
        "apiKeyEnv": api_key_env,
        **extra,
    }


def init_options(
    emulator_url: str,
    api_key_env: str = TEST_KEY_ENV,
    state_dir: Path | str | None = None,
    *,
    profiles: Iterable[Mapping[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """initializationOptions with one `default` profile on the emulator's gpt-4o deployment.

    Pass `profiles=[profile(url, name="r", deployment="o1-preview", ...)]` to replace it; any other keyword
    becomes a top-level setting (camelCase, e.g. `instructions="Be brief."`).
    """
    options: dict[str, Any] = {
        "profiles": [dict(p) for p in profiles]
        if profiles is not None
        else [profile(emulator_url, api_key_env=api_key_env)],
        "defaultProfile": "default",
    }
    if state_dir is not None:
        options["stateDir"] = str(state_dir)
    options.update(overrides)
    return options


def session_settings(
    tmp_path: Path,
    emulator_url: str,
    *,
    api_key: str = "test-key",
    profiles: Iterable[Mapping[str, Any]] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """`lsp_session` keyword arguments for a window on this test's state directory (tmp_path/state) and
    project (tmp_path/project, created): windows opened with the same ones share one history.

    `profiles` and `options` go to `init_options`; the environment holds `api_key` and a private config home.
    """
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    return {
        "init_options": init_options(
            emulator_url, state_dir=tmp_path / "state", profiles=profiles, **options
        ),
        "env": server_env(api_key, config_home=tmp_path / "config"),
        "folders": [folder(project)],
    }


def fix_code_action_union(client: LanguageClient) -> None:
    """Work around lsprotocol 2025.0.0's client-side `Command | CodeAction` hook (see pygls2.md §12).

    It picks Command whenever the object has a "command" key, so CodeAction(command=Command(...)) comes back
    mangled. Decide by whether "command" is a string (a Command) or an object (a CodeAction).
    """
    conv = client.protocol._converter

    def command_or_action(obj: Any, _type: Any) -> Any:
        if isinstance(obj.get("command"), str):
            return conv.structure(obj, types.Command)
        return conv.structure(obj, types.CodeAction)

    conv.register_structure_hook(Union[types.Command, types.CodeAction], command_or_action)  # noqa: UP007


def to_plain(value: Any) -> Any:
    """pygls hands custom payloads to clients as namedtuple `Object`s: turn them back into JSON values."""
    if hasattr(value, "_asdict"):
        return {k: to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


def record_deltas(client: LanguageClient) -> list[dict[str, Any]]:
    """Record every `chatls/delta` notification (as a dict) on `client.deltas`."""
    deltas: list[dict[str, Any]] = []

    @client.feature("chatls/delta")
    def on_delta(params: Any) -> None:
        deltas.append(to_plain(params))

    client.deltas = deltas  # type: ignore[attr-defined]
    return deltas


def record_applied_edits(
    client: LanguageClient, *, applied: bool = True
) -> list[types.ApplyWorkspaceEditParams]:
    """Answer `workspace/applyEdit` with `applied` and record each request on `client.applied_edits`."""
    edits: list[types.ApplyWorkspaceEditParams] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        edits.append(params)
        accept = getattr(client, "accept_edits", applied)
        if accept and getattr(client, "edits_to_disk", False):
            write_edit_to_disk(params.edit)
        reason = None if accept else "rejected by the test client"
        return types.ApplyWorkspaceEditResult(applied=accept, failure_reason=reason)

    client.applied_edits = edits  # type: ignore[attr-defined]
    return edits


def write_edit_to_disk(edit: types.WorkspaceEdit) -> None:
    """Apply a WorkspaceEdit to the files it names, as an editor that saves at once would."""
    from urllib.parse import unquote, urlparse

    from chatls.edits import span_of

    def path(uri: str) -> Path:
        return Path(unquote(urlparse(uri).path))

    def apply(uri: str, text_edits: Iterable[Any]) -> None:
        target = path(uri)
        text = target.read_text(encoding="utf-8") if target.exists() else ""
        for text_edit in sorted(text_edits, key=lambda e: (e.range.start.line, e.range.start.character),
                                reverse=True):  # fmt: skip
            start, end = span_of(text, text_edit.range)
            text = text[:start] + text_edit.new_text + text[end:]
        target.write_text(text, encoding="utf-8")

    for operation in edit.document_changes or ():
        if isinstance(operation, types.CreateFile):
            path(operation.uri).parent.mkdir(parents=True, exist_ok=True)
            path(operation.uri).touch(exist_ok=False)
        elif isinstance(operation, types.TextDocumentEdit):
            apply(operation.text_document.uri, operation.edits)
    for uri, text_edits in (edit.changes or {}).items():
        apply(uri, text_edits)


def answer_message_requests(client: LanguageClient) -> list[types.ShowMessageRequestParams]:
    """Answer `window/showMessageRequest` and record each request on `client.message_requests`.

    The answer is the next title in `client.message_answers` (popped in order), else the action titled
    `client.confirm_choice` (a standing choice), else none (the message dismissed).
    """
    asked: list[types.ShowMessageRequestParams] = []
    client.message_answers = []  # type: ignore[attr-defined]
    client.confirm_choice = None  # type: ignore[attr-defined]

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def on_request(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        asked.append(params)
        answers: list[str] = client.message_answers  # type: ignore[attr-defined]
        if answers:
            return types.MessageActionItem(title=answers.pop(0))
        wanted = client.confirm_choice  # type: ignore[attr-defined]
        return next((a for a in params.actions or () if a.title == wanted), None)

    client.message_requests = asked  # type: ignore[attr-defined]
    return asked


def make_client() -> LanguageClient:
    """pytest-lsp's test client (`make_test_lsp_client`) with our own `workspace/configuration` handler."""
    client = LanguageClient(converter_factory=default_converter)
    features = {m: f for m, f in DEFAULT_CLIENT_FEATURES.items() if m != types.WORKSPACE_CONFIGURATION}
    register_lsp_features(client, features)
    record_configuration_requests(client)
    return client


def record_configuration_requests(client: LanguageClient) -> list[types.ConfigurationParams]:
    """Answer `workspace/configuration` as pytest-lsp does (from `client.set_configuration`) and record each
    request on `client.configuration_requests`, so a test that changes settings can wait for the server to
    have fetched them instead of sleeping. For a client made without that handler (`make_client`)."""
    requests: list[types.ConfigurationParams] = []

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def on_configuration(params: types.ConfigurationParams) -> list[Any]:
        requests.append(params)
        return [client.get_configuration(section=i.section, scope_uri=i.scope_uri) for i in params.items]

    client.configuration_requests = requests  # type: ignore[attr-defined]
    return requests


def accept_registrations(client: LanguageClient) -> list[types.RegistrationParams]:
    """Answer `client/registerCapability` (pytest-lsp has no default handler) and record each request."""
    registrations: list[types.RegistrationParams] = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        registrations.append(params)

    client.registrations = registrations  # type: ignore[attr-defined]
    return registrations


def folder(path: Path) -> types.WorkspaceFolder:
    """A workspace folder for `path` (which must exist)."""
    return types.WorkspaceFolder(uri=path.resolve().as_uri(), name=path.name)


def has_capability(preset: str, name: str) -> bool:
    """Whether the client preset declares a (top-level workspace/window) capability, e.g. "configuration"."""
    caps = client_capabilities(preset)
    for section in (caps.workspace, caps.window):
        if section is not None and getattr(section, name, None):
            return True
    return False


@contextlib.asynccontextmanager
async def lsp_session(
    preset: str,
    *,
    init_options: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    folders: Iterable[types.WorkspaceFolder] = (),
    configuration: Mapping[str, Any] | None = None,
    server_args: Iterable[str] = (),
    shutdown: bool = True,
) -> AsyncIterator[LanguageClient]:
    """Start `chatls serve`, initialize it as client `preset`, yield the client, shut it down cleanly.

    `configuration` is what the client answers to `workspace/configuration` for section `chatls`.
    """
    client = make_client()
    fix_code_action_union(client)
    record_deltas(client)
    record_applied_edits(client)
    answer_message_requests(client)
    accept_registrations(client)
    if configuration is not None:
        client.set_configuration(dict(configuration), section="chatls")
    await client.start_io(*server_command(*server_args), env=dict(env) if env is not None else server_env())
    exited_cleanly = False
    try:
        folder_list = list(folders)
        await asyncio.wait_for(
            client.initialize_session(
                types.InitializeParams(
                    capabilities=client_capabilities(preset),
                    initialization_options=dict(init_options) if init_options is not None else None,
                    workspace_folders=folder_list or None,
                    root_uri=folder_list[0].uri if folder_list else None,
                )
            ),
            timeout=30,
        )
        yield client
        if shutdown:
            await asyncio.wait_for(client.shutdown_session(), timeout=30)
            exited_cleanly = True
    finally:
        server = client._server
        if not exited_cleanly and server is not None and server.returncode is None:
            server.kill()  # a failed test must not wait for a server that was never told to exit
        await asyncio.wait_for(client.stop(), timeout=30)


async def request(client: LanguageClient, method: str, params: Any, *, msg_id: str | None = None) -> Any:
    """Send a ChatLS custom request and return its result as plain JSON (dicts and lists)."""
    result = await asyncio.wait_for(client.protocol.send_request_async(method, params, msg_id=msg_id), 60)
    return to_plain(result)


async def chat(client: LanguageClient, prompt: str, **params: Any) -> dict[str, Any]:
    """`chatls/chat` with camelCase `params` (e.g. workspaceUri=..., conversationId=...)."""
    result: dict[str, Any] = await request(client, "chatls/chat", {"prompt": prompt, **params})
    return result


async def execute_command(client: LanguageClient, command: str, *arguments: Any) -> Any:
    """`workspace/executeCommand`; the result is plain JSON."""
    params = types.ExecuteCommandParams(command=command, arguments=list(arguments))
    return to_plain(await asyncio.wait_for(client.workspace_execute_command_async(params), 60))


def delta_text(deltas: Iterable[Mapping[str, Any]], message_id: str | None = None) -> str:
    """The reply text the deltas add up to (optionally for one message only)."""
    return "".join(
        d.get("content") or "" for d in deltas if message_id is None or d.get("messageId") == message_id
    )


def statuses(deltas: Iterable[Mapping[str, Any]]) -> list[str]:
    """The status lines among the deltas, in order."""
    return [d["status"] for d in deltas if d.get("status")]
