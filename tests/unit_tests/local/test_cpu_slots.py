"""Tests of `langchain_llmorch.local.cpu_slots`: the embedded model holds machine-wide slots.

The model side is an `httpx.MockTransport` (or a tiny HTTP server in a child process, for
`LocalLLMServer.chat_model`); the compute side is a real `Orchestrator` whose in-process
compute call takes a slot of the same group. Orderings come from event lists, never from
seconds. One test, marked `slow`, asks the real embedded model.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.tools import StructuredTool

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.errors import LLMOrchError, OptionTypeError, OptionValueError
from langchain_llmorch.local import (
    LocalLLMServer,
    LocalModelNotAvailableError,
    local_chat_model,
    stop_local_servers,
)
from langchain_llmorch.local import requirements as _local_requirements
from langchain_llmorch.local.cpu_slots import (
    MODEL_PRIORITY,
    AsyncSlotTransport,
    ModelSlots,
    SlotTransport,
    slot_clients,
)
from langchain_llmorch.processes.cpus import MAX_PROCESSORS_ENV
from langchain_llmorch.processes.slot_files import SLOT_GROUP_ENV
from langchain_llmorch.processes.slots import Slot, SlotGroup, machine_slots
from langchain_llmorch.tools import COMPUTE, IN_PROCESS

URL = "http://model.test/v1/chat/completions"
REPLY = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "tiny",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
}

EVENTS: list[str] = []
"""What happened, in order: the model's requests and the compute calls."""
_events_lock = threading.Lock()


def _note(event: str) -> None:
    with _events_lock:
        EVENTS.append(event)


def _crunch(n: int) -> int:
    _note("compute start")
    return n * 2


# A compute call that runs in this process (like `self` over a local model): it takes a
# machine-wide slot of the orchestrator's group before it starts.
crunch = StructuredTool.from_function(
    func=_crunch, name="crunch", description="crunch a number"
).model_copy(update={"tags": [COMPUTE], "metadata": {IN_PROCESS: True}})


@pytest.fixture
def one_slot(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, SlotGroup]]:
    """A fresh machine-wide group of 1 slot (also the group `LLMORCH_SLOT_GROUP` names)."""
    monkeypatch.setenv(MAX_PROCESSORS_ENV, "1")
    name = f"local-slots-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv(SLOT_GROUP_ENV, name)
    group = machine_slots(name)
    assert group is not None
    assert group.size == 1
    EVENTS.clear()
    yield name, group
    EVENTS.clear()
    assert group.holding() == 0  # every test gives its slots back


