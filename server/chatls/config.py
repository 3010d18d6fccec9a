"""Settings: layers, merging and validation.

Which settings exist, with their kinds, defaults, bounds and words, is declared once in
`chatls.settings_spec`; this module builds the validators and `Settings`' defaults from that declaration.

Layers, lowest to highest:

1. built-in defaults (the field defaults of `Settings`);
2. the user config file, `config.toml` in `platformdirs.user_config_dir("chatls")` or `$CHATLS_CONFIG_FILE`
   (`config_file_layer`);
3. the environment: `AZURE_OPENAI_ENDPOINT` + `AZURE_OPENAI_DEPLOYMENT` (+ `OPENAI_API_VERSION`) make a
   profile named "default" that reads its key from `AZURE_OPENAI_API_KEY` (`environment_layer`; the key's
   value is never copied into settings);
4. `initializationOptions`;
5. the `chatls` section of `workspace/configuration`, per workspace folder.

Every layer uses the same camelCase keys. Merging is per top-level key: a higher layer's `profiles` replaces
the whole list. A key whose value is null counts as not set (VS Code sends null for settings left empty), and
so does an empty `profiles` list (the editor's default, which must not hide the file's or environment's).

How the server uses it::

    base, errors = base_layers(initialization_options)           # file, environment, initializationOptions
    resolved = resolve_settings([*base, (f"workspace settings of {folder}", section)], previous=last)
    for error in (*errors, *resolved.errors):
        show_message(str(error))                            # one message per bad layer, naming the key
    settings = resolved.settings                            # keep `resolved` as `last` for this folder

`resolve_settings` applies the layers in order and validates after each; a layer that makes the settings
invalid is reported (`ConfigError` naming the exact key path and the reason) and replaced by that layer's
last good value from `previous` if there is one, else left out, so the server always runs on the last good
configuration. `validate_settings` checks one mapping: unknown keys and wrong types are errors (no coercion
of "5" to 5).
"""

# ruff: noqa: RUF009 -- the defaults of `Settings` are the declaration's (immutable values)
from __future__ import annotations

import dataclasses
import difflib
import importlib
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from chatls.agent.mcp_servers import MCPServerConfig
from chatls.logging_setup import shown_value
from chatls.settings_spec import BY_KEY, CLIENT_ONLY_KEYS, Setting, default
from chatls.settings_spec import DEFAULT_INSTRUCTIONS as DEFAULT_INSTRUCTIONS  # re-exported

if TYPE_CHECKING:
    from chatls.azure.profile import Profile

CONFIG_FILE_ENV = "CHATLS_CONFIG_FILE"
ENV_ENDPOINT = "AZURE_OPENAI_ENDPOINT"
ENV_API_KEY = "AZURE_OPENAI_API_KEY"
ENV_DEPLOYMENT = "AZURE_OPENAI_DEPLOYMENT"
ENV_API_VERSION = "OPENAI_API_VERSION"
ENV_PROFILE_NAME = "default"

Layer = tuple[str, Any]
"""(source name for messages, raw mapping or None)."""


class ConfigError(Exception):
    """One invalid setting: the exact key path (e.g. `profiles[1].apiVersion`) and why."""

    def __init__(self, key: str, reason: str, source: str | None = None) -> None:
        super().__init__(key, reason, source)
        self.key = key
        self.reason = reason
        self.source = source

    def with_source(self, source: str) -> ConfigError:
        return ConfigError(self.key, self.reason, source)

    def __str__(self) -> str:
        where = f" (from {self.source})" if self.source else ""
        return f"Invalid ChatLS setting `{self.key}`{where}: {self.reason}"


class NoProfileError(ConfigError):
    """A chat was attempted with no profile configured anywhere."""

    def __str__(self) -> str:
        return self.reason


