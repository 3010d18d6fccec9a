"""Small statistics helpers: medians, percentiles and interleaved A/B sampling.

Benchmarks here compare two things measured side by side on a noisy, shared machine, so the helpers favour
robust figures (medians, nearest-rank percentiles) and interleaving over means of long back-to-back runs.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence


def median(samples: Sequence[float]) -> float:
    if not samples:
        raise ValueError("no samples")
    return float(statistics.median(samples))


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: always one of the samples, so p99 of 100 samples is the 99th smallest."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    ordered = sorted(samples)
    rank = math.ceil(pct / 100 * len(ordered))
    return float(ordered[rank - 1])


def ms(ns: float) -> float:
    return ns / 1_000_000


def time_sync(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall time of each of `repeat` calls of `fn`, in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        fn()
        samples.append(ms(time.perf_counter_ns() - start))
    return samples


async def interleave(
    first: Callable[[], Awaitable[float]],
    second: Callable[[], Awaitable[float]],
    rounds: int,
) -> tuple[list[float], list[float]]:
    """Run `first` and `second` alternately (ABBA order), so drift in machine load hits both equally."""
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            a.append(await first())
            b.append(await second())
        else:
            b.append(await second())
            a.append(await first())
    return a, b


def paired_ratios(measured: Sequence[float], baseline: Sequence[float]) -> list[float]:
    return [m / b for m, b in zip(measured, baseline, strict=True) if b > 0]


def paired_differences(measured: Sequence[float], baseline: Sequence[float]) -> list[float]:
    return [m - b for m, b in zip(measured, baseline, strict=True)]