def _spy_on_requests(group: SlotGroup, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Note each slot request with its priority; the event is set by a compute call's."""
    asked = threading.Event()
    real = group.request

    def request(grant: Callable[[Slot], None], **kwargs: Any) -> Any:
        who = "model" if kwargs.get("priority") == MODEL_PRIORITY else "compute"
        _note(f"{who} asks")
        if who == "compute":
            asked.set()
        return real(grant, **kwargs)

    monkeypatch.setattr(group, "request", request)
    return asked


def _gated_model(gate: threading.Event, started: threading.Event) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        _note("model start")
        started.set()
        assert gate.wait(30)
        _note("model end")
        return httpx.Response(200, json=REPLY)

    return httpx.MockTransport(answer)


# --------------------------------------------------------------------------- ordering


def test_a_compute_call_waits_while_the_model_holds_the_only_slot(
    one_slot: tuple[str, SlotGroup], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, group = one_slot
    asked = _spy_on_requests(group, monkeypatch)
    model = ModelSlots(group, threads=1)
    gate, started = threading.Event(), threading.Event()
    client = httpx.Client(transport=SlotTransport(model, _gated_model(gate, started)))
    replies: list[int] = []
    asking = threading.Thread(target=lambda: replies.append(client.post(URL).status_code))
    asking.start()
    assert started.wait(30)
    assert model.held == 1
    orch = Orchestrator([crunch], max_processors=1, slot_group=name)
    frg = build_frg(parse_plan("s1: crunch(n=21)"), [crunch])
    results: list[Any] = []
    running = threading.Thread(target=lambda: results.append(orch.run(frg)))
    running.start()
    assert asked.wait(30)  # the compute call waits for its slot now
    gate.set()
    asking.join(30)
    running.join(30)
    assert replies == [200]
    assert results[0].results == {"s1": 42}
    assert EVENTS == ["model asks", "model start", "compute asks", "model end", "compute start"]
    assert model.held == 0


def test_an_async_model_request_holds_the_slot_until_its_response_ends(
    one_slot: tuple[str, SlotGroup], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, group = one_slot
    asked = _spy_on_requests(group, monkeypatch)
    model = ModelSlots(group, threads=1)
    orch = Orchestrator([crunch], max_processors=1, slot_group=name)
    frg = build_frg(parse_plan("s1: crunch(n=4)"), [crunch])

    async def scenario() -> tuple[int, Any]:
        gate, started = asyncio.Event(), asyncio.Event()

        async def answer(request: httpx.Request) -> httpx.Response:
            _note("model start")
            started.set()
            await gate.wait()
            _note("model end")
            return httpx.Response(200, json=REPLY)

        transport = AsyncSlotTransport(model, httpx.MockTransport(answer))
        async with httpx.AsyncClient(transport=transport) as client:
            reply = asyncio.create_task(client.post(URL))
            await started.wait()
            run = asyncio.create_task(orch.arun(frg))
            await asyncio.get_running_loop().run_in_executor(None, asked.wait, 30)
            gate.set()
            return (await reply).status_code, await run

    status, result = asyncio.run(scenario())
    assert status == 200
    assert result.results == {"s1": 8}
    assert EVENTS == ["model asks", "model start", "compute asks", "model end", "compute start"]
    assert model.held == 0


def test_the_model_goes_before_waiting_compute_calls_of_its_process() -> None:
    group = SlotGroup(1, None)
    blocker: list[Slot] = []
    group.request(blocker.append)
    order: list[str] = []
    group.request(lambda slot: (order.append("compute"), group.release(slot)))
    model = ModelSlots(group, threads=1)
    ready = model.take()
    group.release(blocker[0])
    ready.result(timeout=30)
    order.append("model")
    model.give()
    assert order == ["model", "compute"]
    assert group.holding() == 0


# --------------------------------------------------------------------------- giving back


def _failing(error: Exception) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), RuntimeError("broken")],
    ids=["connect", "timeout", "other"],
)
def test_slots_come_back_after_an_error(one_slot: tuple[str, SlotGroup], error: Exception) -> None:
    _, group = one_slot
    model = ModelSlots(group, threads=1)
    with (
        httpx.Client(transport=SlotTransport(model, _failing(error))) as client,
        pytest.raises(type(error)),
    ):
        client.post(URL)
    assert (model.held, model.in_flight, group.holding()) == (0, 0, 0)

    async def apost() -> None:
        async with httpx.AsyncClient(transport=AsyncSlotTransport(model, _failing(error))) as c:
            await c.post(URL)

    with pytest.raises(type(error)):
        asyncio.run(apost())
    assert (model.held, model.in_flight, group.holding()) == (0, 0, 0)


def _chunks(seen: list[int], model: ModelSlots) -> Iterator[bytes]:
    for i in range(5):
        seen.append(model.held)
        yield f"data: {i}\n\n".encode()


def test_a_stream_holds_the_slots_until_it_is_closed(one_slot: tuple[str, SlotGroup]) -> None:
    _, group = one_slot
    model = ModelSlots(group, threads=1)
    seen: list[int] = []
    inner = httpx.MockTransport(lambda r: httpx.Response(200, content=_chunks(seen, model)))
    with httpx.Client(transport=SlotTransport(model, inner)) as client:
        with client.stream("POST", URL) as response:
            lines = response.iter_lines()
            assert next(lines) == "data: 0"
            assert model.held == 1  # mid-stream
        assert (model.held, model.in_flight) == (0, 0)  # abandoned after one event
        with client.stream("POST", URL) as response:
            assert len([line for line in response.iter_lines() if line]) == 5
        assert seen[-1] == 1  # held while the last chunk was made
        assert (model.held, model.in_flight, group.holding()) == (0, 0, 0)


