"""Dask under faults: a call past `call_timeout`, and a worker killed in the middle of a run.

The tests share a 2-worker `LocalCluster` (one thread per worker, with nannies); each
kills a worker, which its nanny brings back, and the next test waits for both.
"""

from __future__ import annotations

import importlib
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from langchain_llmorch import Orchestrator, build_frg, create_llmorch_agent, parse_plan
from langchain_llmorch.errors import CallTimeoutError
from langchain_llmorch.testing import planner_or
from tests.unit_tests._work import add
from tests.unit_tests.backends._cluster_tools import nap, starts

distributed = pytest.importorskip("distributed", reason="dask distributed is not installed")

from langchain_llmorch.backends.dask import DaskExecutor  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
TOOLS = [nap, add]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """One 2-worker cluster for the module; each test leaves it with 2 workers again."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture
def client(cluster: Any) -> Any:
    """The cluster with both workers up (a test may have killed one), the tools imported."""
    cluster.wait_for_workers(2, timeout=60)
    _warm(cluster)
    return cluster


def _warm(client: Any) -> None:
    """Import the tools on every worker: the first call on a cold worker imports the
    package (seconds here), and a timeout counts from the call's hand-over to Dask."""
    for module in ("tests.unit_tests._work", "tests.unit_tests.backends._cluster_tools"):
        client.run(importlib.import_module, module)


def _worker_pids(client: Any) -> dict[str, int]:
    return {address: int(pid) for address, pid in client.run(os.getpid).items()}


def _wait_gone(pid: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


def test_a_call_past_its_timeout_fails_at_the_deadline_and_its_worker_is_restarted(
    client: Any, tmp_path: Path
) -> None:
    log = str(tmp_path / "calls.log")
    timeout, nap_seconds = 2.0, 60.0
    plan = f's1: nap(n=1, log="{log}", seconds={nap_seconds})\ns2: add(a=1, b=2)'
    frg = build_frg(parse_plan(plan), TOOLS)
    orchestrator = Orchestrator(TOOLS, executor=DaskExecutor(client), call_timeout=timeout)
    result = orchestrator.run(frg)
    assert isinstance(result.errors["s1"], CallTimeoutError)
    assert result.results == {"s2": 3.0}, (result.errors, result.trace)  # the run went on
    (record,) = [r for r in result.trace if r.id == "s1"]
    late = record.ended_at - record.started_at - timeout
    # Failed at the deadline, not when the call would have ended (60 s); the trace's start
    # is stamped just after the hand-over that starts the clock, hence the small slack.
    assert -0.5 < late < nap_seconds / 4
    # The worker stuck in the call was restarted: its process is gone, a new one serves.
    ((_, stuck),) = starts(Path(log))
    assert _wait_gone(stuck), f"the worker {stuck} running the timed-out call is still alive"
    client.wait_for_workers(2, timeout=60)
    assert stuck not in _worker_pids(client).values()
    _warm(client)  # the new worker is cold, and the timeout still 2 s
    frg = build_frg(parse_plan("s1: add(a=1)\ns2: add(a=2)"), TOOLS)
    assert orchestrator.run(frg).results == {"s1": 1.0, "s2": 2.0}
    print(f"\ndask call_timeout={timeout}s: failed {late:.2f} s after the deadline")  # noqa: T201


PLAN = "\n".join(
    [
        *(f's{n}: nap(n={n}, log="{{log}}", gate="{{gate}}")' for n in range(1, 5)),
        's5: self(prompt="{s1} {s2} {s3} {s4}")',
    ]
)


def test_a_worker_killed_mid_run_loses_no_result(client: Any, tmp_path: Path) -> None:
    log, gate = tmp_path / "calls.log", tmp_path / "gate"
    plan = PLAN.replace("{log}", str(log)).replace("{gate}", str(gate))
    model = planner_or(plan, answer=lambda request: request.rsplit("\n", 1)[-1])
    agent = create_llmorch_agent(model, TOOLS, executor=DaskExecutor(client))
    outcome: dict[str, Any] = {}
    run = threading.Thread(
        target=lambda: outcome.update(agent.invoke({"messages": [("user", "nap 1-4")]}))
    )
    started = time.monotonic()
    run.start()
    workers = set(_worker_pids(client).values())
    deadline = time.monotonic() + 60
    while len({pid for _, pid in starts(log)}) < 2:  # one call running on each worker
        assert time.monotonic() < deadline, f"two calls did not start: {starts(log)}"
        time.sleep(0.02)
    first, second = starts(log)[:2]
    assert {first[1], second[1]} == workers
    os.kill(second[1], signal.SIGKILL)  # the worker running the second call dies mid-call
    assert _wait_gone(second[1])
    gate.touch()
    run.join(90)
    assert not run.is_alive()
    seconds = time.monotonic() - started

    assert outcome["results"] == {f"s{n}": n * 10 for n in range(1, 5)}  # 0 results lost
    assert not outcome["errors"]
    runs = Counter(n for n, _ in starts(log))
    # The killed worker's call was run again by Dask (allowed-failures: 3), on a live
    # worker; every other call ran once, its result kept.
    assert runs == {n: 2 if n == second[0] else 1 for n in range(1, 5)}
    assert outcome["recoveries"] == 0  # Dask's own retry: the agent never saw a failure
    done = [line.split() for line in log.read_text().splitlines() if line.startswith("done")]
    ran_on = {int(n): int(pid) for _, n, pid in done}
    assert ran_on[second[0]] != second[1]
    per_worker = Counter(ran_on.values())
    print(  # noqa: T201 - the figures for the docs
        f"\ndask node loss: calls per worker {dict(per_worker)}; call {second[0]} lost with "
        f"worker {second[1]}, rerun on {ran_on[second[0]]}; results 4/4; {seconds:.1f} s"
    )
