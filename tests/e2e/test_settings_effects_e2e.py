"""Settings that change what reaches the model or the wire, end to end: `contextLines` shapes the code
around a selection sent with a code action, `requestTimeoutSeconds` is the SDK client's timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException
from tests.actions.helpers import open_document, rng, selection, user_messages
from tests.support.lsp import SPEC_WARNINGS_ARE_ERRORS, OpenSession, chat, execute_command, init_options

from chatls import protocol
from chatls.emulator.fixture import RunningEmulator

pytestmark = SPEC_WARNINGS_ARE_ERRORS

SOURCE = "import math\n\n\nclass Calculator:\n    def add(self, a, b):\n        return a - b\n\n\nx = 1\n"
ADD = rng((4, 4), (5, 20))


@pytest.fixture
def preset() -> str:
    return "visual-studio-code"  # what is checked is the server's; one client is enough


async def test_context_lines_bounds_the_code_sent_around_a_selection(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path, project: Path
) -> None:
    options = init_options(emulator.url, state_dir=state_dir, contextLines=1)
    async with session(init_options=options) as client:
        uri = open_document(client, project / "calc.py", SOURCE, "python")
        await execute_command(client, protocol.CMD_EXPLAIN, selection(uri, ADD))
    (sent,) = await emulator.chat_requests()
    user = user_messages(sent)
    assert "Code before the selection:\n```python\nclass Calculator:\n```" in user
    assert "import math" not in user  # three lines up: beyond contextLines = 1 (the default 20 sends it)
    assert "x = 1" not in user and "Code after the selection" not in user  # one blank line only


async def test_request_timeout_seconds_is_the_timeout_of_each_request(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path
) -> None:
    await emulator.add_fault("slow_first_byte", delay=5)
    options = init_options(emulator.url, state_dir=state_dir, requestTimeoutSeconds=1, retryMaxAttempts=1)
    async with session(init_options=options) as client:
        with pytest.raises(JsonRpcException) as failure:
            await chat(client, "hello")  # fails after 1 s, not the default 600
    assert "timed out" in failure.value.message
    (record,) = await emulator.chat_requests()
    assert record["fault"] == "slow_first_byte"
