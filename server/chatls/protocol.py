"""Every ChatLS method name, command id and payload type: the one source of truth on the server side.

The VS Code client mirrors this module in `vscode-client/src/protocol.ts`; docs/protocol.md documents it.

Params of custom requests arrive from pygls as raw JSON (see `ChatLSProtocol`) and are turned into the typed
classes below by `structure_params`, which rejects wrong shapes and wrong primitive types with InvalidParams
instead of letting cattrs coerce `5` into `"5"`.

Results and notifications are attrs classes unstructured by the lsprotocol converter, so snake_case fields go
out as camelCase. That converter omits fields equal to their default, so result fields that clients must
always see have no default.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar, Union

import attrs
import cattrs
import cattrs.cols
from lsprotocol import converters, types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

from chatls import action_specs
from chatls.action_specs import Action

T = TypeVar("T")

# --- client -> server requests -------------------------------------------------------------------
CHAT = "chatls/chat"
CONVERSATIONS = "chatls/conversations"
CONVERSATION = "chatls/conversation"
DELETE_CONVERSATION = "chatls/deleteConversation"
MODELS = "chatls/models"
SET_API_KEY = "chatls/setApiKey"
BUDGET = "chatls/budget"
RENAME_CONVERSATION = "chatls/renameConversation"

REQUESTS = frozenset(
    {CHAT, CONVERSATIONS, CONVERSATION, DELETE_CONVERSATION, MODELS, SET_API_KEY, BUDGET, RENAME_CONVERSATION}
)

# --- server -> client notifications and requests -------------------------------------------------
DELTA = "chatls/delta"
DIAGNOSTICS = "chatls/diagnostics"
"""Server → client request (agent mode): `{uri}` → `[{uri, diagnostics}]`, for clients that declare the
`experimental.chatlsDiagnostics` capability."""
SERVER_TO_CLIENT = frozenset({DELTA, DIAGNOSTICS})

# --- workspace/executeCommand ids ----------------------------------------------------------------
CMD_CHAT = "chatls.chat"
CMD_CONVERSATIONS = "chatls.conversations"
CMD_CONVERSATION = "chatls.conversation"
CMD_DELETE_CONVERSATION = "chatls.deleteConversation"
CMD_MODELS = "chatls.models"
CMD_EXPORT_CONVERSATION = "chatls.exportConversation"
# The code actions' commands and kinds come from their table (`action_specs.Action`); the named ids below are
# for callers that run one particular action.
CMD_EXPLAIN = Action.EXPLAIN.command
CMD_FIX = Action.FIX.command
CMD_IMPROVE = Action.IMPROVE.command
CMD_DOCUMENT = Action.DOCUMENT.command
CMD_GENERATE_TESTS = Action.GENERATE_TESTS.command
CMD_ASK_IN_CHAT = Action.ASK_IN_CHAT.command
CMD_EDIT_SELECTION = Action.EDIT_SELECTION.command

ACTION_COMMANDS = tuple(action.command for action in Action)
COMMANDS = (
    CMD_CHAT,
    CMD_CONVERSATIONS,
    CMD_CONVERSATION,
    CMD_DELETE_CONVERSATION,
    CMD_MODELS,
    CMD_EXPORT_CONVERSATION,
    *ACTION_COMMANDS,
)

# --- code action kinds (declared with the actions) -----------------------------------------------
KIND_QUICKFIX = action_specs.KIND_QUICKFIX
KIND_REWRITE = action_specs.KIND_REWRITE
KIND_EXPLAIN = action_specs.KIND_EXPLAIN

# --- message status values -----------------------------------------------------------------------
STATUS_COMPLETE = "complete"
STATUS_CANCELLED = "cancelled"
STATUS_ERROR = "error"
STATUS_TRUNCATED = "truncated"
STATUS_PENDING = "pending"  # an assistant reply still streaming
STATUS_INTERRUPTED = "interrupted"  # a pending reply no live server owns (its server died); retryable
RETRYABLE_STATUSES = frozenset({STATUS_ERROR, STATUS_CANCELLED, STATUS_INTERRUPTED})
"""Statuses of a reply that `retryOf` may answer again."""

# --- neutral stop reasons (ChatResult.stopReason) ------------------------------------------------
STOP_COMPLETE = "complete"
STOP_TRUNCATED = "truncated"
STOP_TOOL_CALLS = "tool_calls"

# --- chatls/chat modes ---------------------------------------------------------------------------
MODE_CHAT = "chat"
MODE_AGENT = "agent"


# --- payloads ------------------------------------------------------------------------------------
@attrs.define
class SelectionContext:
    uri: str
    """Document the question is about."""
    range: types.Range | None = None
    """Selected range in client (UTF-16) units; the whole document when absent."""


@attrs.define
class ContextItem:
    """One piece of context attached to a question (docs/protocol.md, "Context items")."""

    kind: str
    """"file", "range", "selection", "folder", "problems", "diff", "openEditors" or "text"."""
    uri: str | None = None
    """The document or folder (file, range, selection, folder; problems of one file; the repository of a
    diff — the first workspace folder when absent)."""
    range: types.Range | None = None
    """For "range" and "selection": client (UTF-16) units."""
    staged: bool | None = None
    """For "diff": the staged changes (`git diff --staged`) instead of the working tree's."""
    diagnostics: list[types.Diagnostic] | None = None
    """For "problems": the editor's diagnostics of `uri` (else what the server last saw of them)."""
    text: str | None = None
    """For "text": the text itself, e.g. what was piped into `chatls ask`."""
    label: str | None = None
    """For "text": what the text is, for people ("standard input"); "text" when absent."""


