"""The streaming lower bound: the earliest a query can be answered from its plan's LLM requests.

A plan-first technique sends two LLM requests a correct answer needs: the plan (streamed, so
calls may start while it is written) and the joiner's. With the scripted server's latency
model (first token, then evenly spaced words; no prompt-token term) and the seeded search
latencies, no such technique, however it schedules, answers before

    bound = max(T_plan, E) + T_join
    E     = max(max_c F_c, min_{c compute} R_c + W / P)
    F_c   = max(R_c, max_{p in parents(c)} F_p) + d_c

- `R_c`: when the last character of call `c`'s plan line is sent in the streamed plan: no
  technique knows the call before that (`stream_deltas`, the server's own schedule);
- `d_c`: a search's seeded latency (`search.latency_key`, the latency model, not recorded as a
  draw), and a literal `self` prompt's reply latency; any other call's shortest measured
  duration in the runs given; 0 for answer steps, which the joiner's request does
  (`answer_steps`);
- `W`: the compute calls' total work, at most `P` at a time, none before its line is written;
- `T_plan`: the whole plan's latency (only the end of the stream says the plan is complete,
  so the joiner cannot be asked before it); `T_join`: the joiner reply's latency.

Nothing else counts: no HTTP, client, parsing, scheduling or graph time. Techniques that send
other requests (one tool-calling turn per layer) are reported against the same bound; it is a
bound for them only as far as their requests cost the same.

Example:
    ```python
    from bench.bounds import streaming_bound
    from bench.suites import tools_from
    from bench.workloads import search

    bound = streaming_bound(
        's1: search(entity="A")',
        tools_from(search.HOTPOTQA_TOOLS),
        line_times={"s1": 0.52},
        plan_seconds=0.54,
        joiner_seconds=0.51,
        durations={"s1": 0.6},
        processors=2,
    )
    assert abs(bound - (0.52 + 0.6 + 0.51)) < 1e-9
    ```
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import accumulate
from typing import Any

from langchain_core.tools import BaseTool

from bench.llm_server import (
    Reply,
    completion_tokens,
    reply_key,
    stream_deltas,
)
from bench.workloads.latency import LatencyModel
from bench.workloads.search import latency_key
from langchain_llmorch.agent.answer import answer_steps
from langchain_llmorch.plan.expressions import evaluate
from langchain_llmorch.plan.frg import FRG, build_frg
from langchain_llmorch.plan.language import parse_plan
from langchain_llmorch.plan.lines import split_calls
from langchain_llmorch.tools import COMPUTE, SELF_TOOL

__all__ = [
    "fastest_durations",
    "line_times",
    "reply_seconds",
    "scripted_streaming_bound",
    "streaming_bound",
]


def line_times(plan: str, deltas: Sequence[tuple[str, float]]) -> dict[str, float]:
    """When each call's plan line is complete in a stream of text deltas.

    Args:
        plan: the plan text, which the deltas' texts add up to.
        deltas: `(text, seconds)` in stream order.

    Returns:
        Call id -> the time of the delta that brings the last non-blank character of its line
        (of its last line, for a call written over several lines).
    """
    starts = [0, *accumulate(len(line) for line in plan.splitlines(keepends=True))]
    lines = plan.splitlines()
    sent = list(accumulate(len(text) for text, _ in deltas))
    out: dict[str, float] = {}
    ids = [call.id for call in parse_plan(plan).calls]
    for cid, raw in zip(ids, split_calls(plan), strict=True):
        last = raw.line - 1 + raw.text.count("\n")  # 0-based index of the call's last line
        end = starts[last] + len(lines[last].rstrip())
        at = next((i for i, n in enumerate(sent) if n >= end), len(deltas) - 1)
        out[cid] = deltas[at][1]
    return out


def streaming_bound(
    plan: str,
    tools: Sequence[BaseTool],
    *,
    line_times: Mapping[str, float],
    plan_seconds: float,
    joiner_seconds: float,
    durations: Mapping[str, float],
    processors: int,
) -> float:
    """The bound of the module docstring, from its inputs.

    Args:
        plan: the plan text.
        tools: the plan's tools (for the calls' kinds).
        line_times: call id -> when its line is complete (`line_times`).
        plan_seconds: the plan request's whole latency.
        joiner_seconds: the joiner request's latency.
        durations: call id -> its least possible duration (missing: 0).
        processors: P, how many compute calls may run at once.

    Returns:
        Seconds from the moment the plan is asked for.
    """
    parsed = parse_plan(plan)
    frg = build_frg(parsed, list(tools))
    folded = set(answer_steps(parsed))
    finish: dict[str, float] = {}
    for cid in frg.calls:  # plan order is topological
        ready = max([line_times.get(cid, 0.0), *(finish[p] for p in frg.parents(cid))])
        finish[cid] = ready + (0.0 if cid in folded else durations.get(cid, 0.0))
    executed = max(finish.values(), default=0.0)
    compute = [c for c in frg.calls if frg.kind(c) == COMPUTE and c not in folded]
    if compute:
        work = sum(durations.get(c, 0.0) for c in compute) / max(processors, 1)
        executed = max(executed, min(line_times.get(c, 0.0) for c in compute) + work)
    return max(plan_seconds, executed) + joiner_seconds


def reply_seconds(latency: LatencyModel, reply: Reply) -> tuple[float, float]:
    """`(first token, whole reply)` seconds the scripted server takes for `reply`.

    Draws from a copy of `latency`, so the model's record of draws is left as it was.
    """
    quiet = dataclasses.replace(latency, draws=[])
    key = reply_key([], reply)
    return quiet.first_token_latency(key), quiet.llm_latency(key, completion_tokens(reply))


def fastest_durations(frg: FRG, traces: Iterable[Sequence[Mapping[str, Any]]]) -> dict[str, float]:
    """Each call's shortest finished duration over the runs' trace records."""
    best: dict[str, float] = {}
    for trace in traces:
        for record in trace:
            cid = str(record.get("id"))
            if cid not in frg.calls or record.get("status", "finished") != "finished":
                continue
            seconds = float(record["ended_at"]) - float(record["started_at"])
            best[cid] = min(best.get(cid, seconds), seconds)
    return best


def _seeded(
    frg: FRG, latency: LatencyModel, self_reply: Callable[[str], Reply] | None
) -> dict[str, float]:
    """Seeded latencies of the searches, and of the `self` prompts `self_reply` answers.

    Only calls whose arguments are literals: the others are known once the run made them.
    """
    quiet = dataclasses.replace(latency, draws=[])
    out: dict[str, float] = {}
    for cid, call in frg.calls.items():
        try:
            args = {k: evaluate(v, {}) for k, v in frg.bound_args[cid].items()}
        except (KeyError, TypeError, ValueError, ArithmeticError):
            continue  # an argument refers to a result: not known before the run
        if (key := latency_key(call.tool, args)) is not None:
            out[cid] = quiet.search_latency(key)
        elif call.tool == SELF_TOOL and self_reply and isinstance(args.get("prompt"), str):
            out[cid] = reply_seconds(latency, self_reply(args["prompt"]))[1]
    return out


def scripted_streaming_bound(
    plan: str,
    tools: Sequence[BaseTool],
    answer: Reply,
    latency: LatencyModel,
    *,
    traces: Iterable[Sequence[Mapping[str, Any]]] = (),
    self_reply: Callable[[str], Reply] | None = None,
    processors: int,
) -> float:
    """The bound for a query of the scripted benchmark.

    Args:
        plan: the plan the scripted planner streams.
        tools: the plan's tools.
        answer: the scripted joiner's reply.
        latency: the benchmark's latency model.
        traces: trace records of the query's runs (durations of the calls that are not
            searches: the shortest measured).
        self_reply: what the scripted model answers to a `self` prompt (its latency, for
            `self` calls with a literal prompt, comes from the latency model).
        processors: P.

    Returns:
        Seconds from the moment the plan is asked for.
    """
    first, total = reply_seconds(latency, plan)
    deltas = [(str(d.get("content", "")), at) for d, at in stream_deltas(plan, [], first, total)]
    frg = build_frg(parse_plan(plan), list(tools))
    durations = {**fastest_durations(frg, traces), **_seeded(frg, latency, self_reply)}
    return streaming_bound(
        plan,
        tools,
        line_times=line_times(plan, deltas),
        plan_seconds=total,
        joiner_seconds=reply_seconds(latency, answer)[1],
        durations=durations,
        processors=processors,
    )
