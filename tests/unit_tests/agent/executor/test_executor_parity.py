"""LLMOrchAgentExecutor next to the real AgentExecutor: the same app, observed the same way.

Each test runs one app (a tool-calling agent on a prompt with a system message, a
`{chat_history}` placeholder and variables besides `input`) on both executors, with
scripted models that make the same tool calls, and compares what the app sees. A
LangChain release that changes AgentExecutor's behaviour makes these fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from uuid import UUID

import pytest
from langchain_classic.agents import (
    AgentExecutor,
    create_openai_functions_agent,
    create_tool_calling_agent,
)
from langchain_classic.agents.format_scratchpad.tools import format_to_tool_messages
from langchain_classic.agents.output_parsers.tools import ToolAgentAction
from langchain_core.agents import AgentAction
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable
from langchain_core.runnables.history import RunnableWithMessageHistory
from langchain_core.tools import tool
from pydantic import Field

from langchain_llmorch import LLMOrchAgentExecutor
from langchain_llmorch.testing import ScriptedChatModel, planner_or, request_kind


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    return {"SF": "fog", "LA": "sun"}.get(city, "unknown")


@tool
def advice(sky: str) -> str:
    """What to wear under a sky."""
    return {"fog": "a jacket", "sun": "a hat"}.get(sky, "anything")


@tool
def humidity(city: str) -> str:
    """The humidity in a city."""
    return "80%"


@tool
def wind(city: str) -> str:
    """The wind in a city."""
    return "calm"


@tool
def pollen(city: str) -> str:
    """The pollen count in a city."""
    return "low"


# Unused tools first: the verbose colors of the used ones depend on their place in the list.
TOOLS = [humidity, wind, pollen, weather, advice]
PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You are WeatherBot, helping {user_name}. Answer briefly."),
        ("human", "Give temperatures in {units}."),
        ("ai", "I will use {units}."),
        ("placeholder", "{chat_history}"),
        ("human", "{input}"),
        ("placeholder", "{agent_scratchpad}"),
    ]
)
INPUT = {"input": "What should I wear in SF?", "user_name": "Ann", "units": "Celsius"}
ANSWERS = ["Wear a jacket, Ann.", "Still a jacket."]
# The same work both ways: weather, then advice on its result.
CHAIN_PLAN = 's1: weather(city="SF")\ns2: advice(sky=s1)'


def call(name: str, call_id: str, **args: Any) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": call_id}])


def chain_turn(answer: str) -> list[BaseMessage]:
    """AgentExecutor's three model turns for CHAIN_PLAN."""
    return [call("weather", "c1", city="SF"), call("advice", "c2", sky="fog"), AIMessage(answer)]


