"""Run-time recovery in plan-first mode: a failed call is rewritten by the model and run again.

Inside the failed call's own tool task, so nothing that finished runs again:

    call fails (its tool raised, or an error ToolMessage: timeout, crashed worker,
      │          invalid arguments)
      ▼
    the agent's model is asked, as LLMOrch's recovery asks it (`recover` request, the
    question, the call as planned, its error, the results so far), for that one call
      │   unchanged, unreadable, an unknown tool, or a result not at hand: give up
      ▼
    the rewritten call runs through ToolNode like any call, with the same tool call id;
    its ToolMessage says in `response_metadata["llmorch"]["recovered"]` what was rewritten

At most `max_recoveries` rewrites per call. The calls waiting for this one see only the
final outcome. Not recovered: a call whose input failed (`DependencyFailedError`), a
programmer's error (`is_programmer_error`), and a run rebuilt after a restart (its model
is not known there). Unlike `create_llmorch_agent`, only the failed call is rewritten, not
an earlier call it used (that one finished, and its message is already in the state).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from langchain_core.messages import AnyMessage, BaseMessage, ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.errors import GraphBubbleUp
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from langchain_llmorch.agent.middleware._calls import CallRouter, ToolResult
from langchain_llmorch.agent.middleware._plan_first import PlanRun
from langchain_llmorch.agent.middleware._tools import Captured
from langchain_llmorch.agent.prompts import recovery_messages
from langchain_llmorch.agent.recovery import is_programmer_error, parse_rewrite
from langchain_llmorch.errors import DependencyFailedError, LLMOrchError, PlanSyntaxError
from langchain_llmorch.plan import Plan, build_frg
from langchain_llmorch.plan.expressions import evaluate_args
from langchain_llmorch.plan.language import Call
from langchain_llmorch.runs import mark_model, request_config

NOT_RECOVERED = ("DependencyFailedError", "PlanResumeError")
"""Failures of a call's inputs, not of the call: a rewrite of it cannot help."""


Failure = BaseException | ToolResult
"""How a call failed: its exception, or its error message."""


def recoverable(failure: Failure) -> bool:
    """Whether a rewrite of the call might fix this failure."""
    if isinstance(failure, Command):
        return False
    if isinstance(failure, ToolMessage):
        reason = (failure.response_metadata or {}).get("llmorch", {}).get("error")
        return reason not in NOT_RECOVERED and not failure.text.startswith(
            "Error: DependencyFailedError"
        )
    return not isinstance(failure, DependencyFailedError) and not is_programmer_error(failure)


def failure_text(failure: Failure) -> str:
    """The failure as the recovery prompt shows it."""
    if isinstance(failure, ToolMessage):
        return failure.text
    if isinstance(failure, Command):
        return "the call returned a command"
    return f"{type(failure).__name__}: {failure}"


def recovery_prompt(run: PlanRun, call: Call, failure: Failure) -> list[AnyMessage]:
    """The `recover` request for `call`, as `create_llmorch_agent` asks it."""
    return recovery_messages(
        question=run.question,
        tools=list(run.tools.values()),
        recovery_call=call.render(),
        failed_calls={call.render(): failure_text(failure)},
        results=run.known_results(),
    )


def rewritten(run: PlanRun, call: Call, reply: str) -> tuple[BaseTool, Call, dict[str, Any]] | None:
    """The rewritten call's tool, call and arguments; `None`: nothing to run again.

    The rewrite must change the call, name one of the agent's tools, and use only results
    that are at hand.
    """
    try:
        rewrite = parse_rewrite(call, reply)
    except PlanSyntaxError:
        return None
    tool = run.tools.get(rewrite.call.tool)
    if not rewrite.changed or tool is None:
        return None
    plan = Plan(calls=tuple(rewrite.call if c.id == call.id else c for c in run.plan.calls))
    try:
        bound = build_frg(plan, run.tools).bound_args[call.id]
        args = evaluate_args(bound, _inputs(run, rewrite.call))
    except (LLMOrchError, KeyError, TypeError, ValueError, ArithmeticError):
        return None
    return tool, rewrite.call, dict(args)


def _inputs(run: PlanRun, call: Call) -> Mapping[str, Any]:
    known = run.known_results()
    missing = [ref for ref in call.references() if ref not in known]
    if missing:
        msg = f"the rewrite uses {', '.join(missing)}, whose results are not at hand"
        raise KeyError(msg)
    return known


