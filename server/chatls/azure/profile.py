"""Profiles: which Azure OpenAI endpoint, deployment(s), api-version and auth a chat uses.

`PROFILE_KEYS` declares each camelCase key once (reader, JSON schema, default and words); `Profile.from_dict`
reads with it and rejects anything it does not know with a `ProfileError` naming the key, and
`scripts/gen_settings.py` writes docs/configuration.md's profile table and VS Code's profile schema from it.
A profile never holds a secret: the API key is read from the named environment variable, or handed to the
client at run time, when a chat starts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from chatls.azure import versions
from chatls.azure.data_sources import DataSource, DataSourceError, read_sources
from chatls.logging_setup import looks_like_secret, shown_value
from chatls.settings_spec import REASONING_EFFORTS, default

AuthMode = Literal["apiKey", "entra"]
WireChoice = Literal["chat", "responses"]

WIRES = ("chat", "responses")
VERBOSITY_LEVELS = ("low", "medium", "high")
DEFAULT_API_KEY_ENV = "AZURE_OPENAI_API_KEY"
DEFAULT_API_VERSION = "v1"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ENV_NAME_WHAT = "an environment variable name (put the key itself elsewhere)"
_DEPLOYMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ProfileError(ValueError):
    """A profile setting is wrong; `key` is the camelCase key, `reason` says why and what to do."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class Profile:
    """One named Azure OpenAI target. Endpoint and deployments may be missing until a chat is attempted."""

    name: str = "default"
    endpoint: str | None = None
    deployments: tuple[str, ...] = ()
    model: str | None = None
    api_version: str = DEFAULT_API_VERSION
    auth: AuthMode = "apiKey"
    api_key_env: str = DEFAULT_API_KEY_ENV
    api_key_header: str | None = None
    max_completion_tokens: int | None = None
    reasoning_effort: str | None = None
    temperature: float | None = None
    verbosity: str | None = None
    context_window: int | None = None
    timeout: float = default("requestTimeoutSeconds")
    """Seconds to wait for a reply: the profile's `timeout`, else the `requestTimeoutSeconds` setting."""
    wire: WireChoice | None = None
    """Force one API ("chat" = Chat Completions, "responses" = Responses); None = as the model prefers."""
    background: bool | None = None
    """Run replies as Responses background runs (resumable, kept on Azure); None = as the model prefers."""
    store: bool = False
    """Let Azure keep replies (Responses `store: true`) and chain turns with `previous_response_id`."""
    data_sources: tuple[DataSource, ...] = ()
    """On Your Data sources (Azure AI Search first) sent with every turn; they force Chat Completions."""

    @property
    def deployment(self) -> str | None:
        """The first (preferred) deployment."""
        return self.deployments[0] if self.deployments else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        if not isinstance(data, Mapping):
            raise ProfileError("profiles", f"each profile must be an object, not {type(data).__name__}")
        unknown = sorted(set(data) - set(_BY_KEY))
        if unknown:
            raise ProfileError(
                str(unknown[0]), f"unknown profile key; known keys are {', '.join(sorted(_BY_KEY))}"
            )
        values: dict[str, Any] = {}
        for key, value in data.items():
            declared = _BY_KEY[key]
            values[declared.attribute] = declared.read(key, value)
        if values.get("data_sources") and values.get("wire") == "responses":
            raise ProfileError(
                "wire", 'dataSources are sent on Chat Completions only: remove "wire" or set it to "chat"'
            )
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The camelCase form (no secrets: a profile holds none)."""
        out: dict[str, Any] = {"name": self.name, "apiVersion": self.api_version, "auth": self.auth}
        optional = {
            "endpoint": self.endpoint,
            "model": self.model,
            "apiKeyHeader": self.api_key_header,
            "maxCompletionTokens": self.max_completion_tokens,
            "reasoningEffort": self.reasoning_effort,
            "temperature": self.temperature,
            "verbosity": self.verbosity,
            "contextWindow": self.context_window,
            "wire": self.wire,
            "background": self.background,
        }
        if self.deployments:
            out["deployment"] = list(self.deployments) if len(self.deployments) > 1 else self.deployments[0]
        if self.auth == "apiKey":
            out["apiKeyEnv"] = self.api_key_env
        out.update({key: value for key, value in optional.items() if value is not None})
        if self.timeout != Profile.timeout:
            out["timeout"] = self.timeout
        if self.store:
            out["store"] = True
        if self.data_sources:
            out["dataSources"] = [source.to_dict() for source in self.data_sources]
        return out


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(key, "must be a non-empty string")
    return value.strip()


def _endpoint(key: str, value: Any) -> str:
    text = _text(key, value)
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        shown_value(text)  # a key pasted here is masked in logs from now on; the message never repeats it
        raise ProfileError(key, "must be an http(s) URL such as https://NAME.openai.azure.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ProfileError(key, "must be a plain URL without query, fragment or credentials")
    return text.rstrip("/")


def _deployments(key: str, value: Any) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise ProfileError(key, "must be a deployment name or a non-empty list of them (tried in order)")
    result: list[str] = []
    for name in names:
        if not isinstance(name, str) or not _DEPLOYMENT_NAME.match(name.strip()):
            raise ProfileError(
                key,
                f"{shown_value(name)} is not a deployment name (letters, digits, '.', '_', '-', up to 64)",
            )
        if name.strip() in result:
            raise ProfileError(key, f"deployment {shown_value(name)} is listed twice")
        result.append(name.strip())
    return tuple(result)


def _api_version(key: str, value: Any) -> str:
    text = _text(key, value)
    if not versions.is_valid(text):
        raise ProfileError(
            key, f'{shown_value(text)} is not an api-version: use "v1" or a dated one like 2024-10-21'
        )
    return text


def _auth(key: str, value: Any) -> str:
    if value not in ("apiKey", "entra"):
        raise ProfileError(key, f'must be "apiKey" or "entra", not {shown_value(value)}')
    return str(value)


def _matching(pattern: re.Pattern[str], what: str) -> Any:
    """A reader for text that must match `pattern`; `what` completes "... is not {what}"."""

    def read(key: str, value: Any) -> str:
        text = _text(key, value)
        if not pattern.match(text):
            raise ProfileError(key, f"{shown_value(text)} is not {what}")
        return text

    return read


def _env_name(key: str, value: Any) -> str:
    text = _text(key, value)
    if looks_like_secret(text):
        shown_value(text)  # masked in logs from now on
        raise ProfileError(
            key,
            "looks like an API key, not the name of an environment variable: put the key in an environment "
            "variable (or set it from your editor) and give that variable's name here",
        )
    if not _ENV_NAME.match(text):
        raise ProfileError(key, f"{shown_value(text)} is not {_ENV_NAME_WHAT}")
    return text


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ProfileError(key, f"must be a positive whole number, not {shown_value(value)}")
    return value


def _choice(choices: tuple[str, ...]) -> Any:
    def read(key: str, value: Any) -> str:
        if value not in choices:
            raise ProfileError(key, f"must be one of {', '.join(choices)}, not {shown_value(value)}")
        return str(value)

    return read


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ProfileError(key, f"must be true or false, not {value!r}")
    return value


def _temperature(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 2:
        raise ProfileError(key, f"must be a number from 0 to 2, not {shown_value(value)}")
    return float(value)


def _timeout(key: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ProfileError(key, f"must be a positive number of seconds, not {shown_value(value)}")
    return float(value)


def _data_sources(key: str, value: Any) -> tuple[DataSource, ...]:
    try:
        return read_sources(key, value)
    except DataSourceError as exc:
        raise ProfileError(exc.path, exc.reason) from None


@dataclass(frozen=True)
class ProfileKey:
    """One profile key: how it is read and how it is presented (docs, VS Code's settings schema)."""

    key: str
    attribute: str
    """The `Profile` field it fills."""
    read: Callable[[str, Any], Any]
    schema: Mapping[str, Any]
    """JSON Schema of the value, for VS Code's settings editor."""
    doc_type: str
    doc_default: str
    summary: str
    """Plain words: the schema's description and the start of the docs' "Meaning"."""
    details: str = ""
    """More Markdown for docs/configuration.md only."""


PROFILE_KEYS: tuple[ProfileKey, ...] = (
    ProfileKey(
        "name", "name", _text, {"type": "string"}, "string", "`default`",
        "Profile name shown in the pickers.",
        "How requests, `defaultProfile` and the editor's picker refer to it. Unique.",
    ),
    ProfileKey(
        "endpoint", "endpoint", _endpoint, {"type": "string"}, "http(s) URL", "— (needed to chat)",
        "Resource endpoint, e.g. https://contoso.openai.azure.com, an API Management gateway or an "
        "OpenAI-compatible URL.",
        "Also `*.cognitiveservices.azure.com` and `*.services.ai.azure.com`.",
    ),
    ProfileKey(
        "deployment", "deployments", _deployments,
        {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "string or array of strings", "— (needed to chat)",
        "Deployment name, or a list of deployments to fail over between.",
        "With several, ChatLS fails over to the next when one is exhausted.",
    ),
    ProfileKey(
        "model", "model", _text, {"type": "string"}, "string", "from the deployment name or the first reply",
        "Model family and version the deployment runs (e.g. gpt-4o, o3-mini); guessed when absent.",
        "Decides which parameters are sent.",
    ),
    ProfileKey(
        "apiVersion", "api_version", _api_version, {"type": "string"}, "`v1` or a dated version",
        f"`{DEFAULT_API_VERSION}`",
        "Dated api-version (e.g. 2024-12-01-preview) or v1.",
        "e.g. `2024-10-21`, `2024-12-01-preview`.",
    ),
    ProfileKey(
        "auth", "auth", _auth, {"type": "string", "enum": ["apiKey", "entra"], "default": "apiKey"},
        "`apiKey` or `entra`", "`apiKey`",
        "API key or Microsoft Entra ID (needs chatls[entra]).",
        "`entra` uses `DefaultAzureCredential`.",
    ),
    ProfileKey(
        "apiKeyEnv", "api_key_env", _env_name, {"type": "string", "default": DEFAULT_API_KEY_ENV},
        "environment variable name", f"`{DEFAULT_API_KEY_ENV}`",
        "Environment variable the server reads the key from. The extension fills it from secret storage.",
        "The key itself never goes into settings.",
    ),
    ProfileKey(
        "apiKeyHeader", "api_key_header", _matching(_HEADER_NAME, "an HTTP header name"), {"type": "string"},
        "HTTP header name", "`api-key`",
        "Custom header for the key (API gateways).",
    ),
    ProfileKey(
        "maxCompletionTokens", "max_completion_tokens", _positive_int, {"type": "integer", "minimum": 1},
        "integer ≥ 1", "`maxCompletionTokens` / `reasoningMaxCompletionTokens` above",
        "Completion budget (reasoning included for reasoning models).",
    ),
    ProfileKey(
        "reasoningEffort", "reasoning_effort", _choice(REASONING_EFFORTS),
        {"type": "string", "enum": list(REASONING_EFFORTS)}, "`none` … `xhigh`", "model default",
        "Reasoning effort for reasoning models.",
        "Dropped (with a note) for models that do not take it.",
    ),
    ProfileKey(
        "temperature", "temperature", _temperature, {"type": "number", "minimum": 0, "maximum": 2},
        "number 0–2", "model default",
        "Sampling temperature, only sent to models that accept it.",
    ),
    ProfileKey(
        "verbosity", "verbosity", _choice(VERBOSITY_LEVELS),
        {"type": "string", "enum": list(VERBOSITY_LEVELS)}, "`low`, `medium`, `high`", "model default",
        "Verbosity for models that support it (gpt-5 family).",
    ),
    ProfileKey(
        "contextWindow", "context_window", _positive_int, {"type": "integer", "minimum": 1},
        "integer ≥ 1", "from the capability table",
        "Context window in tokens, when the model table does not know the deployment's model.",
        "Also overrides a known model's window, e.g. for a smaller gateway limit.",
    ),
    ProfileKey(
        "timeout", "timeout", _timeout, {"type": "number", "exclusiveMinimum": 0},
        "number > 0", "`requestTimeoutSeconds`",
        "Seconds one request to this profile may take.",
        "Unset: the `requestTimeoutSeconds` setting.",
    ),
    ProfileKey(
        "wire", "wire", _choice(WIRES), {"type": "string", "enum": list(WIRES)},
        "`chat` or `responses`", "as the model prefers",
        "Force Chat Completions or the Responses API; by default Responses wherever it brings reasoning "
        "summaries.",
        "See docs/adapter.md.",
    ),
    ProfileKey(
        "background", "background", _flag, {"type": "boolean"}, "boolean", "as the model prefers",
        "Run replies as resumable Responses background runs (Azure keeps them); default on for o3-pro and "
        "the -pro models.",
    ),
    ProfileKey(
        "store", "store", _flag, {"type": "boolean", "default": False}, "boolean", "`false`",
        "Let Azure keep replies (30 days) and chain turns with previous_response_id.",
        "Less upload; the service retains the conversation.",
    ),
    ProfileKey(
        "dataSources", "data_sources", _data_sources, {"type": "array", "items": {"type": "object"}},
        "array of data sources", "none",
        "On Your Data: Azure AI Search (or other) sources for gpt-4o / gpt-4o-mini; secrets as keyEnv or "
        "keySecret, never inline (see docs/configuration.md).",
        "Ground every answer in these sources and get numbered citations; Chat Completions only (see below).",
    ),
)  # fmt: skip
_BY_KEY = {declared.key: declared for declared in PROFILE_KEYS}
