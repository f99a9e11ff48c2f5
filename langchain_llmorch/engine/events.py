"""Call records: the trace of a run and the stream events derived from it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NotRequired, TypedDict, cast

from langchain_llmorch.tools import ToolKind

EventName = Literal[
    "planning",
    "scheduled",
    "started",
    "finished",
    "failed",
    "repaired",
    "rewritten",
    "restored",
    "planned",
]
"""Every kind of event the agent writes to `stream_mode="custom"`."""
CallStatus = Literal["finished", "failed", "cancelled"]


@dataclass
class TraceRecord:
    """One executed call: where and when it ran (epoch seconds, taken where it ran)."""

    id: str
    tool: str
    kind: ToolKind
    processor: int | None
    """The core a compute call ran on; `None` for inout calls."""
    pid: int
    scheduled_at: float
    """When the call's inputs were complete and it was handed to the coordinator."""
    started_at: float
    ended_at: float
    status: CallStatus
    attempt: int = 1
    error: str | None = None
    node: str | None = None
    """The cluster node that ran a compute call (Ray: its IP); `None` on this machine."""
    waiting_for: list[str] = field(default_factory=list)
    """What held the call back after it was scheduled, in the order met: `"processor"`,
    a resource (`"gpu"`), a tool's limit (`"tool:search"`), an ordered call (`"order:s2"`).
    Empty when it started at once."""
    cached: bool = False
    """The result was reused, not computed: taken from the tool-result cache, or from an
    identical call running at the same time (it held no thread and no processor)."""

    @property
    def duration(self) -> float:
        """Seconds the call ran."""
        return self.ended_at - self.started_at

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass
class RunResult:
    """What running an FRG produced.

    Example:
        ```python
        result = orchestrator.run(frg)
        print(result.results["s3"], result.makespan)
        for record in result.trace:
            print(record.id, record.processor, record.started_at)
        ```
    """

    results: dict[str, Any] = field(default_factory=dict)
    """Call id -> value, for every call that finished (kept ones included)."""
    errors: dict[str, BaseException] = field(default_factory=dict)
    """Call id -> exception, for every call that failed."""
    skipped: list[str] = field(default_factory=list)
    """Calls not run because a call they depend on failed."""
    trace: list[TraceRecord] = field(default_factory=list)
    """One record per call executed in this run, in order of ending."""
    makespan: float = 0.0
    """Seconds from the run's start to its last call's end."""
    started_at: float = 0.0
    """Epoch seconds when the run started."""
    schedule: str = ""
    """Which priority order the coordinator used (`critical_path`, `fifo`, ...)."""

    @property
    def ok(self) -> bool:
        """True when no call failed or was skipped."""
        return not self.errors and not self.skipped


class _EventBase(TypedDict):
    id: str | None
    """The call's id (`None` for events of the whole plan)."""
    tool: str | None
    kind: ToolKind | None
    processor: int | None
    """The processor a compute call runs on (`None` for inout calls)."""
    attempt: int | None
    """1 for a call's first run, 2 after a recovery rewrote it, ..."""
    while_planning: NotRequired[bool]
    """With `stream_plan=True`: whether the model was still writing the plan."""


class PlanningEvent(_EventBase):
    """The model was asked for a plan (`request`: `"plan"`, `"repair"` or `"recover"`)."""

    event: Literal["planning"]
    request: str


class ScheduledEvent(_EventBase):
    """A call's inputs exist: it starts, or waits for a processor, resource or order."""

    event: Literal["scheduled"]
    waiting_for: NotRequired[list[str]]
    """When it could not start at once: what it waits for (`"processor"`, `"gpu"`,
    `"tool:search"`, `"order:s2"`)."""


class StartedEvent(_EventBase):
    """A call started (a call run again after a repair starts again)."""

    event: Literal["started"]
    pid: int | None
    args: dict[str, Any]
    waiting_for: NotRequired[list[str]]
    """When it waited after being scheduled: everything it waited for, in the order met."""


class FinishedEvent(_EventBase):
    """A call finished with `result`."""

    event: Literal["finished"]
    pid: int | None
    started_at: float | None
    ended_at: float | None
    result: Any
    cached: NotRequired[bool]
    """True when the result was reused from the tool-result cache (or an identical
    call in flight) instead of running the tool."""


