"""Settings, keys, models, export and the damaged database, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    TEST_KEY_ENV,
    OpenSession,
    chat,
    execute_command,
    has_capability,
    init_options,
    profile,
    request,
    server_env,
)
from tests.support.waiting import wait_until_async

from chatls.emulator.fixture import RunningEmulator

pytestmark = SPEC_WARNINGS_ARE_ERRORS


async def messages_naming(client: LanguageClient, key: str, *, at_least: int = 1) -> list[str]:
    """showMessage texts that name `key`, once at least `at_least` arrived."""

    def naming() -> list[str]:
        return [m.message for m in client.messages if f"`{key}`" in m.message]

    await wait_until_async(
        lambda: len(naming()) >= at_least,
        f"{at_least} showMessage naming `{key}`",
        last_seen=lambda: [m.message for m in client.messages],
    )
    return naming()


async def settings_fetched(client: LanguageClient, since: int) -> None:
    """Wait until the server has asked for its settings again (more than `since` requests in all). The
    answer is applied before any request sent after it, so the next request sees the new settings."""
    requests: list[object] = client.configuration_requests  # type: ignore[attr-defined]
    await wait_until_async(lambda: len(requests) > since, "the server to fetch its settings")


def fetches(client: LanguageClient) -> int:
    return len(client.configuration_requests)  # type: ignore[attr-defined]


async def system_message(emulator: RunningEmulator) -> str:
    body = (await emulator.chat_requests())[-1]["body"]
    return str(next(m["content"] for m in body["messages"] if m["role"] in ("system", "developer")))


async def test_invalid_initialization_option_is_reported_once_and_the_server_keeps_answering(
    session: OpenSession, emulator: RunningEmulator, tmp_path: Path, state_dir: Path
) -> None:
    # The profile comes from the environment; the bad option must not take it away.
    env = server_env(
        config_home=tmp_path / "config",
        AZURE_OPENAI_ENDPOINT=emulator.url,
        AZURE_OPENAI_DEPLOYMENT="gpt-4o",
        AZURE_OPENAI_API_KEY=emulator.api_key,
        OPENAI_API_VERSION="2024-10-21",
    )
    options = {"stateDir": str(state_dir), "maxHistoryMessages": "lots"}
    async with session(init_options=options, env=env) as client:
        found = await messages_naming(client, "maxHistoryMessages")
        result = await chat(client, "still there?")
    # read after shutdown was answered: a repeated message, sent before that answer, would be here
    messages = [m.message for m in client.messages]

    assert len(found) == 1, messages
    assert "expected an integer" in found[0]
    assert result["content"] == "Echo from gpt-4o: still there?"
    assert len(messages) == 1


async def test_workspace_settings_apply_and_an_invalid_change_keeps_the_last_good_ones(
    session: OpenSession, emulator: RunningEmulator, preset: str, project: Path
) -> None:
    pulls = has_capability(preset, "configuration")
    configuration = {"instructions": "Answer like a pirate."} if pulls else None
    async with session(configuration=configuration) as client:
        # Pulled settings are fetched before any request is served; pushed ones are applied in order.
        if not pulls:  # Neovim 0.7 pushes settings in the notification instead
            push(client, {"instructions": "Answer like a pirate."})
        await chat(client, "first")
        first_instructions = await system_message(emulator)

        change(client, pulls, {"instructions": 42, "contextLines": 3})
        found = await messages_naming(client, "instructions")
        await chat(client, "second")
        kept_instructions = await system_message(emulator)

        before = fetches(client)
        change(client, pulls, {"instructions": 43})  # the same mistake again: no second message
        if pulls:
            await settings_fetched(client, since=before)
        await chat(client, "third")  # answered after the change was applied: a second message would be here
        again = await messages_naming(client, "instructions")

    assert first_instructions == "Answer like a pirate."
    assert len(found) == 1 and "expected a string" in found[0]
    assert kept_instructions == "Answer like a pirate."
    assert len(again) == 1


def change(client: LanguageClient, pulls: bool, section: dict[str, object]) -> None:
    if pulls:
        client.set_configuration(section, section="chatls")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    else:
        push(client, section)


def push(client: LanguageClient, section: dict[str, object]) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"chatls": section})
    )


@pytest.mark.parametrize("preset", ["visual-studio-code"])  # Neovim 0.7 declares no workspace/configuration
async def test_folder_scoped_settings_apply_to_that_folder(
    session: OpenSession, emulator: RunningEmulator, preset: str, project: Path
) -> None:
    async with session(configuration={"instructions": "Global."}) as client:
        client.set_configuration(
            {"instructions": "For this folder."}, section="chatls", scope_uri=project.as_uri()
        )
        before = fetches(client)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await settings_fetched(client, since=before)
        await chat(client, "in the folder", workspaceUri=project.as_uri())
        in_folder = await system_message(emulator)
        await chat(client, "elsewhere", workspaceUri="file:///somewhere/else")
        elsewhere = await system_message(emulator)
    assert (in_folder, elsewhere) == ("For this folder.", "Global.")


async def test_missing_key_is_reported_with_what_to_set_and_set_api_key_fixes_it(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path
) -> None:
    options = init_options(
        emulator.url, state_dir=state_dir, profiles=[profile(emulator.url, api_key_env="CHATLS_UNSET_KEY")]
    )
    async with session(init_options=options) as client:
        with pytest.raises(JsonRpcException) as missing:
            await chat(client, "hello?")
        answer = await request(client, "chatls/setApiKey", {"profile": "default", "apiKey": emulator.api_key})
        result = await chat(client, "hello again")

    assert -32099 <= missing.value.code <= -32000
    assert "CHATLS_UNSET_KEY" in missing.value.message
    assert answer == {"profile": "default"}
    assert result["content"] == "Echo from gpt-4o: hello again"


async def test_no_profile_anywhere_says_what_to_set(session: OpenSession, state_dir: Path) -> None:
    async with session(init_options={"stateDir": str(state_dir)}) as client:
        with pytest.raises(JsonRpcException) as failure:
            await chat(client, "anyone?")
    assert failure.value.data["kind"] == "configuration"
    assert "AZURE_OPENAI_ENDPOINT" in failure.value.message and "profiles" in failure.value.message


async def test_models_lists_profiles_with_capabilities_and_no_secret(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path
) -> None:
    profiles = [
        profile(emulator.url),
        profile(emulator.url, name="thinker", deployment="o1", api_version="2024-12-01-preview"),
        profile(emulator.url, name="five", deployment="gpt-5", api_version="2025-04-01-preview"),
    ]
    async with session(
        init_options=init_options(emulator.url, state_dir=state_dir, profiles=profiles)
    ) as client:
        models = await request(client, "chatls/models", {})
        by_command = await execute_command(client, "chatls.models")

    assert models == by_command
    assert [m["name"] for m in models] == ["default", "thinker", "five"]
    assert [m["default"] for m in models] == [True, False, False]
    assert models[0]["capabilities"]["reasoning"] is False
    assert models[1]["capabilities"]["reasoning"] is True
    assert models[1]["capabilities"]["contextWindow"] > 0
    assert models[0]["capabilities"]["inputLimit"] == models[0]["capabilities"]["contextWindow"]
    five = models[2]["capabilities"]
    assert (five["contextWindow"], five["inputLimit"]) == (400_000, 272_000)  # GPT-5 caps the input
    assert emulator.api_key not in repr(models)
    assert models[0]["apiKeyEnv"] == TEST_KEY_ENV


async def test_conversation_requests_and_commands_agree_and_export_writes_markdown(
    session: OpenSession, tmp_path: Path
) -> None:
    target = tmp_path / "export" / "conversation.md"
    async with session() as client:
        first = await chat(client, "Export me")
        listed = await request(client, "chatls/conversations", {})
        listed_by_command = await execute_command(client, "chatls.conversations", {})
        shown = await execute_command(
            client, "chatls.conversation", {"conversationId": first["conversationId"]}
        )
        exported = await execute_command(
            client,
            "chatls.exportConversation",
            {"conversationId": first["conversationId"], "path": str(target)},
        )
        renamed = await request(
            client,
            "chatls/renameConversation",
            {"conversationId": first["conversationId"], "title": "  Exported\n chat "},
        )
        listed_renamed = await request(client, "chatls/conversations", {})
        deleted = await request(
            client, "chatls/deleteConversation", {"conversationId": first["conversationId"]}
        )
        deleted_again = await execute_command(
            client, "chatls.deleteConversation", {"conversationId": first["conversationId"]}
        )
        after = await request(client, "chatls/conversations", {})

    assert listed == listed_by_command and [c["id"] for c in listed] == [first["conversationId"]]
    assert listed[0]["messageCount"] == 2 and listed[0]["title"] == "Export me"
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant"]
    assert exported["path"] == str(target)
    assert target.read_text(encoding="utf-8") == exported["markdown"]
    assert "Export me" in exported["markdown"] and first["content"] in exported["markdown"]
    assert renamed == {"conversationId": first["conversationId"], "title": "Exported chat"}
    assert [c["title"] for c in listed_renamed] == ["Exported chat"]
    assert (deleted, deleted_again, after) == ({"deleted": True}, {"deleted": False}, [])


async def test_damaged_database_is_moved_aside_and_the_user_is_told(
    session: OpenSession, state_dir: Path
) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / "chatls.db").write_bytes(b"this is not a database" * 100)
    async with session() as client:
        await wait_until_async(lambda: client.messages, "the message about the damaged database")
        result = await chat(client, "fresh start")

    assert len(client.messages) == 1
    message = client.messages[0].message
    moved = [p for p in state_dir.iterdir() if p.name.startswith("chatls.db") and p.name != "chatls.db"]
    moved_files = [p for p in moved if p.read_bytes().startswith(b"this is not a database")]
    assert len(moved_files) == 1
    assert str(moved_files[0]) in message
    assert result["content"] == "Echo from gpt-4o: fresh start"


async def test_a_profile_without_endpoint_says_what_to_set(session: OpenSession, state_dir: Path) -> None:
    options = {"stateDir": str(state_dir), "profiles": [{"name": "half", "deployment": "gpt-4o"}]}
    async with session(init_options=options) as client:
        with pytest.raises(JsonRpcException) as failure:
            await chat(client, "anyone?")
        listed = await request(client, "chatls/conversations", {})
    assert failure.value.code == -32010
    assert failure.value.data == {"kind": "configuration", "key": "endpoint"}
    assert "endpoint" in failure.value.message and "AZURE_OPENAI_ENDPOINT" in failure.value.message
    assert [(c["title"], c["messageCount"]) for c in listed] == [("anyone?", 2)]  # the prompt is kept