@attrs.frozen
class Settings:
    """Validated settings for one workspace folder. Each attribute is a setting of `chatls.settings_spec`
    (key in camelCase, words, default, bounds); a test checks the two lists and the types agree."""

    profiles: tuple[Profile, ...] = default("profiles")
    """Validated `chatls.azure.Profile` objects, in the order given."""
    default_profile: str | None = default("defaultProfile")
    instructions: str = default("instructions")
    reasoning_effort: str | None = default("reasoningEffort")
    state_dir: Path | None = default("stateDir")
    log_level: str = default("logLevel")
    max_history_messages: int = default("maxHistoryMessages")
    max_completion_tokens: int = default("maxCompletionTokens")
    reasoning_max_completion_tokens: int = default("reasoningMaxCompletionTokens")
    context_window_reserve: int = default("contextWindowReserve")
    request_timeout_seconds: float = default("requestTimeoutSeconds")
    retry_max_attempts: int = default("retryMaxAttempts")
    retry_max_wait_seconds: float = default("retryMaxWaitSeconds")
    context_lines: int = default("contextLines")
    reasoning_summaries: bool = default("reasoningSummaries")
    models_file: Path | None = default("modelsFile")
    agent_max_steps: int = default("agentMaxSteps")
    agent_run_commands: bool = default("agentRunCommands")
    agent_command_shell: bool = default("agentCommandShell")
    agent_command_timeout_seconds: float = default("agentCommandTimeoutSeconds")
    agent_approval_timeout_seconds: float = default("agentApprovalTimeoutSeconds")
    agent_allow_secret_files: bool = default("agentAllowSecretFiles")
    agent_secret_patterns: tuple[str, ...] = default("agentSecretPatterns")
    mcp_servers: tuple[MCPServerConfig, ...] = default("mcpServers")
    max_file_bytes: int = default("maxFileBytes")
    max_edit_bytes: int = default("maxEditBytes")
    confirm_edits: str = default("confirmEdits")

    def profile(self, name: str | None = None) -> Profile:
        """The named profile, else `defaultProfile`, else the first; `ConfigError` saying what to set."""
        wanted = name or self.default_profile
        if not self.profiles:
            raise NoProfileError("profiles", _no_profile_reason())
        if wanted is None:
            return self.profiles[0]
        for profile in self.profiles:
            if profile.name == wanted:
                return profile
        known = ", ".join(repr(p.name) for p in self.profiles)
        key = "profile" if name else "defaultProfile"
        raise ConfigError(key, f"no profile named {wanted!r}; configured profiles: {known}")

    def completion_reserve(
        self, profile_max_completion_tokens: int | None, *, reasoning: bool, output_limit: int | None = None
    ) -> int:
        """Tokens to keep free for the reply: the profile's budget or our default, capped at the model's
        output limit (a longer reply cannot come; reserving it only starves the prompt), plus the margin."""
        default = self.reasoning_max_completion_tokens if reasoning else self.max_completion_tokens
        budget = profile_max_completion_tokens or default
        if output_limit is not None:
            budget = min(budget, output_limit)
        return budget + self.context_window_reserve

    def resolved_state_dir(self) -> Path:
        return self.state_dir if self.state_dir is not None else default_state_dir()


def _no_profile_reason() -> str:
    return (
        "No Azure OpenAI profile is configured. Add one under `chatls.profiles` in your editor's settings "
        f"or `[[profiles]]` in {config_file_path()}, or set {ENV_ENDPOINT}, {ENV_DEPLOYMENT} and "
        f"{ENV_API_KEY} (and optionally {ENV_API_VERSION}) in the server's environment."
    )


def default_state_dir() -> Path:
    """Per-user state directory for the conversation database."""
    import platformdirs

    return Path(platformdirs.user_state_dir("chatls"))


