"""Draw a run's trace: a Gantt chart of its calls, or a plain-text schedule table.

A trace is a sequence of records, objects with attributes or dicts with keys: `id`, `tool`,
`kind` ("compute" / "inout"), `processor` (int, or None for inout calls), `pid`,
`scheduled_at`, `started_at`, `ended_at` (epoch seconds) and `status`: the `trace` of a
`RunResult`. Times are shown relative to the run's start, the earliest scheduled or started call
unless you pass `start`.

Records of kind `"llm"` are the run's own LLM requests (plan, repair, joiner; the benchmark
records them with a callback handler): they get their own lanes at the top, so the time axis
covers the whole query, not only its tool calls.

The chart has the LLM lanes, one row per processor for compute calls, then lanes for compute
calls without a processor (a technique that runs them on its event loop) and lanes for
overlapping inout calls. Each call is a bar from start to end labelled with its id; the wait
from scheduled to started is drawn lightly (grey) before it, and failed calls are hatched.

Drawing needs matplotlib: `pip install "langchain-llmorch[bench]"`.

Example:
    ```python
    from langchain_llmorch.viz import gantt, schedule_table

    trace = [
        {"id": "s1", "tool": "search", "kind": "inout", "processor": None,
         "scheduled_at": 0.0, "started_at": 0.0, "ended_at": 0.6, "status": "ok"},
        {"id": "s2", "tool": "fit", "kind": "compute", "processor": 0,
         "scheduled_at": 0.6, "started_at": 0.7, "ended_at": 2.0, "status": "ok"},
    ]
    print(schedule_table(trace))
    gantt(trace, title="example", path="gantt.png")
    ```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_llmorch._extras import require_extra

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["gantt", "require_matplotlib", "schedule_table"]

_COLORS = {"llm": "#55A868", "compute": "#4C72B0", "inout": "#DD8452"}
_OTHER = "#8C8C8C"
_WAIT_ALPHA = 0.3
_LEGEND = {"llm": "LLM request", "compute": "compute call", "inout": "I/O call"}
_FAILED = frozenset({"failed", "error", "crashed", "timeout", "cancelled"})
_BAR_HEIGHT = 0.6
_WAIT_HEIGHT = 0.15  # thin, so a wait that spans earlier calls on the row does not hide them


@dataclass(frozen=True, slots=True)
class _Call:
    id: str
    tool: str
    kind: str
    processor: int | None
    scheduled: float | None
    started: float | None
    ended: float | None
    status: str
    waiting_for: tuple[str, ...] = ()


def _field(record: Any, name: str) -> Any:
    if isinstance(record, Mapping):
        return record.get(name)
    return getattr(record, name, None)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _calls(trace: Iterable[Any]) -> list[_Call]:
    calls = []
    for record in trace:
        processor = _field(record, "processor")
        calls.append(
            _Call(
                id=str(_field(record, "id")),
                tool=str(_field(record, "tool") or ""),
                kind=str(_field(record, "kind") or "inout"),
                processor=None if processor is None else int(processor),
                scheduled=_number(_field(record, "scheduled_at")),
                started=_number(_field(record, "started_at")),
                ended=_number(_field(record, "ended_at")),
                status=str(_field(record, "status") or ""),
                waiting_for=tuple(_field(record, "waiting_for") or ()),
            )
        )
    return calls


def _origin(calls: list[_Call], start: float | None) -> float:
    if start is not None:
        return start
    times = [t for c in calls for t in (c.scheduled, c.started) if t is not None]
    return min(times, default=0.0)


def _lane(lanes: list[float], begin: float, end: float) -> int:
    """Put a call in the first lane free at `begin` (interval partitioning); return the lane."""
    for i, last in enumerate(lanes):
        if last <= begin:
            lanes[i] = end
            return i
    lanes.append(end)
    return len(lanes) - 1


def _rows(calls: list[_Call]) -> tuple[list[str], dict[int, int]]:
    """Row labels, top to bottom, and the row of every call that started.

    Rows are keyed by each record's identity: a call that ran twice (after a repair)
    has two records and two bars.
    """
    ran = sorted((c for c in calls if c.started is not None), key=lambda c: (c.started, c.id))
    labels: list[str] = []
    row_of: dict[int, int] = {}
    llm_lanes: list[float] = []  # when each lane's last request ends
    for call in (c for c in ran if c.kind == "llm"):
        begin = call.started or 0.0
        row_of[id(call)] = _lane(llm_lanes, begin, call.ended or begin)
    labels += [f"LLM {i + 1}" for i in range(len(llm_lanes))]
    pinned = [c for c in ran if c.kind == "compute" and c.processor is not None]
    processors = sorted({c.processor for c in pinned if c.processor is not None})
    first = len(labels)
    labels += [f"CPU {p}" for p in processors]
    row_of |= {
        id(c): first + processors.index(c.processor) for c in pinned if c.processor is not None
    }
    for kind, label in (("compute", "compute"), ("inout", "I/O")):
        lanes: list[float] = []  # when each lane's last call ends
        first = len(labels)
        for call in ran:
            if call.kind == "llm" or id(call) in row_of:
                continue
            if (call.kind == "compute") == (kind == "compute"):
                begin = call.started or 0.0
                row_of[id(call)] = first + _lane(lanes, begin, call.ended or begin)
        labels += [f"{label} {i + 1}" for i in range(len(lanes))]
    return labels, row_of


def _draw(ax: Axes, call: _Call, y: int, origin: float) -> None:
    """One call: its wait (scheduled -> started) lightly, then its run, labelled with its id."""
    color = _COLORS.get(call.kind, _OTHER)
    begin = (call.started or 0.0) - origin
    end = (call.ended or call.started or 0.0) - origin
    if call.scheduled is not None and call.scheduled - origin < begin:
        since = call.scheduled - origin
        wait = ax.barh(
            y, begin - since, left=since, height=_WAIT_HEIGHT, color=_OTHER, alpha=_WAIT_ALPHA
        )
        wait.patches[0].set_gid(f"wait:{call.id}")
    failed = call.status in _FAILED
    bar = ax.barh(
        y,
        end - begin,
        left=begin,
        height=_BAR_HEIGHT,
        color=color,
        edgecolor="#C44E52" if failed else "white",
        hatch="//" if failed else None,
        zorder=2,
    )
    bar.patches[0].set_gid(f"call:{call.id}")
    middle = begin + (end - begin) / 2
    ax.text(middle, y, call.id, ha="center", va="center", fontsize=8, color="w", zorder=3)


def require_matplotlib() -> None:
    """Fail early, with the install command, when matplotlib is missing.

    Raises:
        MissingExtraError: matplotlib is not installed (an `ImportError` naming
            `pip install "langchain-llmorch[bench]"`).

    Example:
        ```python
        require_matplotlib()  # before a long benchmark that ends with charts
        ```
    """
    require_extra("bench", "matplotlib", feature="Gantt charts")


def gantt(
    trace: Iterable[Any],
    *,
    title: str | None = None,
    path: str | None = None,
    ax: Axes | None = None,
    start: float | None = None,
) -> Figure:
    """Draw a run's trace as a Gantt chart: processors and I/O lanes against time.

    Args:
        trace: the run's trace records (`RunResult.trace`).
        title: the chart's title.
        path: save the chart there (PNG, SVG, PDF: by extension), rendered with Agg.
        ax: draw into these axes instead of a new figure.
        start: the time origin, epoch seconds (default: the earliest scheduled call).

    Returns:
        The figure drawn on. Bars carry `gid`s `"call:<id>"` and `"wait:<id>"`.

    Raises:
        MissingExtraError: matplotlib is not installed (an `ImportError` naming
            `pip install "langchain-llmorch[bench]"`).

    Example:
        ```python
        fig = gantt(result.trace, title="KITTI* query 0, 2 processors", path="kitti.png")
        ```
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - optional
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.patches import Patch  # noqa: PLC0415

    calls = _calls(trace)
    origin = _origin(calls, start)
    labels, row_of = _rows(calls)
    if ax is None:
        fig = Figure(figsize=(10, 1.2 + 0.45 * max(1, len(labels))), layout="constrained")
        FigureCanvasAgg(fig)  # render with Agg: no display, no pyplot state
        ax = fig.add_subplot()
    figure = ax.get_figure()
    if not isinstance(figure, Figure):
        msg = "gantt: the axes must belong to a matplotlib Figure"
        raise TypeError(msg)
    for call in calls:
        if id(call) in row_of and call.started is not None:
            _draw(ax, call, row_of[id(call)], origin)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ends = [c.ended for c in calls if c.ended is not None and id(c) in row_of]
    if ends:
        ax.set_xlim(0.0, (max(ends) - origin) * 1.02 or 1.0)
    ax.set_xlabel("seconds since the run started")
    ax.grid(axis="x", alpha=0.3)
    shown = {c.kind for c in calls if id(c) in row_of}
    handles = [
        Patch(facecolor=c, edgecolor="white", label=_LEGEND[k])
        for k, c in _COLORS.items()
        if k in shown
    ]
    handles += [
        Patch(color=_OTHER, alpha=_WAIT_ALPHA, label="waiting"),
        Patch(facecolor="white", edgecolor="#C44E52", hatch="//", label="failed"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    if title:
        ax.set_title(title)
    if path is not None:
        figure.savefig(path, dpi=120)
    return figure


def schedule_table(trace: Iterable[Any], *, start: float | None = None) -> str:
    """Format a run's trace as a plain-text table, in start order.

    Args:
        trace: the run's trace records (`RunResult.trace`).
        start: the time origin, epoch seconds (default: the earliest scheduled call).

    Returns:
        One header line and one line per call: id, tool, kind, processor, wait, start, end and
        status, times in seconds since the run started; and what the call waited for
        (`waiting_for`) when some call of the trace waited.

    Example:
        ```python
        print(schedule_table(result.trace))
        ```
    """
    calls = _calls(trace)
    origin = _origin(calls, start)

    def seconds(value: float | None, since: float = origin) -> str:
        return "-" if value is None else f"{value - since:.3f}"

    waited = any(c.waiting_for for c in calls)
    header = ("id", "tool", "kind", "processor", "wait", "start", "end", "status")
    rows: list[tuple[str, ...]] = [(*header, "waited for") if waited else header]
    for c in sorted(calls, key=lambda c: (c.started is None, c.started or 0.0, c.id)):
        wait = "-" if c.scheduled is None else seconds(c.started, c.scheduled)
        processor = "-" if c.processor is None else str(c.processor)
        times = (seconds(c.started), seconds(c.ended))
        row = (c.id, c.tool, c.kind, processor, wait, *times, c.status)
        rows.append((*row, ", ".join(c.waiting_for) or "-") if waited else row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)
