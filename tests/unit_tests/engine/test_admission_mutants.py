"""Resources calls hold (`engine/admission.py`): capacities, taking, giving back, checks.

Written for the mutants of `engine/admission.py` that the run-level tests let live. Each
test states one rule: a plan whose call needs a resource the orchestrator lacks, or more
than its capacity, is refused before it runs, each problem with the call's id and plan
line, while a demand exactly at the capacity is accepted; a call takes every amount it
needs or none, a resource of no capacity is never granted, and a tool's limit is counted
in the process-wide `TOOL_CALLS`; what a call gives back (also when its run closes) is
free again and wakes the other runs, not its own, and a run whose loop has closed is
skipped.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
from langchain_llmorch.engine.admission import (
    TOOL_CALLS,
    Capacities,
    Gate,
    check_capacities,
)
from langchain_llmorch.errors import PlanValidationError


def draw(scene: str) -> str:
    """Draw on the GPU."""
    return scene


def bake(scene: str) -> str:
    """Bake on the TPU."""
    return scene


def note(text: str) -> str:
    """A call of an API that allows one request at once."""
    return text


draw_tool = inout(draw, resources={"gpu": 1.5})
bake_tool = inout(bake, resources={"tpu": 1})
note_tool = inout(note, max_concurrency=1)
TOOLS = [draw_tool, bake_tool, note_tool]

PLAN = 's1: note(text="a")\ns2: draw(scene="x")\ns3: bake(scene="y")'


def test_each_problem_names_its_call_and_line() -> None:
    frg = build_frg(parse_plan(PLAN), TOOLS)
    with pytest.raises(PlanValidationError) as info:
        check_capacities(frg, {"gpu": 1})
    problems = {p.call_id: p for p in info.value.problems}
    assert sorted(problems) == ["s2", "s3"]  # the tool's own limit is never a problem
    assert (problems["s2"].line, problems["s3"].line) == (2, 3)
    assert problems["s2"].message.startswith("draw needs gpu=1.5 but the orchestrator's")
    assert "capacity is gpu=1" in problems["s2"].message
    assert problems["s3"].message == (
        "bake needs the resource 'tpu', which the orchestrator does not have (its "
        "resources: gpu=1); give it with Orchestrator(resources={'tpu': ...})"
    )
    with pytest.raises(PlanValidationError, match=r"\(its resources: none\)"):
        check_capacities(frg, {})


def test_a_demand_exactly_at_the_capacity_runs() -> None:
    frg = build_frg(parse_plan(PLAN), TOOLS)
    check_capacities(frg, {"gpu": 1.5, "tpu": 1})
    result = Orchestrator(TOOLS, resources={"gpu": 1.5, "tpu": 1}).run(frg)
    assert result.results == {"s1": "a", "s2": "x", "s3": "y"}
    with pytest.raises(PlanValidationError):
        check_capacities(frg, {"gpu": 1.5 - 1e-6, "tpu": 1})


def test_capacities_say_what_they_hold() -> None:
    pool = Capacities({"gpu": 2})
    assert (pool.capacity("gpu"), pool.capacity("tpu")) == (2, None)
    assert pool.in_use("gpu") == pool.in_use("tpu") == 0.0
    names = pool.names()
    names["tpu"] = 1
    assert pool.names() == {"gpu": 2}  # a copy
    pool.set_capacity("tpu", 3)
    assert pool.capacity("tpu") == 3
    assert Capacities().names() == {}


async def test_a_call_takes_every_amount_or_none_and_gives_them_back() -> None:
    pool = Capacities({"gpu": 1, "mem": 4})
    gate = Gate(pool, lambda: None)
    try:
        assert gate.take("c1", {"gpu": 1, "mem": 3}) == []
        assert (pool.in_use("gpu"), pool.in_use("mem")) == (1, 3)
        assert gate.take("c2", {"gpu": 1, "mem": 1}) == ["gpu"]  # mem would fit: not taken
        assert pool.in_use("mem") == 3
        assert gate.take("c3", {"mem": 1}) == []  # exactly the capacity
        assert gate.take("c4", {}) == []
        gate.give_back("c1")
        assert (pool.in_use("gpu"), pool.in_use("mem")) == (0, 1)
        gate.give_back("c1")  # twice: nothing more comes back
        gate.give_back("never")
        assert pool.in_use("mem") == 1
        assert gate.take("c2", {"gpu": 1, "mem": 1}) == []
        gate.give_back("c2")
        assert gate.take("c5", {"gpu": 1 + 1e-9}) == []  # over by rounding: granted
    finally:
        gate.close()
    assert pool.in_use("gpu") == pool.in_use("mem") == 0.0  # closing gave back the rest


async def test_a_resource_of_no_capacity_is_never_granted() -> None:
    gate = Gate(Capacities({"gpu": 0}), lambda: None)
    try:
        assert gate.take("c1", {"gpu": 0.5}) == ["gpu"]
        assert gate.take("c2", {"tpu": 0.5}) == ["tpu"]
    finally:
        gate.close()


async def test_a_tools_limit_is_counted_for_the_whole_process() -> None:
    frg = build_frg(parse_plan(PLAN), TOOLS)
    mine, other = Capacities({"tool:note": 5}), Capacities()
    first, second = Gate(mine, lambda: None), Gate(other, lambda: None)
    try:
        first.declare(frg)
        assert TOOL_CALLS.capacity("tool:note") == 1
        assert first.take("s1", {"tool:note": 1}) == []
        assert TOOL_CALLS.in_use("tool:note") == 1
        assert mine.in_use("tool:note") == 0
        assert second.take("t1", {"tool:note": 1}) == ["tool:note"]  # another run: full
        first.give_back("s1")
        assert second.take("t1", {"tool:note": 1}) == []
    finally:
        first.close()
        second.close()
    assert TOOL_CALLS.in_use("tool:note") == 0


async def test_giving_back_wakes_the_other_runs_not_its_own() -> None:
    woken: list[str] = []
    pool = Capacities({"gpu": 1})
    mine = Gate(pool, lambda: woken.append("mine"))
    other = Gate(pool, lambda: woken.append("other"))
    closed = Gate(pool, lambda: woken.append("closed"))
    closed.close()
    try:
        mine.take("c1", {"gpu": 1})
        mine.give_back("c1")
        await asyncio.sleep(0)
        assert woken == ["other"]
    finally:
        mine.close()
        other.close()


def test_a_run_whose_loop_closed_is_not_woken() -> None:
    pool = Capacities({"gpu": 1})
    gates: list[Gate] = []

    async def open_gate() -> None:
        gates.append(Gate(pool, lambda: None))

    thread = threading.Thread(target=asyncio.run, args=(open_gate(),))
    thread.start()
    thread.join()  # its loop is closed; its gate was never closed

    async def give() -> None:
        gate = Gate(pool, lambda: None)
        gate.take("c1", {"gpu": 1})
        gate.give_back("c1")  # wakes the closed loop's run: nothing raised
        gate.close()

    try:
        asyncio.run(give())
    finally:
        gates[0].close()
    assert pool.in_use("gpu") == 0
