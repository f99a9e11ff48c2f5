"""The streaming lower bound: by hand on small plans, and below what a scripted run took."""

import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bench.bounds import (
    line_times,
    scripted_streaming_bound,
    streaming_bound,
)
from bench.harness import Options, run_benchmark
from bench.llm_server import stream_deltas
from bench.suites import tools_from
from bench.workloads import search
from bench.workloads.latency import LatencyModel
from langchain_llmorch.self_tool import make_self_tool
from langchain_llmorch.tools import compute, inout


@inout
def fetch(entity: str) -> str:
    """Fetch a page."""
    return entity


@compute
def work(n: int) -> int:
    """Busy work."""
    return n


PLAN = 's1: fetch(entity="A")\ns2: work(n=1)\ns3: work(n=s1)\ns4: self(prompt="sum {s2} {s3}")'
DELTAS = [
    ("", 0.50),
    ("s1:", 0.51),
    (' fetch(entity="A")\ns2:', 0.52),
    (" work(n=1)\ns3:", 0.53),
    (" work(n=s1)\ns4:", 0.54),
    (' self(prompt="sum', 0.55),
    (" {s2}", 0.56),
    (' {s3}")', 0.57),
    ("", 0.58),
]


def test_a_line_is_complete_with_the_delta_that_ends_it() -> None:
    assert line_times(PLAN, DELTAS) == {"s1": 0.52, "s2": 0.53, "s3": 0.54, "s4": 0.57}


@pytest.mark.parametrize(
    ("processors", "expected"),
    [
        # F1 = .52 + .6 = 1.12; F2 = .53 + 1 = 1.53; F3 = max(.54, F1) + .2 = 1.32;
        # s4 folds into the joiner (0 s). P=1: the compute work 1.2 s from .53 ends at 1.73.
        (1, 1.73 + 0.4),
        (2, 1.53 + 0.4),  # P=2: .53 + .6 = 1.13, under the chain through s2
    ],
)
def test_bound_by_hand(processors: int, expected: float) -> None:
    tools = [fetch, work, make_self_tool(FakeListChatModel(responses=["x"]))]
    bound = streaming_bound(
        PLAN,
        tools,
        line_times=line_times(PLAN, DELTAS),
        plan_seconds=0.58,
        joiner_seconds=0.4,
        durations={"s1": 0.6, "s2": 1.0, "s3": 0.2, "s4": 5.0},
        processors=processors,
    )
    assert bound == pytest.approx(expected)


def test_the_plan_end_bounds_the_joiner_start() -> None:
    plan = 's1: fetch(entity="A")'
    bound = streaming_bound(
        plan,
        [fetch],
        line_times={"s1": 0.1},
        plan_seconds=2.0,
        joiner_seconds=0.5,
        durations={"s1": 0.3},
        processors=2,
    )
    assert bound == pytest.approx(2.5)


def test_scripted_bound_from_the_latency_model() -> None:
    latency = LatencyModel(llm_jitter=0.0, search_jitter=0.0)  # ttft .5, .01/token, search .6
    plan = 's1: search(entity="A")\ns2: search(entity="B")'
    # 4 tokens: .54 s in all; words at .51, .52 (ends s1), .53 (ends s2); end at .54.
    assert [t for _, t in stream_deltas(plan, [], 0.5, 0.54)][2:4] == pytest.approx([0.52, 0.53])
    bound = scripted_streaming_bound(
        plan, tools_from(search.HOTPOTQA_TOOLS), "yes", latency, processors=2
    )
    assert bound == pytest.approx(0.53 + 0.6 + 0.51)  # last search ends, then the joiner
    assert latency.draws == []  # the bound draws from a copy


def test_a_literal_self_prompt_costs_its_seeded_reply() -> None:
    latency = LatencyModel(llm_jitter=0.0, search_jitter=0.0)
    plan = 's1: search(entity="A")\ns2: self(prompt="hi")\ns3: search(entity=s2)'
    tools = [*tools_from(search.HOTPOTQA_TOOLS), make_self_tool(FakeListChatModel(responses=[]))]
    # 6 tokens (.56 s), 6 deltas .012 s apart: the lines end at .524, .536 and .548.
    # s1 ends at 1.124; s2 (a 10-word reply, .6 s) at 1.136, and s3 (not seeded) with it.
    bound = scripted_streaming_bound(
        plan, tools, "yes", latency, self_reply=lambda _p: "a b c d e f g h i j", processors=2
    )
    assert bound == pytest.approx(1.136 + 0.51)
    unknown = scripted_streaming_bound(plan, tools, "yes", latency, processors=2)
    assert unknown == pytest.approx(1.124 + 0.51)  # without the reply s2 costs nothing


def test_bound_is_below_every_streaming_run(tmp_path: Path) -> None:
    options = Options(
        suites=("movierec",),
        techniques=("llmcompiler", "llmcompiler_stream", "llmorch"),
        processors=2,
        queries=1,
        size="tiny",
        latency_scale=0.2,
        out=str(tmp_path),
        charts=False,
        warmup=False,
    )
    text = run_benchmark(options)
    rows = json.loads((tmp_path / "results.json").read_text())["measurements"]
    assert {r["technique"] for r in rows} == set(options.techniques)
    bound = rows[0]["streaming_bound"]
    assert bound > 0
    for row in rows:
        assert row["ok"]
        assert row["streaming_bound"] == bound  # one per query
        answered = max(s["ended_at"] for s in row["llm_spans"]) - row["started_at"]
        assert bound <= answered  # the joiner's reply came no earlier than the bound
        searched = [r for r in row["trace"] if r["tool"] == "search"]
        assert len(searched) == 4
    assert "/ streaming bound" in text
