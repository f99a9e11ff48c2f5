"""Module-level tools with declared limits, for the resource and order tests.

Compute ones are importable by worker processes; inout ones run in this process.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from langchain_llmorch import compute, inout


def _hold(seconds: float) -> None:
    time.sleep(seconds)


@compute(resources={"gpu": 1})
def on_gpu(seconds: float = 0.2, tag: str = "") -> str:
    """Hold a processor and the GPU for `seconds`."""
    _hold(seconds)
    return tag or "gpu"


@compute
def on_cpu(seconds: float = 0.2, tag: str = "") -> str:
    """Hold a processor for `seconds`."""
    _hold(seconds)
    return tag or "cpu"


@inout(max_concurrency=2)
async def limited(seconds: float = 0.02, tag: str = "") -> str:
    """An async I/O call of an API that allows 2 requests at once."""
    await asyncio.sleep(seconds)
    return tag or "limited"


@inout(max_concurrency=2)
def limited_sync(seconds: float = 0.02, tag: str = "") -> str:
    """A sync I/O call of an API that allows 2 requests at once."""
    time.sleep(seconds)
    return tag or "limited"


@inout(ordered=True)
async def append_line(path: str, line: str, seconds: float = 0.0) -> str:
    """Append `line` to the file at `path` (a side effect whose order matters); "bad" fails."""
    if seconds:
        await asyncio.sleep(seconds)
    if line == "bad":
        msg = "cannot write 'bad'"
        raise ValueError(msg)
    with Path(path).open("a", encoding="utf-8") as handle:  # noqa: ASYNC230 - a tiny append, on purpose in the loop
        handle.write(line + "\n")
    return line


@inout(ordered=True)
def append_line_sync(path: str, line: str, seconds: float = 0.0) -> str:
    """Sync `append_line`: runs in a thread."""
    if seconds:
        time.sleep(seconds)
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return line


@inout
async def idle(seconds: float = 0.01, tag: str = "") -> str:
    """An independent async I/O call."""
    await asyncio.sleep(seconds)
    return tag or "idle"
