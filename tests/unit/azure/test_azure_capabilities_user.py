"""The user's models.toml (setting `modelsFile`): rows added or overridden, each bad key reported once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chatls.azure.capabilities import resolve_capabilities
from chatls.azure.models_file import MAX_BYTES, load_models_file
from chatls.config import ConfigError, validate_settings

GOOD = """
[models."contoso-llm"]
like = "gpt-5.4-mini"
context_window = 200000
max_input_tokens = 150000
notes = "our fine-tune"

[models."gpt-4o"]
like = "gpt-4o"
max_output_tokens = 8000

[models."gpt-9-quasar"]
reasoning = true
instructions = "developer"
streaming = true
token_parameter = "max_completion_tokens"
reasoning_efforts = ["low", "high"]
wires = ["responses"]
context_window = 500000
max_output_tokens = 100000
retires = 2027-01-15
replacement = "gpt-9-pulsar"
"""


def write(tmp_path: Path, text: str, name: str = "models.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_rows_add_models_and_override_rows_of_the_same_name(tmp_path: Path) -> None:
    models = load_models_file(write(tmp_path, GOOD))
    assert models.problems == ()
    mine = resolve_capabilities(model="contoso-llm", table=models.table)
    assert (mine.family, mine.resolution, mine.reasoning, mine.input_limit) == (
        "contoso-llm",
        "user",
        True,
        150_000,
    )
    assert mine.reasoning_efforts == ("none", "low", "medium", "high", "xhigh")  # from like = gpt-5.4-mini
    assert mine.details["source"] == f"user models file {tmp_path / 'models.toml'}"
    overridden = resolve_capabilities(model="gpt-4o-2024-11-20", table=models.table)
    assert (overridden.resolution, overridden.max_output_tokens) == ("user", 8000)
    assert overridden.retires == "2027-04-14"  # like its own name: the packaged row, dates included
    assert resolve_capabilities(model="contoso-llm", table=models.table).retires is None  # not copied
    new = resolve_capabilities(deployment="prod-gpt-9-quasar", table=models.table)
    assert (new.family, new.wires, new.retires, new.replacement) == (
        "gpt-9-quasar",
        ("responses",),
        "2027-01-15",
        "gpt-9-pulsar",
    )
    # the packaged table is untouched
    assert resolve_capabilities(model="gpt-4o").max_output_tokens == 16384
    assert resolve_capabilities(model="contoso-llm").resolution == "unknown"


def test_a_user_row_is_a_donor_for_names_no_row_lists(tmp_path: Path) -> None:
    models = load_models_file(write(tmp_path, GOOD))
    caps = resolve_capabilities(model="gpt-9.2-quasar", table=models.table)
    assert (caps.family, caps.resolution) == ("gpt-9-quasar", "inferred")


def test_each_bad_key_is_one_message_and_good_rows_still_apply(tmp_path: Path) -> None:
    text = """
[models."ok-model"]
like = "gpt-5"

[models."typo"]
like = "gpt-5"
contxt_window = 1000
max_output_tokens = "lots"
wires = ["chat", "carrier-pigeon"]
retires = "soon"

[models."orphan"]
like = "gpt-99"

[models."half"]
reasoning = true

[colours]
red = 1
"""
    models = load_models_file(write(tmp_path, text))
    path = tmp_path / "models.toml"
    assert list(models.problems) == [
        f"models file {path}: [colours]: unknown top-level table; use [models.NAME]",
        f'models file {path}: [models."typo"].contxt_window: unknown key',
        f'models file {path}: [models."typo"].max_output_tokens: expected a positive integer',
        f"models file {path}: [models.\"typo\"].wires: unknown value 'carrier-pigeon'; "
        "expected some of chat, responses",
        f'models file {path}: [models."typo"].retires: expected a date, e.g. 2027-02-09',
        f"models file {path}: [models.\"orphan\"].like: names no other row: 'gpt-99'",
        f'models file {path}: [models."half"].instructions: missing '
        "(give it, or start from another row with `like`)",
    ]
    assert "ok-model" in models.table.rows
    assert not {"typo", "orphan", "half"} & set(models.table.rows)
    assert resolve_capabilities(model="ok-model", table=models.table).resolution == "user"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[models.x\n", "not valid TOML"),
        (b"\xff\xfe[models]", "not UTF-8 text"),
        ("#" * (MAX_BYTES + 1), "larger than 256 KiB"),
    ],
)
def test_an_unreadable_file_is_one_message_and_the_packaged_table_is_used(
    tmp_path: Path, content: str | bytes, reason: str
) -> None:
    path = tmp_path / "models.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    models = load_models_file(path)
    (problem,) = models.problems
    assert problem.startswith(f"models file {path}: ") and reason in problem
    assert "using ChatLS's own table only" in problem
    assert models.table.user_rows == frozenset()


def test_a_missing_file_is_reported_and_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    (problem,) = load_models_file(path).problems
    assert "No such file" in problem
    write(tmp_path, '[models."a-model"]\nlike = "gpt-5"\n')
    assert "a-model" in load_models_file(path).table.rows
    write(tmp_path, '[models."b-model"]\nlike = "gpt-5"\n')
    os.utime(path, ns=(1, 1))  # a different modification time, whatever the clock's resolution
    table = load_models_file(path).table
    assert "b-model" in table.rows and "a-model" not in table.rows


def test_no_file_set_is_the_packaged_table() -> None:
    models = load_models_file(None)
    assert models.problems == () and models.table.user_rows == frozenset()


def test_the_setting_takes_an_absolute_toml_path(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    assert validate_settings({"modelsFile": str(path)}).models_file == path
    assert validate_settings({"modelsFile": "~/models.toml"}).models_file == Path.home() / "models.toml"
    for bad, reason in (("models.toml", "absolute path"), (str(tmp_path / "models.json"), ".toml file")):
        with pytest.raises(ConfigError) as caught:
            validate_settings({"modelsFile": bad})
        assert caught.value.key == "modelsFile" and reason in caught.value.reason
