"""How a node's requests are served, sync or async: `drive`, `adrive` and the model requests.

`drive` serves a step (`agent.requests`) with `invoke`, `adrive` with `ainvoke`, so the sync
graph is as parallel as the async one and the two never drift apart. Each model request
carries its kind in its run (`metadata["llmorch_request"]`, run name `llmorch:<kind>`, a tag
of the same name): callbacks, LangSmith and `stream_mode="messages"` tell them apart, and
scripted test models answer by kind, never by the prompt's wording. The requests that run
calls are served by `agent.call_serving`.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import merge_configs

from langchain_llmorch.agent.call_serving import aserve_run, aserve_stream, serve_run, serve_stream
from langchain_llmorch.agent.requests import Ask, Reply, Step, StreamPlan, UnreadableReplyError
from langchain_llmorch.agent.state import AgentContext
from langchain_llmorch.local.grammar import text_plan_constraint
from langchain_llmorch.plan.replies import plan_text_of
from langchain_llmorch.plan.schema import plan_response_format
from langchain_llmorch.runs import mark_model, request_config

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


__all__ = ["adrive", "aserve_ask", "drive", "serve_ask"]
