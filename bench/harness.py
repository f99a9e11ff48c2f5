"""The benchmark harness: serve the scripted LLM, run every suite, report.

One event loop runs every measurement, so the HTTP clients of every technique
live as long as the run; the scripted LLM server runs on 127.0.0.1 beside it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from bench import dags, report, suites
from bench.bounds import scripted_streaming_bound
from bench.calibrate import calibrate
from bench.llm_server import ScriptedLLMServer
from bench.runner import Measurement, Technique, measure, techniques_for
from bench.scripted import ScriptedBrain
from bench.workloads import agnews, kitti, search
from bench.workloads.latency import LatencyModel
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.viz import require_matplotlib

SUITES = ("kitti", "agnews", "movierec", "hotpotqa", "recovery", "scaling", "cases", "dags")
# Per size: KITTI image scale, AGNews sizes, case-study scale, queries per suite (compute, I/O).
SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"kitti": kitti.TINY_SCALE, "agnews": agnews.TINY, "case": 0.05, "mb": 1, "n": (1, 2)},
    "small": {
        "kitti": 0.8,
        "agnews": {"n": 400, "tsne_iter": 500, "lda_iter": 20},
        "case": 0.3,
        "mb": 8,
        "n": (1, 5),
    },
    "default": {"kitti": kitti.DEFAULT_SCALE, "agnews": None, "case": 1.0, "mb": 32, "n": (3, 10)},
}
SCALING_TECHNIQUES: tuple[Technique, ...] = ("react", "llmcompiler", "llmorch")
WARMUP_SUITES = ("kitti", "agnews", "scaling", "cases")
"""Suites whose tools load libraries or data on first use."""


@dataclass(frozen=True)
class Options:
    """What to run."""

    suites: tuple[str, ...] = SUITES
    techniques: tuple[str, ...] = ()
    processors: int = 2
    queries: int | None = None
    size: str = "default"
    latency_scale: float = 1.0
    seed: int = 0
    out: str = "benchmark_results"
    model: str | None = None
    charts: bool = True
    warmup: bool = True
    """Run each suite's first query once, unmeasured, in this process and in the workers."""


def _queries(suite: str, options: Options) -> list[suites.Query]:
    size = SIZES[options.size]
    few, many = size["n"]
    n = options.queries
    if suite in ("kitti", "scaling"):
        return suites.kitti_queries(n or few, scale=size["kitti"])
    if suite == "agnews":
        return suites.agnews_queries(n or few, sizes=size["agnews"])
    if suite == "movierec":
        return suites.movierec_queries(n or many)
    if suite == "hotpotqa":
        return suites.hotpotqa_queries(n or many)
    if suite == "recovery":
        return suites.recovery_queries()
    if suite == "cases":
        return suites.case_queries(f"{options.out}/cases", scale=size["case"], video_mb=size["mb"])
    return []


class _Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.start = max(total, 1), 0, time.time()

    def step(self, label: str) -> None:
        self.done += 1
        width = 30
        filled = width * self.done // self.total
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.time() - self.start
        sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} {elapsed:5.0f}s {label[:48]:<48}")
        sys.stderr.flush()
        if self.done == self.total:
            sys.stderr.write("\n")


def _model(options: Options, base_url: str | None) -> BaseChatModel:
    from langchain_openai import ChatOpenAI  # noqa: PLC0415

    if base_url is not None:
        return ChatOpenAI(base_url=base_url, api_key="scripted", model="scripted", max_retries=0)
    return ChatOpenAI(model=options.model or os.environ.get("OPENAI_MODEL", "gpt-4o-mini"))


WARMUP_TECHNIQUES: tuple[Technique, ...] = ("parallel_fc", "llmorch")
"""Warm-up runs: one runs the tools in this process (the baselines' side), one in the workers."""


async def _measure_all(
    plan: list[tuple[str, suites.Query, Technique, int]],
    model: BaseChatModel,
    brain: ScriptedBrain | None,
    count: Callable[[], int] | None,
    *,
    warmup: bool = False,
) -> list[Measurement]:
    progress, rows = _Progress(len(plan)), []
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    warmed: set[str] = set()
    for suite, query, technique, p in plan:
        if warmup and suite not in warmed and suite in WARMUP_SUITES:
            # Imports and per-process caches of the tools (OpenCV, scikit-learn, the images)
            # are paid once here, not by whichever technique happens to run first.
            warmed.add(suite)
            for warm in WARMUP_TECHNIQUES:
                if brain is not None:
                    brain.parallel = True
                await measure(warm, query, model, processors=p)
        if brain is not None:
            brain.parallel = technique != "react"
        pinned = suite == "scaling" and not technique.startswith("llmorch") and cpus
        if pinned:  # baselines run in this process: give them P cores
            os.sched_setaffinity(0, cpus[:p])
        try:
            row = await measure(technique, query, model, processors=p, count_requests=count)
        finally:
            if pinned:
                os.sched_setaffinity(0, cpus)
        row.suite = suite
        rows.append(row)
        progress.step(f"{query.qid} {technique} P={p} {row.seconds:.2f}s")
    return rows


