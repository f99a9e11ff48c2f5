"""Helpers the engine tests share: reading overlap and concurrency from trace records."""

from __future__ import annotations

from collections.abc import Iterable

from langchain_llmorch import TraceRecord


def overlap(a: TraceRecord, b: TraceRecord) -> bool:
    """Whether the two calls ran at the same time (for some instant)."""
    return a.started_at < b.ended_at and b.started_at < a.ended_at


def max_concurrent(records: Iterable[TraceRecord]) -> int:
    """The most calls running at one instant (a call ending as another starts: not both)."""
    points = sorted(
        [(r.started_at, 1) for r in records] + [(r.ended_at, -1) for r in records],
        key=lambda p: (p[0], p[1]),
    )
    best = level = 0
    for _, step in points:
        level += step
        best = max(best, level)
    return best
