"""Start the worker processes in the background when an agent is built.

A cold pool costs the first compute call the start of P interpreters. Building an
agent that has `compute` tools starts them on a daemon thread, so building stays fast
and the first call finds them warm (or waits only for the rest of the start). Set
`LLMORCH_WARM=0` to start them on first use instead.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from typing import Protocol

from langchain_core.tools import BaseTool

from langchain_llmorch.tools import COMPUTE, IN_PROCESS, tool_kind

logger = logging.getLogger(__name__)

WARM_ENV = "LLMORCH_WARM"
"""Environment variable: `0` turns background warming off."""


class Warmable(Protocol):
    """Anything that can start its workers now (an `Orchestrator`)."""

    def warm(self) -> None:
        """Start the workers and return when they are ready."""


def needs_workers(tools: Iterable[BaseTool]) -> bool:
    """True when some tool runs in a worker process (`compute`, not in-process)."""
    return any(
        tool_kind(tool) == COMPUTE and not (tool.metadata or {}).get(IN_PROCESS) for tool in tools
    )


def _warm(target: Warmable) -> None:
    try:
        target.warm()
    except Exception:  # the first compute call reports the same failure, typed
        logger.debug("background warming failed", exc_info=True)


def warm_in_background(target: Warmable, tools: Iterable[BaseTool]) -> threading.Thread | None:
    """Start `target`'s workers on a daemon thread when `tools` need them.

    Args:
        target: what to warm, e.g. the agent's `Orchestrator`.
        tools: the agent's tools; without `compute` tools nothing starts.

    Returns:
        The warming thread, or `None` when nothing needs warming.

    Example:
        ```python
        thread = warm_in_background(orchestrator, tools)
        if thread is not None:
            thread.join()  # the workers are ready
        ```
    """
    if os.environ.get(WARM_ENV, "1").strip().lower() in ("0", "false", "no"):
        return None
    if not needs_workers(tools):
        return None
    thread = threading.Thread(target=_warm, args=(target,), name="llmorch-warm", daemon=True)
    thread.start()
    return thread


__all__ = ["WARM_ENV", "Warmable", "needs_workers", "warm_in_background"]
