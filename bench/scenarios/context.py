"""What attaching a 1 MB file and a 5,000-line git diff adds to a turn before the request goes upstream.

Through the real server over stdio and the emulator in its own process: the time from writing `chatls/chat`
to the emulator receiving the upstream request (its request log's `started`, taken when the request's
headers arrive, before the body is read), for a question with the two attachments and for the same question
without any, interleaved on the same server. What lies between is everything the attachments cost: reading
the file through the safe path, running `git diff`, rendering the blocks, counting their tokens (tiktoken when
its cache is there, as in use), storing the question and building the request. Both clocks are the same
machine's wall clock.
"""

from __future__ import annotations

import dataclasses
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.chatls_server import init_options, server_argv, server_env, token_counter
from bench.emulator_proc import config_toml, emulator_process
from bench.lsp_client import LspClient
from bench.results import Row, Target
from bench.scenario import RunContext, Scenario
from bench.stats import interleave, median, paired_differences, percentile

FILE_BYTES = 1_000_000
DIFF_LINES = 5_000
MAX_FILE_BYTES = 2 * FILE_BYTES
"""maxFileBytes for the run: the default (500,000) would refuse a 1 MB file."""
DEPLOYMENT = "gpt-41-long"
WINDOW = 1_047_576
"""A 1 MB file of code is about 300,000 tokens: a gpt-4.1 deployment with its long (1M) window takes it."""
PROMPT = "Review this"
EMULATOR_CONFIG = f"""
[deployments.{DEPLOYMENT}]
model = "gpt-4.1-2025-04-14"
context_window = {WINDOW}

[[replies]]
pattern = "{PROMPT}$"
reply = "Looks fine."
"""
"""A short scripted reply: the emulator's default echoes the question, all 1 MB of it."""

WITH_ATTACHMENTS = Row(
    scenario="context",
    metric="`chatls/chat` to the upstream request, 1 MB file + 5,000-line diff attached (median)",
    unit="ms",
    target=None,
    baseline_label="no attachments",
)
ADDED = Row(
    scenario="context",
    metric="added by attaching a 1 MB file and a 5,000-line diff (median paired difference)",
    unit="ms",
    target=Target("value", "<", 20, "ms"),
)


def big_file(path: Path, size: int) -> None:
    """About `size` bytes of Python-like text with varied identifiers (tokenises like real code)."""
    lines = []
    total = 0
    n = 0
    while total < size:
        line = f"def handler_{n}(request, retries={n % 7}):\n    return send(request, 'route/{n}', retries)\n"
        lines.append(line)
        total += len(line)
        n += 1
    path.write_text("".join(lines)[:size], encoding="utf-8")


def git(root: Path, *args: str) -> None:
    identity = ("-c", "user.email=bench@example.com", "-c", "user.name=bench")
    subprocess.run(["git", "-C", str(root), *identity, *args], check=True, capture_output=True)


def repository_with_diff(root: Path, diff_lines: int) -> int:
    """A repository whose working-tree diff changes `diff_lines // 2` lines (as many - as + lines);
    returns the diff's length in lines.

    The lines are short, as they were when ChatLS joined all attachments into one string that Azure caps at
    1,048,576 characters (`string_above_max_length`); each attachment is its own content part now, but the
    diff stays the same so the figures stay comparable with earlier runs.
    """
    changed = diff_lines // 2
    module = root / "module.py"
    module.write_text("".join(f"a{i}\n" for i in range(changed)), encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "module.py")
    git(root, "commit", "-qm", "start")
    module.write_text("".join(f"b{i}\n" for i in range(changed)), encoding="utf-8")
    diff = subprocess.run(
        ["git", "-C", str(root), "--no-pager", "diff", "--no-color"], check=True, capture_output=True
    )
    return len(diff.stdout.splitlines())


