"""Serving a node's requests: the node yields what it needs, `drive`/`adrive` do it.

A node's logic is a generator that yields `Ask` (a model request), `StreamPlan` (a plan
streamed while its calls run) or `RunCalls` (an FRG to run), and returns its state update.
`drive` serves the requests with `invoke`, `adrive` with `ainvoke`, so the sync graph is as
parallel as the async one and the two never drift apart.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AnyMessage
from langchain_core.runnables import RunnableConfig

from langchain_llmorch.agent.running import (
    StreamPlan,
    arun_plan,
    astream_plan,
    run_plan,
    stream_plan,
)
from langchain_llmorch.agent.state import AgentContext
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.plan.schema import plan_response_format


@dataclass
class Ask:
    """Ask the model; `structured` asks for a plan through structured output."""

    messages: list[AnyMessage]
    temperature: float | None = None
    structured: bool = False
    stop: list[str] | None = None
    tolerant: bool = False
    """A failed request answers with its exception instead of raising."""


@dataclass
class RunCalls:
    """Run the calls of `frg` that have no result yet."""

    frg: FRG
    results: Mapping[str, Any]
    attempts: Mapping[str, int] = field(default_factory=dict)


Step = Generator[Ask | StreamPlan | RunCalls, Any, dict[str, Any]]


class UnreadableReplyError(LLMOrchError):
    """A structured-output reply that could not be read (cut off, invalid JSON)."""


def ask_model(ctx: AgentContext, ask: Ask) -> Any:
    model: Any = ctx.model
    if ask.temperature is not None:
        if "temperature" in type(model).model_fields:
            model = model.model_copy(update={"temperature": ask.temperature})
        elif not ask.structured:
            model = model.bind(temperature=ask.temperature)
    if ask.structured:
        model = model.with_structured_output(plan_response_format(ctx.tools), method="json_schema")
    elif ask.stop:
        model = model.bind(stop=ask.stop)
    return model


def unreadable(request: Ask, err: Exception) -> Exception:
    """A structured plan the model could not finish becomes a compile error to repair."""
    if request.tolerant:
        return err
    if not request.structured:
        raise err
    msg = f"the model's plan could not be read ({type(err).__name__}: {err}); write a shorter plan"
    return UnreadableReplyError(msg)


def drive(step: Step, ctx: AgentContext, config: RunnableConfig) -> dict[str, Any]:
    answer: Any = None
    while True:
        try:
            request = step.send(answer)
        except StopIteration as stop:
            update: dict[str, Any] = stop.value
            return update
        if isinstance(request, Ask):
            try:
                answer = ask_model(ctx, request).invoke(request.messages, config)
            except Exception as err:
                answer = unreadable(request, err)
        elif isinstance(request, StreamPlan):
            answer = stream_plan(request, ctx, config)
        else:
            answer = run_plan(request, ctx, config)


async def adrive(step: Step, ctx: AgentContext, config: RunnableConfig) -> dict[str, Any]:
    answer: Any = None
    while True:
        try:
            request = step.send(answer)
        except StopIteration as stop:
            update: dict[str, Any] = stop.value
            return update
        if isinstance(request, Ask):
            try:
                answer = await ask_model(ctx, request).ainvoke(request.messages, config)
            except Exception as err:
                answer = unreadable(request, err)
        elif isinstance(request, StreamPlan):
            answer = await astream_plan(request, ctx, config)
        else:
            answer = await arun_plan(request, ctx, config)
