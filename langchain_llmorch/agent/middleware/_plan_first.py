"""Plan-first mode: one model turn writes the whole plan; its calls run as dataflow.

How a question flows through `create_agent` with `LLMOrchMiddleware(plan_first=True)`:

    model node (a new question)   wrap_model_call asks the model for the whole plan
      │                           (LLMOrch's planner prompt, repaired when it does not
      │                           validate) and returns ONE AIMessage whose tool_calls
      │                           are every call of the plan; arguments that use earlier
      │                           results are shown as "${s1}" placeholders
      ▼
    after_model hooks             HumanInTheLoop approves / edits / rejects the calls,
      │                           ToolCallLimit counts and blocks them, as for any turn
      ▼
    one Send("tools") per call    every tool task starts at once; in wrap_tool_call a call
      │                           waits (in this process) for the results it refers to,
      │                           fills in its arguments and runs through ToolNode: compute
      │                           calls on the worker pool, the rest as LLMOrchMiddleware
      │                           runs them. A call whose input failed, was blocked or was
      │                           rejected fails with DependencyFailedError.
      ▼
    model node (tool results)     an ordinary turn: the app's model answers from the
                                  results (or calls more tools, as in any agent)

The results a call waits for live in this process (`PlanRun`). A thread resumed in a
process that did not run the plan's first calls rebuilds the run from the state: calls
that re-run there wait for each other as usual, but a call whose input finished before the
process stopped (LangGraph keeps that result and does not run it again) cannot read it
and fails with `PlanResumeError`; the next model turn sees that and may call it again.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Annotated, Any, NotRequired

from langchain.agents.middleware import AgentState
from langchain.agents.middleware.types import PrivateStateAttr
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import BaseTool

from langchain_llmorch.agent.middleware._streaming import EarlyCall
from langchain_llmorch.agent.middleware._tools import Started
from langchain_llmorch.errors import DependencyFailedError, LLMOrchError
from langchain_llmorch.plan import FRG, Plan, parse_plan
from langchain_llmorch.plan.expressions import (
    Template,
    evaluate,
    evaluate_args,
    iter_refs,
    render_expr,
)
from langchain_llmorch.plan.language import Expr
from langchain_llmorch.tools import JOIN_TOOL

PLAN_KEY = "llmorch_plan"
"""State key of the plan being run: `{"id": ..., "text": ...}` (private to the agent)."""
ID_PREFIX = "llmorch"
MAX_RUNS = 256
"""Plan runs a middleware keeps: a run stays until its calls are done (or a resume may
need it); past this many, the oldest is dropped (a resume of it rebuilds it)."""
COMMIT_GRACE = 0.25
"""Seconds a call that raises out of the agent waits after the calls it used returned.

LangGraph records a finished tool task just after its tool returns, and on the first task
that raises it stops the step: a task not yet recorded then runs again on resume. A call
sees its inputs' results the moment they exist, before their tasks are recorded, so before it
raises it gives those tasks this long to be recorded. It narrows that window, it cannot
close it: LangGraph has no hook for "this task was recorded". Only raising calls wait."""
RETURN_WAIT = 5.0
"""Seconds a raising call waits at most for a call it used to return from its tool task."""
RESUME_GRACE = 5.0
"""Seconds a call of a rebuilt run waits for a call it needs to start in this process
before deciding that call finished elsewhere: every task of a LangGraph step starts at
once (async) or in plan order (threads), so its inputs start well within this."""


class PlanFirstState(AgentState[Any]):
    """The agent's state with the plan being run."""

    llmorch_plan: NotRequired[Annotated[dict[str, str] | None, PrivateStateAttr]]
    """The plan of the current question: its id and its calls, arguments bound by name."""


class PlanResumeError(LLMOrchError):
    """A planned call's input finished in a process that stopped; its result is not here."""


def call_tool_id(plan_id: str, call_id: str) -> str:
    """The tool call id of a planned call (`llmorch-<plan>-<call>`)."""
    return f"{ID_PREFIX}-{plan_id}-{call_id}"


def split_tool_id(tool_call_id: str | None) -> tuple[str, str] | None:
    """`(plan id, call id)` of a planned call's tool call id, else `None`."""
    parts = (tool_call_id or "").split("-", 2)
    if len(parts) != 3 or parts[0] != ID_PREFIX:  # noqa: PLR2004 - prefix, plan, call
        return None
    return parts[1], parts[2]


