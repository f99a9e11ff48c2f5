"""Streaming plans: calls start while the model is still writing the plan.

With `stream_plan=True` the planner streams the model's reply. Each complete line
that looks like a call (`sN: tool(...)`; complete at its closing `)`, not only at the
newline, when it is valid as written so far) is parsed and validated with the lines
before it (ids it refers to, the tool, the arguments against the tool's schema),
and handed to the orchestrator at once, so a call whose inputs are ready starts
while later lines are still being generated. `self` and `join` lines, and the
lines that use their results, are held back: only the whole plan tells whether
such a step is an answer step (folded into the joiner's request) or feeds a tool.
When the stream ends the whole plan is compiled as before:

- it compiles: the held-back steps that are not answer steps join the same run at
  once (`PlanLines.release`); the calls that ran are kept (those whose line, and whose
  inputs' lines, are unchanged in the final plan) and the coordinator runs what is left;
- it does not: the plan goes to repair with the finished calls kept, under the
  same rule against the repaired plan.

Once a line fails, no later line is handed over. Models that do not stream
(no `_stream`/`_astream`, or `disable_streaming=True`) take the usual path.

Structured planning streams the model's JSON: a step is complete when the next
one begins (or the reply ends); each complete step is rendered as a plan line
and handled like one. This needs `with_structured_output` to be the usual
"model bound to a response format, then a parser" sequence; other models plan
as usual.
"""

from __future__ import annotations

import asyncio
import queue
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableSequence
from langchain_core.utils.json import parse_partial_json

from langchain_llmorch.agent.answer import answer_steps, runnable_plan
from langchain_llmorch.agent.state import AgentContext
from langchain_llmorch.engine.events import RunResult, StreamEvent, event
from langchain_llmorch.engine.orchestrator import Extension
from langchain_llmorch.errors import PlanSyntaxError, PlanValidationError
from langchain_llmorch.plan.frg import FRG, build_frg
from langchain_llmorch.plan.language import parse_plan
from langchain_llmorch.plan.lines import call_is_closed
from langchain_llmorch.plan.schema import plan_schema, structured_plan_text
from langchain_llmorch.runs import mark_model
from langchain_llmorch.tools import BUILTIN_TOOLS

_CALL_LINE = re.compile(r"^\s*(?!(?i:thought)\s*:)\w+\s*:\s*\w+\s*\(")  # not a `Thought:`
_END = object()


def streams(model: BaseChatModel) -> bool:
    """Whether `model` streams its replies (else the planner waits for the whole plan)."""
    if getattr(model, "disable_streaming", False) is True:
        return False
    cls = type(model)
    return cls._stream is not BaseChatModel._stream or cls._astream is not BaseChatModel._astream  # noqa: SLF001


class PlanText:
    """Text planning: the model's reply is the plan text."""

    def __init__(self, model: Runnable[Any, Any]) -> None:
        """Stream `model`'s reply."""
        self.runnable: Runnable[Any, Any] = model

    def add(self, chunk: str) -> str:
        """Plan text in this chunk."""
        return chunk

    def finish(self) -> str:
        """Plan text held back until the reply ends (none)."""
        return ""


class JsonSteps:
    """Structured planning: plan lines from the model's JSON, one per completed step."""

    def __init__(self, runnable: Runnable[Any, Any]) -> None:
        """Stream `runnable`'s raw reply (the model bound to the plan's JSON schema)."""
        self.runnable = runnable
        self._raw = ""
        self._done = 0

    def add(self, chunk: str) -> str:
        """Plan lines of the steps this chunk completes (every step but the last begun)."""
        self._raw += chunk
        return self._lines(_steps(self._raw)[:-1])

    def finish(self) -> str:
        """Plan lines of the remaining steps."""
        return self._lines(_steps(self._raw))

    def _lines(self, steps: list[Any]) -> str:
        new = steps[self._done :]
        self._done += len(new)
        return "".join(structured_plan_text({"steps": [step]}) + "\n" for step in new)


