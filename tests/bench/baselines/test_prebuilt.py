import threading

from langchain_core.messages import AIMessage

from bench.baselines import arun_prebuilt, run_prebuilt
from tests.bench.baselines import fakes
from tests.bench.baselines.fakes import TOOLS, by_turn, calls, overlap


async def test_create_agent_answers_and_traces_one_record_per_call() -> None:
    model = by_turn(
        calls(("fetch", {"key": "a", "delay": 0.1}), ("fetch2", {"key": "b", "delay": 0.1})),
        calls(("spin", {"ms": 10}), turn=1),
        AIMessage("prebuilt answer"),
    )
    result = await arun_prebuilt(model, TOOLS, "q")
    assert result.answer == "prebuilt answer"
    assert result.llm_turns == 3
    assert sorted(r.tool for r in result.trace) == ["fetch", "fetch2", "spin"]
    assert all(r.status == "finished" and r.ended_at >= r.started_at for r in result.trace)
    fetched, fetched2, spun = sorted(result.trace, key=lambda r: r.tool)
    assert spun.kind == "compute"
    assert overlap(fetched, fetched2)  # one turn's calls run concurrently
    assert max(fetched.ended_at, fetched2.ended_at) <= spun.scheduled_at <= spun.started_at


async def test_create_agent_runs_sync_tools_in_threads_concurrently() -> None:
    fakes.SYNC_THREADS.clear()
    model = by_turn(
        calls(("nap", {"seconds": 0.1}), ("nap", {"seconds": 0.1})), AIMessage("rested")
    )
    result = await arun_prebuilt(model, TOOLS, "q")
    first, second = result.trace
    assert overlap(first, second)
    assert threading.get_ident() not in fakes.SYNC_THREADS
    assert len(set(fakes.SYNC_THREADS)) == 2


def test_sync_wrapper() -> None:
    model = by_turn(calls(("fetch", {"key": "a", "delay": 0.0})), AIMessage("ok"))
    result = run_prebuilt(model, TOOLS, "q")
    assert result.answer == "ok"
    assert [r.id for r in result.trace] == ["1"]