@attrs.define
class ChatParams:
    prompt: str
    """What the user typed; stored as is."""
    conversation_id: str | None = None
    """Continue this conversation; a new one is started when absent."""
    workspace_uri: str | None = None
    """Workspace folder the conversation belongs to; derived from `context.uri` when absent."""
    profile: str | None = None
    """Profile name; the default profile when absent."""
    reasoning_effort: str | None = None
    """Overrides the profile's reasoning effort for this turn."""
    context: SelectionContext | None = None
    """Code the prompt is about."""
    retry_of: str | None = None
    """Id of a reply that failed, was cancelled or was interrupted: answer its question again instead of
    storing the prompt a second time (`prompt` must be that question as stored; `conversationId` is
    required)."""
    client_token: str | None = None
    """Any string the client chooses; echoed in every `chatls/delta` of this request (so a client can tell
    its deltas apart before it knows the reply's id)."""
    mode: str | None = None
    """"agent": the model may use the workspace tools (docs/agent.md); plain chat when absent or "chat"."""
    attachments: list[ContextItem] | None = None
    """Context the user attached, sent before the prompt in this order (after `context`)."""


@attrs.define
class AgentStep:
    """One tool step of an agent turn, as deltas report it and conversations show it."""

    index: int
    """1 for the turn's first tool call, and so on."""
    phase: str
    """"started" or "finished"."""
    name: str
    """The tool, e.g. "read_file" or "git__git_status" (an MCP server's)."""
    summary: str
    """One line for the user: what is being done, or what came of it."""
    ok: bool = True
    """False when the call was refused, declined or failed (the model is told why)."""


@attrs.define
class BudgetItem:
    label: str
    """What was attached, e.g. "file src/app.py" or "diff (staged)"."""
    tokens: int


@attrs.define
class BudgetResult:
    """`chatls/budget`: what a `chatls/chat` with the same params would send, before it is sent."""

    model: str
    """The model (or deployment) the counts are for."""
    tokens: int
    """Input tokens the request would take: instructions, attachments, kept history and the prompt."""
    input_budget: int
    """The most input the deployment takes here: its (learned or configured) window minus the reply reserve,
    capped at its input limit."""
    context_window: int
    reply_reserve: int
    prompt_tokens: int
    instructions_tokens: int
    attachments: list[BudgetItem]
    """Each attached item (the `context` selection first), in the order sent."""
    history_tokens: int
    history_messages: int
    """Earlier messages that would be sent."""
    left_out_messages: int
    """Earlier messages that would be left out, oldest first (they do not fit, or maxHistoryMessages)."""
    left_out_attachments: list[str]
    """Attachments that do not fit even without history (the last ones first); the request would fail."""
    fits: bool


