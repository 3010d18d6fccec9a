"""The one declaration of every ChatLS setting: key, kind, default, bounds or choices, words, scope.

Everything else about settings comes from `SETTINGS`: the validators and layering (`chatls.config`), the
defaults of `chatls.config.Settings` (a test checks its attribute list and types against this), the keys the
server leaves to the editor (`CLIENT_ONLY_KEYS`), the settings table of docs/configuration.md and VS Code's
`contributes.configuration` (both written by `scripts/gen_settings.py`, checked by a test).
Profile keys are declared the same way beside their readers, in `chatls.azure.profile.PROFILE_KEYS`.

Adding a setting: one `Setting(...)` row here, an attribute of the same name in `Settings`, the code that
reads it, then `python scripts/gen_settings.py --write` (docs/architecture.md has the recipe).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chatls.agent.policy import DEFAULT_SECRET_PATTERNS

Kind = Literal[
    "string",  # any string ("" allowed)
    "name",  # a non-empty string
    "boolean",
    "integer",  # a whole number within `minimum`..`maximum`
    "seconds",  # a finite number of seconds of at least `minimum`
    "choice",  # one of `choices` (case folded when `fold_case`)
    "directory",  # an absolute path (`~` expanded)
    "tomlFile",  # an absolute path of a .toml file
    "profiles",  # an array of profile objects (chatls.azure.profile)
    "strings",  # an array of strings
    "mcpServers",  # an object of MCP servers by name (chatls.agent.mcp_servers)
]
Scope = Literal["server", "workspace", "client"]
"""`server`: read once, when the server starts (the editor restarts it on a change); `workspace`: read per
workspace folder, on every change; `client`: the editor extension's own, never sent to the server."""

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
LOG_LEVELS = ("debug", "info", "warning", "error")
CONFIRM_EDITS = ("auto", "always", "never")

DEFAULT_INSTRUCTIONS = (
    "You are ChatLS, a coding assistant inside the user's editor. Answer concisely and precisely. "
    "Put code in fenced Markdown blocks tagged with their language."
)


@dataclass(frozen=True)
class Setting:
    key: str
    """camelCase key of the `chatls` section; client-only keys are dotted (`server.pythonPath`)."""
    kind: Kind
    default: Any
    summary: str
    """One or two plain sentences: the VS Code description, and the start of the docs' "Meaning"."""
    details: str = ""
    """More Markdown for docs/configuration.md only (links, caveats)."""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    fold_case: bool = False
    """`choice` only: accept any case, keep the lower-case form."""
    scope: Scope = "workspace"
    default_words: str | None = None
    """The default in words, where the value itself says little (`None`, a long text, a list)."""
    vscode: Mapping[str, Any] = field(default_factory=dict)
    """VS Code-only presentation merged into the generated property (e.g. `editPresentationStyle`)."""
    profile_default: str | None = None
    """The profile key this setting fills in for each profile that does not set it (e.g. `timeout`)."""

    @property
    def attribute(self) -> str:
        """The `Settings` attribute: the key in snake_case."""
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in self.key)


