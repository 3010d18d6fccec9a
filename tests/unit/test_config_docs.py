"""docs/configuration.md documents every setting and every profile key, with the defaults the code uses."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from chatls.azure.profile import Profile, ProfileError
from chatls.config import ConfigError, Settings, validate_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def table_after(heading: str) -> dict[str, list[str]]:
    """Rows of the first Markdown table under `heading`, keyed by the first column's `key`."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    rows: dict[str, list[str]] = {}
    started = False
    for line in section.splitlines()[1:]:
        if line.startswith("|"):
            started = True
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            match = re.fullmatch(r"`([A-Za-z]+)`", cells[0])
            if match:
                rows[match.group(1)] = cells[1:]
        elif started:
            break
    return rows


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def test_every_setting_is_documented_and_nothing_else() -> None:
    documented = table_after("## Settings")
    keys = {camel(field.name) for field in attrs.fields(Settings)}
    assert set(documented) == keys
    for key in documented:  # each documented key is known: a wrong value is a type error, not a typo
        with pytest.raises(ConfigError) as caught:
            validate_settings({key: object()})
        assert caught.value.key == key
        assert "unknown setting" not in caught.value.reason


NUMERIC = [f for f in attrs.fields(Settings) if type(f.default) in (int, float)]  # True is an int too


@pytest.mark.parametrize("field", NUMERIC)
def test_documented_numeric_defaults_match_the_code(field: attrs.Attribute[object]) -> None:
    _type, default, _meaning = table_after("## Settings")[camel(field.name)]
    assert default == f"`{field.default:g}`"


@pytest.mark.parametrize("field", [f for f in attrs.fields(Settings) if isinstance(f.default, bool)])
def test_documented_boolean_defaults_match_the_code(field: attrs.Attribute[object]) -> None:
    _type, default, _meaning = table_after("## Settings")[camel(field.name)]
    assert default == f"`{str(field.default).lower()}`"


def test_every_profile_key_is_documented() -> None:
    with pytest.raises(ProfileError) as caught:
        Profile.from_dict({"surelyNotAKey": 1})
    known = set(re.findall(r"[A-Za-z]+", caught.value.reason.split("known keys are", 1)[1]))
    assert set(table_after("## Profiles")) == known