@attrs.define
class Usage:
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    cached_tokens: int


@attrs.define
class Citation:
    """One numbered reference of a grounded (On Your Data) answer: `[doc1]` in the text is the first."""

    title: str | None
    url: str | None
    filepath: str | None
    chunk_id: str | None


@attrs.define
class ChatResult:
    conversation_id: str
    message_id: str
    content: str
    model: str
    finish_reason: str
    """Deprecated: "stop" or "length", derived from stop_reason for clients written before it."""
    usage: Usage
    adaptations: list[str]
    stop_reason: str = STOP_COMPLETE
    """Neutral: "complete", "truncated" (output limit) or "tool_calls"."""
    reasoning: str | None = None
    """The reasoning summary, whole (also streamed as `reasoning` deltas)."""
    citations: list[Citation] | None = None
    """On Your Data: the references the answer's `[docN]` markers point to, in order (also sent once as a
    `citations` delta when they arrive)."""


@attrs.define
class DeltaNotification:
    conversation_id: str
    message_id: str
    content: str | None = None
    """Text to append to the reply (never the whole text so far)."""
    status: str | None = None
    """Short human-readable state, e.g. "thinking 12 s"."""
    reasoning: str | None = None
    """Reasoning-summary text to append to the reply's "Thinking" (never part of the answer)."""
    client_token: str | None = None
    """The `clientToken` the request carried, when it carried one."""
    step: AgentStep | None = None
    """An agent turn's tool step started or finished."""
    citations: list[Citation] | None = None
    """On Your Data: the answer's references, sent once when they arrive (before or between the text)."""


@attrs.define
class ConversationsParams:
    workspace_uri: str | None = None


@attrs.define
class ConversationSummary:
    id: str
    title: str
    updated_at: str
    message_count: int


@attrs.define
class ConversationParams:
    conversation_id: str


@attrs.define
class MessageInfo:
    id: str
    role: str
    content: str
    status: str
    created_at: str
    model: str | None = None
    usage: Usage | None = None
    reasoning: str | None = None
    """The reasoning summary stored with an assistant reply."""
    steps: list[AgentStep] | None = None
    """An agent reply's tool steps (phase "finished"), in order."""
    citations: list[Citation] | None = None
    """On Your Data: the references stored with a grounded reply, in order."""
    attachment: str | None = None
    """What was sent with a question besides its text: the selection and attached context, each block
    labelled (file, range, problems, diff …), joined."""
    attachments: list[AttachmentInfo] | None = None
    """A question's attachments, in the order sent (each its own content part): what each one was."""


@attrs.define
class AttachmentInfo:
    """One attachment of a stored question."""

    kind: str
    """The context item's kind ("file", "range", "diff", …); "selection" for a chat's `context` or a code
    action's selection; "context" for a question stored before attachments were described one by one."""
    label: str
    """For people, as `chatls/budget` names it: "file src/app.py", "range src/app.py:3-9", "diff (staged)"."""
    chars: int
    """Characters sent."""
    name: str | None = None
    """The file or folder, relative to its workspace folder."""
    first_line: int | None = None
    """The first line attached (1-based), when it is part of a file."""
    last_line: int | None = None


@attrs.define
class ConversationInfo:
    id: str
    title: str
    workspace_uri: str
    messages: list[MessageInfo]


@attrs.define
class DeleteConversationResult:
    deleted: bool
    """False when there was no such conversation (deleted by another window, say)."""


@attrs.define
class RenameConversationResult:
    conversation_id: str
    title: str
    """The title as stored (whitespace collapsed)."""


@attrs.define
class SetApiKeyResult:
    profile: str
    """The profile whose key was set or forgotten (the key itself is never echoed)."""


@attrs.define
class ExportConversationResult:
    conversation_id: str
    markdown: str
    path: str | None = None
    """The file written, when `path` was given."""


