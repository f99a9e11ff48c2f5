"""The embedded model counts as CPU work: a request in flight holds machine-wide slots.

llama.cpp's server computes on this machine's cores, like a compute call. Compute calls hold
one of the machine-wide slots each (`langchain_llmorch.processes.slots`), so without this
module a model that generates while compute calls run (a streaming plan starts calls while
the planner still writes; two agents share one machine) made more CPU-bound work than cores.

`ModelSlots` is one server's share of the slots: the first request in flight takes them, and
the last one to end gives them back, so requests queued in the server (it serves one at a
time) do not count twice. A server with `n` threads asks for `n` slots (at most the group's
P), waits for the first one only and holds the others as they come free: a request never
holds some slots while it waits for more, so two models cannot deadlock each other, and while
it runs no compute call starts in a slot it asked for. In this process the model is served
before waiting compute calls (everything the plan does waits for its tokens). The wait is
bounded by the request's pool timeout (the chat model's `timeout`); past it the request goes
on without its slots and a warning is logged, so a compute tool that itself asks the model
cannot hang the machine.

`SlotTransport` and `AsyncSlotTransport` are the `httpx` transports that do it around each
POST (a chat completion): the slots are taken before the request is sent and given back when
its response is closed: read to the end, a stream finished or abandoned, an error, a timeout
or a cancelled task (and, as a last resort, when a response dropped unclosed is collected).
`slot_clients` builds the pair of clients `LocalLLMServer.chat_model` hands to `ChatOpenAI`;
a user's own `http_client` is kept, its requests pass through it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx

from langchain_llmorch.errors import OptionTypeError, OptionValueError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from langchain_llmorch.processes.slots import Slot, SlotGroup, Ticket

logger = logging.getLogger(__name__)

MODEL_PRIORITY = -math.inf
"""The model's place among this process's waiters: before every compute call."""


@dataclass(eq=False)
class _Turn:
    """One stretch of time with requests in flight, and the slots taken for it."""

    held: list[Slot] = field(default_factory=list)
    asks: list[Future[Ticket]] = field(default_factory=list)
    ready: Future[None] = field(default_factory=Future)  # done once one slot is held
    over: bool = False


class ModelSlots:
    """The machine-wide slots one model server holds while requests to it are in flight.

    Args:
        slots: the machine-wide slot group (`processes.slots.machine_slots()`).
        threads: how many threads the server computes with; it asks for that many slots,
            at most the group's size.

    Raises:
        OptionTypeError: `threads` is not an int.
        OptionValueError: `threads` is below 1.

    Example:
        ```python
        from langchain_llmorch.local.cpu_slots import ModelSlots
        from langchain_llmorch.processes.slots import SlotGroup

        model = ModelSlots(SlotGroup(2, None), threads=1)
        with model.holding(max_wait=5.0):
            print(model.held)  # 1: no compute call takes this slot meanwhile
        print(model.held)  # 0
        ```
    """

    def __init__(self, slots: SlotGroup, *, threads: int) -> None:
        """Share `min(threads, slots.size)` slots of `slots` among this model's requests."""
        if isinstance(threads, bool) or not isinstance(threads, int):
            msg = f"threads must be an int, not {type(threads).__name__}"
            raise OptionTypeError(msg)
        if threads < 1:
            msg = f"a model computes with at least 1 thread, not {threads}"
            raise OptionValueError(msg)
        self.slots = slots
        self.count = min(threads, slots.size)
        self._lock = threading.Lock()
        self._users = 0
        self._turn: _Turn | None = None

    @property
    def held(self) -> int:
        """How many slots the model holds now."""
        with self._lock:
            return len(self._turn.held) if self._turn is not None else 0

    @property
    def in_flight(self) -> int:
        """How many requests hold the model's slots now."""
        return self._users

    # --- the two halves: take (a request starts) and give (its response ends) ----------------

    def take(self, *, on_loop: bool = False) -> Future[None]:
        """Count a request in; the future is done once the model holds a slot.

        Every `take` needs one `give`, whether the future finished or not. `on_loop`: the
        caller is an event loop, so the slots are asked for on the group's own thread
        (asking may lock files); a thread asks itself, without that hop.
        """
        with self._lock:
            self._users += 1
            if self._turn is not None:
                return self._turn.ready
            turn = self._turn = _Turn()
        grant = partial(self._granted, turn)
        for _ in range(self.count):
            if on_loop:
                turn.asks.append(self.slots.request_off_loop(grant, priority=MODEL_PRIORITY))
            else:
                asked: Future[Ticket] = Future()
                asked.set_result(self.slots.request(grant, priority=MODEL_PRIORITY))
                turn.asks.append(asked)
        return turn.ready

    def give(self) -> None:
        """Count a request out; the last one out gives the slots back and withdraws the rest."""
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._turn is None:
                return
            turn, self._turn = self._turn, None
            turn.over = True
            held, turn.held = turn.held, []
        for ask in turn.asks:
            ask.add_done_callback(self._withdraw)
        for slot in held:
            self.slots.release(slot)

    def _granted(self, turn: _Turn, slot: Slot) -> None:
        """A slot came (any thread): keep it for the turn, or give it back when it is over."""
        with self._lock:
            late = turn.over
            if not late:
                turn.held.append(slot)
        if late:
            self.slots.release(slot)
        elif not turn.ready.done():
            turn.ready.set_result(None)

    def _withdraw(self, ask: Future[Ticket]) -> None:
        if ask.exception() is None:
            self.slots.cancel(ask.result())  # False when granted: `_granted` gives it back

    # --- waiting ------------------------------------------------------------------------------

    def wait(self, ready: Future[None], max_wait: float | None) -> None:
        """Block until `ready`; past `max_wait` seconds, log and go on without the slots."""
        try:
            ready.result(timeout=max_wait)
        except FutureTimeoutError:
            _went_without(max_wait)

    async def await_ready(self, ready: Future[None], max_wait: float | None) -> None:
        """`wait` on the running event loop."""
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(ready)), max_wait)
        except TimeoutError:
            _went_without(max_wait)

    def holding(self, *, max_wait: float | None = None) -> _Holding:
        """A context manager (sync or async) that holds the slots while it is open.

        Args:
            max_wait: seconds to wait for a slot before going on without (None: no bound).
        """
        return _Holding(self, max_wait)


