"""`CHATLS_CONFIG_FILE` names a file on purpose: when it does not exist that is an error, not "no file"."""

from __future__ import annotations

from pathlib import Path

from chatls.config import CONFIG_FILE_ENV, base_layers


def test_a_missing_file_named_by_the_environment_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "typo.toml"
    _, errors = base_layers(None, environ={CONFIG_FILE_ENV: str(missing)})
    (error,) = errors
    assert error.key == CONFIG_FILE_ENV
    assert str(missing) in str(error) and "does not exist" in str(error)


def test_the_default_file_may_be_absent(tmp_path: Path) -> None:
    _, errors = base_layers(
        None, environ={"XDG_CONFIG_HOME": str(tmp_path)}, config_file=tmp_path / "none.toml"
    )
    assert errors == []


def test_an_existing_file_named_by_the_environment_is_read(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('defaultProfile = "work"\n', encoding="utf-8")
    layers, errors = base_layers(None, environ={CONFIG_FILE_ENV: str(config)})
    assert errors == []
    assert (f"config file {config}", {"defaultProfile": "work"}) in layers