def placeholder(expr: Expr) -> Any:
    """An argument as the tool call shows it before it runs.

    A constant shows its value, a text with results in it its template (`"{s1} km"`),
    anything else its expression (`"${s1}"`, `"${(s1 + 2)}"`).
    """
    if next(iter_refs(expr), None) is None:
        return evaluate(expr, {})
    if isinstance(expr, Template):
        return "".join(p if isinstance(p, str) else "{" + p.id + "}" for p in expr.parts)
    return "${" + render_expr(expr) + "}"


def bound_plan_text(frg: FRG) -> str:
    """The plan's calls with every argument named (join steps left out)."""
    lines = []
    for call_id, call in frg.calls.items():
        if call.tool == JOIN_TOOL:
            continue
        args = ", ".join(f"{k}={render_expr(v)}" for k, v in frg.bound_args[call_id].items())
        lines.append(f"{call_id}: {call.tool}({args})")
    return "\n".join(lines)


def planned_message(plan_id: str, plan: Plan, text: str) -> AIMessage:
    """The plan turn's message: the plan as text, and one tool call per call."""
    calls = [
        {
            "name": call.tool,
            "args": {name: placeholder(expr) for name, expr in call.kwargs.items()},
            "id": call_tool_id(plan_id, call.id),
            "type": "tool_call",
        }
        for call in plan.calls
    ]
    return AIMessage(content=text, tool_calls=calls)


def pending_calls(messages: Sequence[BaseMessage], tool_call_id: str) -> set[str]:
    """Tool call ids of the turn of `tool_call_id` that have no answer yet (will run now)."""
    for i in range(len(messages) - 1, -1, -1):
        message = messages[i]
        if isinstance(message, AIMessage) and any(
            c["id"] == tool_call_id for c in message.tool_calls
        ):
            answered = {m.tool_call_id for m in messages[i + 1 :] if isinstance(m, ToolMessage)}
            return {c["id"] for c in message.tool_calls if c["id"]} - answered
    return set()