def _went_without(max_wait: float | None) -> None:
    logger.warning(
        "the embedded model waited %ss for a CPU slot and runs without one; every slot is "
        "held by long compute calls (or by a compute call that is waiting for this model)",
        max_wait,
    )


class _Holding:
    """`ModelSlots.holding()`: `with` or `async with`."""

    def __init__(self, model: ModelSlots, max_wait: float | None) -> None:
        self._model = model
        self._max_wait = max_wait

    def __enter__(self) -> ModelSlots:
        ready = self._model.take()
        try:
            self._model.wait(ready, self._max_wait)
        except BaseException:
            self._model.give()
            raise
        return self._model

    def __exit__(self, *_: object) -> None:
        self._model.give()

    async def __aenter__(self) -> ModelSlots:
        ready = self._model.take(on_loop=True)
        try:
            await self._model.await_ready(ready, self._max_wait)
        except BaseException:
            await _give_off_loop(self._model)
            raise
        return self._model

    async def __aexit__(self, *_: object) -> None:
        await _give_off_loop(self._model)


async def _give_off_loop(model: ModelSlots) -> None:
    """`give` on a worker thread (it may unlock slot files), even if the caller is cancelled."""
    done = asyncio.get_running_loop().run_in_executor(None, model.give)
    await asyncio.shield(done)


def _pool_timeout(request: httpx.Request) -> float | None:
    """The request's pool timeout: how long it may wait for a connection, and so for a slot."""
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        value = timeout.get("pool")
        return None if value is None else float(value)
    return None


# --- the transports -----------------------------------------------------------------------


class _GivingStream(httpx.SyncByteStream):
    """A response body that gives the slots back when it is closed (once)."""

    def __init__(self, inner: httpx.SyncByteStream, model: ModelSlots) -> None:
        self._inner = inner
        self._model: ModelSlots | None = model

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            model, self._model = self._model, None
            if model is not None:
                model.give()

    def __del__(self) -> None:
        """A response dropped unclosed gives the slots back when it is collected."""
        model, self._model = self._model, None
        if model is not None:
            model.give()


class _AsyncGivingStream(httpx.AsyncByteStream):
    """`_GivingStream` for async responses."""

    def __init__(self, inner: httpx.AsyncByteStream, model: ModelSlots) -> None:
        self._inner = inner
        self._model: ModelSlots | None = model

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            model, self._model = self._model, None
            if model is not None:
                await _give_off_loop(model)

    def __del__(self) -> None:
        """A response dropped unclosed gives the slots back when it is collected."""
        model, self._model = self._model, None
        if model is not None:
            model.give()


