from langchain_core.messages import AIMessage

from bench.baselines import arun_parallel_fc, run_parallel_fc
from tests.bench.baselines.fakes import TOOLS, by_turn, calls, meet, meet_io, overlap


async def test_calls_of_one_turn_overlap_and_turns_do_not() -> None:
    model = by_turn(
        calls(("fetch", {"key": "a", "delay": 0.1}), ("fetch2", {"key": "b", "delay": 0.1})),
        calls(("fetch", {"key": "c", "delay": 0.1}), ("fetch2", {"key": "d", "delay": 0.1})),
        AIMessage("answer"),
    )
    result = await arun_parallel_fc(model, TOOLS, "q")
    assert result.answer == "answer"
    assert result.llm_turns == 3
    a, b, c, d = result.trace
    assert [r.id for r in result.trace] == ["1", "2", "3", "4"]
    assert overlap(a, b)
    assert overlap(c, d)
    assert max(a.ended_at, b.ended_at) <= min(c.scheduled_at, d.scheduled_at)
    assert a.scheduled_at == b.scheduled_at


async def test_sync_tools_of_one_turn_run_in_threads_together() -> None:
    # Each call returns only once all three run at once: run one after another, they fail.
    together = {"group": "one-turn", "size": 3}
    model = by_turn(
        calls(("meet", together), ("meet", together), ("meet_io", together)),
        AIMessage("answer"),
    )
    result = await arun_parallel_fc(model, [*TOOLS, meet, meet_io], "q")
    assert [r.status for r in result.trace] == ["finished", "finished", "finished"]
    assert {r.kind for r in result.trace} == {"compute", "inout"}


async def test_errors_and_unknown_tools_are_observations() -> None:
    model = by_turn(calls(("boom", {"key": "x"}), ("nope", {})), AIMessage("sorry"))
    result = await arun_parallel_fc(model, TOOLS, "q")
    assert [r.status for r in result.trace] == ["failed", "failed"]
    assert result.answer == "sorry"


def test_sync_wrapper() -> None:
    model = by_turn(calls(("fetch", {"key": "a"}), ("fetch", {"key": "b"})), AIMessage("ok"))
    result = run_parallel_fc(model, TOOLS, "q")
    assert result.answer == "ok"
    assert [r.tool for r in result.trace] == ["fetch", "fetch"]
