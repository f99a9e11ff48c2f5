"""Module-level tools for the durability tests (importable by worker processes)."""

from __future__ import annotations

import threading
from collections import Counter

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
