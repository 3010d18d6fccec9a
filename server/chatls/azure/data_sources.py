"""Azure OpenAI "On Your Data": a profile's `dataSources`, checked, shaped for Chat Completions, credentialed.

A profile lists its sources in camelCase (`type`, `endpoint`, `indexName`/`index`, `queryType`,
`topNDocuments`, ... and `authentication`); the wire body wants the 2024-12-01-preview spec's snake_case
`data_sources` entries. A profile never holds a secret: every credential field of `authentication` is
named instead — `keyEnv` (an environment variable) or `keySecret` (a name the editor hands over with
`chatls/setApiKey` as profile `"<profile>/<name>"`), likewise `accessTokenEnv`, `passwordEnv`,
`connectionStringEnv`, `encodedApiKeyEnv` — and the value is read only when a request is sent.

Only gpt-4o and gpt-4o-mini take data sources (the table's `data_sources` key); the feature is deprecated,
so other models are refused here, before sending, when the table says so for certain.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatls.azure.errors import ConfigurationError
from chatls.azure.types import Citation, ModelCapabilities
from chatls.logging_setup import looks_like_secret, shown_value

SOURCE_TYPES = ("azure_search", "azure_cosmos_db", "elasticsearch", "mongo_db", "pinecone")
"""The `type`s the 2024-12-01-preview spec knows (Azure AI Search first)."""

AUTH_TYPES: dict[str, tuple[str, ...]] = {
    "api_key": ("key",),
    "system_assigned_managed_identity": (),
    "user_assigned_managed_identity": (),
    "access_token": ("access_token",),
    "connection_string": ("connection_string",),
    "key_and_key_id": ("key",),
    "encoded_api_key": ("encoded_api_key",),
    "username_and_password": ("password",),
}
"""Authentication type → its secret fields (named in the profile by `<field>Env` / `<field>Secret`)."""

SECRET_FIELDS = frozenset(field for fields in AUTH_TYPES.values() for field in fields) | {"client_secret"}

AZURE_SEARCH_KEYS = frozenset(
    {
        "authentication", "top_n_documents", "max_search_queries", "allow_partial_result", "in_scope",
        "strictness", "endpoint", "index_name", "fields_mapping", "query_type", "semantic_configuration",
        "filter", "embedding_dependency", "include_contexts",
    }
)  # fmt: skip
"""`azureSearchChatExtensionParameters` properties (2024-12-01-preview)."""

QUERY_TYPES = ("simple", "semantic", "vector", "vector_simple_hybrid", "vector_semantic_hybrid")

REFUSAL = (
    'On Your Data (profile "dataSources") works only with gpt-4o and gpt-4o-mini deployments, on Chat '
    "Completions; {model} does not take data sources. Azure has deprecated On Your Data: for other models "
    "use Azure AI Foundry Agents with the file search or Azure AI Search tool instead, or point this profile "
    "at a gpt-4o or gpt-4o-mini deployment."
)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class DataSourceError(ValueError):
    """A `dataSources` entry is wrong: `path` locates the key (e.g. `dataSources[0].authentication.type`)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class SecretRef:
    """Where one credential comes from: an environment variable or a secret the editor handed over."""

    field: str
    """The spec's field (`key`, `access_token`, ...)."""
    env: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class DataSource:
    """One checked source: the spec-shaped entry without its secrets, and where those come from."""

    type: str
    parameters: Mapping[str, Any]
    """snake_case parameters; `authentication` holds its `type` and non-secret fields only."""
    secrets: tuple[SecretRef, ...] = ()

    def __hash__(self) -> int:  # parameters is a dict; profiles are compared and may be hashed
        return hash((self.type, json.dumps(self.parameters, sort_keys=True, default=str), self.secrets))

    def to_dict(self) -> dict[str, Any]:
        """The profile (camelCase) form: names of credentials, never their values."""
        out: dict[str, Any] = {"type": self.type}
        for name, value in self.parameters.items():
            out[_camel(name)] = _camel_keys(value) if name != "authentication" else dict(_camel_keys(value))
        auth = out.get("authentication")
        if isinstance(auth, dict):
            for ref in self.secrets:
                if ref.env:
                    auth[_camel(ref.field) + "Env"] = ref.env
                if ref.secret:
                    auth[_camel(ref.field) + "Secret"] = ref.secret
        return out


# ----- reading the profile ------------------------------------------------------------------------


def read_sources(key: str, value: Any) -> tuple[DataSource, ...]:
    """The profile's `dataSources` list, checked (a DataSourceError names the bad key)."""
    if not isinstance(value, list) or not value:
        raise DataSourceError(key, "must be a non-empty list of data sources (objects with a type)")
    return tuple(_read_source(f"{key}[{index}]", entry) for index, entry in enumerate(value))


