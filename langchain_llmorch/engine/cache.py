"""Reusing tool results: a cache of finished calls, and one run per identical call in flight.

Nothing is cached unless a tool asks for it: `inout(tool, cache=CachePolicy(ttl=600))` or
`compute(tool, cache=...)`. A cacheable call's result is kept in a LangGraph cache backend
(`langgraph.cache.base.BaseCache`: `InMemoryCache`, `SqliteCache`, `RedisCache`) under

    namespace ("llmorch", <scope>, <tool name>)    key: sha256 of the canonical arguments

The canonical arguments are the tool's validated arguments as sorted-key JSON (values JSON
cannot write go through the backend's serializer), or what the policy's own `key_func`
makes of them. The scope is chosen by the application (`Orchestrator(cache_scope=...)`,
or per run `config["configurable"]["llmorch_cache_scope"]`): e.g. the user, when results
must not cross users. Scope and tool name are percent-encoded, so no separator a backend
uses appears in them.

While a cacheable call runs, an identical one (same key), in the same run or in any run of
this process sharing the backend, waits for its outcome instead of running: both get the
one result (or the one error). A call that was cancelled hands the key to a waiting one.
Only finished results that the backend's serializer accepts are stored; errors never are.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.cache.base import BaseCache, FullKey, Namespace
from langgraph.cache.memory import InMemoryCache
from langgraph.types import CachePolicy
from pydantic import BaseModel

from langchain_llmorch.engine.tool_payload import validated_args
from langchain_llmorch.errors import OptionTypeError
from langchain_llmorch.tool_limits import ORDERED
from langchain_llmorch.tools import CACHE_POLICY

NAMESPACE = "llmorch"
"""The first element of every namespace the engine writes in a cache backend."""
SCOPE_KEY = "llmorch_cache_scope"
"""`config["configurable"]` key: this run's cache scope (beats `Orchestrator(cache_scope=)`)."""

_DEFAULT_KEY_FUNC: Callable[..., str | bytes] = CachePolicy().key_func
_log = logging.getLogger(__name__)

_process_cache: BaseCache[Any] | None = None
_process_cache_lock = threading.Lock()


def process_cache() -> BaseCache[Any]:
    """The in-memory cache of this process: the backend when an orchestrator is given none.

    Example:
        ```python
        from langchain_llmorch.engine.cache import process_cache

        assert process_cache() is process_cache()
        ```
    """
    global _process_cache  # noqa: PLW0603 - one per process, made on first use
    with _process_cache_lock:
        if _process_cache is None:
            _process_cache = InMemoryCache()
        return _process_cache


def cache_policies(tools: Mapping[str, BaseTool]) -> dict[str, CachePolicy[Any]]:
    """Tool name -> `CachePolicy`, for the tools that declared one (and are not `ordered`).

    Example:
        ```python
        from langgraph.types import CachePolicy
        from langchain_llmorch import inout
        from langchain_llmorch.engine.cache import cache_policies

        def search(query: str) -> str:
            \"\"\"Search.\"\"\"
            return query

        tool = inout(search, cache=CachePolicy(ttl=60))
        assert cache_policies({"search": tool})["search"].ttl == 60
        ```
    """
    out: dict[str, CachePolicy[Any]] = {}
    for name, tool in tools.items():
        metadata = tool.metadata or {}
        policy = metadata.get(CACHE_POLICY)
        if isinstance(policy, CachePolicy) and not metadata.get(ORDERED):
            out[name] = policy  # an ordered tool's calls are side effects: never reused
    return out


def namespace(scope: str, tool: str) -> Namespace:
    """Where a tool's results live in the backend, for one scope.

    Example:
        ```python
        from langchain_llmorch.engine.cache import namespace

        assert namespace("alice", "search") == ("llmorch", "alice", "search")
        assert namespace("a,b", "x:y") == ("llmorch", "a%2Cb", "x%3Ay")
        ```
    """
    return (NAMESPACE, quote(scope, safe=""), quote(tool, safe=""))


def check_scope(scope: Any, where: str) -> str:
    """`scope`, when it is a string; else an `OptionTypeError` naming `where` it came from."""
    if not isinstance(scope, str):
        msg = f"{where} must be a string, not {type(scope).__name__} ({scope!r})"
        raise OptionTypeError(msg)
    return scope


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    msg = f"{type(value).__name__} is not JSON"
    raise TypeError(msg)


def _canonical(args: Mapping[str, Any], backend: BaseCache[Any]) -> bytes:
    """Equal arguments give equal bytes: sorted-key JSON, else the backend's serializer."""
    try:
        text = json.dumps(
            args, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
        )
        return b"json:" + text.encode()
    except (TypeError, ValueError):
        encoding, data = backend.serde.dumps_typed(dict(sorted(args.items())))
        return f"{encoding}:".encode() + data


