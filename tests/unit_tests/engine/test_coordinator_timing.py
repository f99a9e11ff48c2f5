"""A call whose parents finish at different times waits for the last one.

The coordinator must not release a child while one of its parents still runs (it
would fail with `DependencyFailedError`, or run twice): the engine's other tests
mostly use parents that finish together.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.engine.scheduling import DurationModel
from tests.unit_tests._prop_tools import TOOLS, mix

# s1 ends at once, s2 after 0.3 s, s3 after 0.15 s; s4 needs all three, s5 only s1.
PLANS = {
    "compute parents": (
        "s1: cpu(tag=1, inputs=[], ms=0)\ns2: cpu(tag=2, inputs=[], ms=300)\n"
        "s3: aio(tag=3, inputs=[], ms=150)\ns4: cpu(tag=4, inputs=[s1, s2, s3])\n"
        "s5: sio(tag=5, inputs=[s1])"
    ),
    "inout parents": (
        "s1: aio(tag=1, inputs=[], ms=0)\ns2: sio(tag=2, inputs=[], ms=300)\n"
        "s3: cpu(tag=3, inputs=[], ms=150)\ns4: aio(tag=4, inputs=[s1, s2, s3])\n"
        "s5: cpu(tag=5, inputs=[s1])"
    ),
}


@pytest.mark.parametrize("policy", ["dataflow", "paper"])
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("name", list(PLANS))
def test_a_child_waits_for_its_slowest_parent(policy: str, mode: str, name: str) -> None:
    frg = build_frg(parse_plan(PLANS[name]), TOOLS)
    orch = Orchestrator(TOOLS, max_processors=2, policy=policy, durations=DurationModel())  # type: ignore[arg-type]
    events: list[dict[str, Any]] = []
    if mode == "sync":
        run = orch.run(frg, on_event=events.append)
    else:
        run = asyncio.run(orch.arun(frg, on_event=events.append))
    assert run.ok, run.errors
    one, two, three = mix(1, []), mix(2, []), mix(3, [])
    assert run.results["s4"] == mix(4, [one, two, three])
    assert run.results["s5"] == mix(5, [one])
    order = [(e["event"], e["id"]) for e in events]
    assert len(order) == len(set(order))  # every call scheduled, started, finished once
    # s4 is scheduled only after its slowest parent (s2) finished.
    assert order.index(("finished", "s2")) < order.index(("scheduled", "s4"))
    assert order.index(("finished", "s3")) < order.index(("scheduled", "s4"))
    by_id = {r.id: r for r in run.trace}
    assert by_id["s2"].ended_at <= by_id["s4"].started_at
    assert [r.id for r in run.trace].count("s4") == 1


# -- a plan that streams in: calls join the run as their lines arrive ------------------

STREAMED = """\
s1: aio(tag=1, inputs=[], ms=0)
s2: aio(tag=2, inputs=[], ms=0, fail=True)
s3: cpu(tag=3, inputs=[s1], ms=150)
s4: aio(tag=4, inputs=[], ms=0)
s5: aio(tag=5, inputs=[s2])
s6: sio(tag=6, inputs=[s3, s4])
s7: aio(tag=7, inputs=[s5])
s8: aio(tag=8, inputs=[s3])""".splitlines()


async def _stream() -> Any:
    def upto(n: int) -> Any:
        return build_frg(parse_plan("\n".join(STREAMED[:n])), TOOLS)

    yield upto(2), {}
    await asyncio.sleep(0.1)  # s1 finished, s2 failed
    yield upto(4), {"s4": 99}  # s4's result is known (restored): it does not run
    yield upto(7), {}  # s5 and s7 depend on the failed s2: skipped as they arrive
    yield upto(8), {}  # s8 arrives while its parent s3 still runs


@pytest.mark.parametrize("policy", ["dataflow", "paper"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_streamed_plan_runs_each_call_once_its_parents_finished(policy: str, mode: str) -> None:
    orch = Orchestrator(TOOLS, max_processors=2, policy=policy, durations=DurationModel())  # type: ignore[arg-type]
    events: list[dict[str, Any]] = []
    if mode == "sync":
        run = orch.run_streaming(_stream(), on_event=events.append)
    else:
        run = asyncio.run(orch.arun_streaming(_stream(), on_event=events.append))
    one = mix(1, [])
    three = mix(3, [one])
    assert run.results == {
        "s1": one,
        "s3": three,
        "s4": 99,
        "s6": mix(6, [three, 99]),
        "s8": mix(8, [three]),
    }
    assert set(run.errors) == {"s2"}
    assert sorted(run.skipped) == ["s5", "s7"]
    assert sorted(r.id for r in run.trace) == ["s1", "s2", "s3", "s6", "s8"]
    order = [(e["event"], e["id"]) for e in events]
    for child, parent in [("s3", "s1"), ("s6", "s3"), ("s8", "s3")]:
        assert order.index(("finished", parent)) < order.index(("scheduled", child))


def test_an_empty_stream_runs_nothing() -> None:
    async def nothing() -> Any:
        return
        yield

    run = Orchestrator(TOOLS, max_processors=2).run_streaming(nothing())
    assert (run.results, run.trace, run.ok) == ({}, [], True)


# -- skipping --------------------------------------------------------------------------


def test_a_failed_call_skips_its_descendants_in_plan_order() -> None:
    lines = ["s1: aio(tag=1, inputs=[], fail=True)"]
    lines += [f"s{i}: aio(tag={i}, inputs=[s{i - 1}])" for i in range(2, 13)]
    run = Orchestrator(TOOLS, max_processors=2).run(build_frg(parse_plan("\n".join(lines)), TOOLS))
    assert run.skipped == [f"s{i}" for i in range(2, 13)]  # s10 after s9, not after s1


@pytest.mark.parametrize("ms", [0, 100])
def test_a_call_fed_by_kept_results_runs_even_below_a_failed_call(ms: int) -> None:
    # s2's result is kept (from an earlier run); s1 runs again and fails. s3 and s5
    # need only s2 and s3: they run, and are not reported skipped. s4 needs s1: skipped,
    # and so is s6, which needs s4.
    text = f"""\
s1: aio(tag=1, inputs=[], ms={ms}, fail=True)
s2: aio(tag=2, inputs=[s1])
s3: aio(tag=3, inputs=[s2])
s4: aio(tag=4, inputs=[s2, s1])
s5: aio(tag=5, inputs=[s3])
s6: aio(tag=6, inputs=[s4, s3])"""
    run = Orchestrator(TOOLS, max_processors=2).run(
        build_frg(parse_plan(text), TOOLS), results={"s2": 5}
    )
    three = mix(3, [5])
    assert run.results == {"s2": 5, "s3": three, "s5": mix(5, [three])}
    assert set(run.errors) == {"s1"}
    assert run.skipped == ["s4", "s6"]
    assert sorted(r.id for r in run.trace) == ["s1", "s3", "s5"]
