"""`chatls.errors.to_jsonrpc`: the one boundary, mapping failures to JSON-RPC errors by their type."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcInvalidParams

from chatls import errors
from chatls.azure import errors as adapter
from chatls.azure.profile import ProfileError
from chatls.config import ConfigError, NoProfileError
from chatls.store import ConversationNotFound, MessageNotFound, StoreError

SERVER = Path(errors.__file__).parent

ADAPTER_ERRORS = [
    (adapter.AuthError("no", status=401), errors.AUTHENTICATION_ERROR, {"kind": "auth"}),
    (adapter.DeploymentNotFound("no", deployment="d"), errors.DEPLOYMENT_NOT_FOUND, {}),
    (
        adapter.RateLimitExhausted("slow down", retry_after=20.0),
        errors.RATE_LIMITED,
        {"kind": "rate_limit", "retryAfter": 20.0},
    ),
    (adapter.RateLimitExhausted("slow down"), errors.RATE_LIMITED, {"kind": "rate_limit"}),
    (
        adapter.ContentFilterError(("hate", "violence"), "prompt"),
        errors.CONTENT_FILTERED,
        {"kind": "content_filter", "categories": ["hate", "violence"]},
    ),
    (adapter.ContextLengthExceeded("long"), errors.CONTEXT_TOO_LONG, {"kind": "context_length"}),
    (
        adapter.ConfigurationError("set it", key="apiVersion"),
        errors.CONFIGURATION_ERROR,
        {"kind": "configuration", "key": "apiVersion"},
    ),
    (adapter.NetworkError("offline"), errors.UNAVAILABLE, {"kind": "network"}),
    (adapter.ServiceError("500s"), errors.UNAVAILABLE, {"kind": "service"}),
    (adapter.IncompleteReply("part"), errors.UNAVAILABLE, {"kind": "incomplete_reply"}),
    (adapter.BadRequest("400"), errors.REQUEST_REJECTED, {"kind": "bad_request"}),
    (adapter.ReasoningBudgetExhausted(100), errors.REASONING_BUDGET, {"kind": "reasoning_budget"}),
    (
        adapter.OperationNotSupported("not chat", deployment="d"),
        errors.CONFIGURATION_ERROR,
        {"kind": "operation_not_supported"},
    ),
    (adapter.ModelRetired("gone", deployment="d"), errors.CONFIGURATION_ERROR, {"kind": "model_retired"}),
    (adapter.RunLost("expired"), errors.UPSTREAM_ERROR, {"kind": "run_lost"}),
]


@pytest.mark.parametrize(("error", "code", "data"), ADAPTER_ERRORS, ids=lambda v: type(v).__name__)
def test_each_adapter_error_keeps_its_message_and_gets_its_code(
    error: adapter.AzureError, code: int, data: dict[str, object]
) -> None:
    mapped = errors.to_jsonrpc(error)
    assert (mapped.code, mapped.message) == (code, error.user_message)
    assert isinstance(mapped.data, dict)
    assert mapped.data["kind"] == error.kind
    assert data.items() <= mapped.data.items()
    assert errors.code_for_kind(error.kind) == code


def test_every_adapter_error_type_is_in_the_table_above() -> None:
    declared = {
        cls
        for _name, cls in inspect.getmembers(adapter, inspect.isclass)
        if issubclass(cls, adapter.AzureError) and cls is not adapter.AzureError
    }
    assert declared == {type(error) for error, _code, _data in ADAPTER_ERRORS}


def test_something_merely_shaped_like_an_adapter_error_is_an_internal_error() -> None:
    class LooksLikeOne(Exception):
        user_message = "a message that must not reach the client"
        kind = "auth"
        key = "endpoint"
        reason = "shaped like a settings error too"

    mapped = errors.to_jsonrpc(LooksLikeOne())
    assert mapped.code == errors.INTERNAL_ERROR
    assert "must not reach" not in mapped.message


def test_settings_errors_name_the_key() -> None:
    bad_setting = errors.to_jsonrpc(ConfigError("profiles[0].apiVersion", "is not a date", "settings.json"))
    assert bad_setting.code == errors.CONFIGURATION_ERROR
    assert bad_setting.data == {"kind": "configuration", "key": "profiles[0].apiVersion"}
    assert "profiles[0].apiVersion" in bad_setting.message and "settings.json" in bad_setting.message
    no_profile = errors.to_jsonrpc(NoProfileError("profiles", "Set chatls.profiles to chat"))
    assert no_profile.code == errors.CONFIGURATION_ERROR
    assert no_profile.message == "Set chatls.profiles to chat"
    unknown = errors.to_jsonrpc(ProfileError("profile", "no profile is named 'x'"))
    assert unknown.message == "No profile is named 'x'."


def test_store_errors() -> None:
    for missing in (ConversationNotFound("c1"), MessageNotFound("m1")):
        assert isinstance(errors.to_jsonrpc(missing), JsonRpcInvalidParams)
    broken = errors.to_jsonrpc(StoreError("written by a newer ChatLS"))
    assert (broken.code, broken.data) == (errors.STORAGE_ERROR, {"kind": "storage"})


def test_every_kind_with_a_code_is_one_something_raises() -> None:
    ours = [path for path in SERVER.rglob("*.py") if "emulator" not in path.parts]  # the witness has its own
    source = "\n".join(path.read_text(encoding="utf-8") for path in ours)
    raised = {error.kind for error, _code, _data in ADAPTER_ERRORS}
    raised |= set(re.findall(r'kind="([a-z_]+)"', source))
    assert set(errors._CODES_BY_KIND) <= raised
