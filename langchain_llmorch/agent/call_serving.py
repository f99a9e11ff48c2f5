"""Serving the requests that run calls: `RunCalls` and `StreamPlan` (`agent.requests`).

`serve_run` runs an FRG on the orchestrator; `serve_stream` streams the plan and runs its
calls as their lines arrive (`agent.streaming`). With a checkpointer, both open the run's
`CallLedger` (`agent.durable`): results saved earlier are restored (a `restored` event
each), every finished call is saved as it ends, and a tool's `interrupt()` pauses the graph
the LangGraph way (`durable.settle`). Each has an async twin for `adrive`.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import merge_configs
from langgraph.config import get_stream_writer

from langchain_llmorch.agent.durable import CallLedger, settle
from langchain_llmorch.agent.requests import RunCalls, Streamed, StreamPlan
from langchain_llmorch.agent.state import AgentContext
from langchain_llmorch.agent.streaming import Feed, PlanLines, PlanningSink, newest, plan_source
from langchain_llmorch.engine.events import RunResult, StreamEvent, event
from langchain_llmorch.engine.orchestrator import Extension
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.plan.replies import plan_text_of
from langchain_llmorch.runs import request_config

# ---------------------------------------------------------------- serving: calls


def _writer(ctx: AgentContext) -> Callable[[StreamEvent], None]:
    """The stream writer; with `stream_plan`, events after the plan say `while_planning`."""
    writer = get_stream_writer()
    if not ctx.stream_plan:
        return writer

    def after_planning(item: StreamEvent) -> None:
        item["while_planning"] = False
        writer(item)

    return after_planning


def _restored_events(
    request: RunCalls, restored: Mapping[str, Any], writer: Callable[[StreamEvent], None]
) -> None:
    for cid in restored:
        call = request.frg.calls[cid]
        writer(
            event(
                "restored",
                None,
                id=cid,
                tool=call.tool,
                kind=request.frg.kind(cid),
                processor=None,
                attempt=request.attempts.get(cid, 1),
            )
        )


def _followed(
    writer: Callable[[StreamEvent], None], ledger: CallLedger | None
) -> Callable[[StreamEvent], None]:
    """`writer`, with the ledger told of each event first (a failed call's task ends)."""
    if ledger is None:
        return writer

    def both(item: StreamEvent) -> None:
        ledger.on_event(item)
        writer(item)

    return both


def _todo(request: RunCalls) -> list[str]:
    return [cid for cid in request.frg.calls if cid not in request.results]


def _run_options(
    request: RunCalls,
    restored: Mapping[str, Any],
    ctx: AgentContext,
    config: RunnableConfig,
    ledger: CallLedger | None,
) -> dict[str, Any]:
    """The orchestrator's arguments for a run that keeps earlier and restored results."""
    writer = _writer(ctx)
    _restored_events(request, restored, writer)
    return {
        "results": {**request.results, **restored},
        "attempts": request.attempts,
        "on_event": _followed(writer, ledger),
        "config": ledger.run_config(config) if ledger else config,
        "on_result": ledger.save if ledger else None,
    }


def serve_run(request: RunCalls, ctx: AgentContext, config: RunnableConfig) -> RunResult:
    """Run an FRG; with a checkpointer, each finished call is saved as it ends."""
    ledger = CallLedger.open(config)
    restored = ledger.issue(request.frg, _todo(request)) if ledger else {}
    try:
        options = _run_options(request, restored, ctx, config, ledger)
        run = ctx.orchestrator.run(request.frg, **options)
    finally:
        if ledger:
            ledger.close()
    return settle(run, request.frg)


async def aserve_run(request: RunCalls, ctx: AgentContext, config: RunnableConfig) -> RunResult:
    """`serve_run` in an async graph."""
    ledger = CallLedger.open(config)
    restored = await ledger.aissue(request.frg, _todo(request)) if ledger else {}
    try:
        options = _run_options(request, restored, ctx, config, ledger)
        run = await ctx.orchestrator.arun(request.frg, **options)
    finally:
        if ledger:
            ledger.close()
    return settle(run, request.frg)


# ------------------------------------------------------------ serving: streaming


def _extension(frg: FRG, ledger: CallLedger | None, new: list[str] | None = None) -> Extension:
    """`frg` for the run, with the results the ledger already holds for its new calls."""
    return frg, ledger.issue(frg, newest(frg) if new is None else new) if ledger else {}


def serve_stream(request: StreamPlan, ctx: AgentContext, config: RunnableConfig) -> Streamed:
    """Stream the plan and run its calls as they arrive (see `agent.streaming`)."""
    config = merge_configs(config, request_config("plan"))
    source = plan_source(ctx)
    if source is None:
        return Streamed(plan_text_of(ctx.model.invoke(request.messages, config)))
    lines, feed, ledger = PlanLines(ctx), Feed(), CallLedger.open(config)
    sink = PlanningSink(get_stream_writer())
    failure: Exception | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="llmorch-plan-run") as helper:
        running = helper.submit(
            contextvars.copy_context().run,  # the stream writer reads the graph's config
            ctx.orchestrator.run_streaming,
            feed,
            on_event=_followed(sink, ledger),
            config=ledger.run_config(config) if ledger else config,
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


async def aserve_stream(request: StreamPlan, ctx: AgentContext, config: RunnableConfig) -> Streamed:
    """`serve_stream` in an async graph."""
    config = merge_configs(config, request_config("plan"))
    source = plan_source(ctx)
    if source is None:
        return Streamed(plan_text_of(await ctx.model.ainvoke(request.messages, config)))
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
            feed,
            on_event=_followed(sink, ledger),
            config=ledger.run_config(config) if ledger else config,
            on_result=ledger.save if ledger else None,
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
    return Streamed(plan_text_of(AIMessage(lines.text)), run, lines.frg, lines.error)


__all__ = ["aserve_run", "aserve_stream", "serve_run", "serve_stream"]
