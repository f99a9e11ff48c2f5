"""The plan-time simulation (`engine/scheduling.py`) with inout calls, and at ties.

Written for the mutants of `engine/scheduling.py` that `test_scheduling_mutants.py` left
alive: the simulation without constraints when the plan has inout calls (they take no
processor and end after their own duration), and the calls that end at one instant (all
of them free their processors and release their children before any ready call starts,
so the best ready call takes the processor; ties in priority go in the order the calls
became ready).
"""

from __future__ import annotations

import pytest

from langchain_llmorch import build_frg, parse_plan
from langchain_llmorch.engine.scheduling import choose_order, lower_bound, simulate
from langchain_llmorch.plan.frg import FRG
from tests.unit_tests.engine._resource_tools import append_line, idle, on_cpu, on_gpu

TOOLS = [on_cpu, on_gpu, idle, append_line]


def frg_of(text: str) -> FRG:
    return build_frg(parse_plan(text), TOOLS)


def plan_order(frg: FRG) -> dict[str, float]:
    return {cid: float(i) for i, cid in enumerate(frg.calls)}


def test_inout_calls_take_no_processor_and_last_their_own_duration() -> None:
    # One processor; two inout calls run beside the compute call, each for its duration.
    frg = frg_of("i1: idle()\ni2: idle()\nc1: on_cpu()")
    assert not frg.constrained
    durations = {"i1": 2.0, "i2": 3.0, "c1": 1.0}
    assert simulate(frg, durations, 1, plan_order(frg)) == 3.0


def test_a_compute_call_after_an_inout_call_starts_when_it_ends() -> None:
    frg = frg_of("i1: idle()\nc1: on_cpu(tag=i1)\ni2: idle(tag=c1)")
    durations = {"i1": 2.0, "c1": 1.0, "i2": 0.5}
    assert simulate(frg, durations, 1, plan_order(frg)) == 3.5
    # choose_order simulates the same plan when two compute calls share one processor.
    frg = frg_of("i1: idle()\nc1: on_cpu(tag=i1)\nc2: on_cpu()\ni2: idle(tag=c1)")
    durations = {"i1": 2.0, "c1": 1.0, "c2": 1.0, "i2": 0.5}
    choice = choose_order(frg, durations, 1)
    assert choice.makespan == 3.5
    assert choice.lower_bound == 3.5


def test_a_freed_processor_goes_to_the_next_ready_call_each_time() -> None:
    # c3 and c4 wait for both c1 and c2, which end together: both processors are free.
    frg = frg_of("c1: on_cpu()\nc2: on_cpu()\nc3: on_cpu(tag=[c1, c2])\nc4: on_cpu(tag=[c1, c2])")
    durations = dict.fromkeys(frg.calls, 1.0)
    assert simulate(frg, durations, 2, plan_order(frg)) == 2.0
    assert simulate(frg, durations, 1, plan_order(frg)) == 4.0


# At t=1, c1 (compute) and i1 (inout) end together; i1 makes h ready, which is better
# placed (it has a long inout call after it) than the low-priority call low, ready since 0.
TIE = "c1: on_cpu()\ni0: idle()\ni1: idle(tag=i0)\nlow: on_cpu()\nh: on_cpu(tag=i1)\nj: idle(tag=h)"
TIE_DURATIONS = {"c1": 1.0, "i0": 0.5, "i1": 0.5, "low": 1.0, "h": 2.0, "j": 5.0}


def test_calls_ending_at_one_instant_all_release_their_children_before_a_call_starts() -> None:
    frg = frg_of(TIE)
    priority = {"c1": 0.0, "i0": 1.0, "i1": 2.0, "h": 3.0, "j": 4.0, "low": 5.0}
    # h takes the processor c1 frees at t=1 (1..3), then j (3..8); low runs 3..4.
    assert simulate(frg, TIE_DURATIONS, 1, priority) == 8.0
    # With low preferred, it runs 1..2 and h 2..4, so j ends at 9.
    assert simulate(frg, TIE_DURATIONS, 1, {**priority, "low": 2.5}) == 9.0


def test_the_chosen_order_starts_the_long_path_at_the_tie() -> None:
    frg = frg_of(TIE)
    choice = choose_order(frg, TIE_DURATIONS, 1)
    assert choice.makespan == 8.0
    assert choice.priority["h"] < choice.priority["low"]
    assert choice.lower_bound == lower_bound(frg, TIE_DURATIONS, 1) == 8.0


def test_calls_ending_at_one_instant_in_a_gated_simulation() -> None:
    # The same tie with an ordered call in the plan (the gated simulation).
    text = TIE + "\na1: append_line(path='p', line='x')\na2: append_line(path='p', line='y')"
    frg = frg_of(text)
    assert frg.constrained
    durations = {**TIE_DURATIONS, "a1": 0.25, "a2": 0.25}
    priority = {"c1": 0.0, "i0": 1.0, "i1": 2.0, "h": 3.0, "j": 4.0, "low": 5.0}
    priority |= {"a1": 6.0, "a2": 7.0}
    assert simulate(frg, durations, 1, priority) == 8.0
    assert simulate(frg, durations, 1, {**priority, "low": 2.5}) == 9.0


def test_equal_priorities_go_in_the_order_the_calls_became_ready() -> None:
    # "z" is ready first (plan order); "a" sorts first by name. b waits for z through i.
    frg = frg_of("z: on_cpu()\na: on_cpu()\ni: idle(tag=z)\nb: on_cpu(tag=i)\nk: idle(tag=b)")
    durations = {"z": 1.0, "a": 1.0, "i": 0.5, "b": 1.0, "k": 4.0}
    ties = dict.fromkeys(frg.calls, 0.0)
    # z 0..1, then a (ready since 0) 1..2, b (ready at 1.5) 2..3, k 3..7.
    assert simulate(frg, durations, 1, ties) == 7.0


def test_equal_priorities_in_a_gated_simulation_go_in_ready_order() -> None:
    frg = frg_of("z: on_gpu()\na: on_gpu()\ni: idle(tag=z)\nb: on_gpu(tag=i)\nk: idle(tag=b)")
    durations = {"z": 1.0, "a": 1.0, "i": 0.5, "b": 1.0, "k": 4.0}
    ties = dict.fromkeys(frg.calls, 0.0)
    assert simulate(frg, durations, 4, ties, capacities={"gpu": 1}) == 7.0


@pytest.mark.parametrize("gated", [False, True], ids=["plain", "gated"])
def test_a_call_ready_earlier_goes_first_among_equal_priorities_after_calls_started(
    gated: bool,
) -> None:
    # z1 and z2 start at 0; y is ready at 0, c at 0.5 (after i). When z1 frees its
    # processor at 1, y (ready first) takes it, c follows at 2 and k ends at 7.
    tool = "on_gpu" if gated else "on_cpu"
    text = f"z1: {tool}()\nz2: {tool}()\ny: {tool}()\ni: idle()\nc: {tool}(tag=i)\nk: idle(tag=c)"
    frg = frg_of(text)
    assert frg.constrained == gated
    durations = {"z1": 1.0, "z2": 5.0, "y": 1.0, "i": 0.5, "c": 1.0, "k": 4.0}
    ties = dict.fromkeys(frg.calls, 0.0)
    capacities = {"gpu": 10.0} if gated else None
    assert simulate(frg, durations, 2, ties, capacities=capacities) == 7.0
