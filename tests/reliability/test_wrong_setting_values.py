"""A key pasted into the wrong setting (`apiKeyEnv`, `endpoint`) is never repeated: not in the message that
reports the setting, a chat's error, `chatls/models`, nor the log. Before, all of them echoed it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from tests.reliability.wire import WireServer
from tests.support.lsp import profile, server_env

from chatls import protocol
from chatls.emulator.fixture import emulator_in_thread


@pytest.mark.guarantee("a key pasted into apiKeyEnv or endpoint is never repeated: messages, logs, models")
def test_a_key_in_the_wrong_setting_is_never_repeated(tmp_path: Path) -> None:
    in_env_name = "c" + uuid.uuid4().hex  # what an Azure key looks like (it is also a valid variable name)
    in_endpoint = uuid.uuid4().hex + "Z9"
    project = tmp_path / "project"
    project.mkdir()
    with emulator_in_thread() as emu:
        options = {
            "stateDir": str(tmp_path / "state"),
            "defaultProfile": "pasted",
            "profiles": [profile(emu.url, name="pasted", api_key_env=in_env_name)],
        }
        server = WireServer("--log-level", "DEBUG", env=server_env(config_home=tmp_path / "config"))
        try:
            server.initialize(options, project)
            models = server.request(protocol.MODELS, {})
            chat = server.request(protocol.CHAT, {"prompt": "hello"})
            other = {**options, "profiles": [profile(in_endpoint, name="pasted")]}
            server.notify("workspace/didChangeConfiguration", {"settings": {"chatls": other}})
            models_after = server.request(protocol.MODELS, {})
            chat_after = server.request(protocol.CHAT, {"prompt": "hello again"})
            assert server.shutdown() == 0
        finally:
            server.close()
    said = [n for n in server.notifications if n["method"] == "window/showMessage"]
    assert any("apiKeyEnv" in n["params"]["message"] and "API key" in n["params"]["message"] for n in said)
    assert any("endpoint" in n["params"]["message"] for n in said), said
    answers = json.dumps([models, chat, models_after, chat_after, said])
    everything = answers + server.stderr.decode(errors="replace")
    for secret in (in_env_name, in_endpoint):
        assert secret not in everything
        assert secret.encode() not in server.stdout
