import asyncio
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import psutil
import pytest

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.errors import CallTimeoutError, UnpicklableCallError, WorkerCrashedError
from tests.unit_tests._work import ALL
from tests.unit_tests.engine._helpers import max_concurrent, overlap

P = 2


def run(text: str, policy: str = "dataflow", **kwargs: object) -> object:
    frg = build_frg(parse_plan(text), ALL)
    return Orchestrator(ALL, max_processors=P, policy=policy, **kwargs).run(frg)  # type: ignore[arg-type]


EIGHT = "\n".join(f"s{i}: busy(seconds=0.15)" for i in range(1, 9))


@pytest.mark.parametrize("policy", ["dataflow", "paper"])
def test_never_more_than_p_compute_calls_at_once(policy: str) -> None:
    result = run(EIGHT, policy)
    records = [r for r in result.trace if r.kind == "compute"]
    assert len(records) == 8
    assert max_concurrent(records) == P


def test_mutually_exclusive_calls_run_on_distinct_processors() -> None:
    frg = build_frg(parse_plan(EIGHT), ALL)
    result = Orchestrator(ALL, max_processors=P).run(frg)
    by_id = {r.id: r for r in result.trace}
    pairs = [tuple(pair) for pair in frg.mutex_pairs]
    overlapping = [(a, b) for a, b in pairs if overlap(by_id[a], by_id[b])]
    assert overlapping  # some exclusive calls did run together...
    for a, b in overlapping:  # ...and never on the same processor
        assert by_id[a].processor != by_id[b].processor
        assert by_id[a].pid != by_id[b].pid


def test_inout_calls_overlap_while_compute_calls_hold_every_processor() -> None:
    text = "s1: busy(seconds=0.4)\ns2: busy(seconds=0.4)\ns3: fetch(seconds=0.1)\ns4: fetch_sync(seconds=0.1)"
    result = run(text)
    by_id = {r.id: r for r in result.trace}
    for io in ("s3", "s4"):
        assert by_id[io].processor is None
        assert overlap(by_id[io], by_id["s1"])
        assert overlap(by_id[io], by_id["s2"])


def test_results_flow_along_data_edges() -> None:
    text = 's1: add(a=1, b=2)\ns2: add(a=s1, b=10)\ns3: echo(value=[s1, s2, "{s2}!"])'
    result = run(text)
    assert result.results == {"s1": 3.0, "s2": 13.0, "s3": "[3.0, 13.0, '13.0!']"}
    by_id = {r.id: r for r in result.trace}
    assert by_id["s1"].ended_at <= by_id["s2"].started_at
    assert by_id["s2"].ended_at <= by_id["s3"].started_at


def test_a_ready_call_starts_before_an_unrelated_slow_call_ends() -> None:
    # dataflow: s3 needs only s1 and starts while s2 still runs.
    text = "s1: busy(seconds=0.05)\ns2: busy(seconds=0.6)\ns3: add(a=1, b=2)\ns4: fetch(tag=s1)"
    result = run(text)
    by_id = {r.id: r for r in result.trace}
    assert by_id["s4"].started_at < by_id["s2"].ended_at


def test_paper_policy_holds_later_sets_while_no_processor_is_spare() -> None:
    # Algorithm 3 waits for a spare processor before coordinating the next set, so the
    # inout call released by s1 waits behind the re-queued exclusive calls.
    text = "\n".join(
        [
            "s1: busy(seconds=0.05)",
            *(f"s{i}: busy(seconds=0.3)" for i in range(2, 6)),
            "s6: fetch(tag=s1, seconds=0.01)",
        ]
    )
    paper = {r.id: r for r in run(text, "paper").trace}
    dataflow = {r.id: r for r in run(text, "dataflow").trace}
    assert dataflow["s6"].started_at < min(dataflow[f"s{i}"].ended_at for i in range(2, 6))
    compute_ids = [f"s{i}" for i in range(1, 6)]
    paper_order = sorted(compute_ids, key=lambda c: paper[c].started_at)
    assert set(paper_order[:2]) == {"s1", "s2"}  # dispatched together
    assert paper_order[2:] == ["s3", "s4", "s5"]  # the re-queued rest, FIFO
    assert paper["s6"].started_at >= max(paper[c].started_at for c in compute_ids)