def test_a_response_dropped_unclosed_gives_them_back_when_collected(
    one_slot: tuple[str, SlotGroup],
) -> None:
    _, group = one_slot
    model = ModelSlots(group, threads=1)
    inner = httpx.MockTransport(lambda r: httpx.Response(200, content=iter([b"a", b"b"])))
    client = httpx.Client(transport=SlotTransport(model, inner))
    response = client.send(client.build_request("POST", URL), stream=True)
    assert model.held == 1
    del response
    gc.collect()
    assert (model.held, model.in_flight, group.holding()) == (0, 0, 0)


def test_a_cancelled_async_request_gives_the_slots_back(one_slot: tuple[str, SlotGroup]) -> None:
    _, group = one_slot
    model = ModelSlots(group, threads=1)

    async def scenario() -> list[int]:
        started = asyncio.Event()
        held: list[int] = []

        async def answer(request: httpx.Request) -> httpx.Response:
            held.append(model.held)
            started.set()
            await asyncio.Event().wait()  # never answers
            raise AssertionError

        async def stream_body() -> Any:
            for i in range(3):
                held.append(model.held)
                yield f"data: {i}\n\n".encode()
                await asyncio.sleep(0)

        transport = AsyncSlotTransport(model, httpx.MockTransport(answer))
        async with httpx.AsyncClient(transport=transport) as client:
            task = asyncio.create_task(client.post(URL))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        held.append(model.held)
        streaming = httpx.MockTransport(lambda r: httpx.Response(200, content=stream_body()))
        async with (
            httpx.AsyncClient(transport=AsyncSlotTransport(model, streaming)) as client,
            client.stream("POST", URL) as response,
        ):
            async for line in response.aiter_lines():
                assert line == "data: 0"
                break  # abandoned: the context closes it
        held.append(model.held)
        return held

    held = asyncio.run(scenario())
    assert held == [1, 0, 1, 0]
    assert (model.in_flight, group.holding()) == (0, 0)


def test_a_cancelled_wait_for_a_slot_withdraws_it(one_slot: tuple[str, SlotGroup]) -> None:
    _, group = one_slot
    blocker: list[Slot] = []
    group.request(blocker.append)  # someone else holds the only slot
    model = ModelSlots(group, threads=1)
    never = httpx.MockTransport(lambda r: httpx.Response(200, json=REPLY))

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=AsyncSlotTransport(model, never)) as client:
            task = asyncio.create_task(client.post(URL))
            for _ in range(100_000):  # until the request waits for its slot
                if model.in_flight:
                    break
                await asyncio.sleep(0)
            assert model.in_flight == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(scenario())
    assert model.in_flight == 0
    group.release(blocker[0])
    after: list[Slot] = []
    group.request(after.append)  # the slot is free: the cancelled wait did not take it
    assert len(after) == 1
    assert model.held == 0
    group.release(after[0])


def test_requests_in_flight_together_share_one_hold(one_slot: tuple[str, SlotGroup]) -> None:
    _, group = one_slot
    model = ModelSlots(group, threads=1)
    with model.holding():
        with model.holding():  # a second request queued in the same server
            assert (model.held, model.in_flight) == (1, 2)
        assert (model.held, model.in_flight) == (1, 1)
    assert (model.held, model.in_flight, group.holding()) == (0, 0, 0)


def test_two_models_of_two_threads_never_deadlock() -> None:
    group = SlotGroup(2, None)
    first, second = ModelSlots(group, threads=2), ModelSlots(group, threads=2)
    blocker: list[Slot] = []
    group.request(blocker.append)  # a compute call holds one slot
    with first.holding(max_wait=30):  # gets the free one, asks for the other
        assert first.held == 1
        group.release(blocker[0])  # the compute call ends: `first` holds both
        assert first.held == 2
    with second.holding(max_wait=30):
        assert second.held == 2
    assert group.holding() == 0


def test_the_wait_is_bounded_by_the_pool_timeout(
    one_slot: tuple[str, SlotGroup], caplog: pytest.LogCaptureFixture
) -> None:
    _, group = one_slot
    blocker: list[Slot] = []
    group.request(blocker.append)  # a compute call that asks the model itself
    model = ModelSlots(group, threads=1)
    inner = httpx.MockTransport(lambda r: httpx.Response(200, text=str(model.held)))
    with caplog.at_level(logging.WARNING, "langchain_llmorch.local.cpu_slots"):
        with httpx.Client(transport=SlotTransport(model, inner), timeout=0.05) as client:
            assert client.post(URL).text == "0"  # went on without a slot
        group.release(blocker[0])
    assert "runs without one" in caplog.text
    assert (model.held, model.in_flight, group.holding()) == (0, 0, 0)


