"""The benchmark end to end at the tiny size, with no latency: tables, JSON and charts."""

import json
from pathlib import Path

from bench.dags import run_dags, summarize
from bench.harness import Options, run_benchmark


def test_tiny_benchmark_reports_every_technique_and_recovers_83(tmp_path: Path) -> None:
    options = Options(
        suites=("kitti", "recovery"),
        techniques=("react", "llmcompiler", "llmcompiler_stream", "llmorch"),
        processors=2,
        queries=1,
        size="tiny",
        latency_scale=0.0,
        out=str(tmp_path),
    )
    text = run_benchmark(options)
    assert "## kitti" in text
    assert "## recovery" in text
    kitti = text.split("## kitti")[1].split("##")[0]
    for name in (
        "ReAct",
        "LLMCompiler-style",
        "LLMCompiler-style, streaming",
        "LLMOrch (dataflow)",
    ):
        assert f"| {name} |" in kitti
    recovery = text.split("## recovery")[1]
    assert "| LLMOrch (dataflow) |" in recovery
    llmorch_row = next(line for line in recovery.splitlines() if "LLMOrch (dataflow)" in line)
    assert "| yes |" in llmorch_row  # recovered by rewriting s2
    compiler_row = next(line for line in recovery.splitlines() if "LLMCompiler" in line)
    assert "| no" in compiler_row  # static replanning repeats the failing plan
    results = json.loads((tmp_path / "results.json").read_text())
    rows = results["measurements"]
    assert {r["technique"] for r in rows} == {
        "react",
        "llmcompiler",
        "llmcompiler_stream",
        "llmorch",
    }
    react = next(r for r in rows if r["technique"] == "react" and r["suite"] == "kitti")
    assert react["llm_requests"] == 9  # one turn per steering call, then the answer
    assert list(tmp_path.glob("gantt-kitti-*.png"))
    for row in (r for r in rows if r["suite"] == "kitti"):  # the charts' LLM lane
        spans = row["llm_spans"]
        assert spans
        assert all(s["kind"] == "llm" for s in spans)
        assert row["started_at"] <= spans[0]["started_at"]
        assert len(spans) <= row["llm_requests"]  # `self` prompts are calls, not spans
    stream = next(r for r in rows if r["technique"] == "llmcompiler_stream")
    assert stream["ok"]
    assert stream["llm_requests"] == 2  # plan and joiner: the averages fold into the joiner


def test_random_dags_run_under_both_policies() -> None:
    rows = run_dags(2, 2)
    summary = summarize(rows)
    assert summary["plans"] == 2
    for row in rows:
        assert row.dataflow >= row.dataflow_bound * 0.99
        assert row.paper >= row.paper_bound * 0.99
