"""LLMCompiler-style: the whole plan from one LLM call, every ready call started at once.

    question -> planner LLM -> plan text -> parse_plan -> build_frg
             -> task fetching unit (one asyncio loop) -> joiner LLM -> answer
                       ^ a call starts the moment its last dependency ends

The plan uses LLMCompiler's format (`1. search("Texas")`, `2. math("...", ["$1"])`,
..., `N. join()`) and is parsed by `parse_plan`; the dependencies come from
`build_frg`. The task fetching unit starts every call whose dependencies are
done, all at once, as tasks on one event loop, and fills their arguments from
earlier results with `plan.evaluate`. There is no process pool and no bound on
processors, and the tools' `compute`/`inout` tags are ignored: async tools are
awaited, and sync tools are called directly inside their task, so a sync tool
blocks the loop (and every other call) until it returns -- LLMCompiler's
executor runs its tools in one thread the same way. Two CPU-bound sync calls
that are ready together therefore run one after the other.

A failed call's dependants are skipped. With `max_replans > 0`, a plan with a
failed call (or one that does not parse) is thrown away and the planner is
asked for a whole new plan given what happened (static replanning); nothing of
the failed round is reused. The joiner is one plain `model.ainvoke` with the
question and the results.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from langchain_llmorch.baselines.common import (
    BaselineResult,
    ToolOutcome,
    ToolsArg,
    invoke_tool,
    message_text,
    tool_list,
)
from langchain_llmorch.engine.backend import run_sync
from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.plan.frg import FRG, build_frg
from langchain_llmorch.plan.language import Plan, evaluate, parse_plan, result_text
from langchain_llmorch.tools import JOIN_TOOL, SELF_TOOL, make_self_tool

PLANNER_PROMPT = """\
You plan how to answer a question with the functions below. Write every step of
the plan at once, one numbered function call per line, so that independent
calls can run in parallel.

Functions:
{tools}
{join_number}. join(): ends the plan; always the last line.

Rules:
- Write each step as `N. function(arguments)`, numbered 1, 2, 3, ...
- Use `$N` as an argument (or inside a string) to pass the output of step N.
  A step may only use the outputs of steps above it.
- Call only the functions listed above; pass arguments as Python literals.
- You may put a `Thought: ...` line before a step.
- End with `N. join()` and then `<END_OF_PLAN>`.

Example:
1. search("Texas")
2. search("Ohio")
3. compare("population", ["$1", "$2"])
4. join()
<END_OF_PLAN>"""
"""System prompt of the planner (`{tools}` and `{join_number}` filled in)."""

REPLAN_PROMPT = """\
The previous plan did not work:
{report}

