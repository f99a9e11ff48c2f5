import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from langchain_classic.agents import AgentExecutor, create_tool_calling_agent
from langchain_classic.agents.output_parsers import ReActSingleInputOutputParser
from langchain_classic.agents.output_parsers.tools import ToolAgentAction
from langchain_core.agents import AgentAction, AgentActionMessageLog
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import BaseTool

from langchain_llmorch import PlanValidationError, create_llmorch_agent, inout
from langchain_llmorch.agent.executor import STOPPED, LLMOrchAgentExecutor, find_system_prompt
from langchain_llmorch.agent.executor.inputs import parses_tool_calls
from langchain_llmorch.agent.executor.steps import ExecutorRun
from langchain_llmorch.agent.nodes import NO_PLAN
from langchain_llmorch.local.server import EMBEDDED_MARK
from langchain_llmorch.testing import planner_or


class ToolCallingFake(FakeListChatModel):
    """A scripted chat model that accepts bind_tools, as create_tool_calling_agent needs."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self


@inout
def weather(city: str) -> str:
    """The weather in a city."""
    return {"SF": "fog", "LA": "sun"}.get(city, "unknown")


PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You are WeatherBot. Answer briefly."),
        ("placeholder", "{chat_history}"),
        ("human", "{input}"),
        ("placeholder", "{agent_scratchpad}"),
    ]
)
PLAN = 's1: weather(city="SF")\ns2: weather(city="LA")\ns3: self(prompt="SF {s1}, LA {s2}")'


def executor(responses: list[str], tools: list[BaseTool] | None = None, **kw: Any) -> Any:
    llm = ToolCallingFake(responses=responses)
    agent = create_tool_calling_agent(llm, tools or [weather], PROMPT)
    return LLMOrchAgentExecutor(agent=agent, tools=tools or [weather], **kw)


def test_used_like_an_agent_executor_app() -> None:
    # The app's only change: AgentExecutor -> LLMOrchAgentExecutor.
    assert "agent" in AgentExecutor.model_fields
    run = executor([PLAN, "SF is foggy, LA is sunny."])
    out = run.invoke({"input": "Weather in SF and LA?"})
    assert out == {"input": "Weather in SF and LA?", "output": "SF is foggy, LA is sunny."}


def test_finds_the_system_prompt_inside_the_agent() -> None:
    agent = create_tool_calling_agent(ToolCallingFake(responses=["x"]), [weather], PROMPT)
    assert find_system_prompt(agent) == "You are WeatherBot. Answer briefly."


def test_intermediate_steps_are_action_observation_pairs() -> None:
    run = executor([PLAN, "done"], return_intermediate_steps=True)
    out = run.invoke({"input": "q"})
    steps = out["intermediate_steps"]
    assert [(a.tool, a.tool_input, o) for a, o in steps[:2]] == [
        ("weather", {"city": "SF"}, "fog"),
        ("weather", {"city": "LA"}, "sun"),
    ]
    assert all(isinstance(a, AgentAction) for a, _ in steps)


def test_stream_ends_with_the_output_chunk() -> None:
    chunks = list(executor([PLAN, "done"]).stream({"input": "q"}))
    assert chunks[-1]["output"] == "done"
    assert any("actions" in c for c in chunks)
    assert any("steps" in c for c in chunks)


async def test_ainvoke_and_astream() -> None:
    run = executor([PLAN, "a", PLAN, "b"])
    assert (await run.ainvoke({"input": "q"}))["output"] == "a"
    chunks = [c async for c in run.astream({"input": "q"})]
    assert chunks[-1]["output"] == "b"


def test_batch_answers_every_input() -> None:
    run = LLMOrchAgentExecutor(llm=planner_or(PLAN, "same"), tools=[weather])
    outs = run.batch([{"input": "a"}, {"input": "b"}, {"input": "c"}])
    assert outs == [{"input": i, "output": "same"} for i in "abc"]


def test_iteration_limit_gives_the_agent_executor_stop_message() -> None:
    run = executor(["s1: nosuch()"], max_iterations=1)
    assert run.invoke({"input": "q"})["output"] == STOPPED


def test_unrepairable_plan_raises_unless_parsing_errors_are_handled() -> None:
    with pytest.raises(PlanValidationError):
        executor(["s1: nosuch()"]).invoke({"input": "q"})
    out = executor(["s1: nosuch()"], handle_parsing_errors=True).invoke({"input": "q"})
    assert out["output"] == NO_PLAN


def test_from_agent_and_tools() -> None:
    agent = create_tool_calling_agent(ToolCallingFake(responses=[PLAN, "ok"]), [weather], PROMPT)
    run = LLMOrchAgentExecutor.from_agent_and_tools(agent=agent, tools=[weather])
    assert run.invoke({"input": "q"})["output"] == "ok"


def test_rejects_what_agent_executor_rejects() -> None:
    with pytest.raises(ValueError, match="early_stopping_method"):
        executor(["x"], early_stopping_method="generate")
    with pytest.raises(ValueError, match="no chat model"):
        LLMOrchAgentExecutor(agent=None, tools=[weather])


def test_self_tools_model_run_nests_under_its_tool_run() -> None:
    """The chat model run of a `self` call is a child of the `self` tool run."""
    runs: dict[Any, tuple[str, Any]] = {}

    class Tree(BaseCallbackHandler):
        def on_tool_start(self, serialized: Any, input_str: str, *, run_id: Any, **kw: Any) -> None:
            runs[run_id] = (serialized["name"], kw.get("parent_run_id"))

        def on_chat_model_start(
            self, serialized: Any, messages: Any, *, run_id: Any, **kw: Any
        ) -> None:
            runs[run_id] = (messages[0][-1].text, kw.get("parent_run_id"))

    # s3 feeds a tool, so it runs as a call (a plan's last, answer-only self step would be
    # folded into the joiner's request instead).
    plan = PLAN + "\ns4: weather(city=s3)"
    run = LLMOrchAgentExecutor(llm=planner_or(plan, "SF fog, LA sun"), tools=[weather])
    assert run.invoke({"input": "q"}, {"callbacks": [Tree()]})["output"] == "SF fog, LA sun"
    (self_run,) = [r for r, (name, _) in runs.items() if name == "self"]
    (model_run,) = [r for r, (text, _) in runs.items() if text == "SF fog, LA sun"]
    assert runs[model_run][1] == self_run


@inout
async def slow(city: str) -> str:
    """Slow weather."""
    await asyncio.sleep(30)
    return "late"


@pytest.mark.parametrize("way", ["ainvoke", "invoke", "stream", "astream"])
async def test_time_limit_answers_with_the_stop_message_and_the_steps_so_far(way: str) -> None:
    """As AgentExecutor: past max_execution_time the output is the stop message."""
    plan = 's1: weather(city="SF")\ns2: slow(city=s1)'
    run = LLMOrchAgentExecutor(
        llm=planner_or(plan),
        tools=[weather, slow],
        max_execution_time=0.5,
        return_intermediate_steps=True,
    )
    if way == "ainvoke":
        out = await run.ainvoke({"input": "q"})
    elif way == "invoke":
        out = await asyncio.to_thread(run.invoke, {"input": "q"})
    elif way == "stream":
        out = (await asyncio.to_thread(list, run.stream({"input": "q"})))[-1]
    else:
        out = [c async for c in run.astream({"input": "q"})][-1]
    assert out["output"] == STOPPED
    assert [(a.tool, o) for a, o in out["intermediate_steps"]] == [("weather", "fog")]


def test_a_rerun_call_gets_a_tool_call_id_of_its_own() -> None:
    """A call run again after a recovery is a new tool call: ids stay unique."""
    run = ExecutorRun(["weather"], {})
    ids = []
    for attempt in (1, 2):
        started = {"event": "started", "id": "s1", "tool": "weather", "attempt": attempt}
        action, _ = run.on_event({**started, "args": {"city": "SF"}})
        assert isinstance(action, ToolAgentAction)
        ids.append(action.tool_call_id)
        run.on_event({**started, "event": "finished", "result": "fog"})
    assert ids == ["s1", "s1-2"]
    assert [a.tool_call_id for a, _ in run.steps(["s1"])] == ids  # type: ignore[attr-defined]


def test_the_agent_parser_decides_the_action_class() -> None:
    """A tool-calling agent's parser makes `ToolAgentAction`s, others' their own."""
    agent = create_tool_calling_agent(ToolCallingFake(responses=["x"]), [weather], PROMPT)
    assert parses_tool_calls(agent)
    assert parses_tool_calls(None)  # llm=: the executor is the tool-calling agent
    assert executor(["x"]).tool_calling
    model = planner_or('s1: weather(city="SF")', "fog")
    react = PROMPT | model | ReActSingleInputOutputParser()
    assert not parses_tool_calls(react)
    run = LLMOrchAgentExecutor(agent=react, tools=[weather], return_intermediate_steps=True)
    (action, observation), *_ = run.invoke({"input": "SF?"})["intermediate_steps"]
    assert (type(action), observation) == (AgentActionMessageLog, "fog")


@inout
def temperature(city: str) -> float:
    """The temperature in a city, in degrees."""
    return {"SF": 14.5}.get(city, 0.0)


def test_the_output_is_the_models_answer_verbatim() -> None:
    """An answer without the number comes out as the model wrote it, even for a model
    whose agent adds the results it leaves out (the embedded one)."""
    answer = "It is mild in SF."
    model = planner_or('s1: temperature(city="SF")', answer)
    model.metadata = {EMBEDDED_MARK: "scripted"}  # the agent's default: add the results
    agent = create_llmorch_agent(model, [temperature])
    added = agent.invoke({"messages": [("user", "How warm is SF?")]})["messages"][-1].text
    assert added.startswith(answer)
    assert "(Results: " in added
    run = LLMOrchAgentExecutor(llm=model, tools=[temperature])
    assert run.invoke({"input": "How warm is SF?"})["output"] == answer
    asked = LLMOrchAgentExecutor(llm=model, tools=[temperature], append_results=True)
    assert asked.invoke({"input": "How warm is SF?"})["output"] == added
