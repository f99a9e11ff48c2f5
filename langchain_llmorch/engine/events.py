"""Call records: the trace of a run and the stream events derived from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from langchain_llmorch.tools import ToolKind

EventName = Literal["scheduled", "started", "finished", "failed", "repaired"]
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


def event(name: EventName, record: TraceRecord | None = None, **fields: Any) -> dict[str, Any]:
    """A stream event dict: `{"event": ..., "id": ..., "tool": ..., "kind": ..., ...}`."""
    out: dict[str, Any] = {"event": name}
    if record is not None:
        out.update(
            id=record.id,
            tool=record.tool,
            kind=record.kind,
            processor=record.processor,
            attempt=record.attempt,
        )
    out.update(fields)
    return out