@attrs.define
class ChatCommandResult(ChatResult):
    """`chatls.chat`'s answer: the ChatResult plus the reply's status ("complete" or "truncated")."""

    status: str = attrs.field(kw_only=True)


@attrs.define
class CancelledChatResult:
    """`chatls.chat`'s answer when its progress was cancelled: the partial reply, and ids once known."""

    conversation_id: str | None
    message_id: str | None
    content: str
    status: str


@attrs.define
class CapabilitiesInfo:
    """A profile's resolved model capabilities, as `chatls/models` shows them (every key always present)."""

    family: str
    reasoning: bool
    streaming: bool
    context_window: int
    input_limit: int
    max_output_tokens: int
    resolution: str
    reported_model: object
    deprecated: str | None
    retires: str | None
    replacement: str | None
    details: dict[str, object]


@attrs.define
class ModelInfo:
    """One `chatls/models` entry: the profile's own camelCase keys (no secrets), then `default`, then its
    `capabilities` or the `error` that kept them from being resolved. Sent flat (see `_model_info_json`)."""

    profile: dict[str, object]
    default: bool
    capabilities: CapabilitiesInfo | None = None
    error: str | None = None


@attrs.define
class ModelsParams:
    workspace_uri: str | None = None


@attrs.define
class RenameConversationParams:
    conversation_id: str
    title: str
    """The new title (trimmed; 1 to TITLE_MAX characters)."""


TITLE_MAX = 200


@attrs.define
class SetApiKeyParams:
    profile: str
    """Profile the key belongs to; held in memory only, never stored or logged."""
    api_key: str | None = attrs.field(repr=False)
    """The key; null forgets the key handed over earlier (the profile falls back to its environment)."""


@attrs.define
class SelectionArgs:
    """Argument of every code-action command."""

    uri: str
    """Document the selection belongs to."""
    range: types.Range
    """Selection, in client (UTF-16) units."""
    version: int | None = None
    """Document version the selection was taken from."""
    instruction: str | None = None
    """What to do, for chatls.editSelection (and an optional question for chatls.askInChat)."""
    diagnostics: list[types.Diagnostic] | None = None
    """Diagnostics the client reported for the range, for chatls.fix."""
    profile: str | None = None
    """Profile to run the action with (the one picked in the editor); the default profile when absent."""
    client_token: str | None = None
    """Echoed in every `chatls/delta` of the action, so the client can pair them with it."""


@attrs.define
class ActionResult:
    """Result of every code-action command."""

    conversation_id: str
    message_id: str
    content: str
    """The model's reply (explanation, or the reply the edit was taken from)."""
    applied: bool
    """Whether an edit was applied (always false for explain/ask)."""
    status: str
    """`complete`, `truncated` or `cancelled`; always sent, so it has no default."""
    reason: str | None = None
    """Why nothing was applied, when an edit was expected."""


@attrs.define
class ExportConversationArgs:
    conversation_id: str
    path: str | None = None
    """File to write; the Markdown is only returned when absent."""
    overwrite: bool = False
    """Replace an existing file at `path` (the user confirmed it); otherwise that is an InvalidParams."""


# --- the boundary converter ----------------------------------------------------------------------
class _BadValue(TypeError):
    """A primitive of the wrong JSON type or an unusable value; its message is shown to the client as is."""


_JSON_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _json_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _exact(expected: type) -> Any:
    def hook(value: Any, _: Any) -> Any:
        if expected is float and type(value) is int:
            return float(value)
        if type(value) is not expected:
            raise _BadValue(f"expected {_JSON_NAMES[expected]}, got {_json_name(value)}")
        if isinstance(value, str) and not _is_encodable(value):
            raise _BadValue("text is not valid Unicode (it holds an unpaired surrogate)")
        return value

    return hook


