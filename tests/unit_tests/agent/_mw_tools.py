"""Module-level tools for the middleware tests (importable by worker processes)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Annotated

from langchain.tools import InjectedState, ToolRuntime
from langchain_core.tools import InjectedToolCallId

from langchain_llmorch import compute, inout


@compute
def spin(n: int) -> int:
    """GIL-bound work: a pure-Python loop of n steps; returns a checksum of n."""
    total = 0
    for i in range(n):
        total = (total + i * i) % 1_000_003
    return total


@compute
def crash(code: int = 3) -> int:
    """Kill the worker process outright."""
    os._exit(code)


@compute
def explode(message: str) -> int:
    """Raise inside the worker."""
    raise ValueError(message)


@compute
def whereami() -> int:
    """The worker's pid."""
    return os.getpid()


@compute
def reads_state(state: Annotated[dict, InjectedState]) -> int:
    """Needs the agent state: cannot cross a process."""
    return len(state["messages"])


@compute
def reads_runtime(x: int, runtime: ToolRuntime) -> int:
    """Needs the runtime: cannot cross a process."""
    return x


@compute
def reads_call_id(x: int, call_id: Annotated[str, InjectedToolCallId]) -> int:
    """Needs the tool call id."""
    return x


@inout
async def fetch(key: str, seconds: float = 0.05) -> str:
    """An async I/O call: sleeps, then answers."""
    await asyncio.sleep(seconds)
    return f"value of {key}"


@inout
def fetch_sync(key: str, seconds: float = 0.05) -> str:
    """A sync I/O call: sleeps, then answers."""
    time.sleep(seconds)
    return f"value of {key}"


@compute
def mark(path: str) -> int:
    """Append this worker's pid to a file; return how many marks the file holds."""
    marks = Path(path)
    with marks.open("a") as out:
        out.write(f"{os.getpid()}\n")
    return len(marks.read_text().splitlines())
