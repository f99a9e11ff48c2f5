"""The plan-time scheduler (`engine/scheduling.py`): durations, bounds, and the chosen order.

Written for the mutants of `engine/scheduling.py` that the rest of the suite let live. Each
test states one documented rule: the moving average of durations, the default durations
of unseen tools, resource work as duration times amount, processors and resources bounding
the simulation, and what `choose_order` returns when nothing needs simulating.
"""

from __future__ import annotations

import pytest

from langchain_llmorch import build_frg, compute, parse_plan
from langchain_llmorch.engine.scheduling import (
    DEFAULT_COMPUTE_SECONDS,
    DEFAULT_INOUT_SECONDS,
    EMA_WEIGHT,
    MAX_PERTURBATIONS,
    DurationModel,
    choose_order,
    lower_bound,
    resource_work,
    simulate,
)
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.plan.language import Plan
from tests.unit_tests._work import ALL
from tests.unit_tests.engine._resource_tools import append_line, idle, on_cpu, on_gpu


@compute(resources={"gpu": 2})
def wide(seconds: float = 0.0) -> float:
    """Holds two units of the GPU (never run here: the scheduler only reads its demand)."""
    return seconds


TOOLS = [on_gpu, on_cpu, append_line, idle, wide]


def frg_of(text: str, tools: object = TOOLS) -> FRG:
    return build_frg(parse_plan(text), tools)  # type: ignore[arg-type]


def test_observed_durations_are_a_moving_average() -> None:
    model = DurationModel()
    model.observe("t", 1.0)
    assert model.estimate("t", "compute") == 1.0
    model.observe("t", 3.0)
    assert model.estimate("t", "compute") == pytest.approx(1.0 + EMA_WEIGHT * 2.0)
    model.observe("t", 0.0)
    expected = 1.0 + EMA_WEIGHT * 2.0
    assert model.estimate("t", "compute") == pytest.approx(expected - EMA_WEIGHT * expected)


def test_an_unseen_tool_gets_its_kinds_default_duration() -> None:
    model = DurationModel()
    assert model.estimate("new", "compute") == DEFAULT_COMPUTE_SECONDS
    assert model.estimate("new", "inout") == DEFAULT_INOUT_SECONDS
    assert DEFAULT_INOUT_SECONDS < DEFAULT_COMPUTE_SECONDS


def test_the_durations_of_a_plan_come_from_each_calls_tool_and_kind() -> None:
    frg = frg_of("s1: add(a=1)\ns2: busy()\ns3: self(prompt='hi')", ALL)
    model = DurationModel({"add": 2.5})
    assert model.durations(frg) == {
        "s1": 2.5,
        "s2": DEFAULT_COMPUTE_SECONDS,
        "s3": DEFAULT_INOUT_SECONDS,
    }


def test_resource_work_is_duration_times_amount() -> None:
    frg = frg_of("w1: wide()\nw2: wide()\ng1: on_gpu()")
    durations = {"w1": 3.0, "w2": 1.0, "g1": 2.0}
    assert resource_work(frg, durations) == {"gpu": 3.0 * 2 + 1.0 * 2 + 2.0 * 1}
    assert lower_bound(frg, durations, 8, capacities={"gpu": 2}) == pytest.approx(10.0 / 2)


def test_a_gated_simulation_still_runs_one_compute_call_per_processor() -> None:
    # Ordered inout calls make the FRG constrained; the compute calls still share P.
    text = "c1: on_cpu()\nc2: on_cpu()\nc3: on_cpu()\na1: append_line(path='p', line='x')\n"
    text += "a2: append_line(path='p', line='y')"
    frg = frg_of(text)
    assert frg.constrained
    durations = {"c1": 1.0, "c2": 1.0, "c3": 1.0, "a1": 0.25, "a2": 0.25}
    fifo = {cid: float(i) for i, cid in enumerate(frg.calls)}
    assert simulate(frg, durations, 1, fifo) == 3.0
    assert simulate(frg, durations, 2, fifo) == 2.0
    assert simulate(frg, durations, 3, fifo) == 1.0


def test_the_chosen_order_reports_the_resource_bound() -> None:
    frg = frg_of("w1: wide()\nw2: wide()\nw3: wide()")
    durations = dict.fromkeys(frg.calls, 1.0)
    choice = choose_order(frg, durations, 4, capacities={"gpu": 2})
    assert choice.lower_bound == 3.0
    assert choice.makespan == 3.0


def test_few_compute_calls_take_the_plan_order_without_simulating() -> None:
    frg = frg_of("c1: on_cpu()\nc2: on_cpu()\ni1: idle()")
    durations = {"c1": 2.0, "c2": 1.0, "i1": 0.5}
    choice = choose_order(frg, durations, 2)
    assert choice.name == "fifo"
    assert choice.priority == {"c1": 0.0, "c2": 1.0, "i1": 2.0}
    assert choice.makespan == 2.0
    assert choice.candidates == {"fifo": 2.0}


def test_one_processor_runs_two_compute_calls_one_after_the_other() -> None:
    frg = frg_of("c1: on_cpu()\nc2: on_cpu()")
    choice = choose_order(frg, {"c1": 1.0, "c2": 1.0}, 1)
    assert choice.makespan == 2.0


def test_resources_are_simulated_even_with_a_processor_per_call() -> None:
    frg = frg_of("g1: on_gpu()\ng2: on_gpu()")
    choice = choose_order(frg, {"g1": 1.0, "g2": 1.0}, 2, capacities={"gpu": 1})
    assert choice.makespan == 2.0


def test_an_empty_plan_is_scheduled_in_no_time() -> None:
    choice = choose_order(build_frg(Plan(calls=()), []), {}, 2)
    assert (choice.name, choice.makespan, choice.lower_bound) == ("fifo", 0.0, 0.0)


def test_the_critical_path_wins_when_plan_order_starts_the_chain_late() -> None:
    frg = frg_of("a1: on_cpu()\na2: on_cpu()\nc1: on_cpu()\nc2: on_cpu(tag=c1)\nc3: on_cpu(tag=c2)")
    choice = choose_order(frg, dict.fromkeys(frg.calls, 1.0), 2)
    assert choice.candidates == {"fifo": 4.0, "critical_path": 3.0}
    assert choice.name == "critical_path"
    assert choice.makespan == choice.lower_bound == 3.0


def test_the_search_tries_at_most_the_documented_number_of_perturbations() -> None:
    # 21 equal calls on 2 processors: no order reaches the bound (10.5), so the search
    # runs to its cap; critical path and LPT rank like FIFO and are not tried again.
    text = "\n".join(f"c{i}: on_cpu()" for i in range(21))
    frg = frg_of(text)
    choice = choose_order(frg, dict.fromkeys(frg.calls, 1.0), 2)
    assert len(choice.candidates) == 1 + MAX_PERTURBATIONS
    assert set(choice.candidates.values()) == {11.0}
    assert choice.name == "fifo"
