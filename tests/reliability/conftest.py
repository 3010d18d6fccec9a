"""The `guarantee` marker: the row each reliability test holds up in docs/reliability.md.

`@pytest.mark.guarantee("what ChatLS promises")` names the promise; a test without it gets its docstring's
first line. Either is recorded as the junit property `guarantee`, which `scripts/reliability_table.py` turns
into the table.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "guarantee(text): the promise a reliability test holds ChatLS to")


def guarantee_of(item: pytest.Item) -> str:
    marker = item.get_closest_marker("guarantee")
    if marker is not None and marker.args:
        return str(marker.args[0])
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    first = doc.strip().splitlines()[0].strip() if doc.strip() else ""
    return first or item.name


@pytest.fixture(autouse=True)
def _record_guarantee(request: pytest.FixtureRequest, record_property: Callable[[str, object], None]) -> None:
    record_property("guarantee", guarantee_of(request.node))
