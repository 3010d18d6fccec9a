"""Endpoint URLs for the two API surfaces."""

from __future__ import annotations

import pytest

from chatls.azure.endpoints import dated_endpoint, v1_base_url


@pytest.mark.parametrize(
    ("endpoint", "v1", "dated"),
    [
        (
            "https://contoso.openai.azure.com",
            "https://contoso.openai.azure.com/openai/v1/",
            "https://contoso.openai.azure.com",
        ),
        (
            "https://contoso.cognitiveservices.azure.com/openai",
            "https://contoso.cognitiveservices.azure.com/openai/v1/",
            "https://contoso.cognitiveservices.azure.com",
        ),
        (
            "https://contoso.services.ai.azure.com/openai/v1",
            "https://contoso.services.ai.azure.com/openai/v1/",
            "https://contoso.services.ai.azure.com/openai/v1",
        ),
        (
            "https://apim.azure-api.net/team-a",
            "https://apim.azure-api.net/team-a/openai/v1/",
            "https://apim.azure-api.net/team-a",
        ),
        ("http://localhost:8000/v1", "http://localhost:8000/v1/", "http://localhost:8000/v1"),
    ],
)
def test_endpoint_forms(endpoint: str, v1: str, dated: str) -> None:
    assert v1_base_url(endpoint) == v1
    assert dated_endpoint(endpoint) == dated
