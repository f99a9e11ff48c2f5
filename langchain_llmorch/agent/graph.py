"""`create_llmorch_agent` and `build_llmorch_graph`: the LangGraph wiring.

START -> planner -> coordinator -> joiner -> END
            │  ▲         │
            ▼  │         ▼
           repair ◄──────┘        (compile-time and run-time failures)

With `approve_plan=True` an `approve` node sits in front of the coordinator:
planner / repair -> approve -> coordinator (it pauses with the plan for a human).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Unpack

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from langchain_llmorch.agent.approval import approve, route_to_approval
from langchain_llmorch.agent.models import resolve_chat_model
from langchain_llmorch.agent.nodes import (
    NodeName,
    node,
    route_after_coordinator,
    route_after_planning,
)
from langchain_llmorch.agent.options import LLMOrchOptions, split_options
from langchain_llmorch.agent.state import AgentContext, AgentInput, AgentOutput, LLMOrchState
from langchain_llmorch.engine.orchestrator import Orchestrator
from langchain_llmorch.processes.warm import warm_in_background
from langchain_llmorch.self_tool import make_self_tool
from langchain_llmorch.tools import SELF_TOOL, agent_tools


def build_llmorch_graph(
    model: str | BaseChatModel,
    tools: Sequence[BaseTool | Callable[..., Any]],
    *,
    orchestrator: Orchestrator | None = None,
    **options: Unpack[LLMOrchOptions],
) -> StateGraph[LLMOrchState, None, AgentInput, AgentOutput]:
    """The uncompiled LLMOrch graph, to add nodes or compile with your own options.

    Takes the same arguments as `create_llmorch_agent` except `checkpointer` and `name`.

    Example:
        ```python
        builder = build_llmorch_graph(model, tools)
        graph = builder.compile(checkpointer=InMemorySaver())
        ```
    """
    agent_options, engine = split_options(options, orchestrator)
    chat = resolve_chat_model(model, base_url=agent_options.base_url)
    given = agent_tools(tools)  # a user tool named `self` is refused, the built-in kept
    if SELF_TOOL not in given:
        given[SELF_TOOL] = make_self_tool(chat, kind=agent_options.self_kind)
    ctx = AgentContext.build(chat, list(given.values()), engine, agent_options)
    warm_in_background(ctx.orchestrator, ctx.tools)  # compute workers start while we wire

    builder = StateGraph(LLMOrchState, input_schema=AgentInput, output_schema=AgentOutput)
    # One node per stage; each runs sync or async, whichever way the graph is called.
    stages: tuple[NodeName, ...] = ("planner", "coordinator", "repair", "joiner")
    for name in stages:
        sync, asynchronous = node(name, ctx)
        builder.add_node(name, RunnableLambda(sync, afunc=asynchronous, name=name))
    # planner -> coordinator -> joiner, with repair on every failure edge.
    builder.add_edge(START, "planner")
    builder.add_conditional_edges("coordinator", route_after_coordinator, ["joiner", "repair"])
    builder.add_edge("joiner", END)
    if not agent_options.approve_plan:
        builder.add_conditional_edges(
            "planner", route_after_planning, ["coordinator", "repair", END]
        )
        builder.add_conditional_edges(
            "repair", route_after_planning, ["coordinator", "repair", END]
        )
        return builder
    # With approval, every plan about to run (new, repaired or recovered) is shown first.
    builder.add_node("approve", RunnableLambda(partial(approve, ctx=ctx), name="approve"))
    builder.add_conditional_edges("planner", route_to_approval, ["approve", "repair", END])
    builder.add_conditional_edges("repair", route_to_approval, ["approve", "repair", END])
    builder.add_conditional_edges("approve", route_after_planning, ["coordinator", "repair", END])
    return builder


def create_llmorch_agent(
    model: str | BaseChatModel,
    tools: Sequence[BaseTool | Callable[..., Any]],
    *,
    orchestrator: Orchestrator | None = None,
    checkpointer: Checkpointer = None,
    name: str = "llmorch",
    **options: Unpack[LLMOrchOptions],
) -> CompiledStateGraph[LLMOrchState, None, AgentInput, AgentOutput]:
    """Build an agent that plans all tool calls at once and runs them in parallel.

    Args:
        model: a LangChain chat model, or a model string (`"openai:gpt-4o-mini"`, ...).
        tools: the tools; tag CPU-bound ones with `compute`, I/O-bound ones with `inout`.
        orchestrator: the engine that runs the calls, with its knobs (`max_processors`,
            `policy`, `call_timeout`, `executor`, `respect_load`, `slot_group`,
            `max_threads`, `durations`); the agent binds its tools to it. Default: an
            `Orchestrator` built from the shorthands below.
        checkpointer: a LangGraph checkpointer, to resume a thread.
        name: the graph's name.
        **options: the agent's options (`AgentOptions`), and the engine shorthands
            `max_processors`, `policy`, `call_timeout` and `executor` (not together
            with `orchestrator`):
        system_prompt: put before the planner's instructions.
        self_kind: `"compute"` when the model runs on this machine's CPU.
        planning: `"auto"` (default: `"structured"` for models with JSON-schema constrained
            decoding, i.e. `ChatOpenAI` and OpenAI-compatible servers, else `"text"`; the
            choice is logged once and kept in the state's `planning`), `"text"` (plan
            language) or `"structured"` (JSON-schema output).
        max_repairs: compile-time repairs of a faulty plan.
        max_replans: fresh plans at `replan_temperature` after the repairs.
        max_recoveries: run-time recoveries of failed calls.
        replan_temperature: the temperature of fresh plans.
        call_timeout: seconds after which a planned call fails into recovery (default
            `DEFAULT_CALL_TIMEOUT`, 120 s, so that a confused plan cannot hang the agent;
            `None` lets calls run for as long as they take).
        max_processors: compute calls allowed at once (default: this process's usable CPUs).
        policy: `"dataflow"` (default) or `"paper"` (the paper's Algorithms 2-3).
        executor: a compute backend (default: the process-wide worker pool).
        raise_on_failure: raise `PlanValidationError` / `RecoveryExhaustedError`
            instead of answering with the reason.
        base_url: for a model name: an OpenAI-compatible server (vLLM, Ollama, llama.cpp).
        approve_plan: pause with the plan (LangGraph `interrupt()`) before any call
            runs; resume with `Command(resume=True | False | edited plan text)`.
            Needs a checkpointer.
        stream_plan: start calls while the model is still writing the plan: each
            plan line is validated and handed over as it arrives (text planning,
            models that stream; others plan as usual).
        check_plans: send a valid first plan back for one repair when it uses a number
            the conversation never gave or makes the same call twice (the mistakes of
            small models; `agent.checks`). Default `None`: on for the embedded model
            (`langchain_llmorch.local`), off for others. Not applied to streamed plans,
            whose calls start before the plan is complete.

    Returns:
        A compiled graph: `{"messages": [...]}` in, the answer as the last AI message.

    Example:
        ```python
        from langchain_llmorch import compute, create_llmorch_agent, inout

        agent = create_llmorch_agent("gpt-4o-mini", [inout(search), compute(render)])
        out = agent.invoke({"messages": [("user", "Render the top result for 'llmorch'")]})
        print(out["messages"][-1].content)
        ```
    """
    builder = build_llmorch_graph(model, tools, orchestrator=orchestrator, **options)
    return builder.compile(checkpointer=checkpointer, name=name)
