"""The Dask backend: the same plan, run on a local 2-worker cluster, bounded by its threads."""

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from tests.unit_tests._work import ALL

distributed = pytest.importorskip("distributed", reason="dask distributed is not installed")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    import dask

    # A call that kills its worker fails at once instead of being tried on 3 more workers.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        with distributed.Client(cluster) as c:
            yield c
        cluster.close()


@pytest.mark.timeout(120)
def test_a_plan_runs_on_dask_with_at_most_p_calls_at_once(client: Any) -> None:
    from langchain_llmorch.backends.dask import DaskExecutor

    executor = DaskExecutor(client)
    assert executor.processors == 2
    text = "\n".join(f"s{i}: busy(seconds=0.2)" for i in range(4)) + "\ns4: add(a=1, b=2)"
    frg = build_frg(parse_plan(text), ALL)
    result = Orchestrator(ALL, executor=executor).run(frg)
    assert result.results["s4"] == 3.0
    records = [r for r in result.trace if r.tool == "busy"]
    points = sorted([(r.started_at, 1) for r in records] + [(r.ended_at, -1) for r in records])
    level = peak = 0
    for _, step in points:
        level += step
        peak = max(peak, level)
    assert peak <= 2


@pytest.mark.timeout(120)
def test_a_failing_call_on_dask_fails_only_itself(client: Any) -> None:
    from langchain_llmorch.backends.dask import DaskExecutor

    frg = build_frg(parse_plan('s1: explode(message="no")\ns2: add(a=1)'), ALL)
    result = Orchestrator(ALL, executor=DaskExecutor(client)).run(frg)
    assert isinstance(result.errors["s1"], ValueError)
    assert result.results["s2"] == 1.0


@pytest.mark.timeout(120)
def test_a_crashing_call_on_dask_fails_only_itself_as_a_worker_crash(client: Any) -> None:
    from langchain_llmorch.backends.dask import DaskExecutor
    from langchain_llmorch.errors import WorkerCrashedError

    executor = DaskExecutor(client)
    frg = build_frg(parse_plan("s1: add(a=1)\ns2: crash(code=3)\ns3: add(a=s1, b=1)"), ALL)
    result = Orchestrator(ALL, executor=executor).run(frg)
    assert isinstance(result.errors["s2"], WorkerCrashedError)
    assert set(result.errors) == {"s2"}
    assert result.results == {"s1": 1.0, "s3": 2.0}
