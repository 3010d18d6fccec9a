"""SQLite storage for conversations, messages and the adapter's self-healing lessons.

No pygls here: the store is plain Python over stdlib `sqlite3`, used from the server's event-loop thread.
`ConversationStore.open(state_dir)` is the entry point.
"""

from __future__ import annotations

from chatls.store.conversations import (
    ConversationNotFound,
    ConversationStore,
    MessageNotFound,
    utc_now,
)
from chatls.store.db import DB_FILENAME, StoreError
from chatls.store.records import (
    ROLES,
    STATUSES,
    USAGE_KEYS,
    ConversationRecord,
    ConversationSummaryRecord,
    MessageRecord,
    MessageRole,
    MessageStatus,
    TurnIds,
)
from chatls.workspaces import NO_FOLDER

__all__ = [
    "DB_FILENAME",
    "NO_FOLDER",
    "ROLES",
    "STATUSES",
    "USAGE_KEYS",
    "ConversationNotFound",
    "ConversationRecord",
    "ConversationStore",
    "ConversationSummaryRecord",
    "MessageNotFound",
    "MessageRecord",
    "MessageRole",
    "MessageStatus",
    "StoreError",
    "TurnIds",
    "utc_now",
]
