"""The task a Ray worker runs for one compute call; shipped by value, imports only Ray.

`RayExecutor` registers this module with Ray's cloudpickle by value, so a Ray worker
never imports `langchain_llmorch` (about a second per fresh worker, and the package need
not be installed on the cluster): only the tools' own modules must be importable there.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import ray
from ray import cloudpickle

# Functions kept unpickled per worker, by digest: an agent has few tools, but a closure over
# per-call values pickles to new bytes each time, so the cache is bounded (as the local pool's).
FUNCTION_CACHE_SIZE = 256

_functions: OrderedDict[bytes, Callable[..., Any]] = OrderedDict()

Placed = tuple[Any, int, float, float, str, str, str]
"""(value, pid, started_at, ended_at, node_id, node_ip, worker_id): a call's result and place."""


def _function(digest: bytes, box: list[Any]) -> Callable[..., Any]:
    """The call's function: from this worker's cache, else fetched once from the object store."""
    fn = _functions.get(digest)
    if fn is None:
        fn = cloudpickle.loads(ray.get(box[0]))
        _functions[digest] = fn
        while len(_functions) > FUNCTION_CACHE_SIZE:
            _functions.popitem(last=False)
    else:
        _functions.move_to_end(digest)
    return fn


def run_call(digest: bytes, box: list[Any], payload: bytes) -> Placed:
    """Run one call: `box` holds the function's object ref, `payload` the pickled arguments.

    The ref stays in a list so Ray does not fetch the function for every call; the
    payload is a top-level argument, so Ray resolves it when it went by `ray.put`.
    """
    fn = _function(digest, box)
    args, kwargs = cloudpickle.loads(payload)
    started = time.time()
    value = fn(*args, **kwargs)
    ended = time.time()
    context = ray.get_runtime_context()
    node_ip = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
    return (
        value,
        os.getpid(),
        started,
        ended,
        context.get_node_id(),
        node_ip,
        context.get_worker_id(),
    )
