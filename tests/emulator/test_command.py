"""`chatls emulator` (also `python -m chatls.emulator`): URL and profile printed, stops on SIGINT/SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import IO

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]


def read_announcement(stdout: IO[str]) -> tuple[str, dict[str, str]]:
    """The first line names the URL; a config.toml profile follows, then the same profile as JSON."""
    first = stdout.readline()
    assert first.startswith("Azure OpenAI emulator listening on http://127.0.0.1:")
    url = first.rsplit(" ", 1)[1].strip()
    assert stdout.readline().strip() == "ChatLS profile for config.toml:"
    toml_lines: list[str] = []
    while (line := stdout.readline()).strip() != "ChatLS profile (JSON, for editor settings):":
        assert line, "stdout ended before the JSON profile"
        toml_lines.append(line)
    (from_toml,) = tomllib.loads("".join(toml_lines))["profiles"]
    lines: list[str] = []
    while not lines or lines[-1].rstrip() != "}":
        line = stdout.readline()
        assert line, "stdout ended before the profile was complete"
        lines.append(line)
    profile = json.loads("".join(lines))
    assert from_toml == profile
    return url, profile


CHATLS_EMULATOR = [sys.executable, "-m", "chatls", "emulator"]  # what the `chatls` script runs
MODULE = [sys.executable, "-m", "chatls.emulator"]


@pytest.mark.parametrize(
    ("command", "signum"),
    [(CHATLS_EMULATOR, signal.SIGINT), (MODULE, signal.SIGINT), (CHATLS_EMULATOR, signal.SIGTERM)],
    ids=["chatls-emulator-ctrl-c", "module-ctrl-c", "chatls-emulator-sigterm"],
)
def test_command_prints_url_and_profile_and_stops(command: list[str], signum: int) -> None:
    process = subprocess.Popen(
        [*command, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        url, profile = read_announcement(process.stdout)
        assert profile == {
            "name": "emulator",
            "endpoint": url,
            "deployment": "gpt-4o",
            "apiVersion": "2024-10-21",
            "auth": "apiKey",
            "apiKeyEnv": "AZURE_OPENAI_API_KEY",
        }
        request = urllib.request.Request(
            f"{url}/openai/deployments/gpt-4o/chat/completions?api-version={profile['apiVersion']}",
            data=json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode(),
            headers={"content-type": "application/json", "api-key": "anything"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.load(response)["choices"][0]["message"]["content"] == "Echo from gpt-4o: hi"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert "chatls emulator: stopped" in stderr


def test_command_with_config_file_names_its_deployment(tmp_path: Path) -> None:
    config = tmp_path / "emu.toml"
    config.write_text(
        '[server]\napi_keys = ["k"]\n[deployments]\nmy-o1 = "o1-2024-12-17"\n', encoding="utf-8"
    )
    process = subprocess.Popen(
        [*CHATLS_EMULATOR, "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        _, profile = read_announcement(process.stdout)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert profile["deployment"] == "my-o1"
    assert "AZURE_OPENAI_API_KEY=k" in stderr
    assert process.returncode == 0


def test_port_in_use_is_a_clear_error() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "chatls.emulator", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
