"""After recovery, every finished result outside the rewritten part is kept, not re-run.

Random plans with injected failures run once; the recovery points are rewritten the way
the repair step does (`recovery_points`, `parse_rewrite`, `apply_rewrites`), and the new
plan runs with the kept results, as the agent's repair loop runs it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.agent.recovery import apply_rewrites, parse_rewrite, recovery_points
from langchain_llmorch.engine.scheduling import DurationModel
from langchain_llmorch.processes.pool import get_pool
from tests.unit_tests._prop_tools import (
    TOOLS,
    CappedExecutor,
    Spec,
    descendants,
    plan_text,
    plans,
    reference_run,
)


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    specs=plans(fail_weight=3),
    policy=st.sampled_from(["dataflow", "paper"]),
    mode=st.sampled_from(["sync", "async"]),
)
def test_recovery_reruns_only_the_rewritten_calls_and_their_descendants(
    specs: list[Spec], policy: str, mode: str
) -> None:
    text = plan_text(specs)
    plan = parse_plan(text)
    frg = build_frg(plan, TOOLS)
    orch = Orchestrator(
        TOOLS,
        policy=policy,  # type: ignore[arg-type]
        executor=CappedExecutor(get_pool(2), 2),
        durations=DurationModel(),
    )

    def execute(graph, kept):
        if mode == "sync":
            return orch.run(graph, results=kept)
        return asyncio.run(orch.arun(graph, results=kept))

    first = execute(frg, None)
    points = recovery_points(frg, first.errors)
    # The rewrite fixes each recovery call (no injected failure, another tag).
    by_id = {s.id: s for s in specs}
    fixed = {cid: replace(by_id[cid], tag=by_id[cid].tag + 100, fail=False) for cid in points}
    rewrites = [parse_rewrite(frg.calls[cid], fixed[cid].line()) for cid in points]
    assert all(r.changed for r in rewrites) or not points
    new_plan, kept = apply_rewrites(plan, frg, rewrites, first.results)

    stale = set(points) | descendants(specs, set(points))
    assert kept == {k: v for k, v in first.results.items() if k not in stale}

    new_specs = [fixed.get(s.id, s) for s in specs]
    assert parse_plan(new_plan.source).render() == parse_plan(plan_text(new_specs)).render()
    second = execute(build_frg(new_plan, TOOLS), kept)
    ran = {r.id for r in second.trace}
    assert not ran & kept.keys()  # kept results are not run again
    ref = reference_run(new_specs)
    assert second.results == ref.results  # kept ones included, unchanged
    assert set(second.errors) == ref.failed
    assert set(second.skipped) == ref.skipped
    assert ran == (ref.results.keys() - kept.keys()) | ref.failed