class ToolCallingFake(FakeMessagesListChatModel):
    """AgentExecutor's scripted model: replies in order and keeps every request."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


class Seen(list[BaseMessage]):
    """The messages of one model request, and its kind (`testing.request_kind`)."""

    kind = "other"


def recording(model: ScriptedChatModel, seen: list[list[BaseMessage]]) -> ScriptedChatModel:
    def script(messages: list[BaseMessage]) -> Any:
        request = Seen(messages)
        request.kind = request_kind()
        seen.append(request)
        return model.script(messages)

    return ScriptedChatModel(script)


def reference(replies: list[BaseMessage], **options: Any) -> tuple[AgentExecutor, ToolCallingFake]:
    llm = ToolCallingFake(responses=replies)
    agent = create_tool_calling_agent(llm, TOOLS, PROMPT)
    return AgentExecutor(agent=agent, tools=TOOLS, **options), llm


def ours(
    plan: str = CHAIN_PLAN, answers: Sequence[str] = ANSWERS, **options: Any
) -> tuple[LLMOrchAgentExecutor, list[list[BaseMessage]]]:
    seen: list[list[BaseMessage]] = []
    replies = iter(answers)
    llm = recording(planner_or(plan, answer=lambda _: next(replies)), seen)
    agent = create_tool_calling_agent(llm, TOOLS, PROMPT)
    return LLMOrchAgentExecutor(agent=agent, tools=TOOLS, **options), seen


def both(**options: Any) -> Iterator[tuple[Runnable[Any, Any], list[list[BaseMessage]]]]:
    """The chain app on AgentExecutor, then on LLMOrchAgentExecutor (two turns each)."""
    ref, llm = reference([*chain_turn(ANSWERS[0]), *chain_turn(ANSWERS[1])], **options)
    yield ref, llm.seen
    yield ours(**options)


def texts(messages: Sequence[BaseMessage]) -> list[tuple[str, str]]:
    return [(m.type, m.text) for m in messages]


# -- 1. the root run: memory, traces -------------------------------------------------


class Runs(BaseCallbackHandler):
    """Records every run: its kind, name, parent, inputs and outputs."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.roots: dict[UUID, dict[str, Any]] = {}
        self.parents: dict[UUID, UUID | None] = {}
        self.names: dict[UUID, str] = {}

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, **kw: Any) -> None:
        self._start("chain", run_id, kw, serialized)
        if kw.get("parent_run_id") is None:
            self.roots[run_id] = {"inputs": inputs}

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kw: Any) -> None:
        if run_id in self.roots:
            self.roots[run_id]["outputs"] = outputs
            self.events.append(("chain_end", None))

    def on_tool_start(self, serialized: Any, input_str: str, *, run_id: UUID, **kw: Any) -> None:
        self._start("tool", run_id, kw, serialized)

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, run_id: UUID, **kw: Any
    ) -> None:
        self._start("chat_model", run_id, kw, serialized)

    def on_agent_action(self, action: Any, **kw: Any) -> None:
        self.events.append(("agent_action", action.tool))

    def on_agent_finish(self, finish: Any, **kw: Any) -> None:
        self.events.append(("agent_finish", finish.return_values["output"]))

    def _start(self, kind: str, run_id: UUID, kw: dict[str, Any], serialized: Any) -> None:
        self.parents[run_id] = kw.get("parent_run_id")
        self.names[run_id] = kw.get("name") or (serialized or {}).get("name") or kind
        if kind != "chain" or kw.get("parent_run_id") is None:
            self.events.append((f"{kind}_start", kw.get("name")))


@pytest.mark.filterwarnings(
    "ignore::DeprecationWarning"
)  # RunnableWithMessageHistory: deprecated, used
@pytest.mark.parametrize("way", ["invoke", "ainvoke"])
async def test_message_history_stores_what_agent_executor_stores(
    way: str, caplog: pytest.LogCaptureFixture
) -> None:
    """RunnableWithMessageHistory keeps both turns, and turn 2's model sees turn 1."""
    stores, turn_two = [], []
    for executor, seen in both():
        history = InMemoryChatMessageHistory()
        app = RunnableWithMessageHistory(
            executor,
            lambda _, history=history: history,
            input_messages_key="input",
            history_messages_key="chat_history",
        )
        config: Any = {"configurable": {"session_id": "s"}}
        outputs = []
        for question in ("Wear in SF?", "And now?"):
            turn = {**INPUT, "input": question}
            if way == "invoke":
                outputs.append(app.invoke(turn, config))
            else:
                outputs.append(await app.ainvoke(turn, config))
        assert [o["output"] for o in outputs] == ANSWERS
        stores.append(texts(history.messages))
        # The model's first request of turn 2 (LLMOrch's: its planner's, between its own
        # rules and its closing "Question: ...\nPlan:" cue).
        if isinstance(executor, AgentExecutor):
            turn_two.append(texts(seen[3]))
        else:
            planner = [m for m in seen if getattr(m, "kind", "") == "plan"][1]
            assert texts(planner[-1:]) == [("human", "Question: And now?\nPlan:")]
            turn_two.append(texts(planner[1:-1]))
    assert (
        stores[0]
        == stores[1]
        == [
            ("human", "Wear in SF?"),
            ("ai", ANSWERS[0]),
            ("human", "And now?"),
            ("ai", ANSWERS[1]),
        ]
    )
    assert turn_two[0] == turn_two[1]
    assert ("ai", ANSWERS[0]) in turn_two[1]
    assert "RootListenersTracer" not in caplog.text


