"""Running one query through one technique, and the lower bound it is measured against.

Techniques (same tools, same scripted LLM, same latency model):

| name | what runs |
|---|---|
| `react` | one tool call per LLM turn |
| `parallel_fc` | one LLM turn per layer; the layer's calls together under asyncio |
| `llmcompiler` | the whole plan; every ready call started at once on one event loop |
| `llmcompiler_stream` | LLMCompiler's headline mode: calls start as the plan streams |
| `create_agent` | `langchain.agents.create_agent`, the real one |
| `create_agent_mw` | `create_agent` + `LLMOrchMiddleware()`: compute tools on the worker pool |
| `create_agent_plan_first` | the same with `plan_first=True, stream_plan=True` |
| `llmorch_paper` | this project, `policy="paper"` (Algorithms 2-3 as written) |
| `llmorch` | this project, `policy="dataflow"` (the default), `stream_plan=True` |
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from bench.baselines import (
    arun_llmcompiler,
    arun_parallel_fc,
    arun_prebuilt,
    arun_react,
)
from bench.datasets import score_answer
from bench.llm_spans import LLMSpans
from bench.middleware import arun_middleware
from bench.suites import Query
from langchain_llmorch.agent.graph import create_llmorch_agent
from langchain_llmorch.engine.scheduling import lower_bound
from langchain_llmorch.plan.frg import build_frg
from langchain_llmorch.plan.language import parse_plan
from langchain_llmorch.self_tool import make_self_tool

Technique = Literal[
    "react",
    "parallel_fc",
    "llmcompiler",
    "llmcompiler_stream",
    "create_agent",
    "create_agent_mw",
    "create_agent_plan_first",
    "llmorch_paper",
    "llmorch",
]
TECHNIQUES: tuple[Technique, ...] = (
    "react",
    "parallel_fc",
    "llmcompiler",
    "llmcompiler_stream",
    "create_agent",
    "create_agent_mw",
    "create_agent_plan_first",
    "llmorch_paper",
    "llmorch",
)


BASELINE_OPTIONS: dict[str, dict[str, Any]] = {
    # Like the real LLMCompiler, the joiner does the reasoning steps that feed no tool.
    "llmcompiler": {"max_replans": 1, "fold_self_steps": True},
    "llmcompiler_stream": {
        "max_replans": 1,
        "fold_self_steps": True,
        "stream": True,
        "sync_tools": "thread",  # what `tool.ainvoke` does for a sync tool
    },
}
"""Options each baseline runs with (the strongest setting of its real counterpart)."""


@dataclass
class Measurement:
    """One query through one technique."""

    technique: str
    suite: str
    qid: str
    processors: int
    seconds: float
    answer: str = ""
    ok: bool = True
    """False when the run raised or gave up, or a call failed and was not recovered."""
    error: str | None = None
    llm_requests: int = 0
    repairs: int = 0
    trace: list[dict[str, Any]] = field(default_factory=list)
    correct: bool | None = None
    """LLMCompiler's scorer against the label, when the query has one."""
    lower_bound: float | None = None
    """For LLMOrch runs: planning + max(critical path, compute work / P) + joining."""
    streaming_bound: float | None = None
    """The query's streaming lower bound (`benchmarks.bounds`): the same for every technique."""
    llm_spans: list[dict[str, Any]] = field(default_factory=list)
    """The technique's own LLM requests, as trace-shaped records of kind `"llm"`."""
    started_at: float = 0.0
    """When the run started (epoch seconds): the origin of its Gantt chart."""


def _tools(query: Query, model: BaseChatModel) -> list[BaseTool]:
    return [*query.tools, make_self_tool(model)]


async def _llmorch(
    query: Query,
    model: BaseChatModel,
    processors: int,
    policy: Literal["dataflow", "paper"],
    config: RunnableConfig,
) -> tuple[str, dict[str, Any]]:
    # The scripted server writes plan text; `auto` would ask a ChatOpenAI for JSON. The
    # dataflow technique is the recommended set-up, so it streams its plan (as LLMCompiler's
    # headline mode does); the paper policy plans, then runs, as the paper does.
    agent = create_llmorch_agent(
        model,
        _tools(query, model),
        max_processors=processors,
        policy=policy,
        planning="text",
        stream_plan=policy == "dataflow",
    )
    state = await agent.ainvoke({"messages": [HumanMessage(query.question)]}, config)
    return state["messages"][-1].text, state


