"""Every request a node makes, its typed reply, and how it is served sync or async.

A node's logic is a generator (a `Step`): it yields a request and receives its reply,
then returns its state update. Nodes make requests through the typed helpers
(`ask`, `run_calls`, `stream_plan`), so each reply arrives with its type:

    request      yielded by                        reply         served by
    ---------    -------------------------------   -----------   -------------------------
    Ask          planner, repair, recovery, joiner  Reply         the chat model
    RunCalls     coordinator                       RunResult     the Orchestrator (+ ledger)
    StreamPlan   planner (stream_plan=True)        Streamed      the model's stream, feeding
                                                                 the Orchestrator as it goes

`drive` serves a step with `invoke`, `adrive` with `ainvoke`, so the sync graph is as
parallel as the async one and the two never drift apart. Each model request carries its
kind in its run (`metadata["llmorch_request"]`, run name `llmorch:<kind>`, a tag of the
same name): callbacks, LangSmith and `stream_mode="messages"` tell them apart, and
scripted test models answer by kind, never by the prompt's wording.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import merge_configs
from langgraph.config import get_stream_writer

from langchain_llmorch.agent.durable import CallLedger, settle
from langchain_llmorch.agent.state import AgentContext
from langchain_llmorch.agent.streaming import Feed, PlanLines, PlanningSink, newest, plan_source
from langchain_llmorch.engine.events import RunResult, StreamEvent, event
from langchain_llmorch.engine.orchestrator import Extension
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.local.grammar import text_plan_constraint
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.plan.replies import plan_text_of
from langchain_llmorch.plan.schema import plan_response_format
from langchain_llmorch.runs import RequestKind, mark_model, request_config

# ---------------------------------------------------------------------- requests


@dataclass
class Ask:
    """Ask the model; a `plan`, `repair` or `recover` reply is read as plan text."""

    kind: RequestKind
    messages: list[AnyMessage]
    temperature: float | None = None
    structured: bool = False
    """Ask for the plan through JSON-schema structured output."""
    stop: list[str] | None = None
    call_id: str | None = None
    """The call a `recover` request rewrites."""
    bound: Mapping[str, Any] | None = None
    """Sent with a text request besides its messages (an answer grammar, `extra_body`)."""


@dataclass
class Reply:
    """A model's reply: its text (the plan text, for plan requests), or why there is none."""

    text: str = ""
    error: Exception | None = None
    message_id: str | None = None
    """The id of the model's message (an answer kept as it is keeps it)."""
    """A structured plan that could not be read, or a failed `join` request."""


@dataclass
class RunCalls:
    """Run the calls of `frg` that have no result yet."""

    frg: FRG
    results: Mapping[str, Any]
    attempts: Mapping[str, int] = field(default_factory=dict)


@dataclass
class StreamPlan:
    """Ask for the plan, streamed: calls start as their lines arrive (`stream_plan=True`)."""

    messages: list[AnyMessage]


@dataclass
class Streamed:
    """A streamed plan's reply, and the run of the calls handed over while it streamed."""

    text: str
    run: RunResult | None = None
    ran: FRG | None = None
    error: str | None = None


Request = Ask | RunCalls | StreamPlan
Step = Generator[Request, object, dict[str, Any]]
"""A node's logic: yields requests, returns its state update."""


class UnreadableReplyError(LLMOrchError):
    """A structured-output reply that could not be read (cut off, invalid JSON)."""


def ask(
    kind: RequestKind,
    messages: list[AnyMessage],
    *,
    temperature: float | None = None,
    structured: bool = False,
    stop: list[str] | None = None,
    call_id: str | None = None,
    bound: Mapping[str, Any] | None = None,
) -> Generator[Request, object, Reply]:
    """Yield an `Ask` for the model and return its typed `Reply` (use with `yield from`)."""
    reply = yield Ask(kind, messages, temperature, structured, stop, call_id, bound)
    return cast("Reply", reply)


def run_calls(
    frg: FRG, results: Mapping[str, Any], attempts: Mapping[str, int]
) -> Generator[Request, object, RunResult]:
    """Yield a request to run `frg`'s calls that have no result yet."""
    run = yield RunCalls(frg, results, attempts)
    return cast("RunResult", run)


