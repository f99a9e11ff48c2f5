"""Held calls (`engine/gating.py`): who waits, in what order, for what, and what is given back.

Written for the mutants of `engine/gating.py` that the run-level tests let live. The tests
drive `HeldCalls` of one run directly (its gate needs a running loop): a plan without
declarations opens no gate; held calls are tried best priority first and each call still
held says what it waits for, once per reason; an ordered call waits for its predecessor,
a compute call for a processor, a call with resources for all of them at once; skipped
calls leave the list; what a call holds comes back when it ends or the run closes.
"""

from __future__ import annotations

import asyncio

import pytest

from langchain_llmorch import build_frg, parse_plan
from langchain_llmorch.engine.admission import Capacities
from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.engine.gating import HeldCalls
from langchain_llmorch.errors import PlanValidationError
from langchain_llmorch.plan.frg import FRG
from tests.unit_tests.engine._resource_tools import append_line, idle, on_cpu, on_gpu

TOOLS = [on_gpu, on_cpu, append_line, idle]


def frg_of(text: str) -> FRG:
    return build_frg(parse_plan(text), TOOLS)


def records_of(frg: FRG) -> dict[str, TraceRecord]:
    return {
        cid: TraceRecord(cid, frg.calls[cid].tool, frg.kind(cid), None, 0, 0.0, 0.0, 0.0, "held")
        for cid in frg.calls
    }


class Run:
    """One run's held calls, with the calls they started and the wake-ups they got."""

    def __init__(self, text: str, resources: dict[str, float] | None = None) -> None:
        self.frg = frg_of(text)
        self.records = records_of(self.frg)
        self.woken = 0
        self.resources = Capacities(resources or {})
        self.held = HeldCalls(self.resources, self.wake)
        self.started: list[str] = []
        self.processors = 0

    def wake(self) -> None:
        self.woken += 1

    def processor_free(self) -> bool:
        return self.processors > 0

    def start(self, cid: str) -> None:
        self.started.append(cid)
        if self.frg.kind(cid) == "compute":
            self.processors -= 1

    def admit(self) -> None:
        self.held.admit(
            self.frg, self.records, processor_free=self.processor_free, start=self.start
        )

    def waits(self) -> dict[str, list[str]]:
        return {cid: r.waiting_for for cid, r in self.records.items() if r.waiting_for}


async def test_a_plan_without_declarations_opens_no_gate() -> None:
    run = Run("c1: on_cpu()\ni1: idle()")
    assert not run.held.open_for(run.frg)
    assert not run.held.open
    assert not run.held
    run.held.hold((0.0, 0, "c1"))
    assert run.held  # something waits
    run.admit()  # no gate: nothing is admitted here
    assert run.started == []
    run.held.give_back("c1")
    run.held.close()


async def test_the_gate_opens_once_for_a_constrained_plan() -> None:
    run = Run("g1: on_gpu()\nc1: on_cpu()", {"gpu": 1})
    assert run.held.open_for(run.frg)  # opened now
    assert run.held.open
    assert not run.held.open_for(run.frg)  # already open
    run.held.close()


async def test_a_plan_asking_more_than_the_capacities_is_refused_before_the_gate_opens() -> None:
    run = Run("g1: on_gpu()")
    with pytest.raises(PlanValidationError, match="gpu"):
        run.held.open_for(run.frg)
    assert not run.held.open


async def test_gated_calls_are_those_with_resources_or_an_ordered_predecessor() -> None:
    frg = frg_of(
        "g1: on_gpu()\nc1: on_cpu()\na1: append_line(path='p', line='x')\n"
        "a2: append_line(path='p', line='y')"
    )
    gated = {cid: HeldCalls.gated(frg, cid) for cid in frg.calls}
    assert gated == {"g1": True, "c1": False, "a1": False, "a2": True}