def config_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$CHATLS_CONFIG_FILE`, else `config.toml` in the per-user config directory."""
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_FILE_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("chatls")) / "config.toml"


# --- validation ----------------------------------------------------------------------------------------
def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"expected a string, got {_type_name(value)}")
    return value


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(key, f"expected true or false, got {_type_name(value)}")
    return value


def _name(key: str, value: Any) -> str:
    text = _string(key, value)
    if not text.strip():
        raise ConfigError(key, "must not be empty")
    return text


def _integer(minimum: int, maximum: int | None = None) -> Callable[[str, Any], int]:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"expected an integer, got {_type_name(value)}")
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise ConfigError(key, f"must be at least {minimum}{upper}, got {value}")
        return value

    return check


def _seconds(minimum: float) -> Callable[[str, Any], float]:
    def check(key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, f"expected a number of seconds, got {_type_name(value)}")
        if not math.isfinite(value) or value < minimum:
            raise ConfigError(key, f"must be a number of seconds of at least {minimum:g}, got {value}")
        return float(value)

    return check


def _choice(options: Sequence[str], *, fold_case: bool = False) -> Callable[[str, Any], str]:
    def check(key: str, value: Any) -> str:
        text = _string(key, value)
        candidate = text.lower() if fold_case else text
        if candidate not in options:
            raise ConfigError(key, f"must be one of {', '.join(options)}; got {shown_value(text)}")
        return candidate

    return check


def _directory(key: str, value: Any) -> Path:
    path = Path(_name(key, value)).expanduser()
    if not path.is_absolute():
        raise ConfigError(key, f"must be an absolute path, got {shown_value(value)}")
    return path


def _models_file(key: str, value: Any) -> Path:
    path = _directory(key, value)
    if path.suffix.lower() != ".toml":
        raise ConfigError(key, f"must name a .toml file, got {value!r}")
    return path


def _profiles(key: str, value: Any) -> tuple[Profile, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(key, f"expected an array of profile objects, got {_type_name(value)}")
    profiles: list[Profile] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        item_key = f"{key}[{index}]"
        profile = parse_profile(item_key, item)
        if profile.name in seen:
            raise ConfigError(f"{item_key}.name", f"duplicate profile name {profile.name!r}")
        seen.add(profile.name)
        profiles.append(profile)
    return tuple(profiles)


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ConfigError(key, f"expected an array of strings, got {_type_name(value)}")
    return tuple(value)


def _mcp_servers(key: str, value: Any) -> tuple[MCPServerConfig, ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"expected an object of MCP servers by name, got {_type_name(value)}")
    servers = []
    for name, entry in value.items():
        try:
            servers.append(MCPServerConfig.from_dict(str(name), entry))
        except ValueError as exc:
            where, _, reason = str(exc).partition(": ")
            raise ConfigError(where, reason) from None
    return tuple(servers)


_KIND_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "string": _string,
    "name": _name,
    "boolean": _boolean,
    "directory": _directory,
    "tomlFile": _models_file,
    "profiles": _profiles,
    "strings": _strings,
    "mcpServers": _mcp_servers,
}


def _check_for(setting: Setting) -> Callable[[str, Any], Any]:
    """The validator of one declared setting: its kind's, with the declared bounds or choices."""
    if setting.kind == "integer":
        assert setting.minimum is not None
        maximum = int(setting.maximum) if setting.maximum is not None else None
        return _integer(int(setting.minimum), maximum)
    if setting.kind == "seconds":
        assert setting.minimum is not None
        return _seconds(setting.minimum)
    if setting.kind == "choice":
        return _choice(setting.choices, fold_case=setting.fold_case)
    return _KIND_CHECKS[setting.kind]


_CHECKS: dict[str, Callable[[str, Any], Any]] = {key: _check_for(s) for key, s in BY_KEY.items()}
_ATTRIBUTES = {key: s.attribute for key, s in BY_KEY.items()}
assert set(_ATTRIBUTES.values()) == {f.name for f in attrs.fields(Settings)}, "Settings drifted from the spec"


def validate_settings(raw: Mapping[str, Any]) -> Settings:
    """One mapping of camelCase settings -> `Settings`, or the first `ConfigError` (unknown keys included)."""
    if not isinstance(raw, Mapping):
        raise ConfigError("chatls", f"settings must be an object, got {_type_name(raw)}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in CLIENT_ONLY_KEYS or value is None:
            continue
        check = _CHECKS.get(key) if isinstance(key, str) else None
        if check is None:
            raise ConfigError(str(key), _unknown_key_reason(str(key), _CHECKS))
        values[_ATTRIBUTES[key]] = check(key, value)
    settings = _with_profile_defaults(Settings(**values), raw.get("profiles"))
    if settings.default_profile is not None and settings.profiles:
        names = [p.name for p in settings.profiles]
        if settings.default_profile not in names:
            known = ", ".join(repr(n) for n in names)
            raise ConfigError(
                "defaultProfile",
                f"no profile named {settings.default_profile!r}; configured profiles: {known}",
            )
    return settings


def _with_profile_defaults(settings: Settings, raw_profiles: Any) -> Settings:
    """Each profile that leaves out a key some setting stands in for (`timeout`: `requestTimeoutSeconds`)
    gets that setting's value, so the adapter reads one resolved profile."""
    filled = [s for s in BY_KEY.values() if s.profile_default is not None]
    if not settings.profiles or not filled:
        return settings
    from chatls.azure.profile import PROFILE_KEYS  # already imported by parse_profile

    attributes = {declared.key: declared.attribute for declared in PROFILE_KEYS}
    profiles = []
    for profile, item in zip(settings.profiles, raw_profiles, strict=True):
        missing = {
            attributes[s.profile_default]: getattr(settings, s.attribute)
            for s in filled
            if s.profile_default is not None and s.profile_default not in item
        }
        profiles.append(dataclasses.replace(profile, **missing))
    return attrs.evolve(settings, profiles=tuple(profiles))


def _unknown_key_reason(key: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean `{close[0]}`?" if close else f"; known settings: {', '.join(sorted(known))}"
    return f"unknown setting{hint}"


# --- profiles ------------------------------------------------------------------------------------------
def parse_profile(key: str, value: Any) -> Profile:
    """Validate one profile with the adapter's `Profile.from_dict`; errors name `key`, e.g. `profiles[1]`."""
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"expected a profile object, got {_type_name(value)}")
    # Imported here: the adapter package pulls in the openai SDK, which start-up does not need.
    from chatls.azure.profile import Profile, ProfileError

    try:
        return Profile.from_dict(value)
    except ProfileError as exc:
        raise ConfigError(f"{key}.{exc.key}", exc.reason) from None


# --- layers --------------------------------------------------------------------------------------------
def config_file_layer(path: Path | None = None) -> dict[str, Any]:
    """The config file's settings ({} when it does not exist); `ConfigError` for unreadable TOML."""
    file = config_file_path() if path is None else path
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(str(file), f"cannot read the file: {exc.strerror}") from None
    # tomllib is stdlib from 3.11; tomli is the same parser for 3.10.
    toml: Any = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        parsed: dict[str, Any] = toml.loads(data.decode("utf-8"))
        return parsed
    except (UnicodeDecodeError, toml.TOMLDecodeError) as exc:
        raise ConfigError(str(file), f"not valid TOML: {exc}") from None


def environment_layer(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A zero-config "default" profile from AZURE_OPENAI_* variables ({} when they are not set).

    The profile names the variable holding the key (`apiKeyEnv`); the key itself is never read here.
    """
    env = os.environ if environ is None else environ
    endpoint = env.get(ENV_ENDPOINT, "").strip()
    deployment = env.get(ENV_DEPLOYMENT, "").strip()
    if not endpoint and not deployment:
        return {}
    if not endpoint:
        raise ConfigError(ENV_ENDPOINT, f"{ENV_DEPLOYMENT} is set but {ENV_ENDPOINT} is not; set both")
    if not deployment:
        raise ConfigError(ENV_DEPLOYMENT, f"{ENV_ENDPOINT} is set but {ENV_DEPLOYMENT} is not; set both")
    profile: dict[str, Any] = {
        "name": ENV_PROFILE_NAME,
        "endpoint": endpoint,
        "deployment": deployment,
        "auth": "apiKey",
        "apiKeyEnv": ENV_API_KEY,
    }
    api_version = env.get(ENV_API_VERSION, "").strip()
    if api_version:
        profile["apiVersion"] = api_version
    return {"profiles": [profile]}


def base_layers(
    initialization_options: Any = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> tuple[list[Layer], list[ConfigError]]:
    """Config file, environment and initializationOptions as layers for `resolve_settings`.

    A file or environment that cannot be read becomes an error and an empty layer.
    """
    env = os.environ if environ is None else environ
    path = config_file_path(env) if config_file is None else config_file
    layers: list[Layer] = []
    errors: list[ConfigError] = []
    file_source = f"config file {path}"
    try:
        if config_file is None and env.get(CONFIG_FILE_ENV) and not path.exists():
            # Named on purpose, so a typo must not silently fall back to no file at all.
            raise ConfigError(CONFIG_FILE_ENV, f"{path} does not exist")
        layers.append((file_source, config_file_layer(path)))
    except ConfigError as exc:
        errors.append(exc.with_source(file_source))
    try:
        layers.append(("environment", environment_layer(env)))
    except ConfigError as exc:
        errors.append(exc.with_source("environment"))
    layers.append(("initializationOptions", initialization_options))
    return layers, errors


@attrs.frozen
class Resolved:
    settings: Settings
    """The merged, validated settings."""
    errors: tuple[ConfigError, ...]
    """One error per layer that was rejected (each naming its source)."""
    accepted: Mapping[str, Any]
    """Layer source -> the raw value that was applied; pass this `Resolved` as `previous` next time."""


def resolve_settings(layers: Sequence[Layer], previous: Resolved | None = None) -> Resolved:
    """Merge layers (lowest first) per top-level key, validating after each; see the module docstring."""
    merged: dict[str, Any] = {}
    settings = Settings()
    accepted: dict[str, Any] = {}
    errors: list[ConfigError] = []
    for source, raw in layers:
        candidates = [raw]
        if previous is not None and source in previous.accepted and previous.accepted[source] != raw:
            candidates.append(previous.accepted[source])
        for attempt, candidate in enumerate(candidates):
            try:
                trial = {**merged, **_layer_values(candidate)}
                settings = validate_settings(trial)
            except ConfigError as exc:
                if attempt == 0:
                    errors.append(exc.with_source(source))
                continue
            merged = trial
            accepted[source] = candidate
            break
    return Resolved(settings, tuple(errors), accepted)


def _layer_values(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError("chatls", f"settings must be an object, got {_type_name(raw)}")
    # null is "not set"; so is an empty profile list, which editors send as the default of `profiles` and
    # which would otherwise hide the profiles of the config file or the environment.
    return {key: value for key, value in raw.items() if value is not None and not _empty_profiles(key, value)}


def _empty_profiles(key: str, value: Any) -> bool:
    return key == "profiles" and isinstance(value, (list, tuple)) and not value
