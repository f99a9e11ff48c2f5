"""`make demo`: the whole product on this machine, offline, with no API key.

1. A real language model: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M) served on 127.0.0.1
   answers a few questions through `create_llmorch_agent` with its defaults
   (`planning="auto"`: text plans under a grammar here); we show the plan, the schedule, the
   answer and its time, and check each answer: [OK] or [WRONG] with the reason.
2. The KITTI-like plan of the paper's Figure 3 with real CPU work: which call ran
   on which processor, when, and the makespan against the lower bound.
3. The benchmark: every technique side by side on a compute-heavy and an
   I/O-heavy suite (scripted LLM, seeded latencies), with Gantt charts.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.tools import StructuredTool

from bench.harness import Options, run_benchmark
from bench.local_questions import ran_calls
from bench.workloads import kitti
from langchain_llmorch import Orchestrator, build_frg, compute, create_llmorch_agent, parse_plan
from langchain_llmorch.agent.answer import mentions, model_words
from langchain_llmorch.engine.scheduling import lower_bound
from langchain_llmorch.plan.expressions import render_expr
from langchain_llmorch.processes.cpus import usable_cpus
from langchain_llmorch.tools import inout
from langchain_llmorch.viz import gantt, schedule_table


@dataclass(frozen=True)
class LocalQuestion:
    """A demo question, the calls that answer it, and what the answer must say."""

    text: str
    calls: frozenset[tuple[str, str, Any]]
    """(tool, argument, value) of each expected call."""
    largest: bool = False
    """The answer must say which result is the largest, and be right (else: give every
    result)."""


LOCAL_QUESTIONS = (
    LocalQuestion(
        "Detect the steering angle of scene 3 and of scene 4.",
        frozenset({("steering_angle", "scene", 3), ("steering_angle", "scene", 4)}),
    ),
    LocalQuestion(
        "Get the steering angles of scenes 1, 2 and 5, then say which one is the largest.",
        frozenset({("steering_angle", "scene", n) for n in (1, 2, 5)}),
        largest=True,
    ),
    LocalQuestion(
        "What is the word count of the sentence 'plans run in parallel'?",
        frozenset({("word_count", "text", "plans run in parallel")}),
    ),
)


@compute
def steering_angle(scene: int) -> float:
    """Detect the steering angle (degrees) of the stereo scene with this number."""
    return round(kitti.steering_angle(scene, kitti.TINY_SCALE), 2)


@inout
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


def _banner(title: str) -> None:
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}")


def check_answer(question: LocalQuestion, state: dict[str, Any]) -> str | None:
    """None when the plan made the expected calls and the model's answer holds the results.

    Only the model's own words count: the results the joiner adds to an answer without
    numbers do not make it right.
    """
    ran = ran_calls(state)
    if ran != {(t, a, v.lower() if isinstance(v, str) else v) for t, a, v in question.calls}:
        wanted = sorted(f"{t}({a}={v!r})" for t, a, v in question.calls)
        return f"wrong calls: ran {sorted(f'{t}({a}={v!r})' for t, a, v in ran)}, wanted {wanted}"
    calls = {c.id: c for c in parse_plan(state["plan"]).calls}
    results = {
        cid: float(v)
        for cid, v in state.get("results", {}).items()
        if calls[cid].tool != "self" and isinstance(v, int | float)
    }
    answer = model_words(state["messages"][-1].text if state.get("messages") else "")
    if question.largest:
        scenes = {cid: render_expr(calls[cid].kwargs["scene"]) for cid in results}
        return _wrong_largest(answer, results, scenes)
    missing = [n for n in results.values() if not mentions(answer, n)]
    return f"the answer lacks {missing}" if missing else None


def _wrong_largest(answer: str, results: dict[str, float], scenes: dict[str, str]) -> str | None:
    """Why the answer's claims about the largest (or smallest) result are wrong, or None.

    Every sentence that calls a result the largest, the second largest or the smallest must
    name that result, by its scene or its value, and no other; one must name the largest.
    """
    if not results:
        return "no results"
    ranked = sorted(results, key=results.__getitem__, reverse=True)
    claims = 0
    for sentence in re.split(r"(?<=[.!?])\s+", answer):
        lowered = sentence.lower()
        if "smallest" in lowered:
            expected = ranked[-1]
        elif "second largest" in lowered and len(ranked) > 1:
            expected = ranked[1]
        elif "largest" in lowered:
            expected, claims = ranked[0], claims + 1
        else:
            continue
        named = set(re.findall(r"scenes?\s+(\d+)", sentence, re.IGNORECASE))
        values = {cid for cid, value in results.items() if mentions(sentence, value)}
        if named - {scenes[expected]} or values - {expected} or not (named or values):
            return (
                f"scene {scenes[expected]} ({results[expected]}) is the one meant by: {sentence!r}"
            )
    return None if claims else "the answer does not say which is the largest"


def local_model_section() -> tuple[int, int]:
    """Plan and run a few questions with the embedded model; return (right, asked)."""
    _banner("1. A real LLM on this CPU: Qwen2.5-Coder-0.5B-Instruct via llama.cpp on 127.0.0.1")
    from langchain_llmorch.local import (  # noqa: PLC0415 - optional dependency
        LocalModelNotAvailableError,
        local_chat_model,
    )

    try:
        start = time.time()
        model = local_chat_model(max_tokens=400, timeout=180)
        print(f"local server ready in {time.time() - start:.1f} s (weights checked: size, sha256)")
    except LocalModelNotAvailableError as err:
        print(f"skipped: {err}")
        return 0, 0
    # The agent's defaults: planning="auto" (text under a grammar here), a call time limit.
    agent: Any = create_llmorch_agent(model, [steering_angle, word_count])
    right = 0
    seconds_total = 0.0
    for question in LOCAL_QUESTIONS:
        print(f"\nQ: {question.text}")
        start = time.time()
        state: dict[str, Any] = {}
        for chunk in agent.stream({"messages": [("user", question.text)]}, stream_mode="values"):
            state = chunk
        seconds = time.time() - start
        seconds_total += seconds
        print(f"plan ({state.get('planning', '?')} planning):")
        print("  " + (state.get("plan") or "(none)").replace("\n", "\n  "))
        repairs = state.get("repairs", 0) + state.get("replans", 0) + state.get("recoveries", 0)
        if repairs:
            print(f"repairs: {repairs} (the plan or a call failed and the LLM fixed it)")
        if state.get("trace"):
            print(schedule_table(state["trace"]))
        answer = state["messages"][-1].text if state.get("messages") else ""
        words = model_words(answer)
        print(f"A ({seconds:.1f} s), the model's words: {words[:400]}")
        if words != answer:
            print(f"   added by the agent: {answer[len(words) :].strip()[:400]}")
        problem = check_answer(question, state)
        right += problem is None
        print(
            "[OK] right calls, and the answer holds their results"
            if problem is None
            else f"[WRONG] {problem}"
        )
    mean = seconds_total / len(LOCAL_QUESTIONS)
    print(
        f"\nlocal model: {right}/{len(LOCAL_QUESTIONS)} answers right in the model's own "
        f"words, {mean:.1f} s a question"
    )
    return right, len(LOCAL_QUESTIONS)


def kitti_section(processors: int, out: str) -> None:
    """The paper's Figure 3 plan with real stereo matching on this machine."""
    _banner(f"2. KITTI-like plan (paper, Figure 3) with real CPU work on P = {processors}")
    steering = compute(kitti.steering_angle)
    # `self` answers like the model would: the average or the difference of the numbers.
    self_tool = inout(StructuredTool.from_function(kitti.answer_self, name="self"))
    orchestrator = Orchestrator([steering, self_tool], max_processors=processors)
    warm = "\n".join(f"s{i}: steering_angle(scene={i}, scale=0.3)" for i in range(processors))
    orchestrator.run(build_frg(parse_plan(warm), [steering]))  # workers import OpenCV once
    plan = kitti.plan(0, scale=0.9)
    print(plan)
    frg = build_frg(parse_plan(plan), [steering, self_tool])
    result = orchestrator.run(frg)
    print(schedule_table(result.trace))
    bound = lower_bound(frg, {r.id: r.duration for r in result.trace}, processors)
    print(
        f"makespan {result.makespan:.2f} s; lower bound max(critical path, work / P) "
        f"{bound:.2f} s; ratio {result.makespan / bound:.3f} (order: {result.schedule}); "
        f"answer s11 = {result.results['s11']}"
    )
    chart = Path(out) / "kitti_schedule.png"
    chart.parent.mkdir(parents=True, exist_ok=True)
    gantt(result.trace, title="KITTI* query 0 (LLMOrch, dataflow)", path=str(chart))
    print(f"Gantt chart: {chart}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo."""
    parser = argparse.ArgumentParser(prog="python -m bench.demo")
    parser.add_argument("--skip-local", action="store_true", help="skip the local model")
    parser.add_argument("--size", default="small", choices=["tiny", "small", "default"])
    parser.add_argument("--out", default="benchmark_results")
    parser.add_argument("--queries", type=int, default=2, help="queries per benchmark suite")
    args = parser.parse_args(argv)
    processors = usable_cpus()
    began = time.time()
    if not args.skip_local:
        local_model_section()
    kitti_section(processors, args.out)
    _banner("3. Benchmark: every technique, same tools, same scripted LLM and latencies")
    options = Options(
        suites=("kitti", "movierec"),
        processors=processors,
        size=args.size,
        queries=args.queries,
        out=args.out,
    )
    print(run_benchmark(options))
    print(f"\ndemo total: {time.time() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