def _passed_on(
    response: httpx.Response, stream: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    """A new response with `stream` for body (a body read already would never close it)."""
    return httpx.Response(
        response.status_code,
        headers=response.headers.multi_items(),
        stream=stream,
        extensions=response.extensions,
    )


class SlotTransport(httpx.BaseTransport):
    """An `httpx` transport whose POST requests hold the model's slots until their response ends.

    Args:
        model: the server's `ModelSlots`.
        inner: the transport that sends (default: `httpx.HTTPTransport()`).

    Example:
        ```python
        import httpx
        from langchain_llmorch.local.cpu_slots import ModelSlots, SlotTransport
        from langchain_llmorch.processes.slots import SlotGroup

        model = ModelSlots(SlotGroup(2, None), threads=1)
        inner = httpx.MockTransport(lambda request: httpx.Response(200, text=str(model.held)))
        with httpx.Client(transport=SlotTransport(model, inner)) as client:
            print(client.post("http://model/v1/chat/completions").text, model.held)  # 1 0
        ```
    """

    def __init__(self, model: ModelSlots, inner: httpx.BaseTransport | None = None) -> None:
        """Hold `model`'s slots around the requests `inner` sends."""
        self.model = model
        self.inner = inner if inner is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Take the slots, send, and hand back a response that gives them back when closed."""
        if request.method != "POST":
            return self.inner.handle_request(request)
        ready = self.model.take()
        try:
            self.model.wait(ready, _pool_timeout(request))
            response = self.inner.handle_request(request)
        except BaseException:
            self.model.give()
            raise
        assert isinstance(response.stream, httpx.SyncByteStream)
        return _passed_on(response, _GivingStream(response.stream, self.model))

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()


class AsyncSlotTransport(httpx.AsyncBaseTransport):
    """`SlotTransport` for `httpx.AsyncClient`; a cancelled task gives the slots back too.

    Args:
        model: the server's `ModelSlots`.
        inner: the transport that sends (default: `httpx.AsyncHTTPTransport()`).

    Example:
        ```python
        import asyncio
        import httpx
        from langchain_llmorch.local.cpu_slots import AsyncSlotTransport, ModelSlots
        from langchain_llmorch.processes.slots import SlotGroup

        model = ModelSlots(SlotGroup(2, None), threads=1)
        inner = httpx.MockTransport(lambda request: httpx.Response(200, text=str(model.held)))

        async def ask() -> str:
            async with httpx.AsyncClient(transport=AsyncSlotTransport(model, inner)) as client:
                return (await client.post("http://model/v1/chat/completions")).text

        print(asyncio.run(ask()), model.held)  # 1 0
        ```
    """

    def __init__(self, model: ModelSlots, inner: httpx.AsyncBaseTransport | None = None) -> None:
        """Hold `model`'s slots around the requests `inner` sends."""
        self.model = model
        self.inner = inner if inner is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Take the slots, send, and hand back a response that gives them back when closed."""
        if request.method != "POST":
            return await self.inner.handle_async_request(request)
        ready = self.model.take(on_loop=True)
        try:
            await self.model.await_ready(ready, _pool_timeout(request))
            response = await self.inner.handle_async_request(request)
        except BaseException:
            await _give_off_loop(self.model)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return _passed_on(response, _AsyncGivingStream(response.stream, self.model))

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


class _ThroughClient(httpx.BaseTransport):
    """Sends through a user's own `httpx.Client` (its hooks, its transport)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = self.client.send(request, stream=True)
        return httpx.Response(
            sent.status_code,
            headers=_decoded_headers(sent),
            stream=_ReadFrom(sent),
            extensions=sent.extensions,
        )


class _AsyncThroughClient(httpx.AsyncBaseTransport):
    """Sends through a user's own `httpx.AsyncClient`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = await self.client.send(request, stream=True)
        return httpx.Response(
            sent.status_code,
            headers=_decoded_headers(sent),
            stream=_AsyncReadFrom(sent),
            extensions=sent.extensions,
        )


def _decoded_headers(response: httpx.Response) -> list[tuple[str, str]]:
    """The headers of a body passed on decoded (a hook of the user's client may read it)."""
    return [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]


class _ReadFrom(httpx.SyncByteStream):
    """The decoded body of a response of the user's client, read or not."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.iter_bytes()

    def close(self) -> None:
        self._response.close()


class _AsyncReadFrom(httpx.AsyncByteStream):
    """`_ReadFrom` for async responses."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.aiter_bytes():
            yield chunk

    async def aclose(self) -> None:
        await self._response.aclose()


def slot_clients(
    model: ModelSlots,
    *,
    http_client: Any = None,
    http_async_client: Any = None,
) -> tuple[httpx.Client, httpx.AsyncClient]:
    """The sync and async `httpx` clients of a chat model whose requests hold `model`'s slots.

    Args:
        model: the server's `ModelSlots`.
        http_client: a user's own `httpx.Client`: requests go through it (hooks included).
        http_async_client: a user's own `httpx.AsyncClient`, likewise.

    Returns:
        Clients for `ChatOpenAI(http_client=..., http_async_client=...)`.

    Raises:
        OptionTypeError: a given client is not an `httpx` client of its kind.

    Example:
        ```python
        from langchain_llmorch.local.cpu_slots import ModelSlots, slot_clients
        from langchain_llmorch.processes.slots import SlotGroup

        sync_client, async_client = slot_clients(ModelSlots(SlotGroup(2, None), threads=1))
        print(type(sync_client).__name__, type(async_client).__name__)  # Client AsyncClient
        ```
    """
    for name, given, kind in (
        ("http_client", http_client, httpx.Client),
        ("http_async_client", http_async_client, httpx.AsyncClient),
    ):
        if given is not None and not isinstance(given, kind):
            msg = f"{name} must be an {kind.__module__}.{kind.__name__}, not {type(given).__name__}"
            raise OptionTypeError(msg)
    inner = _ThroughClient(http_client) if http_client is not None else None
    ainner = _AsyncThroughClient(http_async_client) if http_async_client is not None else None
    return (
        httpx.Client(transport=SlotTransport(model, inner)),
        httpx.AsyncClient(transport=AsyncSlotTransport(model, ainner)),
    )


__all__ = ["MODEL_PRIORITY", "AsyncSlotTransport", "ModelSlots", "SlotTransport", "slot_clients"]
