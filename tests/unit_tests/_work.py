"""Module-level tool functions for orchestrator tests (importable by worker processes)."""

from __future__ import annotations

import os
import time

from langchain_llmorch import compute, inout


@compute
def busy(seconds: float = 0.2, tag: str = "") -> str:
    """Hold a processor for `seconds` (sleeping stands in for work: the pool is the bound)."""
    time.sleep(seconds)
    return tag or f"busy {seconds}"


@compute
def add(a: float, b: float = 0.0) -> float:
    """a + b, on a worker."""
    return a + b


@compute
def crash(code: int = 1) -> None:
    """Kill the worker process outright."""
    os._exit(code)


@compute
def explode(message: str = "boom") -> None:
    """Raise inside the worker."""
    raise ValueError(message)


@compute
def echo(value: object) -> str:
    """Return the value's repr."""
    return repr(value)


@inout
async def fetch(seconds: float = 0.2, tag: str = "") -> str:
    """An async I/O call."""
    import asyncio

    await asyncio.sleep(seconds)
    return tag or f"fetched {seconds}"


@inout
def fetch_sync(seconds: float = 0.2) -> str:
    """A blocking I/O call (runs in the thread pool)."""
    time.sleep(seconds)
    return f"fetched {seconds}"


ALL = [busy, add, crash, explode, echo, fetch, fetch_sync]
