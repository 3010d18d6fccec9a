"""HTTP load generator for the emulator benchmark, run as its own process: `python -m bench.loadgen ...`.

It keeps CONCURRENCY chat-completion requests in flight for DURATION seconds (after a warm-up) and prints
one JSON object: requests, errors, elapsed seconds, content chunks seen, completion tokens as the server's
usage chunk (streaming) or usage field (non-streaming) reports them, and the same for the warm-up. aiohttp
is used rather than the openai SDK because the client must cost far less CPU per request than the server
it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    content_chunks: int = 0
    completion_tokens: int = 0
    elapsed: float = 0.0
    first_error: str = ""
    warmup_requests: int = 0
    warmup_completion_tokens: int = 0
    """The warm-up's figures: with these, the server's CPU time over the whole run can be put per token."""


def request_body(deployment: str, prompt: str, stream: bool) -> bytes:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": prompt}], "model": deployment}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return json.dumps(body).encode()


async def one_stream(session: aiohttp.ClientSession, url: str, body: bytes, tally: Tally) -> None:
    async with session.post(url, data=body) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {(await response.text())[:300]}")
        async for line in response.content:
            if not line.startswith(b"data: "):
                continue
            if b'"content":' in line:
                tally.content_chunks += 1
            if b'"usage":{' in line or b'"usage": {' in line:
                usage = json.loads(line[6:]).get("usage") or {}
                tally.completion_tokens += int(usage.get("completion_tokens", 0))


async def one_json(session: aiohttp.ClientSession, url: str, body: bytes, tally: Tally) -> None:
    async with session.post(url, data=body) as response:
        payload = await response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {payload[:300]!r}")
        tally.content_chunks += 1
        tally.completion_tokens += int(json.loads(payload).get("usage", {}).get("completion_tokens", 0))


async def worker(
    session: aiohttp.ClientSession, url: str, body: bytes, stream: bool, stop_at: float, tally: Tally
) -> None:
    call = one_stream if stream else one_json
    while time.perf_counter() < stop_at:
        try:
            await call(session, url, body, tally)
            tally.requests += 1
        except Exception as exc:  # counted and reported: a benchmark must not hide failed requests
            tally.errors += 1
            tally.first_error = tally.first_error or repr(exc)[:300]


async def load(args: argparse.Namespace) -> Tally:
    url = f"{args.url}/openai/deployments/{args.deployment}/chat/completions?api-version={args.api_version}"
    body = request_body(args.deployment, args.prompt, args.stream)
    headers = {"api-key": args.api_key, "content-type": "application/json"}
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        warm = Tally()
        warm_until = time.perf_counter() + args.warmup
        await asyncio.gather(
            *(worker(session, url, body, args.stream, warm_until, warm) for _ in range(args.concurrency))
        )
        if warm.errors and not warm.requests:
            warm.elapsed = args.warmup
            return warm
        tally = Tally()
        start = time.perf_counter()
        stop_at = start + args.duration
        await asyncio.gather(
            *(worker(session, url, body, args.stream, stop_at, tally) for _ in range(args.concurrency))
        )
        tally.elapsed = time.perf_counter() - start
    tally.warmup_requests = warm.requests
    tally.warmup_completion_tokens = warm.completion_tokens
    return tally


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("--url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--deployment", default="gpt-4o")
    parser.add_argument("--api-version", default="2024-10-21")
    parser.add_argument("--prompt", default="hello")
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    tally = asyncio.run(load(parse_args(argv)))
    print(json.dumps(asdict(tally)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
