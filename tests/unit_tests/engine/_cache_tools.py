"""Module-level tools for the cache tests (compute ones are imported by worker processes)."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

from langgraph.types import CachePolicy

from langchain_llmorch import compute, inout

RAN: Counter[str] = Counter()
"""How many times each in-process tool really ran (tests reset it)."""
GATE = threading.Event()
"""`gated_lookup` blocks on it (the first time) until the test sets it."""


def lookup(key: str) -> str:
    """Look a key up (in-process, counted)."""
    RAN[f"lookup:{key}"] += 1
    return key.upper()


def plain_lookup(key: str) -> str:
    """`lookup` without a cache policy."""
    RAN[f"plain_lookup:{key}"] += 1
    return key.upper()


lookup_tool = inout(lookup, cache=CachePolicy(ttl=600))
plain_lookup_tool = inout(plain_lookup)


def number(n: int) -> int:
    """An int argument, validated by the tool's schema."""
    RAN[f"number:{n}"] += 1
    return n * 10


number_tool = inout(number, cache=CachePolicy())


def opaque(key: str) -> object:
    """A result no serializer can write."""
    RAN[f"opaque:{key}"] += 1
    return threading.Lock()


opaque_tool = inout(opaque, cache=CachePolicy())


def flaky(key: str) -> str:
    """Fails: its error is shared, never stored."""
    RAN[f"flaky:{key}"] += 1
    time.sleep(0.05)
    msg = f"no {key}"
    raise ValueError(msg)


flaky_tool = inout(flaky, cache=CachePolicy())


def gated(key: str) -> str:
    """Blocks until `GATE` is set (counted before blocking)."""
    RAN[f"gated:{key}"] += 1
    if not GATE.wait(timeout=20):
        msg = "the test never opened the gate"
        raise TimeoutError(msg)
    return key.upper()


gated_tool = inout(gated, cache=CachePolicy())


async def agated(key: str) -> str:
    """Async `gated`: waits on `GATE` without a thread."""
    import asyncio

    RAN[f"agated:{key}"] += 1
    for _ in range(2000):
        if GATE.is_set():
            return key.upper()
        await asyncio.sleep(0.01)
    msg = "the test never opened the gate"
    raise TimeoutError(msg)


agated_tool = inout(agated, cache=CachePolicy())


def hold_thread(key: str) -> str:
    """Holds its thread until `GATE` is set (not cacheable)."""
    if not GATE.wait(timeout=20):
        msg = "the test never opened the gate"
        raise TimeoutError(msg)
    return key


hold_thread_tool = inout(hold_thread)


def square(x: int, seconds: float = 0.05) -> int:
    """x squared, on a worker process, after `seconds`."""
    time.sleep(seconds)
    return x * x


square_tool = compute(square, cache=CachePolicy(ttl=600))


@compute
def hold(seconds: float) -> str:
    """Hold a processor for `seconds`."""
    time.sleep(seconds)
    return "held"


def logged(key: str) -> str:
    """Appends a line to $LLMORCH_TEST_RAN_FILE each time it really runs (any process)."""
    with Path(os.environ["LLMORCH_TEST_RAN_FILE"]).open("a") as out:
        out.write(f"{os.getpid()} {key}\n")
    return key.upper()


logged_tool = inout(logged, cache=CachePolicy(ttl=600))


def gpu_lookup(key: str) -> str:
    """A cacheable look-up that holds the GPU while it runs."""
    RAN[f"gpu_lookup:{key}"] += 1
    return key.upper()


gpu_lookup_tool = inout(gpu_lookup, cache=CachePolicy(), resources={"gpu": 1})


async def gpu_hold(seconds: float) -> str:
    """Hold the GPU for `seconds`."""
    import asyncio

    await asyncio.sleep(seconds)
    return "held"


gpu_hold_tool = inout(gpu_hold, resources={"gpu": 1})
