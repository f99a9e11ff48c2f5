"""Resources calls hold while they run: capacities, taking and giving back, and checks.

A call that declares resources (`compute(tool, resources={"gpu": 1})`) or belongs to a tool
with `max_concurrency` starts only when it can take every amount it needs at once; it gives
them back when it ends. Nothing is taken piecemeal, so two calls never each hold half of
what both need (no hold-and-wait, no deadlock).

Where the amounts live:

- named resources: one `Capacities` per `Orchestrator` (given as `resources=`), shared by
  its runs and by the copies agents make of it (`bind_tools`);
- per-tool limits (`tool:<name>`): `TOOL_CALLS`, one for the whole process, so a limit holds
  across every run and every agent of the process. It does not span processes: admission is
  a synchronous decision in the coordinator's ready queue, which file locks across processes
  would turn into polling (see docs/resources-and-order.md).

One lock guards every `Capacities` of the process, so taking amounts from two of them
(a GPU from the orchestrator, a slot of the tool) is one atomic step. When amounts come
back, every other run waiting for some is woken on its own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Callable, Mapping

from langchain_llmorch.errors import PlanProblem, PlanValidationError
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.tool_limits import TOOL_PREFIX

# Amounts are floats (`mem_gb=0.5`): sums may be off by rounding, never by this much.
_SLACK = 1e-9
_LOCK = threading.Lock()
_WAKERS: dict[int, Callable[[], None]] = {}
_TICKETS = itertools.count()


class Capacities:
    """Named amounts that calls hold while they run, shared by every run that uses them.

    Example:
        ```python
        from langchain_llmorch.engine.admission import Capacities

        gpus = Capacities({"gpu": 1})
        assert gpus.capacity("gpu") == 1 and gpus.in_use("gpu") == 0
        ```
    """

    def __init__(self, capacities: Mapping[str, float] | None = None) -> None:
        """Start with `capacities` (name -> amount) and nothing in use."""
        self._capacity: dict[str, float] = dict(capacities or {})
        self._in_use: dict[str, float] = {}

    def capacity(self, name: str) -> float | None:
        """The capacity of `name` (`None`: this object has no such resource)."""
        return self._capacity.get(name)

    def in_use(self, name: str) -> float:
        """How much of `name` running calls hold now."""
        with _LOCK:
            return self._in_use.get(name, 0.0)

    def names(self) -> dict[str, float]:
        """Every resource and its capacity."""
        return dict(self._capacity)

    def set_capacity(self, name: str, amount: float) -> None:
        """Give `name` a capacity (calls already holding some keep it)."""
        with _LOCK:
            self._capacity[name] = amount


TOOL_CALLS = Capacities()
"""The per-tool limits of this process: `tool:<name>` -> `max_concurrency`."""

Holding = list[tuple[Capacities, str, float]]


def _where(name: str, resources: Capacities) -> Capacities:
    return TOOL_CALLS if name.startswith(TOOL_PREFIX) else resources


def check_capacities(frg: FRG, resources: Mapping[str, float]) -> None:
    """Raise `PlanValidationError` when a call needs what the capacities can never give.

    A call that asks for a resource the orchestrator does not have, or for more of one than
    its capacity, could never start: it is an error before the run, not a hang.

    Example:
        ```python
        check_capacities(frg, {"gpu": 1})  # raises if some call needs {"gpu": 2}
        ```
    """
    problems: list[PlanProblem] = []
    for cid, demand in frg.demands.items():
        call = frg.calls[cid]
        for name, amount in demand.items():
            if name.startswith(TOOL_PREFIX):
                continue  # the tool declared both the limit and the demand of 1
            capacity = resources.get(name)
            if capacity is None:
                have = ", ".join(f"{k}={v:g}" for k, v in sorted(resources.items())) or "none"
                msg = (
                    f"{call.tool} needs the resource {name!r}, which the orchestrator does "
                    f"not have (its resources: {have}); give it with "
                    f"Orchestrator(resources={{{name!r}: ...}})"
                )
                problems.append(PlanProblem(cid, msg, call.line))
            elif amount > capacity + _SLACK:
                msg = (
                    f"{call.tool} needs {name}={amount:g} but the orchestrator's capacity is "
                    f"{name}={capacity:g}: the call could never start; raise the capacity "
                    "or lower what the tool declares"
                )
                problems.append(PlanProblem(cid, msg, call.line))
    if problems:
        raise PlanValidationError(problems)


class Gate:
    """One run's view of the resources: takes and gives back its calls' amounts.

    While the run is open, amounts given back by any other run of the process wake it
    (`on_free` is called on the run's event loop), so a call waiting for a tool slot held
    by another agent starts as soon as that slot is free.
    """

    def __init__(self, resources: Capacities, on_free: Callable[[], None]) -> None:
        """Open the gate of a run on the running event loop."""
        self.resources = resources
        self.holding: dict[str, Holding] = {}
        loop = asyncio.get_running_loop()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # a closed loop: nothing waits there
                loop.call_soon_threadsafe(on_free)

        self._ticket = next(_TICKETS)
        with _LOCK:
            _WAKERS[self._ticket] = wake

    def declare(self, frg: FRG) -> None:
        """Set the per-tool limits `frg`'s tools declare (the latest declaration applies)."""
        for name, amount in frg.limits.items():
            if TOOL_CALLS.capacity(name) != amount:
                TOOL_CALLS.set_capacity(name, amount)

    def take(self, cid: str, demand: Mapping[str, float]) -> list[str]:
        """Take every amount `cid` needs, or none: the names that are short (empty: taken)."""
        if not demand:
            return []
        wanted = [(_where(name, self.resources), name, amount) for name, amount in demand.items()]
        with _LOCK:
            short = [
                name
                for where, name, amount in wanted
                # `or 0.0` only for a resource checked away before the run: never grantable
                if where._in_use.get(name, 0.0) + amount  # noqa: SLF001 - module-private
                > (where._capacity.get(name) or 0.0) + _SLACK  # noqa: SLF001
            ]
            if short:
                return short
            for where, name, amount in wanted:
                where._in_use[name] = where._in_use.get(name, 0.0) + amount  # noqa: SLF001
        self.holding[cid] = wanted
        return []

    def give_back(self, cid: str) -> None:
        """Give back what `cid` holds (nothing when it held nothing) and wake waiting runs."""
        held = self.holding.pop(cid, None)
        if not held:
            return
        with _LOCK:
            for where, name, amount in held:
                left = where._in_use.get(name, 0.0) - amount  # noqa: SLF001
                where._in_use[name] = left if left > _SLACK else 0.0  # noqa: SLF001
            others = [wake for ticket, wake in _WAKERS.items() if ticket != self._ticket]
        for wake in others:
            wake()

    def close(self) -> None:
        """Stop being woken; give back anything still held (a cancelled run's calls)."""
        with _LOCK:
            _WAKERS.pop(self._ticket, None)
        for cid in list(self.holding):
            self.give_back(cid)


__all__ = ["TOOL_CALLS", "Capacities", "Gate", "check_capacities"]
