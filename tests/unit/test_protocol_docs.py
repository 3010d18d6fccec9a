"""docs/protocol.md against chatls.protocol: every JSON example must be something the server accepts or sends.

Requests are structured with the server's own strict `structure_params`; results and notifications are
structured into their payload class and unstructured again, which must give back exactly the example (so a
misspelt, snake_case or extra key fails instead of being silently ignored). Every method and command name
the doc mentions must exist, and every one that exists must be documented.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatls import errors, protocol
from chatls.azure.capabilities import resolve_capabilities
from chatls.azure.profile import Profile
from chatls.server import capabilities_info

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
TEXT = DOC.read_text(encoding="utf-8")

REQUEST_PARAMS: dict[str, type[Any]] = {
    protocol.CHAT: protocol.ChatParams,
    protocol.CONVERSATIONS: protocol.ConversationsParams,
    protocol.CONVERSATION: protocol.ConversationParams,
    protocol.DELETE_CONVERSATION: protocol.ConversationParams,
    protocol.MODELS: protocol.ModelsParams,
    protocol.SET_API_KEY: protocol.SetApiKeyParams,
    protocol.BUDGET: protocol.ChatParams,
    protocol.RENAME_CONVERSATION: protocol.RenameConversationParams,
}
COMMAND_ARGS: dict[str, type[Any]] = {
    protocol.CMD_CHAT: protocol.ChatParams,
    protocol.CMD_CONVERSATIONS: protocol.ConversationsParams,
    protocol.CMD_CONVERSATION: protocol.ConversationParams,
    protocol.CMD_DELETE_CONVERSATION: protocol.ConversationParams,
    protocol.CMD_MODELS: protocol.ModelsParams,
    protocol.CMD_EXPORT_CONVERSATION: protocol.ExportConversationArgs,
    **dict.fromkeys(protocol.ACTION_COMMANDS, protocol.SelectionArgs),
}
RESULTS: dict[str, Any] = {
    protocol.CHAT: protocol.ChatResult,
    protocol.CONVERSATIONS: list[protocol.ConversationSummary],
    protocol.CONVERSATION: protocol.ConversationInfo,
    protocol.BUDGET: protocol.BudgetResult,
    protocol.RENAME_CONVERSATION: protocol.RenameConversationResult,
}
ERROR_DATA_KEYS = {"kind", "key", "retryAfter", "categories"}


@dataclass(frozen=True)
class Example:
    section: str
    """The nearest heading, without backticks or a parenthesised note: `chatls/chat`, `Commands`, …"""
    line: int
    value: Any

    def __str__(self) -> str:
        return f"protocol.md:{self.line} ({self.section})"


def _section(heading: str) -> str:
    return re.sub(r"\s*\(.*\)$", "", heading.lstrip("#").strip()).strip("`")


def _values(block: str) -> list[Any]:
    """One JSON value, or several one after another (a sequence of notifications)."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = 0
    while position < len(block.rstrip()):
        while block[position].isspace():
            position += 1
        value, position = decoder.raw_decode(block, position)
        values.append(value)
    return values


def examples() -> list[Example]:
    found: list[Example] = []
    section = ""
    lines = TEXT.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            section = _section(line)
        elif line.strip() == "```json":
            start = index + 1
            end = lines.index("```", start)
            block = "\n".join(lines[start:end])
            try:
                found += [Example(section, start + 1, value) for value in _values(block)]
            except json.JSONDecodeError as exc:
                pytest.fail(f"protocol.md:{start + 1}: not JSON: {exc}")
            index = end
        index += 1
    return found


EXAMPLES = examples()


def _round_trips(value: Any, cls: Any, where: Example) -> None:
    structured = protocol.PARAMS_CONVERTER.structure(value, cls)
    assert protocol.unstructure(structured) == value, f"{where}: fields differ from {cls}"


def _is_request(value: Any) -> bool:
    return isinstance(value, dict) and "method" in value and "id" in value


def _is_notification(value: Any) -> bool:
    return isinstance(value, dict) and "method" in value and "id" not in value


def _is_error(value: Any) -> bool:
    return isinstance(value, dict) and "error" in value


def _of(kind: Any) -> list[Example]:
    return [e for e in EXAMPLES if kind(e.value)]