def test_a_crashing_tool_fails_only_itself_and_its_dependants() -> None:
    text = "s1: crash()\ns2: add(a=1)\ns3: add(a=s1)\ns4: add(a=s2, b=1)"
    result = run(text)
    assert isinstance(result.errors["s1"], WorkerCrashedError)
    assert result.skipped == ["s3"]
    assert result.results["s4"] == 2.0
    again = run("s1: add(a=5)")  # the pool healed
    assert again.results["s1"] == 5.0


def test_a_raising_tool_keeps_its_exception_and_remote_traceback() -> None:
    result = run('s1: explode(message="bad input")\ns2: add(a=1)')
    err = result.errors["s1"]
    assert isinstance(err, ValueError)
    assert "bad input" in str(err)
    assert "explode" in str(err.__cause__)
    assert result.results["s2"] == 1.0


def test_a_hung_call_is_killed_at_the_timeout() -> None:
    result = run("s1: busy(seconds=30)\ns2: add(a=1)", call_timeout=0.5)
    assert isinstance(result.errors["s1"], CallTimeoutError)
    assert result.results["s2"] == 1.0


def test_an_unpicklable_argument_fails_only_its_call() -> None:
    # s1's kept result is a lock: no pickler can send it to a worker.
    frg = build_frg(parse_plan("s1: fetch(seconds=0)\ns2: echo(value=s1)\ns3: add(a=2)"), ALL)
    result = Orchestrator(ALL, max_processors=P).run(frg, results={"s1": threading.Lock()})
    assert isinstance(result.errors["s2"], UnpicklableCallError)
    assert result.results["s3"] == 2.0


def test_kept_results_are_not_run_again() -> None:
    frg = build_frg(parse_plan("s1: add(a=1)\ns2: add(a=s1, b=1)"), ALL)
    result = Orchestrator(ALL, max_processors=P).run(frg, results={"s1": 41.0})
    assert [r.id for r in result.trace] == ["s2"]
    assert result.results["s2"] == 42.0


def test_events_for_each_transition() -> None:
    events: list[dict[str, object]] = []
    frg = build_frg(parse_plan('s1: add(a=1)\ns2: fetch(tag="{s1}", seconds=0)'), ALL)
    Orchestrator(ALL, max_processors=P).run(frg, on_event=events.append, attempts={"s2": 2})
    assert [(e["event"], e["id"]) for e in events] == [
        ("scheduled", "s1"),
        ("started", "s1"),
        ("finished", "s1"),
        ("scheduled", "s2"),
        ("started", "s2"),
        ("finished", "s2"),
    ]
    assert events[1]["processor"] in set(psutil.Process().cpu_affinity() or [0, 1]) | {0, 1}
    assert events[4]["attempt"] == 2
    assert events[4]["processor"] is None


async def test_cancelling_a_run_kills_its_running_calls() -> None:
    frg = build_frg(
        parse_plan("s1: busy(seconds=30)\ns2: busy(seconds=30)\ns3: busy(seconds=30)"), ALL
    )
    orch = Orchestrator(ALL, max_processors=P)
    started: list[dict[str, object]] = []
    task = asyncio.create_task(orch.arun(frg, on_event=started.append))
    await asyncio.sleep(1.0)
    pids = set(orch.executor.worker_pids())  # type: ignore[attr-defined]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.5)
    alive = [
        p
        for p in pids
        if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]
    new = set(orch.executor.worker_pids())  # type: ignore[attr-defined]
    assert pids.isdisjoint(new)  # both busy workers were killed and replaced
    assert not [p for p in alive if p in pids]


def test_a_tool_defined_in_main_runs_on_the_pool(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            from langchain_llmorch import Orchestrator, build_frg, compute, parse_plan

            @compute
            def cube(x: int) -> int:
                \"\"\"x cubed, defined in __main__ without a main guard.\"\"\"
                return x ** 3

            frg = build_frg(parse_plan("s1: cube(x=3)\\ns2: cube(x=s1)"), [cube])
            result = Orchestrator([cube], max_processors=2).run(frg)
            print(result.results["s2"], result.trace[0].pid != __import__("os").getpid())
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=str(Path.cwd()),
    )
    assert out.stdout.split() == ["19683", "True"]


