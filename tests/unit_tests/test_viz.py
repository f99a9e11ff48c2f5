"""The trace views: a Gantt chart with one bar per call and a plain-text schedule."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from langchain_llmorch.viz import gantt, schedule_table

T0 = 1_000.0


def record(
    cid: str, kind: str, processor: int | None, times: tuple[float | None, ...], **kw: Any
) -> Any:
    scheduled, started, ended = (None if t is None else T0 + t for t in times)
    fields = {
        "id": cid,
        "tool": kw.get("tool", "fit" if kind == "compute" else "search"),
        "kind": kind,
        "processor": processor,
        "pid": 1,
        "scheduled_at": scheduled,
        "started_at": started,
        "ended_at": ended,
        "status": kw.get("status", "ok"),
    }
    return SimpleNamespace(**fields) if kw.get("as_object") else fields


TRACE = [
    record("s1", "inout", None, (0.0, 0.0, 0.6)),
    record("s2", "inout", None, (0.0, 0.0, 0.5)),
    record("s3", "compute", 0, (0.6, 0.7, 2.0), as_object=True),
    record("s4", "compute", 1, (0.6, 0.6, 1.9), status="failed"),
    record("s5", "compute", 0, (0.6, 2.0, 3.0)),
    record("s6", "inout", None, (3.0, 3.0, 3.5)),
    record("s7", "inout", None, (3.5, None, None), status="cancelled"),
]


def gids(fig: Figure, prefix: str) -> list[str]:
    return sorted(
        str(p.get_gid())[len(prefix) :]
        for p in fig.axes[0].patches
        if str(p.get_gid()).startswith(prefix)
    )


def test_gantt_writes_a_png_with_one_bar_per_started_call(tmp_path: Path) -> None:
    path = tmp_path / "gantt.png"
    fig = gantt(TRACE, title="run", path=str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert gids(fig, "call:") == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert gids(fig, "wait:") == ["s3", "s5"]  # the calls that waited for a processor
    assert fig.axes[0].get_title() == "run"


def test_gantt_rows_are_processors_then_io_lanes() -> None:
    fig = gantt(TRACE)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["CPU 0", "CPU 1", "I/O 1", "I/O 2"]  # s6 reuses lane 1
    bars = {str(p.get_gid()): p for p in fig.axes[0].patches if isinstance(p, Rectangle)}
    assert bars["call:s5"].get_x() == pytest.approx(2.0)
    assert bars["call:s5"].get_width() == pytest.approx(1.0)
    assert bars["call:s4"].get_hatch() == "//"


def test_gantt_draws_into_given_axes_and_puts_unpinned_compute_in_lanes() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    unpinned = [record("c1", "compute", None, (0, 0, 1)), record("c2", "compute", None, (0, 0, 1))]
    assert gantt(unpinned, ax=ax) is fig
    assert [t.get_text() for t in ax.get_yticklabels()] == ["compute 1", "compute 2"]


def test_schedule_table_lists_calls_in_start_order_relative_to_the_run() -> None:
    lines = schedule_table(TRACE).splitlines()
    assert lines[0].split() == [
        "id", "tool", "kind", "processor", "wait", "start", "end", "status"
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:]] == ["s1", "s2", "s4", "s3", "s5", "s6", "s7"]
    assert lines[4].split() == ["s3", "fit", "compute", "0", "0.100", "0.700", "2.000", "ok"]
    assert lines[-1].split()[-4:] == ["-", "-", "-", "cancelled"]
    shifted = schedule_table(TRACE, start=T0 - 1.0).splitlines()[1].split()
    assert shifted[5] == "1.000"


def test_a_call_that_ran_twice_gets_two_bars() -> None:
    from langchain_llmorch.viz import gantt

    twice = [
        {
            "id": "s1",
            "tool": "t",
            "kind": "inout",
            "processor": None,
            "scheduled_at": 0.0,
            "started_at": 0.0,
            "ended_at": 1.0,
            "status": "failed",
        },
        {
            "id": "s1",
            "tool": "t",
            "kind": "inout",
            "processor": None,
            "scheduled_at": 1.0,
            "started_at": 1.0,
            "ended_at": 2.0,
            "status": "finished",
        },
    ]
    fig = gantt(twice)
    bars = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("call:")]
    assert len(bars) == 2


def test_llm_requests_get_their_own_lane_and_the_axis_covers_the_whole_query() -> None:
    spans = [
        record("planner", "llm", None, (0.0, 0.0, 1.0), tool="llm"),
        record("joiner", "llm", None, (4.0, 4.0, 4.8), tool="llm"),
    ]
    shifted = [{**r, "started_at": r["started_at"] + 1.0, "ended_at": r["ended_at"] + 1.0}
               for r in TRACE[:2]]  # fmt: skip
    fig = gantt([*spans, *shifted], start=T0)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["LLM 1", "I/O 1", "I/O 2"]
    bars = {str(p.get_gid()): p for p in ax.patches if isinstance(p, Rectangle)}
    assert bars["call:planner"].get_y() < 0.5 < bars["call:s1"].get_y()  # top lane
    assert bars["call:joiner"].get_x() == pytest.approx(4.0)
    left, right = ax.get_xlim()
    assert left == 0.0
    assert right >= 4.8


def test_legend_colours_are_the_bars_colours() -> None:
    spans = [record("planner", "llm", None, (0.0, 0.0, 0.5), tool="llm")]
    fig = gantt([*spans, *TRACE])
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend is not None
    colours = {
        t.get_text(): h.get_facecolor()
        for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
        if isinstance(h, Patch)
    }
    bars = {str(p.get_gid()): p.get_facecolor() for p in ax.patches}
    assert colours["LLM request"] == bars["call:planner"]
    assert colours["compute call"] == bars["call:s3"]
    assert colours["I/O call"] == bars["call:s1"]
    assert colours["waiting"] == bars["wait:s3"]


def test_without_matplotlib_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r'pip install "langchain-llmorch\[bench\]"'):
        gantt(TRACE)
