"""The repeat suites: a tiny stream through peers and LLMOrch, with and without the cache."""

from __future__ import annotations

import asyncio
import json

import pytest

from bench import repeat
from bench.suites import tools_from
from bench.workloads import search as ws
from bench.workloads.latency import LatencyModel


def test_zipf_queries_draw_distinct_popular_entities() -> None:
    pool = [f"t{i}" for i in range(50)]
    drawn = repeat.zipf_queries(pool, 200, 4, 1.1, seed=3)
    assert all(len(set(q)) == 4 for q in drawn)
    assert drawn == repeat.zipf_queries(pool, 200, 4, 1.1, seed=3)  # seeded
    counts = sorted((sum(e in q for q in drawn) for e in pool), reverse=True)
    assert counts[0] > 4 * counts[len(counts) // 2]  # a few entities take most draws
    assert repeat.repeat_share([["a", "b"], ["b", "c"], ["a", "d"]]) == pytest.approx(2 / 6)


def _stream(entities: list[list[str]]) -> repeat.Stream:
    tools = tools_from(ws.HOTPOTQA_TOOLS)
    queries = [repeat.make_query("repeat-hotpotqa", i, e, tools) for i, e in enumerate(entities)]
    warm = repeat.make_query("repeat-hotpotqa", -1, ["Warm-up 0", "Warm-up 1"], tools)
    return repeat.Stream("repeat-hotpotqa", entities, queries, warm)


def test_a_tiny_stream_reuses_results_only_in_llmorch_with_the_cache() -> None:
    pool = repeat.entity_pool("repeat-hotpotqa")
    a, b, c = pool[:3]
    stream = _stream([[a, b], [b, a], [c, a]])
    names = ["parallel_fc", "llmorch", "llmorch_nocache"]
    tallies = asyncio.run(repeat.run_streams([stream], names, latency=LatencyModel(scale=0.0)))[
        "repeat-hotpotqa"
    ]
    assert {n: t.failed for n, t in tallies.items()} == dict.fromkeys(names, 0)
    assert {n: len(t.seconds) for n, t in tallies.items()} == dict.fromkeys(names, 3)
    assert {n: t.searches for n, t in tallies.items()} == dict.fromkeys(names, 6)
    assert tallies["llmorch"].cached == 3  # b and a again, then a
    assert tallies["llmorch_nocache"].cached == 0
    summary = repeat.summarize(stream, tallies)
    assert summary["repeat_share"] == summary["hit_rate"] == 0.5
    assert summary["best_peer"] == "parallel_fc"
    assert summary["llmorch_over_best_peer"] == pytest.approx(
        tallies["llmorch"].total / tallies["parallel_fc"].total
    )


def test_the_command_prints_one_summary_per_suite(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--queries", "2", "--scale", "0", "--techniques", "parallel_fc", "llmorch", "--json"]
    assert repeat.main(argv) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["suite"] for s in lines] == list(repeat.SUITES)
    for summary in lines:
        assert summary["queries"] == 2
        assert set(summary["totals"]) == {"parallel_fc", "llmorch"}
        assert summary["failed"] == {"parallel_fc": 0, "llmorch": 0}
        assert 0 <= summary["hit_rate"] <= summary["repeat_share"] + 1e-9
