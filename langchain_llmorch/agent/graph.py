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
from typing import Any

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
from langchain_llmorch.agent.state import AgentContext, LLMOrchState, Planning
from langchain_llmorch.engine.backend import ComputeExecutor
from langchain_llmorch.engine.orchestrator import Orchestrator, Policy
from langchain_llmorch.processes.warm import warm_in_background
from langchain_llmorch.tools import SELF_TOOL, ToolKind, make_self_tool, tools_by_name

DEFAULT_CALL_TIMEOUT = 120.0
"""Seconds a planned call may run: a small model once planned a compute call that ran for
16 minutes. Generous for real tools; override with `call_timeout=` (`None`: no limit)."""


def build_llmorch_graph(
    model: str | BaseChatModel,
    tools: Sequence[BaseTool | Callable[..., Any]],
    *,
    max_processors: int | None = None,
    policy: Policy = "dataflow",
    system_prompt: str | None = None,
    self_kind: ToolKind = "inout",
    planning: Planning = "auto",
    max_repairs: int = 2,
    max_replans: int = 1,
    max_recoveries: int = 2,
    replan_temperature: float = 0.7,
    call_timeout: float | None = DEFAULT_CALL_TIMEOUT,
    executor: ComputeExecutor | None = None,
    raise_on_failure: bool = False,
    base_url: str | None = None,
    approve_plan: bool = False,
    stream_plan: bool = False,
    check_plans: bool | None = None,
) -> StateGraph[LLMOrchState]:
    """The uncompiled LLMOrch graph, to add nodes or compile with your own options.

    Takes the same arguments as `create_llmorch_agent` except `checkpointer`.

    Example:
        ```python
        builder = build_llmorch_graph(model, tools)
        graph = builder.compile(checkpointer=InMemorySaver())
        ```
    """
    for name, value in (
        ("max_repairs", max_repairs),
        ("max_replans", max_replans),
        ("max_recoveries", max_recoveries),
    ):
        if value < 0:
            msg = f"{name} must be >= 0, not {value}"
            raise ValueError(msg)
    if stream_plan and approve_plan:
        msg = (
            "stream_plan starts calls while the plan is written, approve_plan runs nothing "
            "before a human approves the plan: choose one"
        )
        raise ValueError(msg)
    chat = resolve_chat_model(model, base_url=base_url)
    given = tools_by_name(tools)
    if SELF_TOOL not in given:
        given[SELF_TOOL] = make_self_tool(chat, kind=self_kind)
    ctx = AgentContext(
        model=chat,
        tools=list(given.values()),
        orchestrator=Orchestrator(
            given,
            max_processors=max_processors,
            policy=policy,
            executor=executor,
            call_timeout=call_timeout,
        ),
        system_prompt=system_prompt,
        self_kind=self_kind,
        planning=planning,
        max_repairs=max_repairs,
        max_replans=max_replans,
        max_recoveries=max_recoveries,
        replan_temperature=replan_temperature,
        raise_on_failure=raise_on_failure,
        stream_plan=stream_plan,
        check_plans=check_plans,
    )
    warm_in_background(ctx.orchestrator, ctx.tools)  # compute workers start while we wire

    builder = StateGraph(LLMOrchState)
    # One node per stage; each runs sync or async, whichever way the graph is called.
    stages: tuple[NodeName, ...] = ("planner", "coordinator", "repair", "joiner")
    for name in stages:
        sync, asynchronous = node(name, ctx)
        builder.add_node(name, RunnableLambda(sync, afunc=asynchronous, name=name))
    # planner -> coordinator -> joiner, with repair on every failure edge.
    builder.add_edge(START, "planner")
    builder.add_conditional_edges("coordinator", route_after_coordinator, ["joiner", "repair"])
    builder.add_edge("joiner", END)
    if not approve_plan:
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
    max_processors: int | None = None,
    policy: Policy = "dataflow",
    checkpointer: Checkpointer = None,
    system_prompt: str | None = None,
    self_kind: ToolKind = "inout",
    planning: Planning = "auto",
    max_repairs: int = 2,
    max_replans: int = 1,
    max_recoveries: int = 2,
    replan_temperature: float = 0.7,
    call_timeout: float | None = DEFAULT_CALL_TIMEOUT,
    executor: ComputeExecutor | None = None,
    raise_on_failure: bool = False,
    base_url: str | None = None,
    approve_plan: bool = False,
    stream_plan: bool = False,
    check_plans: bool | None = None,
    name: str = "llmorch",
) -> CompiledStateGraph[LLMOrchState]:
    """Build an agent that plans all tool calls at once and runs them in parallel.

    Args:
        model: a LangChain chat model, or a model name for `ChatOpenAI`.
        tools: the tools; tag CPU-bound ones with `compute`, I/O-bound ones with `inout`.
        max_processors: compute calls allowed at once (default: this process's usable CPUs).
        policy: `"dataflow"` (default) or `"paper"` (the paper's Algorithms 2-3).
        checkpointer: a LangGraph checkpointer, to resume a thread.
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
        name: the graph's name.

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
    builder = build_llmorch_graph(
        model,
        tools,
        max_processors=max_processors,
        policy=policy,
        system_prompt=system_prompt,
        self_kind=self_kind,
        planning=planning,
        max_repairs=max_repairs,
        max_replans=max_replans,
        max_recoveries=max_recoveries,
        replan_temperature=replan_temperature,
        call_timeout=call_timeout,
        executor=executor,
        raise_on_failure=raise_on_failure,
        base_url=base_url,
        approve_plan=approve_plan,
        stream_plan=stream_plan,
        check_plans=check_plans,
    )
    return builder.compile(checkpointer=checkpointer, name=name)