def _schedule(options: Options) -> list[tuple[str, suites.Query, Technique, int]]:
    chosen = techniques_for(options.techniques)
    plan = []
    for suite in options.suites:
        for query in _queries(suite, options):
            if suite == "scaling":
                for p in range(1, options.processors + 1):
                    plan += [(suite, query, t, p) for t in chosen if t in SCALING_TECHNIQUES]
            else:
                plan += [(suite, query, t, options.processors) for t in chosen]
    return plan


def run_benchmark(options: Options) -> str:
    """Run the benchmark and return the report (markdown); results go to `options.out`."""
    # Baselines run the stereo tool in threads, where its own warning filter is not reliable.
    warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
    if options.charts:
        require_matplotlib()  # before the run, not after it
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    latency = LatencyModel(seed=options.seed, scale=options.latency_scale)
    search.set_latency(latency)
    calibration = calibrate(options.processors)
    plan = _schedule(options)
    real = bool(
        options.model or os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")
    )
    brain = None if real else ScriptedBrain([q for _, q, _, _ in plan])
    if brain is None:
        rows = asyncio.run(
            _measure_all(plan, _model(options, None), None, None, warmup=options.warmup)
        )
    else:
        with ScriptedLLMServer(brain, latency) as server:
            model = _model(options, server.base_url)
            rows = asyncio.run(
                _measure_all(
                    plan, model, brain, lambda: len(server.requests), warmup=options.warmup
                )
            )
        _streaming_bounds(rows, plan, brain, latency)
    sections = [f"# LLMOrch benchmark ({options.size} size)", "", report.machine_line(calibration)]
    for suite in options.suites:
        suite_rows = [r for r in rows if r.suite == suite]
        if suite == "dags":
            continue
        if not suite_rows:
            continue
        if suite == "scaling":
            table = report.scaling_table(suite_rows)
        elif suite == "recovery":
            table = report.recovery_table(suite_rows)
        else:
            table = report.suite_table(suite_rows, accuracy=real)
        sections += ["", f"## {suite}", "", table]
    if "dags" in options.suites:
        count = options.queries or (20 if options.size != "default" else 100)
        summary = dags.summarize(dags.run_dags(count, options.processors))
        sections += ["", "## random DAGs", "", _dag_table(summary)]
    if options.charts:
        charts = report.write_gantts(rows, out)
        sections += ["", f"Gantt charts: {len(charts)} PNG files in {out}/"]
    report.write_json(out / "results.json", {"calibration": calibration, "measurements": rows})
    text = "\n".join(sections)
    (out / "report.md").write_text(text + "\n", encoding="utf-8")
    return text


BOUNDED_SUITES = ("kitti", "agnews", "movierec", "hotpotqa", "cases")
"""Suites whose table has the streaming bound (each query run once per technique, no failures)."""


def _streaming_bounds(
    rows: list[Measurement],
    plan: list[tuple[str, suites.Query, Technique, int]],
    brain: ScriptedBrain,
    latency: LatencyModel,
) -> None:
    """Set each row's `streaming_bound`: one per query, from every run's trace."""
    queries = {(s, q.qid): (q, p) for s, q, _, p in plan if s in BOUNDED_SUITES}
    for (suite, qid), (query, processors) in queries.items():
        runs = [r for r in rows if r.suite == suite and r.qid == qid]
        try:
            bound = scripted_streaming_bound(
                query.plan,
                query.tools,
                brain.answer(query),
                latency,
                traces=[r.trace for r in runs],
                self_reply=query.self_answer,
                processors=processors,
            )
        except (LLMOrchError, ValueError):  # a plan the bound cannot read: no column, no crash
            continue
        for row in runs:
            row.streaming_bound = bound


def _dag_table(summary: dict[str, float]) -> str:
    return "\n".join(
        [
            (
                "| plans | dataflow / lower bound | paper / lower bound | dataflow / paper "
                "| dataflow slower (>3%) |"
            ),
            "|---|---|---|---|---|",
            (
                f"| {summary['plans']:.0f} | {summary['dataflow_vs_bound']:.3f} | "
                f"{summary['paper_vs_bound']:.3f} | {summary['dataflow_vs_paper']:.3f} | "
                f"{summary['dataflow_slower']:.0f} |"
            ),
        ]
    )


__all__ = ["SIZES", "SUITES", "Options", "run_benchmark"]
