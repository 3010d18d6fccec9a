"""Where requests go: the SDK client for a profile's endpoint, api-version and credentials.

Dated api-versions use `AsyncAzureOpenAI` (deployment in the path, `api-version` query); `v1` uses the
stock `AsyncOpenAI` with `base_url=<endpoint>/openai/v1/` (deployment in the body's `model`). The SDK's
own retries are off: the adapter's retry policy is the only one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx2
from openai import AsyncAzureOpenAI, AsyncOpenAI, Omit

from chatls.azure import versions
from chatls.azure.auth import TokenProvider
from chatls.azure.profile import Profile


def v1_base_url(endpoint: str) -> str:
    """`https://x.openai.azure.com` -> `https://x.openai.azure.com/openai/v1/`; a v1 URL is kept."""
    path = urlsplit(endpoint).path.rstrip("/")
    if path.endswith("/v1"):
        return endpoint.rstrip("/") + "/"
    if path.endswith("/openai"):
        return endpoint.rstrip("/") + "/v1/"
    return endpoint.rstrip("/") + "/openai/v1/"


def dated_endpoint(endpoint: str) -> str:
    """The `azure_endpoint` for AsyncAzureOpenAI, which appends `/openai` itself."""
    trimmed = endpoint.rstrip("/")
    return trimmed[: -len("/openai")] if urlsplit(trimmed).path.endswith("/openai") else trimmed


def auth_headers_to_omit(profile: Profile) -> dict[str, Any]:
    """Per-request headers that stop the SDK adding its own auth headers when a gateway header is used."""
    if profile.auth == "apiKey" and profile.api_key_header:
        return {"api-key": Omit(), "Authorization": Omit()}
    return {}


def make_sdk_client(
    profile: Profile,
    endpoint: str,
    *,
    api_key: str | None,
    token_provider: TokenProvider | None,
    http_client: httpx2.AsyncClient | None,
) -> AsyncOpenAI:
    """One SDK client per profile: it serves every deployment of the profile."""
    headers: dict[str, str] = {}
    if api_key is not None and profile.api_key_header:
        headers[profile.api_key_header] = api_key
    elif api_key is not None and versions.is_v1(profile.api_version):
        headers["api-key"] = api_key  # Azure's native header, next to the stock OpenAI Bearer form
    common: dict[str, Any] = {
        "max_retries": 0,
        "timeout": profile.timeout,
        "http_client": http_client,
        "default_headers": headers or None,
    }
    if versions.is_v1(profile.api_version):
        credential: Any = api_key if api_key is not None else token_provider
        return AsyncOpenAI(base_url=v1_base_url(endpoint), api_key=credential, **common)
    if api_key is not None:
        return AsyncAzureOpenAI(
            azure_endpoint=dated_endpoint(endpoint),
            api_version=profile.api_version,
            api_key=api_key,
            **common,
        )
    return AsyncAzureOpenAI(
        azure_endpoint=dated_endpoint(endpoint),
        api_version=profile.api_version,
        azure_ad_token_provider=token_provider,
        **common,
    )
