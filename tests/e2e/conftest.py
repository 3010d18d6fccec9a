"""End-to-end fixtures: `chatls serve` in a subprocess, driven by pytest-lsp, talking to the emulator.

Every test runs once per client preset (VS Code and Neovim 0.7); pytest-lsp's spec warnings are errors.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from pytest_lsp import LanguageClient
from tests.support.lsp import PRESETS, OpenSession, folder, init_options, lsp_session, server_env

from chatls.emulator.fixture import RunningEmulator


@pytest.fixture(params=PRESETS)
def preset(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def session(
    preset: str, emulator: RunningEmulator, tmp_path: Path, state_dir: Path, project: Path
) -> OpenSession:
    """`async with session(**overrides) as client:` a server initialised with one profile on the emulator."""

    def open_session(**overrides: Any) -> AbstractAsyncContextManager[LanguageClient]:
        overrides.setdefault("init_options", init_options(emulator.url, state_dir=state_dir))
        overrides.setdefault("env", server_env(emulator.api_key, config_home=tmp_path / "config"))
        overrides.setdefault("folders", [folder(project)])
        return lsp_session(preset, **overrides)

    return open_session