def test_ctrl_c_leaves_no_process_behind(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            import signal
            import sys
            from langchain_llmorch import Orchestrator, build_frg, parse_plan
            from tests.unit_tests._work import ALL

            # As in a terminal, even when the tests run in the background (a shell's `&`
            # hands its children SIGINT ignored).
            signal.signal(signal.SIGINT, signal.default_int_handler)

            orch = Orchestrator(ALL, max_processors=2)
            orch.warm()
            print(*orch.executor.worker_pids(), flush=True)
            frg = build_frg(parse_plan("s1: busy(seconds=60)\\ns2: busy(seconds=60)"), ALL)
            orch.run(frg)
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2
    import time

    time.sleep(1.0)
    proc.send_signal(2)  # SIGINT, as Ctrl-C
    # generous: a loaded machine slows the exit, not the test; not 0: the interrupt ended it
    assert proc.wait(timeout=90) != 0
    deadline = time.time() + 10
    while time.time() < deadline and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.1)
    assert not [p for p in pids if psutil.pid_exists(p)]


def test_max_concurrency_bounds_inout_calls() -> None:
    frg = build_frg(parse_plan("\n".join(f"s{i}: fetch(seconds=0.1)" for i in range(6))), ALL)
    result = Orchestrator(ALL, max_processors=P).run(frg, config={"max_concurrency": 2})
    assert max_concurrent(result.trace) == 2


def test_tool_callbacks_fire_for_compute_calls_with_their_tags() -> None:
    from langchain_core.callbacks import BaseCallbackHandler

    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.seen: list[tuple[str, str, list[str]]] = []

        def on_tool_start(self, serialized, input_str, *, tags=None, **kwargs):  # type: ignore[no-untyped-def]
            self.seen.append(("start", serialized["name"], list(tags or [])))

        def on_tool_end(self, output, **kwargs):  # type: ignore[no-untyped-def]
            self.seen.append(("end", str(output), []))

        def on_tool_error(self, error, **kwargs):  # type: ignore[no-untyped-def]
            self.seen.append(("error", type(error).__name__, []))

    recorder = Recorder()
    frg = build_frg(parse_plan("s1: add(a=1, b=2)\ns2: explode()"), ALL)
    config = {"callbacks": [recorder], "tags": ["run-tag"]}
    Orchestrator(ALL, max_processors=P).run(frg, config=config)  # type: ignore[arg-type]
    starts = [s for s in recorder.seen if s[0] == "start"]
    assert {s[1] for s in starts} == {"add", "explode"}
    assert all({"compute", "run-tag"} <= set(s[2]) for s in starts)
    assert ("end", "3.0", []) in recorder.seen
    assert ("error", "ValueError", []) in recorder.seen


@pytest.mark.parametrize("policy", ["dataflow", "paper"])
def test_respect_load_holds_compute_calls_while_other_programs_take_processors(
    policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_llmorch.engine.load import LoadMonitor

    # Another program holds one of the two processors for the whole run.
    monkeypatch.setattr(LoadMonitor, "external_cores", lambda self: 1.0)
    frg = build_frg(parse_plan(EIGHT.replace("0.15", "0.05")), ALL)
    orch = Orchestrator(ALL, max_processors=P, policy=policy, respect_load=True)  # type: ignore[arg-type]
    result = orch.run(frg)
    assert len(result.trace) == 8
    assert max_concurrent(result.trace) == 1


def test_respect_load_never_stalls_when_every_processor_is_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from langchain_llmorch.engine.load import LoadMonitor

    monkeypatch.setattr(LoadMonitor, "external_cores", lambda self: 5.0)
    frg = build_frg(parse_plan("s1: add(a=1)\ns2: add(a=s1)\ns3: add(a=2)"), ALL)
    result = Orchestrator(ALL, max_processors=P, respect_load=True).run(frg)
    assert result.results == {"s1": 1.0, "s2": 1.0, "s3": 2.0}
    assert max_concurrent(result.trace) == 1


def test_load_monitor_reads_a_non_negative_number_of_cores() -> None:
    from langchain_llmorch.engine.load import LoadMonitor

    monitor = LoadMonitor(list)
    import time

    time.sleep(0.15)
    assert monitor.external_cores() >= 0.0
    assert 0 <= monitor.spare(2) <= 2


def test_orchestrators_share_their_inout_threads() -> None:
    first = Orchestrator(ALL, max_processors=P)
    second = Orchestrator(ALL, max_processors=P)
    assert first.threads is second.threads
    with pytest.raises(ValueError, match="max_threads"):
        Orchestrator(ALL, max_threads=0)
