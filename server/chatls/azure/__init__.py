"""The capability-aware Azure OpenAI adapter: the only ChatLS code that knows a URL, header or model rule.

See docs/adapter.md for the two wires, the capability table, shaping, self-healing, retries and errors.
Attributes are loaded on first use, so `import chatls.azure.types` (or `.errors`) never loads the SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "AzureChatClient": "client",
    "CapabilityTable": "capabilities",
    "family_in_name": "capabilities",
    "load_capabilities": "capabilities",
    "resolve_capabilities": "capabilities",
    "Lessons": "healing",
    "Profile": "profile",
    "ProfileError": "profile",
    "RetryPolicy": "retry",
    "ShapedRequest": "shaping",
    "shape_request": "wires.chat",
    **dict.fromkeys(
        (
            "AuthError",
            "AzureError",
            "BadRequest",
            "ConfigurationError",
            "ContentFilterError",
            "ContextLengthExceeded",
            "DeploymentNotFound",
            "IncompleteReply",
            "ModelRetired",
            "NetworkError",
            "OperationNotSupported",
            "RateLimitExhausted",
            "ReasoningBudgetExhausted",
            "RunLost",
            "ServiceError",
        ),
        "errors",
    ),
    **dict.fromkeys(
        (
            "ChatEvent",
            "ChatMessage",
            "ChatOptions",
            "ChatResult",
            "ContentEvent",
            "Conversation",
            "LessonStore",
            "ModelCapabilities",
            "ReasoningEvent",
            "Role",
            "RunStartedEvent",
            "StatusEvent",
            "StopReason",
            "ToolCall",
            "ToolCallEvent",
            "ToolSpec",
            "Usage",
            "Wire",
        ),
        "types",
    ),
}

__all__ = [
    "AuthError",
    "AzureChatClient",
    "AzureError",
    "BadRequest",
    "CapabilityTable",
    "ChatEvent",
    "ChatMessage",
    "ChatOptions",
    "ChatResult",
    "ConfigurationError",
    "ContentEvent",
    "ContentFilterError",
    "ContextLengthExceeded",
    "Conversation",
    "DeploymentNotFound",
    "IncompleteReply",
    "LessonStore",
    "Lessons",
    "ModelCapabilities",
    "ModelRetired",
    "NetworkError",
    "OperationNotSupported",
    "Profile",
    "ProfileError",
    "RateLimitExhausted",
    "ReasoningBudgetExhausted",
    "ReasoningEvent",
    "RetryPolicy",
    "Role",
    "RunLost",
    "RunStartedEvent",
    "ServiceError",
    "ShapedRequest",
    "StatusEvent",
    "StopReason",
    "ToolCall",
    "ToolCallEvent",
    "ToolSpec",
    "Usage",
    "Wire",
    "family_in_name",
    "load_capabilities",
    "resolve_capabilities",
    "shape_request",
]
"""The same names as `_HOMES` (a unit test checks): a literal, so linters see the exports."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chatls.azure' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"chatls.azure.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


if TYPE_CHECKING:  # what type checkers see: the same names, imported eagerly
    from chatls.azure.capabilities import (
        CapabilityTable,
        family_in_name,
        load_capabilities,
        resolve_capabilities,
    )
    from chatls.azure.client import AzureChatClient
    from chatls.azure.errors import (
        AuthError,
        AzureError,
        BadRequest,
        ConfigurationError,
        ContentFilterError,
        ContextLengthExceeded,
        DeploymentNotFound,
        IncompleteReply,
        ModelRetired,
        NetworkError,
        OperationNotSupported,
        RateLimitExhausted,
        ReasoningBudgetExhausted,
        RunLost,
        ServiceError,
    )
    from chatls.azure.healing import Lessons
    from chatls.azure.profile import Profile, ProfileError
    from chatls.azure.retry import RetryPolicy
    from chatls.azure.shaping import ShapedRequest
    from chatls.azure.types import (
        ChatEvent,
        ChatMessage,
        ChatOptions,
        ChatResult,
        ContentEvent,
        Conversation,
        LessonStore,
        ModelCapabilities,
        ReasoningEvent,
        Role,
        RunStartedEvent,
        StatusEvent,
        StopReason,
        ToolCall,
        ToolCallEvent,
        ToolSpec,
        Usage,
        Wire,
    )
    from chatls.azure.wires.chat import shape_request
