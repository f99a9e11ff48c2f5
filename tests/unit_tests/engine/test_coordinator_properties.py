"""Property tests of the coordinator: random plans, both policies, sync and async runs.

Each example builds a random plan through the plan language (inout and compute calls,
fan-in and fan-out, durations that make parents finish at different times, injected
failures) and checks, from the run's events and trace:

- every call is scheduled only after each of its parents finished, and starts after
  each parent's end;
- never more than P compute calls run at once (P below the pool's workers, so the
  bound is the coordinator's, not the pool's);
- results, failures and skips equal a sequential reference run: a failed call's
  descendants are skipped, and nothing else is.

Seeded (`derandomize`), with few examples and tiny durations, so the suite stays fast.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.engine.scheduling import DurationModel
from langchain_llmorch.processes.pool import get_pool
from tests.unit_tests._prop_tools import (
    TOOLS,
    CappedExecutor,
    Spec,
    plan_text,
    plans,
    reference_run,
)
from tests.unit_tests.engine._helpers import max_concurrent

PROPERTY_SETTINGS = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,  # durations vary on a shared machine; the example count bounds the time
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def execute(
    specs: list[Spec],
    *,
    policy: str,
    processors: int,
    mode: str,
    results: dict[str, Any] | None = None,
    durations: DurationModel | None = None,
) -> tuple[RunResult, list[dict[str, Any]]]:
    frg = build_frg(parse_plan(plan_text(specs)), TOOLS)
    orch = Orchestrator(
        TOOLS,
        policy=policy,  # type: ignore[arg-type]
        executor=CappedExecutor(get_pool(2), processors),
        durations=durations or DurationModel(),
    )
    events: list[dict[str, Any]] = []
    if mode == "sync":
        run = orch.run(frg, results=results, on_event=events.append)
    else:
        run = asyncio.run(orch.arun(frg, results=results, on_event=events.append))
    return run, events


def check_run(
    specs: list[Spec], run: RunResult, events: list[dict[str, Any]], processors: int
) -> None:
    parents = {s.id: s.parents for s in specs}
    # Results equal a sequential run; exactly the failed calls' descendants are skipped.
    ref = reference_run(specs)
    assert run.results == ref.results
    assert set(run.errors) == ref.failed
    assert sorted(run.skipped) == sorted(ref.skipped)
    assert len(run.skipped) == len(set(run.skipped))
    # Every call that is not skipped ran exactly once; skipped calls never ran.
    assert sorted(r.id for r in run.trace) == sorted(ref.results.keys() | ref.failed)
    # Scheduled only once every parent finished (in the coordinator's own event order).
    position = {}
    for i, ev in enumerate(events):
        position.setdefault((ev["event"], ev["id"]), i)
    for record in run.trace:
        scheduled = position[("scheduled", record.id)]
        for parent in parents[record.id]:
            assert position[("finished", parent)] < scheduled, (record.id, parent)
    # ... and started after each parent ended (trace times, taken where calls ran).
    by_id = {r.id: r for r in run.trace}
    for record in run.trace:
        for parent in parents[record.id]:
            assert by_id[parent].ended_at <= record.started_at, (record.id, parent)
    # Never more than P compute calls at once.
    compute = [r for r in run.trace if r.kind == "compute"]
    assert max_concurrent(compute) <= processors
    check_records_and_events(specs, run, events)
    # The run's clock: it starts before any call and its makespan ends with the last call.
    assert 0 < run.started_at <= min(r.scheduled_at for r in run.trace)
    assert run.makespan == max(r.ended_at for r in run.trace) - run.started_at


def check_records_and_events(
    specs: list[Spec], run: RunResult, events: list[dict[str, Any]]
) -> None:
    """Each call's record and its events: scheduled, started, then finished or failed."""
    tools = {s.id: s.tool for s in specs}
    by_call: dict[str, list[dict[str, Any]]] = {}
    for ev in events:
        by_call.setdefault(ev["id"], []).append(ev)
    assert by_call.keys() == {r.id for r in run.trace}  # skipped calls leave no event
    for record in run.trace:
        assert record.tool == tools[record.id]
        assert record.kind == ("compute" if record.tool == "cpu" else "inout")
        assert 0 < record.scheduled_at <= record.started_at <= record.ended_at
        assert (record.processor is None) == (record.kind == "inout")
        scheduled, started, last = by_call[record.id]
        assert [scheduled["event"], started["event"]] == ["scheduled", "started"]
        assert {e["kind"] for e in (scheduled, started, last)} == {record.kind}
        assert {e["tool"] for e in (scheduled, started, last)} == {record.tool}
        assert started["pid"] == record.pid
        assert last["processor"] == record.processor
        if record.id in run.errors:
            assert record.status == "failed"
            assert record.error == f"InjectedError: {run.errors[record.id]}"
            assert last == {**last, "event": "failed", "error": record.error}
        else:
            assert (record.status, record.error) == ("finished", None)
            assert last["event"] == "finished"
            assert last["result"] == run.results[record.id]
            assert (last["pid"], last["started_at"], last["ended_at"]) == (
                record.pid,
                record.started_at,
                record.ended_at,
            )


# The dataflow coordinator keeps compute calls within P itself (P=1 over a pool of 2
# shows it). The paper policy follows Algorithm 3 as written: calls that are not
# mutually exclusive (compute calls of different ranks released together) go to the
# pool at once, whose P workers bound them; so it runs with P = the pool's workers.
@pytest.mark.parametrize(("policy", "processors"), [("dataflow", 1), ("dataflow", 2), ("paper", 2)])
@PROPERTY_SETTINGS
@given(specs=plans(), mode=st.sampled_from(["sync", "async"]))
def test_random_plans_keep_the_coordinator_invariants(
    policy: str, processors: int, specs: list[Spec], mode: str
) -> None:
    durations = DurationModel()
    run, events = execute(
        specs, policy=policy, processors=processors, mode=mode, durations=durations
    )
    check_run(specs, run, events, processors)
    # The paper policy keeps plan order; dataflow chooses an order by simulation.
    assert (run.schedule == "paper-fifo") == (policy == "paper")
    # Every finished call (and only those) taught the duration model its tool.
    assert durations._seconds.keys() == {r.tool for r in run.trace if r.status == "finished"}


@pytest.mark.parametrize("policy", ["dataflow", "paper"])
@PROPERTY_SETTINGS
@given(specs=plans(tools=("cpu",), fail_weight=1000), mode=st.sampled_from(["sync", "async"]))
def test_compute_only_plans_run_within_p(policy: str, specs: list[Spec], mode: str) -> None:
    run, events = execute(specs, policy=policy, processors=2, mode=mode)
    check_run(specs, run, events, 2)
