"""Tables (shaped like the paper's Tables II and III), JSON results and Gantt charts."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from statistics import fmean
from typing import Any

from bench.calibrate import Calibration
from bench.runner import TECHNIQUES, Measurement

_NAMES = {
    "react": "ReAct",
    "parallel_fc": "Parallel FC",
    "llmcompiler": "LLMCompiler-style",
    "llmcompiler_stream": "LLMCompiler-style, streaming",
    "create_agent": "create_agent",
    "create_agent_mw": "create_agent + LLMOrchMiddleware",
    "create_agent_plan_first": "create_agent + LLMOrchMiddleware, plan-first",
    "llmorch_paper": "LLMOrch (paper policy)",
    "llmorch": "LLMOrch (dataflow)",
}


def technique_name(technique: str) -> str:
    """The display name of a technique."""
    return _NAMES.get(technique, technique)


def _by(rows: Sequence[Measurement], *keys: str) -> dict[tuple[Any, ...], list[Measurement]]:
    groups: dict[tuple[Any, ...], list[Measurement]] = defaultdict(list)
    for row in rows:
        groups[tuple(getattr(row, k) for k in keys)].append(row)
    return groups


def suite_table(rows: Sequence[Measurement], *, accuracy: bool = False) -> str:
    """One suite: latency, speedup over ReAct, ratios to the two bounds, LLM requests.

    `/ lower bound` is each run over LLMOrch's planning and joining as it paid them plus the
    best execution of its plan; `/ streaming bound` each run over the query's streaming bound
    (`benchmarks.bounds`), the mean of the per-query ratios.

    With `accuracy` (a real model), also the share of answers LLMCompiler's scorer accepts.
    """
    bounds = {r.qid: r.lower_bound for r in rows if r.technique == "llmorch" and r.lower_bound}
    groups = _by(rows, "technique")
    react = groups.get(("react",))
    react_mean = fmean(r.seconds for r in react) if react else None
    head = (
        "| technique | latency (s) | speedup over ReAct | / lower bound | / streaming bound "
        "| LLM requests | ok |"
    )
    lines = [head + (" accuracy |" if accuracy else ""), "|---|---|---|---|---|---|---|"]
    if accuracy:
        lines[1] += "---|"
    for technique in TECHNIQUES:
        group = groups.get((technique,))
        if not group:
            continue
        mean = fmean(r.seconds for r in group)
        speedup = f"{react_mean / mean:.2f}x" if react_mean else "-"
        ratios = [r.seconds / bounds[r.qid] for r in group if r.qid in bounds]
        ratio = f"{fmean(ratios):.2f}" if ratios else "-"
        streamed = [r.seconds / r.streaming_bound for r in group if r.streaming_bound]
        streaming = f"{fmean(streamed):.3f}" if streamed else "-"
        requests = fmean(r.llm_requests for r in group)
        ok = sum(r.ok for r in group)
        line = (
            f"| {technique_name(technique)} | {mean:.2f} | {speedup} | {ratio} | {streaming} | "
            f"{requests:.1f} | {ok}/{len(group)} |"
        )
        scored = [r.correct for r in group if r.correct is not None]
        if accuracy:
            line += f" {100 * sum(scored) / len(scored):.1f}% |" if scored else " - |"
        lines.append(line)
    return "\n".join(lines)


def scaling_table(rows: Sequence[Measurement]) -> str:
    """Latency and speedup over ReAct at P=1, for each P (the paper's Table III)."""
    groups = _by(rows, "technique", "processors")
    base = groups.get(("react", 1))
    base_mean = fmean(r.seconds for r in base) if base else None
    procs = sorted({r.processors for r in rows})
    head = "| technique | " + " | ".join(f"P={p} latency | P={p} speedup" for p in procs) + " |"
    lines = [head, "|---|" + "---|---|" * len(procs)]
    for technique in TECHNIQUES:
        cells = []
        for p in procs:
            group = groups.get((technique, p))
            if not group:
                cells += ["-", "-"]
                continue
            mean = fmean(r.seconds for r in group)
            cells += [f"{mean:.2f}s", f"{base_mean / mean:.2f}x" if base_mean else "-"]
        if any(c != "-" for c in cells):
            lines.append(f"| {technique_name(technique)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def recovery_table(rows: Sequence[Measurement]) -> str:
    """How each technique fared on a query whose calls fail at run time."""
    lines = [
        "| technique | latency (s) | repairs | completed | LLM requests |",
        "|---|---|---|---|---|",
    ]
    for technique in TECHNIQUES:
        for row in (r for r in rows if r.technique == technique):
            done = "yes" if row.ok else f"no ({(row.error or 'calls failed')[:60]})"
            lines.append(
                f"| {technique_name(technique)} | {row.seconds:.2f} | {row.repairs} | {done} | "
                f"{row.llm_requests} |"
            )
    return "\n".join(lines)


def machine_line(calibration: Calibration) -> str:
    """The calibration, as one line to print above the tables."""
    return (
        f"P = {calibration.processors} worker processes; effective cores measured at start: "
        f"{calibration.effective:.2f} (one calibration call {calibration.call_seconds:.2f} s)"
    )


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write results (measurements become dicts)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, Measurement | Calibration):
            return asdict(obj)
        return str(obj)

    path.write_text(json.dumps(payload, indent=1, default=default), encoding="utf-8")


def write_gantts(rows: Sequence[Measurement], folder: Path) -> list[Path]:
    """A Gantt chart per technique for the first query of each suite.

    Each chart shows the technique's LLM requests on their own lane above its tool calls,
    from the moment the run started to its end.
    """
    from langchain_llmorch.viz import gantt  # noqa: PLC0415 - matplotlib is optional

    written = []
    firsts: dict[str, str] = {}
    for row in rows:
        firsts.setdefault(row.suite, row.qid)
    for row in rows:
        if row.qid != firsts[row.suite] or not (row.trace or row.llm_spans):
            continue
        path = folder / f"gantt-{row.suite}-P{row.processors}-{row.technique}.png"
        title = (
            f"{row.qid}: {technique_name(row.technique)}, P={row.processors}, {row.seconds:.2f} s"
        )
        start = row.started_at or None
        gantt([*row.llm_spans, *row.trace], title=title, path=str(path), start=start)
        written.append(path)
    return written
