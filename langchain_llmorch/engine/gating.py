"""One run's held calls: those that hold resources, per-tool slots, or run in order.

A call that declares resources, belongs to a tool with `max_concurrency`, or is a call of
an `ordered` tool waits in the run's held list (best priority first) until its ordered
predecessor has finished, every amount it needs is free (`engine.admission.Gate`) and,
for a compute call, a processor is. A call that cannot start stays held and the next one
is tried: a call waiting for a GPU does not keep a call that needs only a processor from
taking it.

A plan without such calls never opens the gate: no list, no lock.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping

from langchain_llmorch.engine.admission import Capacities, Gate, check_capacities
from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.tool_limits import ORDER_PREFIX, PROCESSOR
from langchain_llmorch.tools import COMPUTE

Held = tuple[float, int, str]
"""(priority, arrival, call id): lower sorts first."""


class HeldCalls:
    """The gate of one run and the calls waiting behind it.

    Example:
        ```python
        from langchain_llmorch.engine.admission import Capacities
        from langchain_llmorch.engine.gating import HeldCalls

        held = HeldCalls(Capacities({"gpu": 1}), on_free=lambda: None)
        assert not held.open and not held
        ```
    """

    def __init__(self, resources: Capacities, on_free: Callable[[], None]) -> None:
        """Nothing held, no gate yet; `on_free` runs when another run gives amounts back."""
        self.resources = resources
        self.on_free = on_free
        self.gate: Gate | None = None
        self.calls: list[Held] = []
        self.done: set[str] = set()  # finished calls: an ordered call waits for its predecessor

    @property
    def open(self) -> bool:
        """Whether the gate is open (some call of the plan holds resources or runs in order)."""
        return self.gate is not None

    def __bool__(self) -> bool:
        """Whether any call waits here."""
        return bool(self.calls)

    def open_for(self, frg: FRG) -> bool:
        """Open the gate once `frg` constrains some call; True when it opened just now.

        Raises:
            PlanValidationError: a call needs what the capacities can never give.
        """
        if not frg.constrained:
            return False
        check_capacities(frg, self.resources.names())  # before any of its calls starts
        opened = self.gate is None
        if self.gate is None:
            self.gate = Gate(self.resources, self.on_free)
        self.gate.declare(frg)
        return opened

    @staticmethod
    def gated(frg: FRG, cid: str) -> bool:
        """Whether `cid` waits in the held list (it holds resources or runs in order)."""
        return bool(frg.demand(cid)) or frg.order_predecessor(cid) is not None

    def hold(self, key: Held) -> None:
        """Put a call in the held list, in priority order."""
        bisect.insort(self.calls, key)

    def admit(
        self,
        frg: FRG,
        records: Mapping[str, TraceRecord],
        *,
        processor_free: Callable[[], bool],
        start: Callable[[str], None],
    ) -> None:
        """Start every held call whose order, resources and processor are free, best first.

        A call still held records what it waits for (`waiting_for`).
        """
        if self.gate is None:
            return
        still: list[Held] = []
        for key in self.calls:
            cid = key[2]
            record = records[cid]
            before = frg.order_predecessor(cid)
            if before is not None and before not in self.done:
                waits = [ORDER_PREFIX + before]
            elif record.kind == COMPUTE and not processor_free():
                waits = [PROCESSOR]
            else:
                waits = self.gate.take(cid, frg.demand(cid))
            if waits:
                record.waiting_for.extend(w for w in waits if w not in record.waiting_for)
                still.append(key)
            else:
                start(cid)
        self.calls = still

    def drop(self, dropped: Iterable[str]) -> None:
        """Forget held calls that were skipped."""
        gone = set(dropped)
        if gone and self.calls:
            self.calls = [key for key in self.calls if key[2] not in gone]

    def give_back(self, cid: str) -> None:
        """`cid` ended: give back what it held."""
        if self.gate is not None:
            self.gate.give_back(cid)

    def close(self) -> None:
        """The run ended: stop being woken, give back what its calls still hold."""
        if self.gate is not None:
            self.gate.close()


__all__ = ["Held", "HeldCalls"]
