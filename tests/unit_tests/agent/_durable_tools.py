"""Module-level tools for the durability tests (importable by worker processes)."""

from __future__ import annotations

import threading
from collections import Counter

from langchain_core.runnables import RunnableConfig
from langgraph.types import interrupt

from langchain_llmorch import compute, inout

RUNS: Counter[str] = Counter()
_LOCK = threading.Lock()


def count(key: str) -> None:
    with _LOCK:
        RUNS[key] += 1


@inout
def fetch(key: str) -> str:
    """Fetch a value (counts its runs)."""
    count(f"fetch:{key}")
    return f"<{key}>"


@inout
def ask_human(question: str) -> str:
    """Ask a human; pauses the graph until they answer."""
    count(f"ask:{question}")
    answer = interrupt(question)
    return f"{question} -> {answer}"


@inout
def handle(key: str) -> object:
    """Return something no checkpointer can store."""
    count(f"handle:{key}")
    return threading.Lock()


@compute
def compute_ask(question: str) -> str:
    """A compute tool that (wrongly) asks a human."""
    return str(interrupt(question))


@inout
def flaky(key: str) -> str:
    """Fails on its first run for each key, then works."""
    count(f"flaky:{key}")
    if RUNS[f"flaky:{key}"] == 1:
        msg = f"{key} is not ready yet"
        raise RuntimeError(msg)
    return f"({key})"


FOLDED = "While answering, also do this:\n"
NOT_FOLDED = "(no folded step)"


def folded_answer(request: str) -> str:
    """A scripted joiner: answer with the last folded `self` step of its request.

    The plan's trailing `self` steps do not run as calls; the joiner's request lists them
    with the results filled in. A request without them answers `NOT_FOLDED`.
    """
    if FOLDED not in request:
        return NOT_FOLDED
    block = request.rsplit(FOLDED, 1)[1].split("\n\n", 1)[0]
    return block.splitlines()[-1].removeprefix("- ")


MEET = threading.Barrier(8, timeout=60)
"""Met by the calls of `meet`: each returns only once eight of them run at once."""


@inout
def meet(key: str) -> str:
    """Wait until eight calls of this tool run at once (BrokenBarrierError when they cannot)."""
    MEET.wait()
    return f"[{key}]"


@inout
def pair(left: str, right: str) -> str:
    """Join two results (a call that waits for two others: fan-in)."""
    count(f"pair:{left}+{right}")
    return f"({left}+{right})"


@inout
def thread_of(key: str, config: RunnableConfig) -> str:
    """The thread id the call runs under (its config's), tagged with `key`."""
    return f"{key}@{config.get('configurable', {}).get('thread_id')}"
