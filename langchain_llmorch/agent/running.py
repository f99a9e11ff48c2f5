"""Serving the nodes' requests to run calls: checkpointed runs and streamed plans.

`run_plan` / `arun_plan` run an FRG through the orchestrator; with a checkpointer
each call is saved as it finishes (`agent.durable`). `stream_plan` /
`astream_plan` stream the planner's reply and run calls as their lines arrive
(`agent.streaming`). The nodes' generators (`agent.nodes`) yield these requests.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer

from langchain_llmorch.agent.durable import CallLedger, settle
from langchain_llmorch.agent.state import AgentContext
from langchain_llmorch.agent.streaming import Feed, PlanLines, PlanningSink, newest, plan_source
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.engine.orchestrator import Extension
from langchain_llmorch.plan.frg import FRG


class RunRequest(Protocol):
    """A request to run an FRG, keeping earlier results."""

    frg: FRG
    results: Mapping[str, Any]
    attempts: Mapping[str, int]


@dataclass
class StreamPlan:
    """Ask for the plan, streamed: calls start as their lines arrive (`stream_plan=True`)."""

    messages: list[AnyMessage]


@dataclass
class Streamed:
    """A streamed plan's reply, and the run of the calls handed over while it streamed."""

    reply: Any
    run: RunResult | None = None
    ran: FRG | None = None
    error: str | None = None


def _writer(ctx: AgentContext) -> Callable[[dict[str, Any]], None]:
    """The stream writer; with `stream_plan`, events after the plan say `while_planning`."""
    writer = get_stream_writer()
    if not ctx.stream_plan:
        return writer
    return lambda event: writer({**event, "while_planning": False})


def _restored_events(
    request: RunRequest, restored: Mapping[str, Any], writer: Callable[[dict[str, Any]], None]
) -> None:
    for cid in restored:
        call = request.frg.calls[cid]
        writer(
            {
                "event": "restored",
                "id": cid,
                "tool": call.tool,
                "kind": request.frg.kind(cid),
                "processor": None,
                "attempt": request.attempts.get(cid, 1),
            }
        )


def run_plan(request: RunRequest, ctx: AgentContext, config: RunnableConfig) -> RunResult:
    """Run an FRG; with a checkpointer, each finished call is saved as it ends."""
    ledger = CallLedger.open(config)
    todo = [cid for cid in request.frg.calls if cid not in request.results]
    restored = ledger.issue(request.frg, todo) if ledger else {}
    writer = _writer(ctx)
    _restored_events(request, restored, writer)
    try:
        run = ctx.orchestrator.run(
            request.frg,
            results={**request.results, **restored},
            attempts=request.attempts,
            on_event=writer,
            config=config,
            on_result=ledger.save if ledger else None,
        )
    finally:
        if ledger:
            ledger.close()
    return settle(run, request.frg)


async def arun_plan(request: RunRequest, ctx: AgentContext, config: RunnableConfig) -> RunResult:
    """`run_plan` in an async graph."""
    ledger = CallLedger.open(config)
    todo = [cid for cid in request.frg.calls if cid not in request.results]
    restored = await ledger.aissue(request.frg, todo) if ledger else {}
    writer = _writer(ctx)
    _restored_events(request, restored, writer)
    try:
        run = await ctx.orchestrator.arun(
            request.frg,
            results={**request.results, **restored},
            attempts=request.attempts,
            on_event=writer,
            config=config,
            on_result=ledger.save if ledger else None,
        )
    finally:
        if ledger:
            ledger.close()
    return settle(run, request.frg)


def _extension(frg: FRG, ledger: CallLedger | None, new: list[str] | None = None) -> Extension:
    """`frg` for the run, with the results the ledger already holds for its new calls."""
    return frg, ledger.issue(frg, newest(frg) if new is None else new) if ledger else {}


def stream_plan(request: StreamPlan, ctx: AgentContext, config: RunnableConfig) -> Streamed:
    """Stream the plan and run its calls as they arrive (see `agent.streaming`)."""
    source = plan_source(ctx)
    if source is None:
        return Streamed(ctx.model.invoke(request.messages, config))
    lines, feed, ledger = PlanLines(ctx), Feed(), CallLedger.open(config)
    sink = PlanningSink(get_stream_writer())
    failure: Exception | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="llmorch-plan-run") as helper:
        running = helper.submit(
            contextvars.copy_context().run,  # the stream writer reads the graph's config
            ctx.orchestrator.run_streaming,
            feed,
            on_event=sink,
            config=config,
            on_result=ledger.save if ledger else None,
        )
        try:
            for chunk in source.runnable.stream(request.messages, config):
                for frg in lines.add(source.add(chunk.text)):
                    feed.put(_extension(frg, ledger))
            sink.plan_done()
            for frg in [*lines.add(source.finish()), *lines.finish()]:
                feed.put(_extension(frg, ledger))
            if released := lines.release():
                feed.put(_extension(released[0], ledger, released[1]))
        except Exception as err:
            failure = err
        finally:
            sink.plan_done()
            feed.close()
            try:
                run = running.result()
            finally:
                if ledger:
                    ledger.close()
    return _streamed(lines, run, sink, failure)


async def astream_plan(request: StreamPlan, ctx: AgentContext, config: RunnableConfig) -> Streamed:
    """`stream_plan` in an async graph."""
    source = plan_source(ctx)
    if source is None:
        return Streamed(await ctx.model.ainvoke(request.messages, config))
    lines, feed, ledger = PlanLines(ctx), Feed(), CallLedger.open(config)
    sink = PlanningSink(get_stream_writer())
    failures: list[Exception] = []

    async def extension(frg: FRG, new: list[str] | None = None) -> Extension:
        return frg, await ledger.aissue(frg, newest(frg) if new is None else new) if ledger else {}

    async def produce() -> None:
        try:
            async for chunk in source.runnable.astream(request.messages, config):
                for frg in lines.add(source.add(chunk.text)):
                    feed.put(await extension(frg))
            sink.plan_done()
            for frg in [*lines.add(source.finish()), *lines.finish()]:
                feed.put(await extension(frg))
            if released := lines.release():
                feed.put(await extension(*released))
        except Exception as err:
            failures.append(err)
        finally:
            sink.plan_done()
            feed.close()

    producer = asyncio.create_task(produce())
    try:
        run = await ctx.orchestrator.arun_streaming(
            feed, on_event=sink, config=config, on_result=ledger.save if ledger else None
        )
    finally:
        await producer
        if ledger:
            ledger.close()
    return _streamed(lines, run, sink, failures[0] if failures else None)


def _streamed(
    lines: PlanLines, run: RunResult, sink: PlanningSink, failure: Exception | None
) -> Streamed:
    if failure is not None:
        raise failure
    if lines.frg is not None:
        settle(run, lines.frg)
    sink.planned(run, lines)
    return Streamed(AIMessage(lines.text), run, lines.frg, lines.error)


__all__ = [
    "RunRequest",
    "StreamPlan",
    "Streamed",
    "arun_plan",
    "astream_plan",
    "run_plan",
    "stream_plan",
]
