"""Plan streaming in plan-first mode: compute calls start while the plan is written.

With `LLMOrchMiddleware(plan_first=True, stream_plan=True)` the plan turn asks a model
that streams for a stream (`stream=True` on the request); `EarlyStarts`, a callback on
that request, reads the tokens as they come:

    token ─► line complete? ─► parse + validate with the lines before it
                                  └─► a compute call with literal arguments that its
                                      tool's schema accepts: sent to the worker pool now

When the turn ends the plan is compiled as usual and becomes the turn's tool calls. The
tool task of a call that started early adopts its running future (`EarlyCall`) instead of
submitting it again, so `ToolNode` still validates its arguments, fires its callbacks and
writes its message; a call whose arguments were edited (a reviewer) runs anew, and an
early call the final plan does not have (or a plan that goes to repair) is aborted.

Only compute calls with literal arguments start early: a call that uses an earlier result
waits for the turn's tool tasks (where it starts as soon as its inputs exist); an inout
call, or a `self` step, waits for the turn too, so its side effects come after the app's
`after_model` middleware saw the plan. Compute calls do start before them: with a
reviewer that rejects calls, a rejected compute call may already have run (its result is
dropped). A line that does not parse ends early starts for the rest of the reply. A structured plan
(JSON) is read the same way: each step, once the next one begins, as its plan line.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import RunnablePassthrough
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from langchain_llmorch.agent.middleware._tools import is_pool_tool
from langchain_llmorch.agent.streaming import JsonSteps
from langchain_llmorch.errors import PlanSyntaxError, PlanValidationError
from langchain_llmorch.plan import FRG, build_frg, parse_plan
from langchain_llmorch.plan.expressions import evaluate, iter_refs
from langchain_llmorch.processes.records import CallOutcome

_CALL_LINE = re.compile(r"^\s*\w+\s*:\s*\w+\s*\(")
"""A plan line that writes a call (`s1: tool(`); prose, fences and blank lines do not."""

Submit = Callable[[BaseTool, dict[str, Any]], "Future[CallOutcome]"]
"""Sends a compute tool's function and its validated arguments to the worker pool."""


@dataclass(frozen=True)
class EarlyCall:
    """A compute call sent to the pool while its plan was being written."""

    tool: str
    args: dict[str, Any]
    """The arguments as the plan wrote them."""
    kwargs: dict[str, Any]
    """The arguments as the tool's schema validated them (what the worker got)."""
    future: Future[CallOutcome]


def validated_args(tool: BaseTool, args: Mapping[str, Any]) -> dict[str, Any] | None:
    """`args` as `tool` would pass them to its function (its pydantic schema), else `None`.

    The same keys, each the schema's value (so `"3"` for an `int` becomes `3`), as
    `StructuredTool` does before calling its function; `None` when they do not validate
    or the tool's schema is not a pydantic model.
    """
    schema = tool.args_schema
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        return None
    try:
        model = schema.model_validate(dict(args))
    except ValidationError:
        return None
    return {name: getattr(model, name) for name in args}


class EarlyStarts(BaseCallbackHandler):
    """The callback of a streamed plan turn: starts its literal compute calls at once.

    Args:
        tools: the agent's tools by name.
        submit: sends a call to the worker pool and returns its future.
    """

    run_inline = True  # on the model's own thread/loop, as the tokens arrive

    def __init__(
        self, tools: Mapping[str, BaseTool], submit: Submit, *, structured: bool = False
    ) -> None:
        super().__init__()
        self.tools = dict(tools)
        self._submit = submit
        # Only JsonSteps' reading of the streamed JSON is used, not its runnable.
        self._json = JsonSteps(RunnablePassthrough()) if structured else None
        """Structured planning: the reply is JSON; each completed step becomes a line."""
        self._lock = threading.Lock()
        self._buffer = ""
        self._lines: list[str] = []
        self.failed = False
        """A line did not parse or validate: nothing after it starts early."""
        self.calls: dict[str, EarlyCall] = {}
        """The calls started, by plan call id."""

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Take the next piece of the reply (text; content blocks give their text)."""
        if isinstance(token, list):
            token = "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in token)
        self.feed(token)

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        """The reply is complete: its last line, if it has no newline."""
        self.finish()

    def feed(self, text: str) -> None:
        """Add reply text; start the calls of the lines it completes."""
        with self._lock:
            self._buffer += text if self._json is None else self._json.add(text)
            while "\n" in self._buffer:
                line, self._buffer = self._buffer.split("\n", 1)
                self._line(line)

    def finish(self) -> None:
        """Take the text after the last newline as the last line."""
        with self._lock:
            if self._json is not None:
                self._buffer += self._json.finish()
            lines, self._buffer = self._buffer.split("\n"), ""
            for line in lines:
                self._line(line)

    def _line(self, line: str) -> None:
        if self.failed or not _CALL_LINE.match(line):
            return
        source = "\n".join([*self._lines, line.strip()])
        try:
            frg = build_frg(parse_plan(source), self.tools)
        except (PlanSyntaxError, PlanValidationError):
            self.failed = True
            return
        self._lines.append(line.strip())
        call_id = list(frg.calls)[-1]
        started = self._start(frg, call_id)
        if started is not None:
            self.calls[call_id] = started

    def _start(self, frg: FRG, call_id: str) -> EarlyCall | None:
        tool = self.tools.get(frg.calls[call_id].tool)
        exprs = frg.bound_args[call_id]
        if tool is None or not is_pool_tool(tool):
            return None
        if any(next(iter_refs(expr), None) is not None for expr in exprs.values()):
            return None
        args = {name: evaluate(expr, {}) for name, expr in exprs.items()}
        kwargs = validated_args(tool, args)
        if kwargs is None:
            return None
        return EarlyCall(tool.name, args, kwargs, self._submit(tool, kwargs))

    def drain(self) -> list[EarlyCall]:
        """Every call started so far (the plan goes to repair: to abort)."""
        with self._lock:
            calls, self.calls = self.calls, {}
        return list(calls.values())

    def adopt(self, frg: FRG) -> tuple[dict[str, EarlyCall], list[EarlyCall]]:
        """The early calls the final plan has as they ran, and the others (to abort)."""
        with self._lock:
            calls, self.calls = self.calls, {}
        kept: dict[str, EarlyCall] = {}
        for call_id, early in calls.items():
            call = frg.calls.get(call_id)
            exprs = frg.bound_args.get(call_id, {})
            try:
                args = {name: evaluate(expr, {}) for name, expr in exprs.items()}
            except (KeyError, TypeError, ValueError, ArithmeticError):
                continue
            if call is not None and call.tool == early.tool and args == early.args:
                kept[call_id] = early
        return kept, [e for c, e in calls.items() if c not in kept]


__all__ = ["EarlyCall", "EarlyStarts", "validated_args"]
