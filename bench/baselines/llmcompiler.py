"""LLMCompiler-style: the whole plan from one LLM call, every ready call started at once.

    question -> planner LLM -> plan text -> parse_plan -> build_frg
             -> task fetching unit (one asyncio loop) -> joiner LLM -> answer
                       ^ a call starts the moment its last dependency ends

The plan uses LLMCompiler's format (`1. search("Texas")`, `2. math("...", ["$1"])`,
..., `N. join()`) and is parsed by `parse_plan`; the dependencies come from
`build_frg`. The task fetching unit (`task_fetching.py`) starts every call whose
dependencies are done, all at once, as tasks on one event loop, and fills their
arguments from earlier results with `plan.evaluate`. There is no process pool
and no bound on processors, and the tools' `compute`/`inout` tags are ignored:
async tools are awaited; a sync tool is called directly inside its task by
default (`sync_tools="inline"`), blocking the loop until it returns, or run in
a thread with `sync_tools="thread"` (what `tool.ainvoke` does for a sync
LangChain tool). Inline, two CPU-bound sync calls that are ready together run
one after the other; in threads, they share the GIL.

With `stream=True` (LLMCompiler's headline mode) the planner's reply is
streamed and every complete line goes to the task fetching unit at once, so the
first calls run while the planner is still writing the rest of the plan.

A failed call's dependants are skipped. With `max_replans > 0`, a plan with a
failed call (or one that does not parse) is thrown away and the planner is
asked for a whole new plan given what happened (static replanning); nothing of
the failed round is reused. The joiner is one plain `model.ainvoke` with the
question and the results; with `fold_self_steps=True` it also does the plan's
`self` steps that feed no tool call, instead of running them as calls.
"""

from __future__ import annotations

import re
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from bench.baselines.common import (
    BaselineResult,
    SyncMode,
    ToolsArg,
    message_text,
    tool_list,
)
from bench.baselines.task_fetching import PlanRound, TaskFetchingUnit
from langchain_llmorch.engine.backend import run_sync
from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.plan.frg import FRG, build_frg
from langchain_llmorch.plan.language import Plan, parse_plan, result_text
from langchain_llmorch.self_tool import make_self_tool
from langchain_llmorch.tools import JOIN_TOOL, SELF_TOOL

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
    sync_mode: SyncMode = "inline",
    fold_self: bool = False,
) -> None:
    """The task fetching unit on a whole plan: start every ready call at once on this loop.

    Sync tools run inline and block the loop while they run (see the module
    docstring) unless `sync_mode="thread"`. Fills `round_` with results, errors,
    skipped calls, folded `self` steps and the trace.

    Example:
        ```python
        round_ = PlanRound(plan)
        await execute_plan(build_frg(plan, tools), {t.name: t for t in tools}, round_)
        ```
    """
    unit = TaskFetchingUnit(
        tools, round_, sync_mode=sync_mode, fold_self=fold_self, attempt=attempt, config=config
    )
    unit.add(frg)
    unit.finish()
    await unit.drain()


async def stream_plan(
    model: BaseChatModel,
    messages: list[BaseMessage],
    unit: TaskFetchingUnit,
    tools: dict[str, BaseTool],
    config: RunnableConfig | None = None,
) -> str:
    """Stream the planner's reply, handing the unit each complete line's plan so far.

    After every chunk that completes a line, the plan up to that line is parsed and
    its FRG handed to `unit.add`, so ready calls start while the planner is still
    writing. A prefix that does not parse (yet) is skipped: the next line retries.

    Returns:
        The whole plan text (the caller parses it once more, as a whole).

    Example:
        ```python
        text = await stream_plan(model, messages, unit, {t.name: t for t in tools})
        ```
    """
    text, parsed_upto = "", 0
    async for chunk in model.astream(messages, config):
        text += message_text(chunk)
        cut = text.rfind("\n")
        if cut <= parsed_upto:
            continue
        parsed_upto = cut
        try:
            unit.add(build_frg(parse_compiler_plan(text[:cut]), tools))
        except LLMOrchError:
            continue
    return text


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
        elif call.id in round_.folded:
            outcome = "not run: do this step yourself in the answer"
        else:
            outcome = "skipped (a step it needs failed)"
        lines.append(f"{call.id}. {call.source} -> {outcome}")
    return "\n".join(lines)


def _answer(text: str) -> str:
    match = _FINISH.search(text.strip())
    return match["answer"].strip().strip("\"'") if match else text.strip()


async def _plan_round(
    model: BaseChatModel,
    messages: list[BaseMessage],
    unit: TaskFetchingUnit,
    tools: dict[str, BaseTool],
    stream: bool,  # noqa: FBT001 - private helper
    config: RunnableConfig | None,
) -> LLMOrchError | None:
    """Ask for a plan (streamed into `unit` or whole) and hand it all to `unit`.

    Returns why the plan cannot be used, or None.
    """
    if stream:
        try:
            plan_text = await stream_plan(model, messages, unit, tools, config)
        except BaseException:
            await unit.cancel()
            raise
    else:
        plan_text = message_text(await model.ainvoke(messages, config))
    messages.append(AIMessage(plan_text))
    try:
        unit.round.plan = parse_compiler_plan(plan_text)
        unit.add(build_frg(unit.round.plan, tools))
    except LLMOrchError as err:
        return err
    return None


async def arun_llmcompiler(
    model: BaseChatModel,
    tools: ToolsArg,
    question: str,
    *,
    max_replans: int = 0,
    stream: bool = False,
    sync_tools: SyncMode = "inline",
    fold_self_steps: bool = False,
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
        stream: stream the plan and start each call as soon as its line is
            complete and its dependencies are done (LLMCompiler's headline mode).
        sync_tools: `"inline"` runs a sync tool on the loop, blocking it;
            `"thread"` runs it with `asyncio.to_thread`, as `tool.ainvoke` does.
        fold_self_steps: leave the `self` steps that feed no tool call to the
            joiner's request instead of running them as calls.
        config: passed on to the model and the tools.

    Returns:
        The joiner's answer, the trace (`attempt` is the plan round), the LLM
        turns (planner and joiner calls) and the wall time.

    Example:
        ```python
        result = await arun_llmcompiler(model, [search, compute(fib)], question, stream=True)
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
        round_ = PlanRound(Plan(()))
        unit = TaskFetchingUnit(
            by_name,
            round_,
            sync_mode=sync_tools,
            fold_self=fold_self_steps,
            attempt=attempt,
            config=config,
        )
        problem = await _plan_round(model, messages, unit, by_name, stream, config)
        turns += 1
        if problem is not None:
            await unit.drain()  # calls the stream started still count
            trace += round_.trace
            used = f"The plan could not be used: {problem}"
            messages.append(HumanMessage(REPLAN_PROMPT.format(report=used)))
            if attempt <= max_replans:
                continue
            if last is not None:  # answer from the last plan that ran
                break
            answer = f"LLMCompiler could not make a valid plan: {problem}"
            return BaselineResult(answer, trace, turns, time.perf_counter() - start)
        unit.finish()
        await unit.drain()
        last = round_
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
