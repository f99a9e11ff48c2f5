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

`langchain_llmorch.local.cpu_slots` holds them around each of a chat model's requests.
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
from typing import TYPE_CHECKING

from langchain_llmorch.errors import OptionTypeError, OptionValueError

if TYPE_CHECKING:
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
            await give_off_loop(self._model)
            raise
        return self._model

    async def __aexit__(self, *_: object) -> None:
        await give_off_loop(self._model)


async def give_off_loop(model: ModelSlots) -> None:
    """`model.give()` on a worker thread (it may unlock slot files), even if cancelled."""
    done = asyncio.get_running_loop().run_in_executor(None, model.give)
    await asyncio.shield(done)


__all__ = ["MODEL_PRIORITY", "ModelSlots", "give_off_loop"]