def recovered_message(result: ToolResult, original: Call, call: Call, failure: str) -> ToolResult:
    """The rewritten call's message, noting what was rewritten and why."""
    if not isinstance(result, ToolMessage):
        return result
    metadata = dict(result.response_metadata or {})
    note = {"from": original.render(), "to": call.render(), "error": failure}
    metadata["llmorch"] = {**metadata.get("llmorch", {}), "recovered": note}
    return result.model_copy(update={"response_metadata": metadata})


def failed(result: Any) -> bool:
    """Whether a call's result is an error message."""
    return isinstance(result, ToolMessage) and result.status == "error"


def _text(reply: Any) -> str:
    return reply.text if isinstance(reply, BaseMessage) else str(reply)


def _retry(request: ToolCallRequest, tool: BaseTool, args: dict[str, Any]) -> ToolCallRequest:
    call = ToolCall(name=tool.name, args=args, id=request.tool_call["id"])
    return request.override(tool=tool, tool_call=call)


@dataclass(frozen=True)
class _AskModel:
    """A step of the recovery: ask the model for a rewrite."""

    model: Any
    prompt: list[AnyMessage]
    config: RunnableConfig


@dataclass(frozen=True)
class _RunCall:
    """A step of the recovery: run the rewritten call."""

    request: ToolCallRequest


@dataclass(frozen=True)
class _Raised:
    """What a step raised (other than LangGraph's own `GraphBubbleUp`)."""

    error: Exception


_Attempts = Generator[_AskModel | _RunCall, object, ToolResult]
"""The recovery's logic: yields steps, receives their outcomes, returns the call's result."""


class Recovery:
    """Rewrites a failed planned call by the model and runs it again (the module docstring).

    The logic is one generator (`_attempts`); `run` serves its steps with `invoke` and the
    sync tool handler, `arun` with `ainvoke` and the async one, so the two never drift.

    Args:
        calls: runs the rewritten call, as any call.
        max_recoveries: rewrites per call at most.
    """

    def __init__(self, calls: CallRouter, max_recoveries: int) -> None:
        self.calls = calls
        self.max_recoveries = max_recoveries

    def run(
        self,
        run: PlanRun,
        call_id: str,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolResult],
        box: Captured,
        failure: Failure,
    ) -> ToolResult:
        """Rewrite and run again until a result does not fail.

        Returns that result; else the first failure (raised when it was an exception).
        """
        steps = self._attempts(run, call_id, request, failure)
        outcome: object = None
        while True:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return cast("ToolResult", done.value)
            try:
                if isinstance(step, _AskModel):
                    outcome = step.model.invoke(step.prompt, step.config)
                else:
                    outcome = self.calls.run(step.request, handler, box)
            except GraphBubbleUp:
                raise
            except Exception as err:  # the step's failure goes to the logic
                outcome = _Raised(err)

    async def arun(
        self,
        run: PlanRun,
        call_id: str,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolResult]],
        box: Captured,
        failure: Failure,
    ) -> ToolResult:
        """Async `run`."""
        steps = self._attempts(run, call_id, request, failure)
        outcome: object = None
        while True:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return cast("ToolResult", done.value)
            try:
                if isinstance(step, _AskModel):
                    outcome = await step.model.ainvoke(step.prompt, step.config)
                else:
                    outcome = await self.calls.arun(step.request, handler, box)
            except GraphBubbleUp:
                raise
            except Exception as err:  # the step's failure goes to the logic
                outcome = _Raised(err)

    def _attempts(
        self, run: PlanRun, call_id: str, request: ToolCallRequest, failure: Failure
    ) -> _Attempts:
        original = call = run.calls[call_id]
        first = failure
        for _ in range(self.max_recoveries):
            if run.model is None or not recoverable(failure):
                break
            model = mark_model(run.model, "recover", call.id)
            config = request_config("recover", call.id)
            reply = yield _AskModel(model, recovery_prompt(run, call, failure), config)
            if isinstance(reply, _Raised):
                break
            new = rewritten(run, call, _text(reply))
            if new is None:
                break
            tool, call, args = new
            outcome = yield _RunCall(_retry(request, tool, args))
            if isinstance(outcome, _Raised):
                failure = outcome.error
                continue
            failure = cast("ToolResult", outcome)
            if not failed(failure):
                return recovered_message(failure, original, call, failure_text(first))
        if isinstance(first, BaseException):
            raise first
        return first


__all__ = [
    "Failure",
    "Recovery",
    "failed",
    "recoverable",
    "recovered_message",
    "recovery_prompt",
    "rewritten",
]