def stream_plan(messages: list[AnyMessage]) -> Generator[Request, object, Streamed]:
    """Yield a request to stream the plan and run its calls as they arrive."""
    streamed = yield StreamPlan(messages)
    return cast("Streamed", streamed)


# --------------------------------------------------------------- serving: models


def _model(ctx: AgentContext, request: Ask) -> Runnable[Any, Any]:
    model: Any = ctx.model
    if request.temperature is not None:
        if "temperature" in type(model).model_fields:
            model = model.model_copy(update={"temperature": request.temperature})
        elif not request.structured:
            model = model.bind(temperature=request.temperature)
    if request.structured:
        model = model.with_structured_output(plan_response_format(ctx.tools), method="json_schema")
    elif request.stop:
        model = model.bind(
            stop=request.stop, **text_plan_constraint(ctx, request.kind, request.messages)
        )
    if request.bound and not request.structured:
        model = model.bind(**request.bound)
    return cast("Runnable[Any, Any]", mark_model(model, request.kind, request.call_id))


def _reply(request: Ask, answer: Any) -> Reply:
    if request.kind in ("plan", "repair", "recover"):
        return Reply(plan_text_of(answer))
    if isinstance(answer, AIMessage):
        return Reply(answer.text, message_id=answer.id)
    return Reply(str(answer))


def _failed(request: Ask, err: Exception) -> Reply:
    """What a failed model request becomes.

    A structured plan the model could not finish is a compile error to repair; a failed
    answer request leaves the results to answer with; anything else raises.
    """
    if request.kind == "join":
        return Reply(error=err)
    if not request.structured:
        raise err
    msg = f"the model's plan could not be read ({type(err).__name__}: {err}); write a shorter plan"
    return Reply(error=UnreadableReplyError(msg))


def _config(config: RunnableConfig, request: Ask) -> RunnableConfig:
    return merge_configs(config, request_config(request.kind, request.call_id))


def serve_ask(request: Ask, ctx: AgentContext, config: RunnableConfig) -> Reply:
    """Ask the model, synchronously."""
    try:
        answer = _model(ctx, request).invoke(request.messages, _config(config, request))
    except Exception as err:
        return _failed(request, err)
    return _reply(request, answer)


async def aserve_ask(request: Ask, ctx: AgentContext, config: RunnableConfig) -> Reply:
    """Ask the model, asynchronously."""
    try:
        answer = await _model(ctx, request).ainvoke(request.messages, _config(config, request))
    except Exception as err:
        return _failed(request, err)
    return _reply(request, answer)


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


# ------------------------------------------------------------------------ drivers


def drive(step: Step, ctx: AgentContext, config: RunnableConfig) -> dict[str, Any]:
    """Run a node's step to its state update, serving its requests with `invoke`."""
    reply: object = None
    while True:
        try:
            request = step.send(reply)
        except StopIteration as stop:
            update: dict[str, Any] = stop.value
            return update
        if isinstance(request, Ask):
            reply = serve_ask(request, ctx, config)
        elif isinstance(request, StreamPlan):
            reply = serve_stream(request, ctx, config)
        else:
            reply = serve_run(request, ctx, config)


async def adrive(step: Step, ctx: AgentContext, config: RunnableConfig) -> dict[str, Any]:
    """Run a node's step to its state update, serving its requests with `ainvoke`."""
    reply: object = None
    while True:
        try:
            request = step.send(reply)
        except StopIteration as stop:
            update: dict[str, Any] = stop.value
            return update
        if isinstance(request, Ask):
            reply = await aserve_ask(request, ctx, config)
        elif isinstance(request, StreamPlan):
            reply = await aserve_stream(request, ctx, config)
        else:
            reply = await aserve_run(request, ctx, config)


__all__ = [
    "Ask",
    "Reply",
    "Request",
    "RequestKind",
    "RunCalls",
    "Step",
    "StreamPlan",
    "Streamed",
    "UnreadableReplyError",
    "adrive",
    "ask",
    "drive",
    "run_calls",
    "stream_plan",
]
