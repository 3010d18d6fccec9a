"""Fixtures for the code-action end-to-end tests (pytest-lsp client presets against the emulator)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.lsp import PRESETS


@pytest.fixture(params=PRESETS)
def preset(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"
