"""Filling a state directory with conversations through `chatls.store`, before the server opens it."""

from __future__ import annotations

from pathlib import Path

from chatls.store import ConversationStore


def seed_conversations(state_dir: Path, workspace_uri: str, count: int, messages_each: int = 2) -> list[str]:
    """`count` conversations in one workspace, each with `messages_each` short messages; returns their ids."""
    ids = []
    with ConversationStore.open(state_dir) as store:
        for n in range(count):
            conversation_id = store.create_conversation(workspace_uri, f"Conversation {n}")
            add_turns(store, conversation_id, messages_each, words=20)
            ids.append(conversation_id)
    return ids


def seed_history(state_dir: Path, workspace_uri: str, messages: int, words: int, tag: str = "") -> str:
    """One conversation with `messages` alternating user/assistant messages of `words` words each, every
    message starting with `tag` (so requests can be told apart in the emulator's log)."""
    with ConversationStore.open(state_dir) as store:
        conversation_id = store.create_conversation(workspace_uri, f"{messages} earlier messages")
        add_turns(store, conversation_id, messages, words=words, tag=tag)
    return conversation_id


def add_turns(
    store: ConversationStore, conversation_id: str, messages: int, *, words: int, tag: str = ""
) -> None:
    for n in range(messages):
        role = "user" if n % 2 == 0 else "assistant"
        text = tag + " ".join(f"{role}{n}w{i}" for i in range(words))
        store.add_message(conversation_id, role, text, "complete")