async def test_held_calls_start_best_priority_first_and_say_what_they_wait_for() -> None:
    run = Run("g1: on_gpu()\ng2: on_gpu()\ng3: on_gpu()\nc1: on_cpu()", {"gpu": 1})
    run.held.open_for(run.frg)
    run.processors = 2
    for key in [(3.0, 0, "g3"), (1.0, 1, "g1"), (4.0, 2, "c1"), (2.0, 3, "g2")]:
        run.held.hold(key)
    assert [key[2] for key in run.held.calls] == ["g1", "g2", "g3", "c1"]
    run.admit()
    # g1 takes the GPU and a processor; g2, g3 wait for the GPU; c1 takes the last processor.
    assert run.started == ["g1", "c1"]
    assert run.waits() == {"g2": ["gpu"], "g3": ["gpu"]}
    assert [key[2] for key in run.held.calls] == ["g2", "g3"]
    run.processors = 1
    run.admit()  # still waiting for the GPU: each reason is recorded once
    assert run.waits() == {"g2": ["gpu"], "g3": ["gpu"]}
    run.held.give_back("g1")
    run.admit()
    assert run.started == ["g1", "c1", "g2"]
    assert run.resources.in_use("gpu") == 1
    run.admit()  # no processor now: g3 waits for one, then for the GPU held by g2
    assert run.waits()["g3"] == ["gpu", "processor"]
    assert run.held
    run.held.close()
    assert run.resources.in_use("gpu") == 0  # the run's calls gave it back


async def test_a_compute_call_waits_for_a_processor_before_its_resources() -> None:
    run = Run("g1: on_gpu()", {"gpu": 1})
    run.held.open_for(run.frg)
    run.held.hold((0.0, 0, "g1"))
    run.admit()
    assert run.waits() == {"g1": ["processor"]}
    assert run.resources.in_use("gpu") == 0  # nothing taken while it waits
    run.processors = 1
    run.admit()
    assert run.started == ["g1"]
    assert not run.held
    run.held.close()


async def test_an_ordered_call_waits_for_its_predecessor_to_finish() -> None:
    text = "a1: append_line(path='p', line='x')\na2: append_line(path='p', line='y')"
    run = Run(text)
    assert run.held.open_for(run.frg)
    run.held.hold((1.0, 0, "a2"))
    run.admit()
    assert run.started == []
    assert run.waits() == {"a2": ["order:a1"]}
    run.held.done.add("a1")
    run.admit()
    assert run.started == ["a2"]
    run.held.close()


async def test_skipped_calls_leave_the_held_list() -> None:
    run = Run("g1: on_gpu()\ng2: on_gpu()\ng3: on_gpu()", {"gpu": 1})
    run.held.open_for(run.frg)
    for i, cid in enumerate(["g1", "g2", "g3"]):
        run.held.hold((float(i), i, cid))
    run.held.drop(["g2", "x9"])
    assert [key[2] for key in run.held.calls] == ["g1", "g3"]
    run.held.drop([])
    assert [key[2] for key in run.held.calls] == ["g1", "g3"]
    run.held.close()


async def test_what_a_call_held_comes_back_when_it_ends_and_wakes_other_runs() -> None:
    first = Run("g1: on_gpu()", {"gpu": 1})
    second = Run("g1: on_gpu()")
    second.resources = first.resources
    second.held = HeldCalls(first.resources, second.wake)
    first.held.open_for(first.frg)
    second.held.open_for(second.frg)
    first.processors = second.processors = 1
    first.held.hold((0.0, 0, "g1"))
    second.held.hold((0.0, 0, "g1"))
    first.admit()
    second.admit()
    assert (first.started, second.started) == (["g1"], [])
    assert second.waits() == {"g1": ["gpu"]}
    first.held.give_back("g1")
    assert first.resources.in_use("gpu") == 0
    await _settle()
    assert (first.woken, second.woken) == (0, 1)  # the other run is woken, not this one
    second.admit()
    assert second.started == ["g1"]
    second.held.close()
    first.held.close()
    assert first.resources.in_use("gpu") == 0


async def test_a_closed_run_is_no_longer_woken() -> None:
    first = Run("g1: on_gpu()", {"gpu": 1})
    second = Run("g1: on_gpu()")
    second.held = HeldCalls(first.resources, second.wake)
    first.held.open_for(first.frg)
    second.held.open_for(second.frg)
    second.held.close()
    first.processors = 1
    first.held.hold((0.0, 0, "g1"))
    first.admit()
    first.held.give_back("g1")
    await _settle()
    assert second.woken == 0
    first.held.close()


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)