def _read_source(where: str, entry: Any) -> DataSource:
    if not isinstance(entry, Mapping):
        raise DataSourceError(where, 'must be an object such as {"type": "azure_search", ...}')
    kind = _snake(entry["type"]) if isinstance(entry.get("type"), str) else entry.get("type")
    if kind not in SOURCE_TYPES:
        raise DataSourceError(
            f"{where}.type", f"must be one of {', '.join(SOURCE_TYPES)}, not {shown_value(kind)}"
        )
    raw = {name: item for name, item in entry.items() if name not in ("type", "parameters")}
    nested = entry.get("parameters")
    if nested is not None:  # the spec's own shape is accepted too
        if not isinstance(nested, Mapping):
            raise DataSourceError(f"{where}.parameters", "must be an object")
        raw.update(nested)
    parameters = {
        _snake(name): item if name == "authentication" else _snake_keys(item) for name, item in raw.items()
    }
    if "index" in parameters:
        parameters.setdefault("index_name", parameters.pop("index"))
    for name in parameters:
        if name in SECRET_FIELDS:
            raise DataSourceError(
                f"{where}.{name}", "a profile never holds a secret: name it under authentication (keyEnv …)"
            )
    auth, secrets = _read_auth(f"{where}.authentication", parameters.get("authentication"))
    parameters["authentication"] = auth
    if kind == "azure_search":
        _check_azure_search(where, parameters)
    return DataSource(kind, parameters, secrets)


def _read_auth(where: str, raw: Any) -> tuple[dict[str, Any], tuple[SecretRef, ...]]:
    if not isinstance(raw, Mapping):
        raise DataSourceError(where, 'must be an object such as {"type": "api_key", "keyEnv": "SEARCH_KEY"}')
    kind = _snake(raw["type"]) if isinstance(raw.get("type"), str) else raw.get("type")
    if kind not in AUTH_TYPES:
        raise DataSourceError(
            f"{where}.type", f"must be one of {', '.join(AUTH_TYPES)}, not {shown_value(kind)}"
        )
    auth: dict[str, Any] = {"type": kind}
    refs: dict[str, SecretRef] = {}
    for name, item in raw.items():
        if name == "type":
            continue
        field, source = _secret_name(name)
        if field is None:
            snake = _snake(name)
            if snake in SECRET_FIELDS:
                raise DataSourceError(
                    f"{where}.{name}",
                    f"a profile never holds a secret: use {name}Env (an environment variable's name) or "
                    f"{name}Secret (a name your editor stores the value under)",
                )
            auth[snake] = item
            continue
        if field not in AUTH_TYPES[kind]:
            raise DataSourceError(f"{where}.{name}", f"authentication type {kind} has no {_camel(field)}")
        if isinstance(item, str) and looks_like_secret(item):
            shown_value(item)  # masked in logs from now on; the message never repeats it
            raise DataSourceError(
                f"{where}.{name}", "looks like a secret, not a name: give the name that holds the secret"
            )
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", item):
            raise DataSourceError(f"{where}.{name}", "must be a name (letters, digits, '_', '.', '-')")
        old = refs.get(field, SecretRef(field))
        refs[field] = SecretRef(
            field,
            env=item if source == "env" else old.env,
            secret=item if source == "secret" else old.secret,
        )
    missing = [field for field in AUTH_TYPES[kind] if field not in refs]
    if missing:
        name = _camel(missing[0])
        raise DataSourceError(where, f"{kind} authentication needs {name}Env or {name}Secret")
    return auth, tuple(refs.values())


def _secret_name(name: str) -> tuple[str | None, str]:
    for suffix, source in (("Env", "env"), ("Secret", "secret")):
        if name.endswith(suffix) and len(name) > len(suffix):
            field = _snake(name[: -len(suffix)])
            if field in SECRET_FIELDS:
                return field, source
    return None, ""