async def upstream_request(client_url: str) -> dict[str, Any]:
    """The one chat-completions request in the emulator's log (its record), then the log cleared."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{client_url}/_emulator/requests") as response:
            response.raise_for_status()
            records: list[dict[str, Any]] = (await response.json())["requests"]
        async with session.delete(f"{client_url}/_emulator/requests") as response:
            response.raise_for_status()
    chats = [r for r in records if r["path"].endswith("/chat/completions")]
    if len(chats) != 1:
        raise RuntimeError(f"expected one upstream chat request, the emulator logged {len(chats)}")
    return chats[0]


async def run(context: RunContext) -> list[Row]:
    root = context.workdir / "project"
    root.mkdir()
    big_file(root / "big.py", FILE_BYTES)
    diff_lines = repository_with_diff(root, DIFF_LINES)
    state = context.workdir / "state"
    attachments = [{"kind": "file", "uri": (root / "big.py").as_uri()}, {"kind": "diff"}]
    async with emulator_process(context.workdir, config_toml() + EMULATOR_CONFIG) as emulator:
        options = {
            **init_options(emulator.url, state, deployment=DEPLOYMENT, model="gpt-4.1", contextWindow=WINDOW),
            "maxFileBytes": MAX_FILE_BYTES,
        }
        client = await LspClient.spawn(
            server_argv(),
            env=server_env(context.workdir, emulator.api_key),
            stderr_path=context.workdir / "server.stderr",
            settings={k: v for k, v in options.items() if k != "stateDir"},
        )
        try:
            await client.initialize(root, initialization_options=options)

            body_bytes: list[int] = []

            async def to_upstream(params: dict[str, Any]) -> float:
                """Milliseconds from writing the request to the emulator receiving the upstream one."""
                sent = time.time()
                await client.request("chatls/chat", params, timeout=120)
                record = await upstream_request(emulator.url)
                body = record.get("body") or {}
                body_bytes.append(int(body.get("omitted_bytes", record.get("body_bytes", 0))))
                return (float(record["started"]) - sent) * 1000

            async def attached() -> float:
                params = {"prompt": PROMPT, "workspaceUri": root.as_uri(), "attachments": attachments}
                return await to_upstream(params)

            async def bare() -> float:
                return await to_upstream({"prompt": PROMPT, "workspaceUri": root.as_uri()})

            for _ in range(context.size(full=3, quick=1)):  # warm-up: SDK, HTTP client, tiktoken, git
                await attached()
                await bare()
            rounds = context.size(full=40, quick=4)
            with_items, without = await interleave(attached, bare, rounds)
            counted = await attachment_tokens(client, root, attachments)
        finally:
            await client.close()
    added = paired_differences(with_items, without)
    counter = token_counter()[1]
    note = (
        f"{rounds} turns each, interleaved; file {FILE_BYTES:,} bytes, diff {diff_lines:,} lines; "
        f"upstream body {max(body_bytes):,} bytes; attachments {counted:,} tokens by {counter}"
    )
    return [
        dataclasses.replace(
            WITH_ATTACHMENTS,
            measured=median(with_items),
            baseline=median(without),
            note=note,
            details={"attached_ms": with_items, "bare_ms": without},
        ),
        dataclasses.replace(
            ADDED,
            measured=median(added),
            note=f"p90 {percentile(added, 90):.1f} ms",
            details={"added_ms": added},
        ),
    ]


async def attachment_tokens(client: LspClient, root: Path, attachments: list[dict[str, Any]]) -> int:
    """The attachments' tokens as `chatls/budget` counts them (and a check that both were attached)."""
    budget = await client.request(
        "chatls/budget", {"prompt": PROMPT, "workspaceUri": root.as_uri(), "attachments": attachments}
    )
    labels = [item["label"] for item in budget["attachments"]]
    if labels != ["file big.py", "diff (working tree)"]:
        raise RuntimeError(f"unexpected attachments in the budget: {labels}")
    return sum(int(item["tokens"]) for item in budget["attachments"])


SCENARIO = Scenario(
    name="context",
    summary="time a 1 MB file and a 5,000-line diff add before the request goes upstream",
    rows=(WITH_ATTACHMENTS, ADDED),
    requires=("chatls.cli", "chatls.server", "chatls.context_items"),
    run=run,
    timeout_quick=120.0,
)
