"""A canary API key must never reach the server's log (even at DEBUG), a response, a notification or the DB.

The server runs with DEBUG logging for ChatLS *and* pygls (which then logs every message body, setApiKey's
included). The canaries are real keys the emulator accepts, so they travel the whole path.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from tests.support.lsp import (
    SPEC_WARNINGS_ARE_ERRORS,
    chat,
    folder,
    init_options,
    lsp_session,
    request,
    server_env,
)

from chatls.emulator.fixture import StartEmulator

pytestmark = SPEC_WARNINGS_ARE_ERRORS


@pytest.mark.guarantee("API keys never appear in a response, delta, log line, stderr or the database")
@pytest.mark.parametrize("preset", ["visual-studio-code"])
async def test_canary_keys_never_leak(
    preset: str, start_emulator: StartEmulator, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    env_canary = f"canary-env-{uuid.uuid4().hex}"
    runtime_canary = f"canary-runtime-{uuid.uuid4().hex}"
    rejected_canary = f"canary-rejected-{uuid.uuid4().hex}"
    emulator = await start_emulator({"server": {"api_keys": [env_canary, runtime_canary]}})
    state_dir = tmp_path / "state"
    project = tmp_path / "project"
    project.mkdir()
    seen: list[Any] = []

    async with lsp_session(
        preset,
        init_options=init_options(emulator.url, state_dir=state_dir),
        env=server_env(env_canary, config_home=tmp_path / "config"),
        folders=[folder(project)],
        server_args=["--log-level", "DEBUG", "--pygls-log-level", "DEBUG"],
    ) as client:
        seen.append(await chat(client, "first, with the key from the environment"))
        seen.append(
            await request(client, "chatls/setApiKey", {"profile": "default", "apiKey": runtime_canary})
        )
        seen.append(await chat(client, "second, with the key handed over at run time"))
        seen.append(
            await request(client, "chatls/setApiKey", {"profile": "default", "apiKey": rejected_canary})
        )
        with pytest.raises(JsonRpcException) as refused:
            await chat(client, "third, with a key Azure refuses")
        seen.append((refused.value.code, refused.value.message, refused.value.data))
        seen.append(await request(client, "chatls/models", {}))
        listed = await request(client, "chatls/conversations", {})
        seen.append(listed)
        for conversation in listed:
            seen.append(await request(client, "chatls/conversation", {"conversationId": conversation["id"]}))
        seen.extend(client.deltas)  # type: ignore[attr-defined]
        seen.extend(m.message for m in client.messages)
        seen.extend(m.message for m in client.log_messages)

    assert refused.value.data["kind"] == "auth"
    assert len(await emulator.chat_requests()) >= 3  # the keys really went upstream
    server_output = capfd.readouterr().err
    assert "DEBUG" in server_output and "chatls/setApiKey" in server_output  # pygls really logged bodies
    stored = b"".join(p.read_bytes() for p in state_dir.iterdir() if p.is_file())
    assert stored  # the database (and its WAL) exist
    for canary in (env_canary, runtime_canary, rejected_canary):
        assert canary not in repr(seen)
        assert canary not in server_output
        assert canary.encode() not in stored


async def set_key(client: LanguageClient, key: str) -> Any:
    return await request(client, "chatls/setApiKey", {"profile": "default", "apiKey": key})