@dataclass
class _Flights:
    """Keys being computed now, each with the future its waiters share (one per backend)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    running: dict[FullKey, Future[Any]] = field(default_factory=dict)

    def claim(self, key: FullKey) -> tuple[Future[Any], bool]:
        """The key's future, and whether this caller leads it (computes the result)."""
        with self.lock:
            future = self.running.get(key)
            if future is not None:
                return future, False
            future = Future()
            future.set_running_or_notify_cancel()  # a waiter's cancel can never cancel it
            self.running[key] = future
            return future, True

    def end(self, key: FullKey, future: Future[Any]) -> None:
        with self.lock:
            if self.running.get(key) is future:
                del self.running[key]


_FLIGHTS: weakref.WeakKeyDictionary[BaseCache[Any], _Flights] = weakref.WeakKeyDictionary()
_FLIGHTS_LOCK = threading.Lock()


def _flights(backend: BaseCache[Any]) -> _Flights:
    with _FLIGHTS_LOCK:
        flights = _FLIGHTS.get(backend)
        if flights is None:
            flights = _FLIGHTS[backend] = _Flights()
        return flights


class _Abandoned(Exception):  # noqa: N818 - a signal between flights, never raised to users
    """The call leading a key was cancelled: a waiter takes the key over."""


@dataclass
class Flight:
    """A key this caller leads: settle it exactly once (`land`, `fail` or `abandon`)."""

    key: FullKey
    ttl: int | None
    future: Future[Any]
    flights: _Flights
    backend: BaseCache[Any]

    async def land(self, value: Any) -> None:
        """Store the result (when the backend can), then hand it to the waiters."""
        try:
            await self.backend.aset({self.key: (value, self.ttl)})
        except Exception as err:  # an unserializable result is just not cached
            _log.debug("result of %s not cached: %r", self.key[0][-1], err)
        finally:
            self.future.set_result(value)
            self.flights.end(self.key, self.future)

    def fail(self, error: BaseException) -> None:
        """The call failed: its waiters fail with the same error (nothing is stored)."""
        self.future.set_exception(error)
        self.flights.end(self.key, self.future)

    def abandon(self) -> None:
        """The call was cancelled: a waiter runs it instead."""
        self.future.set_exception(_Abandoned())
        self.flights.end(self.key, self.future)


@dataclass
class Found:
    """The result of a cacheable call without running it."""

    value: Any
    shared: bool
    """True when it came from an identical call running at the same time."""


@dataclass
class RunCache:
    """What one run needs to reuse results: the backend, the tools' policies, the scope."""

    backend: BaseCache[Any]
    policies: Mapping[str, CachePolicy[Any]]
    scope: str
    flights: _Flights

    @classmethod
    def for_run(
        cls,
        backend: BaseCache[Any],
        policies: Mapping[str, CachePolicy[Any]],
        scope: str,
        config: RunnableConfig,
    ) -> RunCache | None:
        """The run's cache, or `None` when none of its tools is cacheable."""
        if not policies:
            return None
        configurable = config.get("configurable") or {}
        if SCOPE_KEY in configurable:
            scope = check_scope(configurable[SCOPE_KEY], f'configurable["{SCOPE_KEY}"]')
        return cls(backend, policies, scope, _flights(backend))

    def key(self, tool: BaseTool, args: Mapping[str, Any]) -> FullKey | None:
        """The call's key, or `None` when its arguments have no stable form (not cached)."""
        policy = self.policies[tool.name]
        try:
            if policy.key_func is _DEFAULT_KEY_FUNC:
                data = _canonical(validated_args(tool, dict(args)), self.backend)
            else:  # the application's own key of the arguments
                own = policy.key_func(dict(args))
                data = own if isinstance(own, bytes) else str(own).encode()
        except Exception as err:  # such a call simply runs, uncached
            _log.debug("call of %s not cacheable: %r", tool.name, err)
            return None
        return namespace(self.scope, tool.name), hashlib.sha256(data).hexdigest()

    async def find(
        self, key: FullKey, tool: str, *, on_wait: Callable[[], None] | None = None
    ) -> Found | Flight:
        """The result, from an identical call in flight or the backend; else lead the key.

        `on_wait` is called when the caller starts waiting for an identical call. When a
        `Flight` comes back, this caller runs the call and must settle the flight.
        """
        while True:
            future, leads = self.flights.claim(key)
            if not leads:
                if on_wait is not None:
                    on_wait()
                    on_wait = None
                try:
                    return Found(await asyncio.wrap_future(future), shared=True)
                except _Abandoned:
                    continue  # its leader was cancelled: claim the key again
            flight = Flight(key, self.policies[tool].ttl, future, self.flights, self.backend)
            try:
                hits = await self.backend.aget([key])
            except asyncio.CancelledError:
                flight.abandon()
                raise
            except Exception as err:  # a broken backend is a miss
                _log.debug("cache look-up for %s failed: %r", tool, err)
                hits = {}
            if key in hits:
                future.set_result(hits[key])
                self.flights.end(key, future)
                return Found(hits[key], shared=False)
            return flight


__all__ = [
    "NAMESPACE",
    "SCOPE_KEY",
    "Flight",
    "Found",
    "RunCache",
    "cache_policies",
    "check_scope",
    "namespace",
    "process_cache",
]