class PlanRun:
    """The calls of one plan in this process: who waits for whom, and their results.

    Args:
        plan_id: the plan's id.
        text: the plan's calls with named arguments (`bound_plan_text`).
        rebuilt: the run was rebuilt from the state (the plan was made elsewhere).
        self_tool: the built-in `self` (the agent's model), for the plan's `self` calls.
    """

    def __init__(
        self,
        plan_id: str,
        text: str,
        *,
        rebuilt: bool = False,
        self_tool: BaseTool | None = None,
    ) -> None:
        self.plan_id = plan_id
        self.self_tool = self_tool
        self.plan = parse_plan(text)
        self.calls = {call.id: call for call in self.plan.calls}
        self.rebuilt = rebuilt
        self._results: dict[str, Future[Any]] = {c: Future() for c in self.calls}
        self._started = {c: threading.Event() for c in self.calls}
        self._returned = {c: threading.Event() for c in self.calls}
        self._returned_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self.raised: set[str] = set()
        """Calls whose tool raised out of the agent (their step may run again)."""
        self.early: dict[str, EarlyCall] = {}
        """Compute calls sent to the pool while the plan streamed, not yet taken."""
        self.model: Any = None
        """The agent's model, for run-time recovery (`None` in a rebuilt run: none)."""
        self.tools: dict[str, BaseTool] = {}
        """The agent's tools by name (what a recovery may call)."""
        self.question = ""
        """The question the plan answers."""

    def known_results(self) -> dict[str, Any]:
        """The results of the calls that finished well so far."""
        with self._lock:
            done = {c: f for c, f in self._results.items() if f.done()}
        return {c: f.result() for c, f in done.items() if f.exception() is None}

    def take_early(self, call_id: str) -> Started | None:
        """The call's early start, for its tool task to take (once)."""
        with self._lock:
            early = self.early.pop(call_id, None)
        return None if early is None else (early.kwargs, early.future)

    def leftovers(self) -> list[EarlyCall]:
        """Early starts no task took (to abort once the run is done)."""
        with self._lock:
            left, self.early = list(self.early.values()), {}
        return left

    @property
    def done(self) -> bool:
        """Every call has a result or an answer; none raised (a resume may run it again)."""
        return not self.raised and all(f.done() for f in self._results.values())

    def begin(self, call_id: str) -> None:
        """The call's task started in this process (again, after it failed: a retry)."""
        with self._lock:
            future = self._results[call_id]
            if future.done() and future.exception() is not None:
                self._results[call_id] = Future()
            self.raised.discard(call_id)
        self._started[call_id].set()

    def finish(self, call_id: str, value: Any = None, error: BaseException | None = None) -> None:
        """Record the call's result (or error); calls waiting for it go on."""
        self._started[call_id].set()
        with self._lock:
            future = self._results[call_id]
            if future.done():
                return
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)

    def returned(self, call_id: str) -> None:
        """The call's tool task is past the middleware (LangGraph records it next)."""
        self._returned_at[call_id] = time.monotonic()
        self._returned[call_id].set()

    def before_raise(self, call_id: str) -> float:
        """Seconds `call_id` should wait before raising, so the calls it used are recorded.

        Waits (this thread) for those calls to return from their tool tasks first; see
        `COMMIT_GRACE`.
        """
        last = 0.0
        for parent in self.calls[call_id].references():
            if parent in self.calls and self._started[parent].is_set():
                self._returned[parent].wait(RETURN_WAIT)
                last = max(last, self._returned_at.get(parent, 0.0))
        return max(0.0, last + COMMIT_GRACE - time.monotonic()) if last else 0.0

    def _parents(self, call_id: str, pending: set[str]) -> list[str]:
        """The calls `call_id` needs; those that will not run now are failed first."""
        parents = self.calls[call_id].references()
        for parent in parents:
            if (
                call_tool_id(self.plan_id, parent) not in pending
                and not self._started[parent].is_set()
            ):
                msg = f"{parent} did not run (blocked, rejected or answered before)"
                self.finish(parent, error=DependencyFailedError(msg))
        return parents

    def _missing(self, parent: str) -> PlanResumeError:
        msg = (
            f"the result of {parent} is not in this process: the run resumed after "
            "the process that ran it stopped"
        )
        return PlanResumeError(msg)

    def _value(self, call_id: str, parent: str, future: Future[Any]) -> Any:
        try:
            return future.result(timeout=0)
        except (DependencyFailedError, PlanResumeError):
            raise
        except BaseException as err:
            msg = f"{call_id} needs {parent}, which failed: {err}"
            raise DependencyFailedError(msg) from err

    def arguments(
        self, call_id: str, given: Mapping[str, Any], pending: set[str]
    ) -> dict[str, Any]:
        """Wait (this thread) for the results `call_id` uses; return its arguments."""
        results = {}
        for parent in self._parents(call_id, pending):
            if self.rebuilt and not self._started[parent].wait(RESUME_GRACE):
                raise self._missing(parent)
            future = self._results[parent]
            future.exception()  # waits
            results[parent] = self._value(call_id, parent, future)
        return self._fill(call_id, given, results)

    async def aarguments(
        self, call_id: str, given: Mapping[str, Any], pending: set[str]
    ) -> dict[str, Any]:
        """Wait (this task) for the results `call_id` uses; return its arguments."""
        results = {}
        for parent in self._parents(call_id, pending):
            started = self._started[parent]
            if self.rebuilt and not await asyncio.to_thread(started.wait, RESUME_GRACE):
                raise self._missing(parent)
            future = self._results[parent]
            await asyncio.wait([asyncio.wrap_future(future)])
            results[parent] = self._value(call_id, parent, future)
        return self._fill(call_id, given, results)

    def _fill(
        self, call_id: str, given: Mapping[str, Any], results: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The given arguments, with each placeholder replaced by its value.

        An argument a reviewer edited (it is no longer the placeholder) is kept as edited.
        """
        exprs = self.calls[call_id].kwargs
        out = dict(given)
        to_fill = {
            name: expr
            for name, expr in exprs.items()
            if name in given and given[name] == placeholder(expr)
        }
        out.update(evaluate_args(to_fill, results))
        return out


def new_plan_id() -> str:
    """A short id, unique enough within a thread's plans."""
    return uuid.uuid4().hex[:10]


__all__ = [
    "ID_PREFIX",
    "PLAN_KEY",
    "PlanFirstState",
    "PlanResumeError",
    "PlanRun",
    "bound_plan_text",
    "call_tool_id",
    "new_plan_id",
    "pending_calls",
    "placeholder",
    "planned_message",
    "split_tool_id",
]