Write a complete new plan for the question, in the same format, ending with join()."""
"""Sent after the failed plan when replanning."""

JOINER_PROMPT = """\
Answer the question from the results of the function calls below. Reply with the
answer only."""
"""System prompt of the joiner."""

_FINISH = re.compile(r"Action:\s*Finish\((?P<answer>.*)\)\s*$", re.DOTALL)
_STEP_LINE = re.compile(r"^\s*(?:\d+\s*[.:)]|Thought\s*:)", re.IGNORECASE)


@dataclass
class PlanRound:
    """One plan and what executing it produced."""

    plan: Plan
    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    trace: list[TraceRecord] = field(default_factory=list)


def describe_tools(tools: list[BaseTool]) -> str:
    """The numbered function list of the planner prompt.

    Example:
        ```python
        print(describe_tools([search]))  # 1. search(query: string): Search the web.
        ```
    """
    lines = []
    for number, tool in enumerate(tools, 1):
        params = ", ".join(f"{name}: {p.get('type', 'any')}" for name, p in tool.args.items())
        description = " ".join(tool.description.split())
        lines.append(f"{number}. {tool.name}({params}): {description}")
    return "\n".join(lines)


def parse_compiler_plan(text: str) -> Plan:
    """Parse planner output, ignoring chatter around the numbered steps.

    Raises:
        PlanSyntaxError: when neither the text nor its step lines parse.

    Example:
        ```python
        plan = parse_compiler_plan('Here you go:\\n1. search("Texas")\\n2. join()')
        ```
    """
    try:
        return parse_plan(text)
    except LLMOrchError:
        steps = "\n".join(line for line in text.splitlines() if _STEP_LINE.match(line))
        if not steps:
            raise
        return parse_plan(steps)


async def execute_plan(
    frg: FRG,
    tools: dict[str, BaseTool],
    round_: PlanRound,
    *,
    attempt: int = 1,
    config: RunnableConfig | None = None,
) -> None:
    """The task fetching unit: start every ready call at once on this event loop.

    Sync tools run inline and block the loop while they run (see the module
    docstring). Fills `round_` with results, errors, skipped calls and the trace.

    Example:
        ```python
        round_ = PlanRound(plan)
        await execute_plan(build_frg(plan, tools), {t.name: t for t in tools}, round_)
        ```
    """
    waiting = {cid: set(frg.parents(cid)) for cid in frg.calls}
    running: dict[asyncio.Task[ToolOutcome | None], str] = {}

    async def run_call(cid: str, scheduled_at: float) -> ToolOutcome | None:
        call = frg.calls[cid]
        if call.tool == JOIN_TOOL:
            return None
        args = {k: evaluate(v, round_.results) for k, v in frg.bound_args[cid].items()}
        return await invoke_tool(
            tools[call.tool],
            args,
            call_id=cid,
            sync_mode="inline",
            scheduled_at=scheduled_at,
            config=config,
            attempt=attempt,
        )

    def launch_ready() -> None:
        for cid in [c for c, parents in waiting.items() if not parents]:
            del waiting[cid]
            running[asyncio.create_task(run_call(cid, time.time()))] = cid

    launch_ready()
    while running:
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            cid = running.pop(task)
            try:
                outcome = task.result()
            except Exception as err:  # arguments that could not be computed
                round_.errors[cid] = err
                outcome = None
            if outcome is not None:
                round_.trace.append(outcome.record)
                if outcome.ok:
                    round_.results[cid] = outcome.value
                else:
                    round_.errors[cid] = outcome.error or RuntimeError(cid)
            if cid in round_.errors:
                for lost in sorted(frg.descendants([cid]) & waiting.keys()):
                    del waiting[lost]
                    round_.skipped.append(lost)
                continue
            round_.results.setdefault(cid, None)
            for child in frg.children(cid):
                waiting.get(child, set()).discard(cid)
        launch_ready()


def report(round_: PlanRound) -> str:
    """Each call of a round with its result, error or `skipped`, one a line.

    Example:
        ```python
        print(report(round_))  # 1. search("Texas") -> Texas is a state ...
        ```
    """
    lines = []
    for call in round_.plan.calls:
        if call.tool == JOIN_TOOL:
            continue
        if call.id in round_.errors:
            err = round_.errors[call.id]
            outcome = f"failed: {type(err).__name__}: {err}"
        elif call.id in round_.results:
            outcome = result_text(round_.results[call.id])
        else:
            outcome = "skipped (a step it needs failed)"
        lines.append(f"{call.id}. {call.source} -> {outcome}")
    return "\n".join(lines)


def _answer(text: str) -> str:
    match = _FINISH.search(text.strip())
    return match["answer"].strip().strip("\"'") if match else text.strip()


async def arun_llmcompiler(
    model: BaseChatModel,
    tools: ToolsArg,
    question: str,
    *,
    max_replans: int = 0,
    config: RunnableConfig | None = None,
) -> BaselineResult:
    """Answer a question LLMCompiler-style: plan once, run everything ready at once, join.

    Args:
        model: the chat model (its `bind_tools` is not used: the plan is text).
        tools: the tools; their `compute`/`inout` tags are ignored. A tool named
            `self` is an ordinary tool; without one, a plan's `self(prompt)`
            calls ask `model` (it is not offered to the planner).
        question: the user's question.
        max_replans: how many whole new plans to ask for after a round with a
            failed call or an unparsable plan (0: none, answer from what ran).
        config: passed on to the model and the tools.

    Returns:
        The joiner's answer, the trace (`attempt` is the plan round), the LLM
        turns (planner and joiner calls) and the wall time.

    Example:
        ```python
        result = await arun_llmcompiler(model, [search, compute(fib)], question, max_replans=1)
        ```
    """
    if max_replans < 0:
        msg = f"max_replans must be 0 or more, got {max_replans}"
        raise ValueError(msg)
    start = time.perf_counter()
    listed = tool_list(tools)
    by_name = {t.name: t for t in listed}
    by_name.setdefault(SELF_TOOL, make_self_tool(model))
    system = PLANNER_PROMPT.format(tools=describe_tools(listed), join_number=len(listed) + 1)
    messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(f"Question: {question}")]
    trace: list[TraceRecord] = []
    turns = 0
    last: PlanRound | None = None
    for attempt in range(1, max_replans + 2):
        reply = await model.ainvoke(messages, config)
        turns += 1
        plan_text = message_text(reply)
        messages.append(AIMessage(plan_text))
        try:
            plan = parse_compiler_plan(plan_text)
            frg = build_frg(plan, by_name)
        except LLMOrchError as err:
            problem = f"The plan could not be used: {err}"
            messages.append(HumanMessage(REPLAN_PROMPT.format(report=problem)))
            if attempt <= max_replans:
                continue
            if last is not None:  # answer from the last plan that ran
                break
            answer = f"LLMCompiler could not make a valid plan: {err}"
            return BaselineResult(answer, trace, turns, time.perf_counter() - start)
        last = PlanRound(plan)
        await execute_plan(frg, by_name, last, attempt=attempt, config=config)
        trace += last.trace
        if not (last.errors or last.skipped) or attempt > max_replans:
            break
        messages.append(HumanMessage(REPLAN_PROMPT.format(report=report(last))))
    if last is None:  # unreachable: every path that ran no plan has returned
        msg = "no plan was executed"
        raise RuntimeError(msg)
    joiner = [
        SystemMessage(JOINER_PROMPT),
        HumanMessage(f"Question: {question}\n\nResults:\n{report(last)}"),
    ]
    answer = _answer(message_text(await model.ainvoke(joiner, config)))
    turns += 1
    return BaselineResult(answer, trace, turns, time.perf_counter() - start)


def run_llmcompiler(
    model: BaseChatModel, tools: ToolsArg, question: str, **options: Any
) -> BaselineResult:
    """Sync twin of `arun_llmcompiler` (same options).

    Example:
        ```python
        result = run_llmcompiler(model, tools, "Which is larger, Texas or Ohio?")
        ```
    """
    return run_sync(arun_llmcompiler(model, tools, question, **options))