def test_other_requests_hold_nothing(one_slot: tuple[str, SlotGroup]) -> None:
    _, group = one_slot
    model = ModelSlots(group, threads=1)
    inner = httpx.MockTransport(lambda r: httpx.Response(200, text=str(model.in_flight)))
    with httpx.Client(transport=SlotTransport(model, inner)) as client:
        assert client.get("http://model.test/v1/models").text == "0"
        assert client.post(URL).text == "1"


def test_a_users_own_clients_are_kept(one_slot: tuple[str, SlotGroup]) -> None:
    _, group = one_slot
    model = ModelSlots(group, threads=1)
    hooked: list[int] = []

    def hook(response: httpx.Response) -> None:
        response.read()  # as a logging hook does
        hooked.append(model.held)

    inner = httpx.MockTransport(lambda r: httpx.Response(200, json=REPLY))
    own = httpx.Client(transport=inner, event_hooks={"response": [hook]})
    own_async = httpx.AsyncClient(
        transport=inner, event_hooks={"response": [_ahook(hooked, model)]}
    )
    sync_client, async_client = slot_clients(model, http_client=own, http_async_client=own_async)
    assert sync_client.post(URL).json() == REPLY

    async def apost() -> Any:
        return (await async_client.post(URL)).json()

    assert asyncio.run(apost()) == REPLY
    assert hooked == [1, 1]
    assert (model.held, group.holding()) == (0, 0)


def _ahook(hooked: list[int], model: ModelSlots) -> Callable[[httpx.Response], Any]:
    async def hook(response: httpx.Response) -> None:
        await response.aread()
        hooked.append(model.held)

    return hook


def test_bad_options_are_typed_errors() -> None:
    group = SlotGroup(1, None)
    model = ModelSlots(group, threads=1)
    with pytest.raises(OptionValueError, match="at least 1 thread"):
        ModelSlots(group, threads=0)
    with pytest.raises(OptionTypeError, match="threads must be an int"):
        ModelSlots(group, threads=1.5)  # type: ignore[arg-type]
    with pytest.raises(OptionTypeError, match=r"http_client must be an httpx\.Client"):
        slot_clients(model, http_client=object())
    with pytest.raises(TypeError, match="http_async_client"):
        slot_clients(model, http_async_client=httpx.Client())
    with pytest.raises(OptionTypeError, match="hold_cpu_slots"):
        LocalLLMServer(hold_cpu_slots="yes")  # type: ignore[arg-type]
    with pytest.raises(LLMOrchError, match="hold_cpu_slots"):
        local_chat_model(hold_cpu_slots=1)  # type: ignore[arg-type]
    assert ModelSlots(SlotGroup(2, None), threads=8).count == 2  # at most the machine's


# --------------------------------------------------------------------------- the server's models


_FAKE_CHAT_SERVER = textwrap.dedent(
    """
    import http.server, json, sys, threading
    port = int(sys.argv[1])
    reply = json.loads(sys.argv[2])
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")
        def do_POST(self):
            self.rfile.read(int(self.headers["content-length"]))
            body = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    sys.stdin.buffer.read()
    """
)


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalLLMServer]:
    """A `LocalLLMServer` whose child is a tiny chat server, with 2 threads."""
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(_local_requirements, "_runtime_problem", lambda: None)

    def command(self: LocalLLMServer) -> list[str]:
        import json

        return [sys.executable, "-c", _FAKE_CHAT_SERVER, str(self.port), json.dumps(REPLY)]

    monkeypatch.setattr(LocalLLMServer, "_child_command", command)
    with LocalLLMServer(model, n_threads_batch=2) as server:
        yield server


def _seen_by(server: LocalLLMServer) -> tuple[list[int], httpx.Client]:
    """A user's client whose request hook notes how many slots the server holds."""
    seen: list[int] = []
    slots = server.model_slots()

    def hook(request: httpx.Request) -> None:
        seen.append(slots.held if slots is not None else -1)

    return seen, httpx.Client(event_hooks={"request": [hook]})


