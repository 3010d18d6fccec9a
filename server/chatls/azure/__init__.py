"""The capability-aware Azure OpenAI adapter: the only ChatLS code that knows a URL, header or model rule.

See docs/adapter.md for the capability table, shaping, self-healing, retries and errors.
"""

from __future__ import annotations

from chatls.azure.capabilities import CapabilityTable, family_in_name, load_capabilities, resolve_capabilities
from chatls.azure.client import AzureChatClient
from chatls.azure.errors import (
    AuthError,
    AzureError,
    BadRequest,
    ConfigurationError,
    ContentFilterError,
    ContextLengthExceeded,
    DeploymentNotFound,
    NetworkError,
    RateLimitExhausted,
    ReasoningBudgetExhausted,
    ServiceError,
)
from chatls.azure.healing import Lessons
from chatls.azure.profile import Profile, ProfileError
from chatls.azure.retry import RetryPolicy
from chatls.azure.shaping import ShapedRequest, shape_request
from chatls.azure.types import (
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ChatResult,
    ContentEvent,
    Conversation,
    LessonStore,
    ModelCapabilities,
    Role,
    StatusEvent,
    Usage,
)

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
    "LessonStore",
    "Lessons",
    "ModelCapabilities",
    "NetworkError",
    "Profile",
    "ProfileError",
    "RateLimitExhausted",
    "ReasoningBudgetExhausted",
    "RetryPolicy",
    "Role",
    "ServiceError",
    "ShapedRequest",
    "StatusEvent",
    "Usage",
    "family_in_name",
    "load_capabilities",
    "resolve_capabilities",
    "shape_request",
]