def _steps(raw: str) -> list[Any]:
    try:
        data = parse_partial_json(raw)
    except ValueError:
        return []
    steps = data.get("steps") if isinstance(data, dict) else None
    return [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []


def plan_source(ctx: AgentContext) -> PlanText | JsonSteps | None:
    """How to stream the plan from `ctx.model`; `None`: it cannot stream."""
    if not streams(ctx.model):
        return None
    if ctx.planning == "text":
        return PlanText(mark_model(ctx.model, "plan"))
    try:
        structured = ctx.model.with_structured_output(
            plan_schema(ctx.tools, scalar_refs=False), method="json_schema"
        )
    except (NotImplementedError, ValueError, TypeError):
        return None
    if isinstance(structured, RunnableSequence):
        return JsonSteps(mark_model(structured.first, "plan"))
    return None


class PlanLines:
    """Cuts a streamed plan into lines; validates each call line with those before it.

    `self` (and `join`) steps and the calls that depend on them are held back: a plan's
    trailing `self` steps fold into the joiner's request, which only the whole plan can tell,
    so they are left to the coordinator (which runs those that feed a tool) once the plan is
    complete.
    """

    def __init__(self, ctx: AgentContext) -> None:
        """Validate against the agent's tools."""
        self.ctx = ctx
        self.text = ""
        self._buffer = ""
        self.accepted: list[str] = []
        self.handed: list[str] = []
        """The accepted lines handed over to run: none is or needs a `self`/`join` step."""
        self.held: set[str] = set()
        self.frg: FRG | None = None
        self._early: str | None = None
        """The line being written, taken at its closing `)` (see `add`)."""
        self.error: str | None = None
        """Why the first failing line failed; no line after it is handed over."""

    def add(self, chunk: str) -> list[FRG]:
        """Take a chunk of the reply; return the plan grown by each new valid line.

        A line whose call is closed (`sN: tool(...)`, brackets and quotes balanced) is taken
        at its `)`, before the newline or the end of the reply: the rest of a line can only
        be blank, a comment, or make the line invalid.
        """
        self.text += chunk
        self._buffer += chunk
        grown = []
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            if (frg := self._complete(line)) is not None:
                grown.append(frg)
        if ")" in chunk and self._early is None and call_is_closed(self._buffer):
            taken, error = len(self.accepted), self.error
            frg = self._line(self._buffer)
            if len(self.accepted) > taken:
                self._early = self._buffer.strip()
                grown += [frg] if frg is not None else []
            else:  # not valid so far: the whole line decides
                self.error = error
        return grown

    def finish(self) -> list[FRG]:
        """The reply is complete: take its last line."""
        line, self._buffer = self._buffer, ""
        frg = self._complete(line)
        return [frg] if frg is not None else []

    def release(self) -> tuple[FRG, list[str]] | None:
        """The plan is complete: the held-back steps that are not answer steps, to run now.

        Returns the whole plan without its answer steps, and the ids of the calls it adds
        to what was handed over; None when nothing is added or a line failed (the final
        compile decides then). Without this, those steps would wait for every streamed
        call to finish before the coordinator started them.
        """
        if self.error is not None or not self.held or not self.accepted:
            return None
        plan = parse_plan("\n".join(self.accepted))
        frg = build_frg(
            runnable_plan(plan, answer_steps(plan)), self.ctx.tools, self_kind=self.ctx.self_kind
        )
        before = self.frg.calls if self.frg is not None else {}
        added = [cid for cid in frg.calls if cid not in before]
        if not added:
            return None
        self.frg = frg
        return frg, added

    def _complete(self, line: str) -> FRG | None:
        early, self._early = self._early, None
        if early is None:
            return self._line(line)
        rest = line.strip().removeprefix(early).strip()
        if rest and not rest.startswith("#") and self.error is None:
            # Taken at its `)`, the line went on: the plan is left to the final compile.
            self.error = f"the line {early[:60]!r} went on after its call was closed"
        return None

    def _line(self, line: str) -> FRG | None:
        if self.error is not None or not _CALL_LINE.match(line):
            return None  # after a failure, or prose, a fence, a blank line
        source = "\n".join([*self.accepted, line.strip()])
        try:
            frg = build_frg(parse_plan(source), self.ctx.tools, self_kind=self.ctx.self_kind)
        except (PlanSyntaxError, PlanValidationError) as err:
            self.error = str(err)
            return None
        self.accepted.append(line.strip())
        cid = list(frg.calls)[-1]
        if frg.calls[cid].tool in BUILTIN_TOOLS or any(p in self.held for p in frg.parents(cid)):
            self.held.add(cid)
            return None
        self.handed.append(line.strip())
        if self.held:  # the same calls without the held ones (none of which they need)
            frg = build_frg(
                parse_plan("\n".join(self.handed)), self.ctx.tools, self_kind=self.ctx.self_kind
            )
        self.frg = frg
        return frg


class Feed:
    """A growing plan handed from the planner (any thread) to the orchestrator's loop."""

    def __init__(self) -> None:
        """An empty feed; `close` it when the plan is complete."""
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def put(self, extension: Extension) -> None:
        """Hand over the plan grown by new calls."""
        self._queue.put(extension)

    def close(self) -> None:
        """No more calls will come."""
        self._queue.put(_END)

    def __aiter__(self) -> AsyncIterator[Extension]:
        """Iterate on the orchestrator's loop, waiting without blocking it."""
        return self._items()

    async def _items(self) -> AsyncIterator[Extension]:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                item = await asyncio.to_thread(self._queue.get)
            if item is _END:
                return
            yield item


@dataclass
class PlanningSink:
    """Wraps the stream writer: events say whether the plan was still being written."""

    writer: Callable[[StreamEvent], None]
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None

    def __call__(self, item: StreamEvent) -> None:
        """Forward an orchestrator event, marked `while_planning`."""
        item["while_planning"] = self.ended_at is None
        self.writer(item)

    def plan_done(self) -> None:
        """The model finished writing the plan."""
        if self.ended_at is None:
            self.ended_at = time.time()

    def planned(self, run: RunResult, lines: PlanLines) -> None:
        """One `planned` event: when the plan ended, and each call's lead on that end."""
        end = self.ended_at or time.time()
        ahead = {r.id: round(end - r.scheduled_at, 4) for r in run.trace}
        self.writer(
            event(
                "planned",
                plan_seconds=round(end - self.started_at, 4),
                lines=len(lines.accepted),
                error=lines.error,
                scheduled_before_end=ahead,
            )
        )


def newest(frg: FRG) -> list[str]:
    """The call a plan line adds: the last one (each valid line adds one call)."""
    return list(frg.calls)[-1:]


def kept_results(ran: FRG | None, plan: FRG, results: Mapping[str, Any]) -> dict[str, Any]:
    """Results of `ran`'s calls that `plan` has unchanged, and whose inputs are kept too."""
    if ran is None:
        return {}
    kept: dict[str, Any] = {}
    for cid, call in plan.calls.items():
        same = cid in ran.calls and ran.calls[cid].render() == call.render()
        if same and cid in results and all(p in kept for p in plan.parents(cid)):
            kept[cid] = results[cid]
    return kept


__all__ = [
    "Feed",
    "JsonSteps",
    "PlanLines",
    "PlanText",
    "PlanningSink",
    "kept_results",
    "newest",
    "plan_source",
    "streams",
]
