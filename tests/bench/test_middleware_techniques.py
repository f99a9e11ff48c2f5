"""The benchmark's two middleware techniques against the same scripted server as the others.

`create_agent_mw` is `create_agent` with `LLMOrchMiddleware()`: the same turns as plain
`create_agent`, compute calls on the workers. `create_agent_plan_first` plans in one turn
(the server answers it by the `x-llmorch-request` header, as it answers LLMOrch) and gets
the same replies, so the same output tokens, as `llmorch`.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from langchain_openai import ChatOpenAI

from bench import suites
from bench.llm_server import ScriptedLLMServer, ServedRequest
from bench.report import suite_table
from bench.runner import Measurement, measure, techniques_for
from bench.scripted import ScriptedBrain
from bench.workloads import kitti
from bench.workloads.latency import LatencyModel

TECHNIQUES = ("create_agent", "create_agent_mw", "create_agent_plan_first", "llmorch")


def _run(
    queries: list[suites.Query], latency: LatencyModel
) -> dict[str, tuple[Measurement, list[ServedRequest]]]:
    brain = ScriptedBrain(queries)
    out: dict[str, tuple[Measurement, list[ServedRequest]]] = {}

    async def each(model: ChatOpenAI, server: ScriptedLLMServer) -> None:
        for technique in TECHNIQUES:
            before = len(server.requests)
            row = await measure(
                technique,  # type: ignore[arg-type]
                queries[0],
                model,
                processors=2,
                count_requests=lambda: len(server.requests),
            )
            out[technique] = (row, server.requests[before:])

    with ScriptedLLMServer(brain, latency) as server:
        model = ChatOpenAI(base_url=server.base_url, api_key="x", model="scripted", max_retries=0)
        asyncio.run(each(model, server))
    return out


@pytest.fixture(scope="module")
def kitti_runs() -> dict[str, tuple[Measurement, list[ServedRequest]]]:
    queries = suites.kitti_queries(1, scale=kitti.TINY_SCALE)
    return _run(queries, LatencyModel(ttft=0.3, per_token=0.02, llm_jitter=0.0))


def _kinds(served: list[ServedRequest]) -> list[Any]:
    return [r.reply if isinstance(r.reply, str) else "tool calls" for r in served]


def test_both_techniques_answer_and_run_compute_calls_on_workers(
    kitti_runs: dict[str, tuple[Measurement, list[ServedRequest]]],
) -> None:
    for technique in ("create_agent_mw", "create_agent_plan_first"):
        row, _ = kitti_runs[technique]
        assert row.ok, row.error
        assert row.answer == kitti_runs["llmorch"][0].answer
        steering = [r for r in row.trace if r["tool"] == "steering_angle"]
        assert len(steering) == 8
        assert all(r["pid"] != os.getpid() for r in steering)  # in worker processes
        assert all(r["processor"] is not None for r in steering)


def test_the_turn_by_turn_middleware_gets_the_replies_of_create_agent(
    kitti_runs: dict[str, tuple[Measurement, list[ServedRequest]]],
) -> None:
    plain, ours = kitti_runs["create_agent"][1], kitti_runs["create_agent_mw"][1]
    assert _kinds(ours) == _kinds(plain) == ["tool calls", plain[-1].reply]
    assert [r.completion_tokens for r in ours] == [r.completion_tokens for r in plain]


def test_plan_first_gets_the_replies_and_output_tokens_of_llmorch(
    kitti_runs: dict[str, tuple[Measurement, list[ServedRequest]]],
) -> None:
    llmorch, ours = kitti_runs["llmorch"][1], kitti_runs["create_agent_plan_first"][1]
    # The plan and the answer: the three answer-only `self` steps fold into the last turn.
    assert [r.reply for r in ours] == [r.reply for r in llmorch]
    assert len(ours) == 2
    assert [r.completion_tokens for r in ours] == [r.completion_tokens for r in llmorch]
    assert ours[0].stream  # the plan turn streams, as llmorch's planner does
    assert kitti_runs["create_agent_plan_first"][0].llm_requests == 2


def test_plan_first_starts_compute_calls_while_the_plan_streams(
    kitti_runs: dict[str, tuple[Measurement, list[ServedRequest]]],
) -> None:
    row, served = kitti_runs["create_agent_plan_first"]
    plan_done = served[0].replied_at
    first_start = min(r["started_at"] for r in row.trace)
    assert first_start < plan_done


def test_the_table_names_both_techniques(
    kitti_runs: dict[str, tuple[Measurement, list[ServedRequest]]],
) -> None:
    table = suite_table([row for row, _ in kitti_runs.values()])
    assert "| create_agent + LLMOrchMiddleware |" in table
    assert "| create_agent + LLMOrchMiddleware, plan-first |" in table
    assert techniques_for(["create_agent_plan_first", "create_agent_mw"]) == (
        "create_agent_mw",
        "create_agent_plan_first",
    )