def _results() -> list[Example]:
    return [
        e for e in EXAMPLES if not (_is_request(e.value) or _is_notification(e.value) or _is_error(e.value))
    ]


def test_the_doc_has_examples_of_every_kind() -> None:
    assert len(_of(_is_request)) >= 2
    assert len(_of(_is_notification)) >= 3  # the first status delta, then the content/status sequence
    assert len(_of(_is_error)) >= 1
    assert {e.section for e in _results()} >= {*RESULTS, protocol.MODELS, "Commands"}


@pytest.mark.parametrize("example", _of(_is_request), ids=str)
def test_request_examples_are_accepted_as_sent(example: Example) -> None:
    message = example.value
    assert message["jsonrpc"] == "2.0"
    assert message["method"] in protocol.REQUESTS, example
    cls = REQUEST_PARAMS[message["method"]]
    params = protocol.structure_params(message["params"], cls)
    # Unknown keys are ignored by the server, so also check that nothing was dropped on the way in.
    assert protocol.unstructure(params) == message["params"], example


@pytest.mark.parametrize("example", _of(_is_notification), ids=str)
def test_notification_examples_are_delta_notifications(example: Example) -> None:
    message = example.value
    assert message["jsonrpc"] == "2.0"
    assert message["method"] == protocol.DELTA, example
    _round_trips(message["params"], protocol.DeltaNotification, example)


@pytest.mark.parametrize("example", _of(_is_error), ids=str)
def test_error_examples_use_the_code_of_their_kind(example: Example) -> None:
    error = example.value["error"]
    assert error["code"] == errors.code_for_kind(error["data"]["kind"]), example
    assert set(error["data"]) <= ERROR_DATA_KEYS, example
    assert isinstance(error["message"], str) and error["message"], example


@pytest.mark.parametrize("example", _results(), ids=str)
def test_result_examples_have_exactly_the_payload_fields(example: Example) -> None:
    value = example.value
    if example.section in RESULTS:
        _round_trips(value, RESULTS[example.section], example)
    elif example.section == protocol.MODELS:
        _check_models(value, example)
    elif example.section == "Commands":
        _round_trips(value, protocol.CancelledChatResult, example)  # what a cancelled `chatls.chat` answers
        assert value["status"] == protocol.STATUS_CANCELLED
        assert all(isinstance(value[key], str) for key in ("conversationId", "messageId", "content"))
    else:
        pytest.fail(f"{example}: no payload type is known for this section; add it to the test")


def _check_models(value: Any, example: Example) -> None:
    assert isinstance(value, list) and value, example
    capability_keys = set(protocol.unstructure(capabilities_info(resolve_capabilities(model="gpt-4o"))))
    for entry in value:
        described = {k: v for k, v in entry.items() if k not in {"default", "capabilities", "error"}}
        assert Profile.from_dict(described).to_dict() == described, example
        assert isinstance(entry["default"], bool)
        assert ("capabilities" in entry) != ("error" in entry), example
        if "capabilities" in entry:
            assert set(entry["capabilities"]) == capability_keys, example


def test_every_name_the_doc_mentions_exists() -> None:
    methods = set(re.findall(r"(?<![/\w])chatls/[A-Za-z]+(?![.\w])", TEXT))  # not server/chatls/protocol.py
    commands = set(re.findall(r"`(chatls\.[A-Za-z]+)`", TEXT))
    assert methods <= protocol.REQUESTS | protocol.SERVER_TO_CLIENT, methods - protocol.REQUESTS
    assert commands <= set(protocol.COMMANDS), commands - set(protocol.COMMANDS)


def test_every_method_and_command_is_documented_and_mapped() -> None:
    assert set(REQUEST_PARAMS) == protocol.REQUESTS
    assert set(COMMAND_ARGS) == set(protocol.COMMANDS)
    headings = {_section(line) for line in TEXT.splitlines() if line.startswith("### ")}
    assert protocol.REQUESTS | {protocol.DELTA} <= headings
    command_rows = "\n".join(line for line in TEXT.splitlines() if line.startswith("| `chatls."))
    missing = [c for c in protocol.COMMANDS if f"`{c}`" not in command_rows]
    assert not missing, missing