@pytest.mark.parametrize("steps", [False, True])
def test_root_run_has_the_input_and_output_dicts(steps: bool) -> None:
    """The root run starts with the input dict and ends with {output(, intermediate_steps)}."""
    roots = []
    for executor, _ in both(return_intermediate_steps=steps):
        runs = Runs()
        executor.invoke(INPUT, {"callbacks": [runs]})
        (root,) = runs.roots.values()
        roots.append((root["inputs"], sorted(root["outputs"])))
    assert roots[0] == roots[1]
    assert roots[1][0] == INPUT


# -- 2. the prompt: every message, every variable ------------------------------------


def test_planner_sees_the_prompt_as_agent_executor_model_does() -> None:
    (ref, ref_seen), (mine, seen) = both()
    ref.invoke(INPUT)
    mine.invoke(INPUT)
    planner = next(m for m in seen if getattr(m, "kind", "") == "plan")
    # LLMOrch's own parts: its rules first, and the question asked again as a plan cue.
    assert texts(planner[1:-1]) == texts(ref_seen[0])
    assert texts(planner[-1:]) == [("human", f"Question: {INPUT['input']}\nPlan:")]
    assert texts(planner[1:])[0] == ("system", "You are WeatherBot, helping Ann. Answer briefly.")


def test_repair_and_joiner_see_the_conversation_too() -> None:
    seen: list[list[BaseMessage]] = []
    llm = recording(planner_or("s1: weather(town=1)", answer=ANSWERS[0], repair=CHAIN_PLAN), seen)
    executor = LLMOrchAgentExecutor(
        agent=create_tool_calling_agent(llm, TOOLS, PROMPT), tools=TOOLS
    )
    assert executor.invoke(INPUT)["output"] == ANSWERS[0]
    conversation = texts(PROMPT.format_messages(**INPUT, agent_scratchpad=[]))
    kinds = [getattr(m, "kind", "") for m in seen]
    assert kinds == ["plan", "repair", "join"]  # planner, repair, joiner
    planner, repair, joiner = (texts(request) for request in seen)
    for shown in (planner, repair):  # the whole conversation, verbatim and in order
        at = shown.index(conversation[0])
        assert shown[at : at + len(conversation)] == conversation
    # The joiner: the conversation up to the question verbatim; the question is asked
    # again together with the results, in its last message.
    at = joiner.index(conversation[0])
    assert joiner[at:-1] == conversation[:-1]
    assert joiner[-1][0] == "human"
    assert joiner[-1][1].startswith(f"Question: {INPUT['input']}\n\nResults:\n")


def test_missing_prompt_variable_fails_as_in_agent_executor() -> None:
    for executor, _ in both():
        with pytest.raises(KeyError, match="user_name"):
            executor.invoke({"input": "q", "units": "K"})


# -- 3. verbose ------------------------------------------------------------------------


def _same_name(text: str) -> str:
    return re.sub(r"> Entering new \w+ chain", "> Entering new chain", text)