async def measure(
    technique: Technique,
    query: Query,
    model: BaseChatModel,
    *,
    processors: int,
    count_requests: Any = None,
) -> Measurement:
    """Run `query` with `technique` and time it end to end.

    Args:
        technique: one of `TECHNIQUES`.
        query: the query, its tools and its scripted plan.
        model: the chat model every technique uses.
        processors: P for LLMOrch; baselines run on this process's cores.
        count_requests: a callable returning how many LLM requests were served so far.
    """
    before = count_requests() if count_requests else 0
    result = Measurement(technique, query.suite, query.qid, processors, 0.0)
    spans = LLMSpans()
    config: RunnableConfig = {"callbacks": [spans]}
    start = result.started_at = time.time()
    try:
        if technique in ("llmorch", "llmorch_paper"):
            policy: Literal["dataflow", "paper"] = (
                "paper" if technique == "llmorch_paper" else "dataflow"
            )
            answer, state = await _llmorch(query, model, processors, policy, config)
            result.trace = list(state.get("trace", []))
            result.repairs = state.get("repairs", 0) + state.get("recoveries", 0)
            result.ok = not state.get("failure") and not state.get("errors")
            result.lower_bound = _lower_bound(query, state, start, time.time(), processors)
        elif technique in ("create_agent_mw", "create_agent_plan_first"):
            plan_first = technique == "create_agent_plan_first"
            outcome = await arun_middleware(
                model,
                _tools(query, model),
                query.question,
                processors=processors,
                plan_first=plan_first,
                config=config,
            )
            answer = outcome.answer
            result.trace = [r.to_dict() for r in outcome.trace]
            statuses = all(r.status == "finished" for r in outcome.trace)
            result.ok = statuses and not outcome.failed
        else:
            run: Any = {
                "react": arun_react,
                "parallel_fc": arun_parallel_fc,
                "llmcompiler": arun_llmcompiler,
                "llmcompiler_stream": arun_llmcompiler,
                "create_agent": arun_prebuilt,
            }[technique]
            options = BASELINE_OPTIONS.get(technique, {})
            outcome = await run(
                model, _tools(query, model), query.question, config=config, **options
            )
            answer = outcome.answer
            result.trace = [r.to_dict() for r in outcome.trace]
            result.ok = all(r.status == "finished" for r in outcome.trace)
    except Exception as err:  # a technique that crashes is a result, not a benchmark crash
        answer, result.ok, result.error = "", False, f"{type(err).__name__}: {err}"
    result.seconds = time.time() - start
    result.llm_spans = spans.records()
    result.answer = answer
    if query.label is not None:
        result.correct = score_answer(answer, query.label)
    result.llm_requests = (count_requests() - before) if count_requests else 0
    return result


def _lower_bound(
    query: Query, state: dict[str, Any], start: float, end: float, processors: int
) -> float | None:
    """Planning and joining as LLMOrch paid them, plus the best possible execution."""
    trace = state.get("trace") or []
    if not trace or not state.get("plan"):
        return None
    frg = build_frg(parse_plan(state["plan"]), list(query.tools))
    durations = dict.fromkeys(frg.calls, 0.0)
    for record in trace:  # the last attempt of each call is the one that counts
        durations[record["id"]] = record["ended_at"] - record["started_at"]
    first: float = min(r["scheduled_at"] for r in trace)
    last: float = max(r["ended_at"] for r in trace)
    return (first - start) + lower_bound(frg, durations, processors) + (end - last)


def techniques_for(names: Sequence[str] | None) -> tuple[Technique, ...]:
    """Validate technique names (all of them when `names` is empty)."""
    if not names:
        return TECHNIQUES
    unknown = [n for n in names if n not in TECHNIQUES]
    if unknown:
        msg = f"unknown technique(s) {unknown}; choose from {', '.join(TECHNIQUES)}"
        raise ValueError(msg)
    return tuple(n for n in TECHNIQUES if n in names)