def _is_encodable(text: str) -> bool:
    """JSON can carry lone surrogates (`"\\ud800"`); SQLite and the wire to Azure cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


PARAMS_CONVERTER = converters.get_converter()
"""camelCase <-> snake_case like the rest of LSP, but with no coercion of primitives."""
for _primitive in (str, int, float, bool):
    PARAMS_CONVERTER.register_structure_hook(_primitive, _exact(_primitive))


def _strict_list(type_: Any) -> Any:
    """cattrs would turn an object into the list of its keys: an array field takes arrays only."""
    items = cattrs.cols.list_structure_factory(type_, PARAMS_CONVERTER)

    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, list):
            raise _BadValue(f"expected an array, got {_json_name(value)}")
        return items(value, type_)

    return hook


PARAMS_CONVERTER.register_structure_hook_factory(
    lambda t: getattr(t, "__origin__", None) is list, _strict_list
)


def structure_params(raw: Any, cls: type[T]) -> T:
    """Turn raw JSON params into `cls`, or raise InvalidParams saying what is wrong and where."""
    if not isinstance(raw, dict):
        raise JsonRpcInvalidParams(f"params must be an object, got {type(raw).__name__}")
    try:
        return PARAMS_CONVERTER.structure(raw, cls)
    except cattrs.BaseValidationError as exc:
        lines = cattrs.transform_error(exc, format_exception=_format_exception)
        detail = "; ".join(_camel_paths(line) for line in lines)
        raise JsonRpcInvalidParams(f"invalid params: {detail}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise JsonRpcInvalidParams(f"invalid params: {exc}") from None


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, _BadValue):
        return str(exc)  # our own hooks' words say what was sent
    return cattrs.v.format_exception(exc, type_)


def _camel_paths(message: str) -> str:
    """cattrs names fields by attribute (`$.conversation_id`); clients send camelCase (`$.conversationId`)."""
    text, at, path = message.rpartition(" @ ")
    if not at:
        return message
    return f"{text} @ " + re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), path)


def unstructure(value: Any) -> Any:
    """Plain JSON for an attrs payload (camelCase keys)."""
    return PARAMS_CONVERTER.unstructure(value)


def _model_info_json(info: ModelInfo) -> dict[str, Any]:
    out: dict[str, Any] = {**info.profile, "default": info.default}
    if info.capabilities is not None:
        out["capabilities"] = PARAMS_CONVERTER.unstructure(info.capabilities)
    if info.error is not None:
        out["error"] = info.error
    return out


PARAMS_CONVERTER.register_unstructure_hook(ModelInfo, _model_info_json)


@attrs.define
class RawRequest:
    """Envelope that leaves `params` as plain JSON instead of pygls' namedtuple `Object`."""

    id: Union[int, str]  # noqa: UP007 - attrs/cattrs resolve this at runtime on 3.10
    method: str
    params: Any = None
    jsonrpc: str = "2.0"


@attrs.define
class _AlreadyAnswered:
    """Stands in for a request whose params could not be parsed and that was answered with an error."""

    id: Union[int, str]  # noqa: UP007
    jsonrpc: str = "answered"


class ChatLSProtocol(LanguageServerProtocol):
    """Parses ChatLS's own requests with `RawRequest` so bad params can be answered with InvalidParams, and
    answers LSP requests whose params lsprotocol cannot structure (pygls would log and never answer them)."""

    def get_message_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        # Only client->server requests: notify() also asks this for outgoing notifications.
        if method in REQUESTS:
            return RawRequest
        return super().get_message_type(method)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            msg_id, method = data.get("id"), data.get("method")
            if not isinstance(msg_id, (int, str)) or isinstance(msg_id, bool) or not isinstance(method, str):
                raise  # a notification or a response: nobody waits for an answer
            error = JsonRpcInvalidParams(f"invalid params for {method}: {_describe(exc.__cause__)}")
            self._send_response(msg_id, error=error.to_response_error())
            return _AlreadyAnswered(msg_id)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _AlreadyAnswered):
            return
        super().handle_message(message)


def _describe(cause: BaseException | None) -> str:
    if isinstance(cause, cattrs.BaseValidationError):
        return _camel_paths("; ".join(cattrs.transform_error(cause)))
    return str(cause) if cause is not None else "they do not match the method's parameter type"
