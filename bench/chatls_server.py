"""Running `chatls serve` for a benchmark: isolated environment, settings pointing at the emulator."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.lsp_client import LspClient
from bench.procs import PYTHON, pinned

KEY_ENV = "CHATLS_BENCH_API_KEY"
"""Environment variable the benchmark profile reads its key from (the emulator's key, never a real one)."""

DEPLOYMENT = "gpt-4o"

_AZURE_ENV = (
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_DEPLOYMENT",
    "OPENAI_API_VERSION",
)


def server_argv(core: int | None = None) -> list[str]:
    return [*(pinned(core) if core is not None else []), PYTHON, "-m", "chatls", "serve"]


def token_counter() -> tuple[dict[str, str], str]:
    """Environment that lets the server count tokens as it does in use, and which counter that is.

    The private XDG dirs below would hide the developer's tiktoken cache, so point TIKTOKEN_CACHE_DIR at it
    when it holds gpt-4o's encoding (scripts/fetch-tiktoken-cache.sh fills it); else the server estimates.
    """
    from chatls import tokens

    path = tokens.cached_encoding_file(tokens.encoding_for_family(DEPLOYMENT))
    if path is None:
        return {}, "estimate (no tiktoken cache)"
    return {"TIKTOKEN_CACHE_DIR": str(path.parent)}, "tiktoken"


def server_env(workdir: Path, api_key: str) -> dict[str, str]:
    """No real Azure settings, the key in KEY_ENV, XDG dirs inside `workdir` (no user config leaks in) and
    the developer's tiktoken cache when there is one."""
    env = {k: v for k, v in os.environ.items() if k not in _AZURE_ENV}
    env.update(token_counter()[0])
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        path = workdir / "xdg" / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env[KEY_ENV] = api_key
    return env


def init_options(
    emulator_url: str, state_dir: Path, *, deployment: str = DEPLOYMENT, **profile_extra: Any
) -> dict[str, Any]:
    """initializationOptions: one `default` profile on the emulator (plus `profile_extra` camelCase keys),
    state in `state_dir`."""
    return {
        "profiles": [
            {
                "name": "default",
                "endpoint": emulator_url,
                "deployment": deployment,
                "apiVersion": "2024-10-21",
                "auth": "apiKey",
                "apiKeyEnv": KEY_ENV,
                **profile_extra,
            }
        ],
        "defaultProfile": "default",
        "stateDir": str(state_dir),
    }


async def start_server(
    workdir: Path,
    *,
    emulator_url: str,
    api_key: str,
    state_dir: Path,
    root: Path | None,
    core: int | None = None,
    name: str = "server",
    **profile_extra: Any,
) -> LspClient:
    """Spawn and initialize `chatls serve`; its stderr goes to WORKDIR/NAME.stderr."""
    options = init_options(emulator_url, state_dir, **profile_extra)
    client = await LspClient.spawn(
        server_argv(core),
        env=server_env(workdir, api_key),
        stderr_path=workdir / f"{name}.stderr",
        settings={k: v for k, v in options.items() if k != "stateDir"},
    )
    await client.initialize(root, initialization_options=options)
    return client


async def chat(
    client: LspClient,
    prompt: str,
    *,
    workspace_uri: str,
    conversation_id: str | None = None,
    timeout: float = 60,
) -> Mapping[str, Any]:
    params: dict[str, Any] = {"prompt": prompt, "workspaceUri": workspace_uri}
    if conversation_id is not None:
        params["conversationId"] = conversation_id
    result: Mapping[str, Any] = await client.request("chatls/chat", params, timeout)
    return result
