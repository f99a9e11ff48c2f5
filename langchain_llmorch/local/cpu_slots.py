"""The `httpx` transports that make a chat model's requests hold the model's CPU slots.

`SlotTransport` and `AsyncSlotTransport` are the `httpx` transports that do it around each
POST (a chat completion): the slots are taken before the request is sent and given back when
its response is closed: read to the end, a stream finished or abandoned, an error, a timeout
or a cancelled task (and, as a last resort, when a response dropped unclosed is collected).
`slot_clients` builds the pair of clients `LocalLLMServer.chat_model` hands to `ChatOpenAI`;
a user's own `http_client` is kept, its requests pass through it.


`ModelSlots` (in `langchain_llmorch.local.model_slots`) is the share of the machine-wide
slots they take and give back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from langchain_llmorch.errors import OptionTypeError
from langchain_llmorch.local.model_slots import MODEL_PRIORITY, ModelSlots, give_off_loop

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator


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
                await give_off_loop(model)

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
            await give_off_loop(self.model)
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