class FailedEvent(_EventBase):
    """A call failed (`error`: `Type: message`), or was cancelled."""

    event: Literal["failed"]
    error: str | None


class RepairedEvent(_EventBase):
    """Recovery rewrote a call (or kept it: `changed` is false); `call` is the new line."""

    event: Literal["repaired"]
    changed: bool
    call: str


class RewrittenEvent(_EventBase):
    """Recovery rewrote a call's line: old and new call and arguments.

    `kept` is false when the rewrite was refused because it replaced what the question
    gave (`replaced` says what); the call then stays failed.
    """

    event: Literal["rewritten"]
    old_call: str
    new_call: str
    old_args: dict[str, Any]
    new_args: dict[str, Any]
    kept: bool
    replaced: list[str]


class RestoredEvent(_EventBase):
    """A call's result came back from the checkpoint of an earlier, interrupted run."""

    event: Literal["restored"]


class PlannedEvent(_EventBase):
    """A streamed plan was complete (`stream_plan=True`)."""

    event: Literal["planned"]
    plan_seconds: float
    lines: int
    error: str | None
    scheduled_before_end: dict[str, float]


StreamEvent = (
    PlanningEvent
    | ScheduledEvent
    | StartedEvent
    | FinishedEvent
    | FailedEvent
    | RepairedEvent
    | RewrittenEvent
    | RestoredEvent
    | PlannedEvent
)
"""One item of `agent.stream(..., stream_mode="custom")`; tell them apart by `"event"`."""

EventSink = Callable[[StreamEvent], None]
"""Where a run sends its events (`Orchestrator.run(..., on_event=...)`)."""


def event(name: EventName, record: TraceRecord | None = None, **fields: Any) -> StreamEvent:
    """Make a stream event: `{"event": ..., "id": ..., "tool": ..., "kind": ..., ...}`.

    The call's fields come from `record` when given (else `None` unless in `fields`).

    Example:
        ```python
        from langchain_llmorch.engine.events import event

        planned = event("planning", request="plan")
        assert planned == {
            "event": "planning", "id": None, "tool": None, "kind": None,
            "processor": None, "attempt": None, "request": "plan",
        }
        ```
    """
    out: dict[str, Any] = {
        "event": name,
        "id": None,
        "tool": None,
        "kind": None,
        "processor": None,
        "attempt": None,
    }
    if record is not None:
        out.update(
            id=record.id,
            tool=record.tool,
            kind=record.kind,
            processor=record.processor,
            attempt=record.attempt,
        )
    out.update(fields)
    return cast("StreamEvent", out)


def started_announcer(
    sink: EventSink | None, args: dict[str, Any], *, soon: bool = False
) -> Callable[[TraceRecord], None]:
    """What announces, to `sink`, that a call with `args` started (the `started` event).

    The runner calls it with the call's record once the call holds what it waited for.
    `soon`: the event goes out on the event loop's next turn, for a call started by the
    coordinator before it sent the call's `scheduled` event (a sync inout call handed
    straight to a thread). Without a sink, nothing is made.

    Example:
        ```python
        from langchain_llmorch.engine.events import TraceRecord, started_announcer

        heard = []
        record = TraceRecord("s1", "search", "inout", None, 7, 0.0, 0.0, 0.0, "finished")
        started_announcer(heard.append, {"q": "x"})(record)
        assert heard[0]["event"] == "started" and heard[0]["args"] == {"q": "x"}
        ```
    """
    if sink is None:
        return _unheard

    def on_started(record: TraceRecord) -> None:
        waited = {"waiting_for": list(record.waiting_for)} if record.waiting_for else {}
        sink(event("started", record, pid=record.pid, args=args, **waited))

    if not soon:
        return on_started

    def on_started_soon(record: TraceRecord) -> None:
        asyncio.get_running_loop().call_soon(on_started, record)

    return on_started_soon


def _unheard(_record: TraceRecord) -> None:
    """No one listens for events."""


__all__ = [
    "CallStatus",
    "EventName",
    "EventSink",
    "FailedEvent",
    "FinishedEvent",
    "PlannedEvent",
    "PlanningEvent",
    "RepairedEvent",
    "RestoredEvent",
    "RewrittenEvent",
    "RunResult",
    "ScheduledEvent",
    "StartedEvent",
    "StreamEvent",
    "TraceRecord",
    "event",
    "started_announcer",
]
