"""Credentials: an API key (handed over at run time, else the profile's environment variable) or Entra ID.

Entra uses azure-identity (the optional extra `chatls[entra]`): the given async credential, or
`DefaultAzureCredential`, behind `get_bearer_token_provider`, which caches the token and refreshes it
before it expires. Errors name what to set, never the secret itself.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

from chatls.azure.errors import AuthError, ConfigurationError
from chatls.azure.profile import Profile

ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"
TokenProvider = Callable[[], Awaitable[str]]
_INSTALL_ENTRA = "pip install 'chatls[entra]'"


def resolve_api_key(profile: Profile, handed_over: str | None) -> str:
    """The key to send: the one the editor handed over, else the environment variable the profile names."""
    if handed_over:
        return handed_over
    key = os.environ.get(profile.api_key_env, "").strip()
    if key:
        return key
    raise ConfigurationError(
        f"No API key for profile {profile.name!r}: set the environment variable {profile.api_key_env} "
        '(or "apiKeyEnv" to the variable that holds it), store the key in your editor, '
        'or use "auth": "entra".',
        key="apiKeyEnv",
    )


def auth_hint(profile: Profile) -> str:
    """What to check after a 401/403, for the user message."""
    if profile.auth == "entra":
        return (
            "Check that your Entra ID identity has the 'Cognitive Services OpenAI User' role on the resource "
            'and that "endpoint" is right.'
        )
    return (
        f"Check the API key (from {profile.api_key_env} or your editor) "
        'and that "endpoint" is the right resource.'
    )


def default_credential() -> Any:
    """azure-identity's DefaultAzureCredential (async), or a ConfigurationError saying how to install it."""
    try:
        from azure.identity.aio import DefaultAzureCredential
    except ImportError:
        raise ConfigurationError(
            f'"auth": "entra" needs azure-identity: run {_INSTALL_ENTRA}.', key="auth"
        ) from None
    return DefaultAzureCredential()


def entra_token_provider(credential: Any) -> TokenProvider:
    """An async callable returning a bearer token for Azure OpenAI, refreshed before it expires."""
    try:
        from azure.identity.aio import get_bearer_token_provider
    except ImportError:
        raise ConfigurationError(
            f'"auth": "entra" needs azure-identity: run {_INSTALL_ENTRA}.', key="auth"
        ) from None
    provider = get_bearer_token_provider(credential, ENTRA_SCOPE)

    async def token() -> str:
        try:
            return await provider()
        except Exception as exc:
            raise _credential_error(exc) from None

    return token


def _credential_error(exc: Exception) -> Exception:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import CredentialUnavailableError

    if isinstance(exc, CredentialUnavailableError):
        return ConfigurationError(
            "No Entra ID credential is available: sign in with `az login` (or set AZURE_CLIENT_ID, "
            "AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or run with a managed identity), "
            'or use "auth": "apiKey".',
            key="auth",
        )
    if isinstance(exc, ClientAuthenticationError):
        return AuthError(f"Entra ID sign-in failed ({type(exc).__name__}); sign in again with `az login`.")
    return AuthError(f"Getting an Entra ID token failed ({type(exc).__name__}).")
