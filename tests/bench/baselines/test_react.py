import asyncio

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from bench.baselines import arun_react, run_react
from tests.bench.baselines.fakes import TOOLS, ToolScriptChat, by_turn, calls, one


async def test_react_runs_calls_strictly_one_after_another() -> None:
    model = by_turn(
        calls(("fetch", {"key": "a", "delay": 0.05}), turn=0),
        calls(("fetch2", {"key": "b", "delay": 0.05}), turn=1),
        calls(("spin", {"ms": 20}), turn=2),
        AIMessage("done: <a> [b]"),
    )
    result = await arun_react(model, TOOLS, "q")
    assert result.answer == "done: <a> [b]"
    assert result.llm_turns == 4
    assert [r.tool for r in result.trace] == ["fetch", "fetch2", "spin"]
    assert [r.id for r in result.trace] == ["1", "2", "3"]
    for before, after in zip(result.trace, result.trace[1:], strict=False):
        assert before.ended_at <= after.scheduled_at <= after.started_at
    assert one(result.trace, "spin").kind == "compute"
    assert all(r.processor is None and r.status == "finished" for r in result.trace)


async def test_react_asks_openai_style_models_for_one_call_per_turn() -> None:
    model = by_turn(AIMessage("nothing to do"))
    await arun_react(model, TOOLS, "q")
    assert model.bind_options == [{"parallel_tool_calls": False}]


async def test_several_calls_in_one_message_run_one_after_another() -> None:
    model = by_turn(
        calls(("fetch", {"key": "a", "delay": 0.1}), ("fetch2", {"key": "b", "delay": 0.1})),
        AIMessage("ok"),
    )
    result = await arun_react(model, TOOLS, "q")
    first, second = result.trace
    assert first.ended_at <= second.started_at
    assert result.llm_turns == 2


async def test_first_mode_drops_the_extra_calls_from_the_conversation() -> None:
    seen: list[list[BaseMessage]] = []

    def script(messages: list[BaseMessage]) -> AIMessage:
        seen.append(list(messages))
        if len(seen) == 1:
            return calls(("fetch", {"key": "a"}), ("fetch2", {"key": "b"}))
        return AIMessage("ok")

    result = await arun_react(ToolScriptChat(script=script), TOOLS, "q", multiple_calls="first")
    assert [r.tool for r in result.trace] == ["fetch"]
    ai = next(m for m in seen[1] if isinstance(m, AIMessage))
    assert [c["name"] for c in ai.tool_calls] == ["fetch"]
    assert [m.tool_call_id for m in seen[1] if isinstance(m, ToolMessage)] == ["call_0_0"]


async def test_a_failing_tool_becomes_an_error_observation() -> None:
    model = by_turn(calls(("boom", {"key": "x"})), calls(("nope", {})), AIMessage("sorry"))
    result = await arun_react(model, TOOLS, "q")
    assert [(r.tool, r.status) for r in result.trace] == [("boom", "failed"), ("nope", "failed")]
    assert "ConnectionError" in (result.trace[0].error or "")
    assert result.answer == "sorry"


async def test_max_turns_stops_the_loop() -> None:
    model = by_turn(calls(("fetch", {"key": "a", "delay": 0.0})))
    result = await arun_react(model, TOOLS, "q", max_turns=3)
    assert result.llm_turns == 3
    assert len(result.trace) == 3
    assert "stopped" in result.answer


def test_sync_wrapper_runs_without_a_loop() -> None:
    result = run_react(by_turn(calls(("fetch", {"key": "a"})), AIMessage("fine")), TOOLS, "q")
    assert result.answer == "fine"
    assert result.seconds > 0


async def test_sync_wrapper_works_under_a_running_loop() -> None:
    model = by_turn(AIMessage("fine"))
    result = await asyncio.to_thread(lambda: run_react(model, TOOLS, "q"))
    assert result.answer == "fine"
    assert run_react(model, TOOLS, "q").answer == "fine"  # from inside this test's loop
