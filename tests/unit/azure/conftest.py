"""Fixtures for the adapter's unit tests."""

from __future__ import annotations

import pytest
from tests.unit.azure.shared_data import SPECS, Validate, schema_errors


@pytest.fixture
def validate_request() -> Validate:
    if not SPECS.is_dir():
        pytest.fail(f"the Azure OpenAPI specs are missing: expected them in {SPECS.resolve()}")
    return schema_errors