_PROFILE_EXAMPLE = {
    "name": "azure",
    "endpoint": "https://my-resource.openai.azure.com",
    "deployment": "gpt-4o",
    "apiVersion": "2024-10-21",
    "auth": "apiKey",
}
_PROFILE_SNIPPET = {
    "name": "${1:azure}",
    "endpoint": "https://${2:my-resource}.openai.azure.com",
    "deployment": "${3:gpt-4o}",
    "apiVersion": "${4:2024-10-21}",
    "auth": "apiKey",
}

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "profiles",
        "profiles",
        (),
        "The Azure OpenAI targets you can chat with.",
        "See [Profiles](#profiles).",
        default_words="`[]`",
        vscode={
            "markdownDescription": (
                "Azure OpenAI (or OpenAI-compatible) profiles; the first is used unless **Default Profile** "
                "names another. Each needs `name`, `endpoint` and `deployment`, e.g.\n\n```json\n[\n  {\n"
                '    "name": "azure",\n    "endpoint": "https://my-resource.openai.azure.com",\n'
                '    "deployment": "gpt-4o",\n    "apiVersion": "2024-10-21",\n'
                '    "auth": "apiKey"\n  }\n]\n```\n\n'
                "API keys are **not** set here: run **ChatLS: Set API Key** (kept in VS Code's secret "
                "storage, per profile) or set the environment variable named by `apiKeyEnv`. "
                '`auth: "entra"` signs in with Microsoft Entra ID instead.'
            ),
            "defaultSnippets": [
                {
                    "label": "Azure OpenAI profile",
                    "description": "One profile with an API key from ChatLS: Set API Key",
                    "body": [_PROFILE_SNIPPET],
                }
            ],
            "examples": [[_PROFILE_EXAMPLE]],
            # merged into the item schema generated from the profile keys
            "items": {
                "required": ["name", "endpoint", "deployment"],
                "defaultSnippets": [{"label": "Azure OpenAI profile", "body": _PROFILE_SNIPPET}],
            },
        },
    ),
    Setting(
        "defaultProfile",
        "name",
        None,
        "Name of the profile used when a request names none.",
        "Must name a configured profile.",
        default_words="the first profile",
    ),
    Setting(
        "instructions",
        "string",
        DEFAULT_INSTRUCTIONS,
        "Instructions sent first in every chat, as the system or developer message, whichever the model "
        "takes.",
        '`""` sends none.',
        default_words="the server's built-in instructions",
        vscode={"editPresentationStyle": "multilineText"},
    ),
    Setting(
        "reasoningEffort",
        "choice",
        None,
        "Reasoning effort for reasoning models, overriding every profile's reasoningEffort; a request's own "
        "value (the chat panel's picker) wins over both.",
        choices=REASONING_EFFORTS,
        default_words="each profile's own",
    ),
    Setting(
        "stateDir",
        "directory",
        None,
        "Directory of the conversation database, chatls.db.",
        "`~/.local/state/chatls` on Linux, `$XDG_STATE_HOME/chatls` when set.",
        scope="server",
        default_words="the per-user state directory",
    ),
    Setting(
        "logLevel",
        "choice",
        "info",
        "Server log level (stderr; in VS Code the ChatLS output channel). Prompts and replies are logged "
        "only at debug; secrets never.",
        "`--log-level` on the command line wins.",
        choices=LOG_LEVELS,
        fold_case=True,
        scope="server",
    ),
    Setting(
        "maxHistoryMessages",
        "integer",
        200,
        "Most earlier messages sent with a prompt, on top of the token budget.",
        minimum=0,
    ),
    Setting(
        "maxCompletionTokens",
        "integer",
        4096,
        "Tokens reserved for the reply of a non-reasoning model whose profile sets no maxCompletionTokens.",
        minimum=1,
    ),
    Setting(
        "reasoningMaxCompletionTokens",
        "integer",
        25_000,
        "Tokens reserved for the reply, thinking included, of a reasoning model whose profile sets none.",
        minimum=1,
    ),
    Setting(
        "contextWindowReserve",
        "integer",
        256,
        "Tokens kept free besides the reply budget, for message framing the token counters cannot see.",
        minimum=0,
    ),
    Setting(
        "requestTimeoutSeconds",
        "seconds",
        600.0,
        "Seconds one upstream request may take (reasoning models can think for minutes), for each profile "
        "that sets no timeout of its own.",
        minimum=1,
        profile_default="timeout",
    ),
    Setting(
        "retryMaxAttempts",
        "integer",
        5,
        "Attempts per request, the first included, on 429, 408, 409, 5xx and connection errors.",
        minimum=1,
        maximum=20,
    ),
    Setting(
        "retryMaxWaitSeconds",
        "seconds",
        60.0,
        "Most seconds spent waiting between retries of one request before giving up.",
        minimum=0,
    ),
    Setting(
        "contextLines",
        "integer",
        20,
        "Lines above and below a selection sent along with code actions.",
        minimum=0,
        maximum=1000,
    ),
    Setting(
        "reasoningSummaries",
        "boolean",
        True,
        "Ask reasoning models for summaries of their thinking, streamed apart from the answer and stored "
        "with the reply.",
        "Only where the model offers them; they stream as `reasoning` deltas. `false` stops asking.",
    ),
    Setting(
        "modelsFile",
        "tomlFile",
        None,
        "A models.toml adding or overriding rows of ChatLS's model table (same format as capabilities.toml).",
        "See [the adapter's user models file](adapter.md#user-models-file). Each bad key is reported in its "
        "own message; the other rows still apply.",
        default_words="none",
    ),
    Setting(
        "maxFileBytes",
        "integer",
        500_000,
        "Largest file read from disk for a document the editor has not open (e.g. a chat's context.uri).",
        "Only regular text files inside a workspace folder are ever read ([reliability.md](reliability.md)). "
        "Whatever this allows, one attachment over 1,048,576 characters as sent is refused: Azure takes no "
        "longer string.",
        minimum=1,
    ),
    Setting(
        "maxEditBytes",
        "integer",
        200_000,
        "Largest code a code action applies as an edit; a bigger reply is shown instead.",
        "See [code-actions.md](code-actions.md).",
        minimum=1,
    ),
    Setting(
        "confirmEdits",
        "choice",
        "auto",
        "Ask before a code action edits a file: auto (in editors that cannot preview an edit), always, "
        "never.",
        "The question (`window/showMessageRequest`) names the file and the size of the change; `auto` asks "
        "in editors without change-annotation support (Neovim, eglot, Helix).",
        choices=CONFIRM_EDITS,
    ),
    Setting(
        "agentMaxSteps",
        "integer",
        25,
        "Most tool calls one agent turn makes before the model must answer.",
        "See [agent mode](agent.md).",
        minimum=1,
        maximum=200,
    ),
    Setting(
        "agentRunCommands",
        "boolean",
        False,
        "Offer the agent run_command; each command line still needs your approval.",
    ),
    Setting(
        "agentCommandShell",
        "boolean",
        False,
        "Run the agent's approved commands through /bin/sh (pipes, redirections); without it each runs as "
        "one program.",
    ),
    Setting(
        "agentCommandTimeoutSeconds",
        "seconds",
        60.0,
        "An agent command running longer is killed, with its children.",
        minimum=1,
    ),
    Setting(
        "agentApprovalTimeoutSeconds",
        "seconds",
        120.0,
        "An approval left unanswered this long counts as declined.",
        minimum=1,
    ),
    Setting(
        "agentAllowSecretFiles",
        "boolean",
        False,
        "Let agent tools read files that look like secrets: .env, private keys, credentials.",
    ),
    Setting(
        "agentSecretPatterns",
        "strings",
        DEFAULT_SECRET_PATTERNS,
        "gitignore-style patterns of files that look like secrets (replaces the built-in list).",
        default_words="`.env`, `*.pem`, `id_rsa*`, … (the built-in list)",
    ),
    Setting(
        "mcpServers",
        "mcpServers",
        (),
        "MCP servers whose tools the agent may call.",
        'Each is `{"command", "args", "env", "cwd"}` or `{"url"}`, with `"approval": "ask"` or `"never"` '
        "([agent mode](agent.md#mcp-servers)).",
        default_words="`{}`",
        vscode={
            "markdownDescription": (
                'MCP servers whose tools the agent may call: `{"name": {"command", "args", "env", "cwd"} or '
                '{"url"}, "approval": "ask" or "never"}` (see docs/agent.md).'
            )
        },
    ),
    # --- the editor extension's own (the server ignores them) ----------------------------------------------
    Setting(
        "server.pythonPath",
        "string",
        "",
        "Python interpreter with chatls installed. When empty: the Python extension's interpreter, then the "
        "server set up by 'ChatLS: Set Up Server', then `chatls` on PATH.",
        scope="client",
        vscode={"scope": "machine-overridable"},
    ),
    Setting(
        "server.extraArgs",
        "strings",
        (),
        "Extra arguments for `chatls serve` (e.g. --log-level DEBUG).",
        scope="client",
    ),
    Setting(
        "trace.server",
        "choice",
        "off",
        "Trace the LSP traffic in the ChatLS output channel.",
        choices=("off", "messages", "verbose"),
        scope="client",
    ),
)

SERVER_SETTINGS: tuple[Setting, ...] = tuple(s for s in SETTINGS if s.scope != "client")
"""The settings the server reads, in declaration order."""
BY_KEY: Mapping[str, Setting] = {s.key: s for s in SERVER_SETTINGS}
CLIENT_ONLY_KEYS = frozenset(s.key.split(".")[0] for s in SETTINGS if s.scope == "client")
"""Sub-sections of the editor's `chatls` section that belong to the client (`chatls.server.pythonPath`,
`chatls.trace.server`); the server ignores them instead of calling them typos."""

PYTHON_TYPES: Mapping[Kind, str] = {
    "string": "str",
    "name": "str",
    "boolean": "bool",
    "integer": "int",
    "seconds": "float",
    "choice": "str",
    "directory": "Path",
    "tomlFile": "Path",
    "profiles": "tuple[Profile, ...]",
    "strings": "tuple[str, ...]",
    "mcpServers": "tuple[MCPServerConfig, ...]",
}
"""The `Settings` attribute type of each kind (`| None` added when the default is None)."""


def default(key: str) -> Any:
    """The declared default of a server setting (used for `Settings`' field defaults)."""
    return BY_KEY[key].default
