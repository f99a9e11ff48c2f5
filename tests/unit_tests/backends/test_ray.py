"""The Ray backend on one local 2-CPU Ray instance, started once for the module."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError

import pytest

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.errors import CallTimeoutError, UnpicklableCallError, WorkerCrashedError
from langchain_llmorch.processes.records import RemoteTraceback
from tests.unit_tests._work import ALL

ray = pytest.importorskip(
    "ray", reason="ray is not installed (pip install 'langchain-llmorch[ray]')"
)

from langchain_llmorch.backends.ray import RayCallOutcome, RayExecutor, capacity  # noqa: E402

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """One small local Ray instance: 2 CPUs, no dashboard, a small object store."""
    ray.init(
        num_cpus=2,
        num_gpus=0,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        object_store_memory=80 * 1024 * 1024,
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def executor(cluster: None) -> Iterator[RayExecutor]:
    with RayExecutor() as ex:
        yield ex


def _peak(records: list[TraceRecord]) -> int:
    points = sorted([(r.started_at, 1) for r in records] + [(r.ended_at, -1) for r in records])
    level = peak = 0
    for _, step in points:
        level += step
        peak = max(peak, level)
    return peak


def _length(data: bytes) -> int:
    return len(data)


def test_capacity_is_the_scarcest_resource() -> None:
    assert capacity({"CPU": 8.0, "GPU": 2.0}, {"CPU": 1.0}) == 8
    assert capacity({"CPU": 8.0, "GPU": 2.0}, {"CPU": 1.0, "GPU": 1.0}) == 2
    assert capacity({"CPU": 8.0}, {"CPU": 3.0}) == 2
    assert capacity({"CPU": 8.0}, {"CPU": 1.0, "disk": 1.0}) == 0
    with pytest.raises(ValueError, match="ask for some resource"):
        capacity({"CPU": 8.0}, {})


def test_p_is_the_clusters_cpus_and_a_plan_runs_within_it(executor: RayExecutor) -> None:
    assert executor.processors == 2
    text = "\n".join(f"s{i}: busy(seconds=0.3)" for i in range(4)) + "\ns4: add(a=1, b=2)"
    result = Orchestrator(ALL, executor=executor).run(build_frg(parse_plan(text), ALL))
    assert result.ok, result.errors
    assert result.results["s4"] == 3.0
    busy = [r for r in result.trace if r.tool == "busy"]
    assert len(busy) == 4
    assert _peak(busy) <= 2
    assert {r.processor for r in busy} <= {0, 1}
    assert all(r.pid not in {0, os.getpid()} for r in busy)


def test_max_processors_bounds_calls_below_what_ray_would_run(cluster: None) -> None:
    with RayExecutor(max_processors=1) as one:
        assert one.processors == 1
        text = "\n".join(f"s{i}: busy(seconds=0.2)" for i in range(3))
        result = Orchestrator(ALL, executor=one).run(build_frg(parse_plan(text), ALL))
    assert result.ok, result.errors
    assert _peak(result.trace) == 1
    assert {r.processor for r in result.trace} == {0}


def test_an_outcome_names_the_node_and_worker_that_ran_it(executor: RayExecutor) -> None:
    outcome = executor.submit(sum, ([1, 2, 3],)).result(timeout=60)
    assert isinstance(outcome, RayCallOutcome)
    assert outcome.value == 6
    assert outcome.node_id == ray.get_runtime_context().get_node_id()
    assert outcome.node_ip
    assert outcome.worker_id
    assert outcome.pid != os.getpid()
    assert outcome.processor in {0, 1}
    assert outcome.started_at <= outcome.ended_at


def test_a_large_argument_goes_through_the_object_store(executor: RayExecutor) -> None:
    data = b"x" * 300_000
    assert executor.submit(_length, (data,)).result(timeout=60).value == len(data)


def test_a_crashing_call_fails_only_itself(executor: RayExecutor) -> None:
    plan = "s1: crash(code=3)\ns2: add(a=1)\ns3: add(a=s2, b=1)"
    result = Orchestrator(ALL, executor=executor).run(build_frg(parse_plan(plan), ALL))
    assert isinstance(result.errors["s1"], WorkerCrashedError)
    assert set(result.errors) == {"s1"}
    assert result.results["s3"] == 2.0
    # the executor goes on: its slot came back
    assert executor.submit(sum, ([4, 5],)).result(timeout=60).value == 9


def test_a_failing_tool_raises_its_own_error_with_the_remote_traceback(
    executor: RayExecutor,
) -> None:
    frg = build_frg(parse_plan('s1: explode(message="no")\ns2: add(a=1)'), ALL)
    result = Orchestrator(ALL, executor=executor).run(frg)
    error = result.errors["s1"]
    assert isinstance(error, ValueError)
    assert str(error) == "no"
    assert isinstance(error.__cause__, RemoteTraceback)
    assert "explode" in error.__cause__.text
    assert result.results["s2"] == 1.0


def test_call_timeout_kills_a_hung_call_and_only_it(executor: RayExecutor) -> None:
    # The clock starts at dispatch: warm both workers first (an earlier test killed one),
    # so a worker's start-up on a loaded machine is not what times out.
    warm = [executor.submit(time.sleep, (0.3,)) for _ in range(executor.processors)]
    for future in warm:
        future.result(timeout=60)
    # 10 s: the small call must not time out when the machine is loaded (3 s did, in CI-like load).
    frg = build_frg(parse_plan("s1: busy(seconds=600)\ns2: add(a=1)"), ALL)
    result = Orchestrator(ALL, executor=executor, call_timeout=10.0).run(frg)
    assert isinstance(result.errors["s1"], CallTimeoutError)
    assert result.results["s2"] == 1.0
    assert executor.submit(sum, ([1, 1],)).result(timeout=60).value == 2


def test_abort_kills_a_running_call_and_frees_its_slot(cluster: None) -> None:
    with RayExecutor(max_processors=1) as one:
        started = threading.Event()
        future = one.submit(time.sleep, (600,), on_start=lambda _pid, _slot: started.set())
        assert started.wait(60)
        one.abort(future)
        with pytest.raises(CancelledError):
            future.result()
        assert one.submit(sum, ([2, 3],)).result(timeout=60).value == 5


def test_queued_calls_start_in_priority_order(cluster: None) -> None:
    with RayExecutor(max_processors=1) as one:
        started: list[str] = []
        blocker = one.submit(time.sleep, (0.5,))
        futures = [
            one.submit(str, (name,), priority=p, on_start=lambda _p, _s, n=name: started.append(n))
            for name, p in (("c", 3.0), ("a", 1.0), ("b", 2.0))
        ]
        blocker.result(timeout=60)
        assert [f.result(timeout=60).value for f in futures] == ["c", "a", "b"]
    assert started == ["a", "b", "c"]


def test_an_unpicklable_argument_fails_at_submit(executor: RayExecutor) -> None:
    with pytest.raises(UnpicklableCallError):
        executor.submit(repr, (threading.Lock(),))


def test_a_closed_executor_takes_no_calls(cluster: None) -> None:
    from langchain_llmorch.errors import LLMOrchError

    ex = RayExecutor()
    ex.close()
    with pytest.raises(LLMOrchError, match="closed"):
        ex.submit(sum, ([1],))


def test_trace_records_name_the_node_and_worker(executor: RayExecutor) -> None:
    frg = build_frg(parse_plan("s1: add(a=1, b=1)\ns2: add(a=s1, b=1)"), ALL)
    result = Orchestrator(ALL, executor=executor).run(frg)
    assert result.ok, result.errors
    node_ip = ray.util.get_node_ip_address()
    assert [r.node for r in result.trace] == [node_ip, node_ip]
    assert all(r.pid not in {0, os.getpid()} for r in result.trace)