def test_the_servers_chat_models_hold_its_threads_in_slots(
    fake_server: LocalLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_PROCESSORS_ENV, "2")
    monkeypatch.setenv(SLOT_GROUP_ENV, f"local-slots-{uuid.uuid4().hex[:10]}")
    assert fake_server.cpu_threads == 2
    slots = fake_server.model_slots()
    assert slots is not None
    assert slots is fake_server.model_slots()  # one per group, shared by its chat models
    assert slots.count == 2
    seen, client = _seen_by(fake_server)
    llm = fake_server.chat_model(http_client=client, hold_cpu_slots=True)
    assert llm.invoke("hi").content == "hi"
    assert seen == [2]
    assert slots.held == 0
    seen_off, client_off = _seen_by(fake_server)
    llm = fake_server.chat_model(hold_cpu_slots=False, http_client=client_off)
    assert llm.http_client is client_off  # not wrapped
    assert llm.invoke("hi").content == "hi"
    assert seen_off == [0]
    assert slots.slots.holding() == 0


def test_the_async_client_holds_them_too(
    fake_server: LocalLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_PROCESSORS_ENV, "1")
    monkeypatch.setenv(SLOT_GROUP_ENV, f"local-slots-{uuid.uuid4().hex[:10]}")
    slots = fake_server.model_slots()
    assert slots is not None
    assert slots.count == 1  # 2 threads, but the machine's P is 1 here
    seen: list[int] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(slots.held)

    llm = fake_server.chat_model(
        http_async_client=httpx.AsyncClient(event_hooks={"request": [hook]}), hold_cpu_slots=True
    )
    assert asyncio.run(llm.ainvoke("hi")).content == "hi"
    assert seen == [1]
    assert (slots.held, slots.slots.holding()) == (0, 0)


def test_holding_off_or_the_slots_off_gives_plain_clients(
    fake_server: LocalLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fake_server.chat_model().http_client is None  # off by default (measured)
    fake_server.hold_cpu_slots = False
    assert fake_server.chat_model().http_client is None  # ChatOpenAI's own clients
    fake_server.hold_cpu_slots = True
    assert fake_server.chat_model().http_client is not None
    monkeypatch.setenv(SLOT_GROUP_ENV, "off")
    assert fake_server.model_slots() is None
    assert fake_server.chat_model().http_client is None
    with pytest.raises(OptionTypeError, match="hold_cpu_slots"):
        fake_server.chat_model(hold_cpu_slots="no")  # type: ignore[arg-type]


def test_local_chat_model_passes_the_option_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(_local_requirements, "_runtime_problem", lambda: None)

    def command(self: LocalLLMServer) -> list[str]:
        import json

        return [sys.executable, "-c", _FAKE_CHAT_SERVER, str(self.port), json.dumps(REPLY)]

    monkeypatch.setattr(LocalLLMServer, "_child_command", command)
    stop_local_servers()  # a server another test module left running is not this test's
    try:
        assert local_chat_model(model).http_client is None  # off by default
        held = local_chat_model(model, hold_cpu_slots=True)
        assert held.http_client is not None
        assert held.invoke("hi").content == "hi"
        assert local_chat_model(model, hold_cpu_slots=False).http_client is None
    finally:
        stop_local_servers()


# --------------------------------------------------------------------------- the real model


@pytest.mark.slow
def test_the_real_model_holds_a_slot_while_it_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        _local_requirements.check_local_requirements()
    except LocalModelNotAvailableError as err:
        pytest.skip(f"local model not available: {err}")
    monkeypatch.setenv(SLOT_GROUP_ENV, f"local-slots-{uuid.uuid4().hex[:10]}")
    with LocalLLMServer() as server:
        seen, client = _seen_by(server)
        llm = server.chat_model(max_tokens=8, http_client=client, hold_cpu_slots=True)
        assert isinstance(llm.invoke("Say hi").content, str)
        chunks = [chunk.content for chunk in llm.stream("Count to three")]
        slots = server.model_slots()
        assert slots is not None
        assert seen == [1, 1]
        assert chunks
        assert (slots.held, slots.in_flight, slots.slots.holding()) == (0, 0, 0)