def _check_azure_search(where: str, parameters: Mapping[str, Any]) -> None:
    unknown = sorted(set(parameters) - AZURE_SEARCH_KEYS)
    if unknown:
        known = ", ".join(sorted(_camel(k) for k in AZURE_SEARCH_KEYS | {"index"}))
        raise DataSourceError(
            f"{where}.{_camel(unknown[0])}", f"unknown azure_search key; known keys: {known}"
        )
    for name in ("endpoint", "index_name"):
        if not isinstance(parameters.get(name), str) or not parameters[name].strip():
            raise DataSourceError(f"{where}.{_camel(name)}", "is required (a non-empty string)")
    if not re.match(r"^https?://[^\s/?#]+", parameters["endpoint"]):
        raise DataSourceError(f"{where}.endpoint", "must be a URL such as https://NAME.search.windows.net")
    query_type = parameters.get("query_type")
    if query_type is not None and query_type not in QUERY_TYPES:
        raise DataSourceError(f"{where}.queryType", f"must be one of {', '.join(QUERY_TYPES)}")
    _whole(where, parameters, "top_n_documents", 1, None)
    _whole(where, parameters, "max_search_queries", 1, None)
    _whole(where, parameters, "strictness", 1, 5)
    for name in ("in_scope", "allow_partial_result"):
        if name in parameters and not isinstance(parameters[name], bool):
            raise DataSourceError(f"{where}.{_camel(name)}", "must be true or false")


def _whole(where: str, parameters: Mapping[str, Any], name: str, low: int, high: int | None) -> None:
    value = parameters.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
        span = f"from {low} to {high}" if high else f"of at least {low}"
        raise DataSourceError(
            f"{where}.{_camel(name)}", f"must be a whole number {span}, not {shown_value(value)}"
        )


def _snake(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _snake_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_snake(str(k)): _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(item) for item in value]
    return value


def _camel_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_camel(str(k)): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value


# ----- sending --------------------------------------------------------------------------------------


def check_model(caps: ModelCapabilities) -> None:
    """Refuse before sending only where certain: the table lists the model and says it takes no sources."""
    if caps.data_sources or caps.resolution != "table":
        return  # inferred or unknown models are sent; Azure's refusal is mapped by `refusal_error`
    raise ConfigurationError(REFUSAL.format(model=caps.model or caps.family), key="dataSources")


def refusal_error(model: str) -> ConfigurationError:
    """Azure refused `data_sources` for this deployment: the same clear words as the local refusal."""
    return ConfigurationError(REFUSAL.format(model=model), key="dataSources")


def entries(sources: tuple[DataSource, ...]) -> list[dict[str, Any]]:
    """The `data_sources` body without credentials (what shaping, notes and logs may see)."""
    return [{"type": source.type, "parameters": _copy(source.parameters)} for source in sources]


def secret_name(profile_name: str, name: str) -> str:
    """The `chatls/setApiKey` profile under which the editor hands over a data source's secret."""
    return f"{profile_name}/{name}"


def with_credentials(
    body: list[dict[str, Any]], sources: tuple[DataSource, ...], handed_over: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """`body` (from `entries`) with each secret filled in, and the secrets (to scrub from errors).

    `handed_over`: secret name → value, from the editor. A missing secret is a ConfigurationError that names
    where to put it, never a value."""
    filled = [{"type": entry["type"], "parameters": _copy(entry["parameters"])} for entry in body]
    used: list[str] = []
    for index, (entry, source) in enumerate(zip(filled, sources, strict=True)):
        auth = entry["parameters"]["authentication"]
        for ref in source.secrets:
            value = _credential(ref, handed_over)
            if value is None:
                raise ConfigurationError(_missing(index, ref), key="dataSources")
            auth[ref.field] = value
            used.append(value)
    return filled, used


def _credential(ref: SecretRef, handed_over: Mapping[str, str]) -> str | None:
    if ref.secret and handed_over.get(ref.secret):
        return handed_over[ref.secret]
    if ref.env:
        value = os.environ.get(ref.env, "").strip()
        if value:
            return value
    return None


def _missing(index: int, ref: SecretRef) -> str:
    where = f"dataSources[{index}].authentication"
    places = []
    if ref.env:
        places.append(f"set the environment variable {ref.env}")
    if ref.secret:
        places.append(f"store it in your editor under the name {ref.secret!r}")
    return f"No {_camel(ref.field)} for {where}: {' or '.join(places)}."


def secret_env_names(sources: tuple[DataSource, ...]) -> list[str]:
    """The environment variables the sources read (so logs can mask their values)."""
    return [ref.env for source in sources for ref in source.secrets if ref.env]


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


# ----- reading the reply ----------------------------------------------------------------------------


def citations_from(context: Any) -> tuple[Citation, ...]:
    """`message.context.citations` (or a delta's) as neutral Citations, in order; () for anything else."""
    raw = context.get("citations") if isinstance(context, Mapping) else None
    if not isinstance(raw, list):
        return ()
    return tuple(
        Citation(
            title=_text(item.get("title")),
            url=_text(item.get("url")),
            filepath=_text(item.get("filepath")),
            chunk_id=_text(item.get("chunk_id")),
        )
        for item in raw
        if isinstance(item, Mapping)
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