@pytest.mark.parametrize("way", ["invoke", "ainvoke", "stream", "astream"])
async def test_verbose_prints_what_agent_executor_prints(
    way: str, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = []
    for executor, _ in both(verbose=True):
        if way == "invoke":
            executor.invoke(INPUT)
        elif way == "ainvoke":
            await executor.ainvoke(INPUT)
        elif way == "stream":
            list(executor.stream(INPUT))
        else:
            [c async for c in executor.astream(INPUT)]
        printed.append(_same_name(capsys.readouterr().out))
    assert printed[0] == printed[1]
    assert "Invoking: `advice` with `{'sky': 'fog'}`" in printed[1]


# -- 4. stream chunks ----------------------------------------------------------------


def _message(m: BaseMessage) -> tuple[Any, ...]:
    calls = [(c["name"], c["args"]) for c in getattr(m, "tool_calls", [])]
    return (type(m).__name__, m.content, getattr(m, "name", None), calls)


def _action(a: AgentAction) -> tuple[Any, ...]:
    """An action's class, tool, input, log and messages; whether its id is its call's."""
    log = getattr(a, "message_log", [])
    ids = [c["id"] for m in log for c in getattr(m, "tool_calls", [])]
    call_id = getattr(a, "tool_call_id", None)
    own_id = call_id is not None and call_id in ids
    return (type(a).__name__, a.tool, a.tool_input, a.log, [_message(m) for m in log], own_id)


def shape(chunk: dict[str, Any]) -> list[tuple[str, Any]]:
    """A chunk with the run-specific parts (call ids, message ids) left out."""
    parts: dict[str, Callable[[Any], Any]] = {
        "actions": lambda v: [_action(a) for a in v],
        "steps": lambda v: [(_action(s.action), s.observation) for s in v],
        "messages": lambda v: [_message(m) for m in v],
        "intermediate_steps": lambda v: [(_action(a), o) for a, o in v],
        "output": lambda v: v,
    }
    return [(key, parts[key](value)) for key, value in chunk.items()]


@pytest.mark.parametrize("steps", [False, True])
async def test_stream_chunks_have_agent_executor_keys_and_shapes(steps: bool) -> None:
    shapes = []
    for executor, _ in both(return_intermediate_steps=steps):
        sync = [shape(c) for c in executor.stream(INPUT)]
        asynchronous = [shape(c) async for c in executor.astream(INPUT)]
        assert sync[:-1] == asynchronous[:-1]
        shapes.append(sync)
    assert shapes[0] == shapes[1]
    assert [k for k, _ in shapes[1][-1]] == (
        ["output", "intermediate_steps", "messages"] if steps else ["output", "messages"]
    )


def test_actions_are_tool_agent_actions_and_step_messages_what_agent_executor_streams() -> None:
    """The classes, spelled out: the comparison above holds them, this names them.

    `AgentExecutor` on a `create_tool_calling_agent` agent streams `ToolAgentAction`s
    whose `tool_call_id` is the id of the tool call in their `message_log`; its `steps`
    chunks carry `AgentStep.messages`, which langchain-core makes `FunctionMessage`s.
    """
    kinds = []
    for executor, _ in both(return_intermediate_steps=True):
        chunks = list(executor.stream(INPUT))
        actions = [a for c in chunks for a in c.get("actions", [])]
        kinds.append(
            (
                [(type(a).__name__, _action(a)[-1]) for a in actions],
                [type(m).__name__ for c in chunks if "actions" in c for m in c["messages"]],
                [type(m).__name__ for c in chunks if "steps" in c for m in c["messages"]],
                [type(a).__name__ for a, _ in chunks[-1]["intermediate_steps"]],
            )
        )
    assert kinds[0] == kinds[1]
    assert kinds[1] == (
        [("ToolAgentAction", True)] * 2,
        ["AIMessage"] * 2,
        ["FunctionMessage"] * 2,
        ["ToolAgentAction"] * 2,
    )
    assert all(isinstance(a, ToolAgentAction) for a in actions)


def test_intermediate_steps_go_back_to_a_model_as_tool_messages() -> None:
    """`format_to_tool_messages` makes a tool-call turn and its answer of each step."""
    formatted = []
    for executor, _ in both(return_intermediate_steps=True):
        steps = executor.invoke(INPUT)["intermediate_steps"]
        messages = format_to_tool_messages(steps)
        pairs = list(zip(messages[::2], messages[1::2], strict=True))
        for call, answer in pairs:  # each answer names its own call's id
            assert isinstance(answer, ToolMessage)
            assert answer.tool_call_id == call.tool_calls[0]["id"]  # type: ignore[attr-defined]
        formatted.append([_message(m) for m in messages])
    assert formatted[0] == formatted[1]
    assert [kind for kind, *_ in formatted[1]] == ["AIMessage", "ToolMessage"] * 2


def test_an_agent_of_another_parser_gets_the_actions_agent_executor_gives_it() -> None:
    """An OpenAI-functions agent: `AgentActionMessageLog`s without a tool call id."""
    reply = AIMessage(
        "", additional_kwargs={"function_call": {"name": "weather", "arguments": '{"city": "SF"}'}}
    )
    prompt = ChatPromptTemplate.from_messages(
        [("human", "{input}"), ("placeholder", "{agent_scratchpad}")]
    )
    ref_llm = ToolCallingFake(responses=[reply, AIMessage("Fog.")])
    ref = AgentExecutor(
        agent=create_openai_functions_agent(ref_llm, [weather], prompt),
        tools=[weather],
        return_intermediate_steps=True,
    )
    llm = planner_or('s1: weather(city="SF")', answer="Fog.")
    mine = LLMOrchAgentExecutor(
        agent=create_openai_functions_agent(llm, [weather], prompt),
        tools=[weather],
        return_intermediate_steps=True,
    )
    classes = [
        [type(a).__name__ for a, _ in ex.invoke({"input": "SF?"})["intermediate_steps"]]
        for ex in (ref, mine)
    ]
    assert classes[0] == classes[1] == ["AgentActionMessageLog"]


# -- 5. intermediate steps: the user's tools only ------------------------------------


def test_intermediate_steps_list_the_users_tools_only() -> None:
    plan = 's1: weather(city="SF")\ns2: weather(city="LA")\ns3: self(prompt="SF {s1}, LA {s2}")'
    ref, _ = reference(
        [
            AIMessage(
                "",
                tool_calls=[
                    {"name": "weather", "args": {"city": "SF"}, "id": "c1"},
                    {"name": "weather", "args": {"city": "LA"}, "id": "c2"},
                ],
            ),
            AIMessage("SF fog, LA sun"),
        ],
        return_intermediate_steps=True,
    )
    mine, _ = ours(plan, ["SF fog, LA sun"], return_intermediate_steps=True)
    outs = [ex.invoke(INPUT) for ex in (ref, mine)]
    # In the order the model asked for the calls, though LLMOrch ran them at once.
    listed = [[(a.tool, a.tool_input, o) for a, o in out["intermediate_steps"]] for out in outs]
    assert (
        listed[0]
        == listed[1]
        == [("weather", {"city": "SF"}, "fog"), ("weather", {"city": "LA"}, "sun")]
    )
    assert outs[0]["output"] == outs[1]["output"]


# -- callbacks: scoped as AgentExecutor scopes them ----------------------------------


def test_constructor_callbacks_see_only_the_executor_run() -> None:
    seen = []
    for executor, _ in both():
        runs = Runs()
        executor.callbacks = [runs]
        executor.invoke(INPUT)
        seen.append(runs.events)
    assert (
        seen[0][1:]
        == seen[1][1:]
        == [
            ("agent_action", "weather"),
            ("agent_action", "advice"),
            ("agent_finish", ANSWERS[0]),
            ("chain_end", None),
        ]
    )
    assert seen[0][0][0] == seen[1][0][0] == "chain_start"


def test_call_callbacks_see_the_tool_runs_under_the_root() -> None:
    for executor, _ in both():
        runs = Runs()
        executor.invoke(INPUT, {"callbacks": [runs]})
        (root,) = runs.roots
        tools = [r for r, name in runs.names.items() if name in ("weather", "advice")]
        assert len(tools) == 2
        for run in tools:  # each tool run descends from the executor's root run
            ancestor: UUID | None = run
            while runs.parents[ancestor] is not None:  # type: ignore[index]
                ancestor = runs.parents[ancestor]  # type: ignore[index]
            assert ancestor == root
