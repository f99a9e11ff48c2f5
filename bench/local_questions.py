"""Held-out questions for the embedded model: right tool calls, right numbers, seconds.

Questions of the ordinary kind (two or three look-ups or CPU-bound computations that can
run in parallel, then an answer), asked through `create_llmorch_agent` with the embedded
model. A question scores a right plan when the calls that ran are exactly the expected
tool calls, and a right answer when the model's own words write every expected number
(rounded as it likes, commas allowed); the results the joiner adds to an answer that
holds none are counted apart.

The three sets of eight (`tuned`, `fresh`, `holdout`), their tools and the answers they
expect are in `benchmarks.question_sets`.

Run it (about 10-30 s a question on one llama.cpp thread):

    python -m bench.local_questions \
        --set holdout fresh tuned --planning auto text
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.tools import BaseTool

from bench import (
    holdout2,
    holdout3,
    holdout4,
    holdout5,
    holdout6,
    holdout7,
    holdout8,
    holdout9,
    holdout10,
    holdout11,
    holdout12,
    holdout13,
    local_devsets,
    local_kinds,
    local_rewordings,
)
from bench.question_sets import QUESTIONS, TOOLS, Question
from bench.question_sets import SETS as OLD_SETS
from langchain_llmorch.agent.answer import mentions, model_words

SETS = {
    **OLD_SETS,
    **holdout2.SETS,
    **holdout3.SETS,
    **holdout4.SETS,
    **holdout5.SETS,
    **holdout6.SETS,
    **holdout7.SETS,
    **holdout8.SETS,
    **holdout9.SETS,
    **holdout10.SETS,
    **holdout11.SETS,
    **holdout12.SETS,
    **holdout13.SETS,
    **local_devsets.SETS,
    **local_kinds.SETS,
    **local_rewordings.SETS,
}
"""Every question set by name: `tuned`, `fresh`, `holdout`, `science`, `travel`, `energy`,
`shop`, `kitchen`, `transit`, `cinema`, `cars`, `hotels`, `pets`, `ferries`, `coffee`,
`museums`, `bikes`, `trains`, `gyms`, `theatres`, `orchards`, `resorts`, `marinas`,
`observatories`, `mines`, `lighthouses`, `dairies`, `music`, `garden`, `library`, `hiking`,
`aquarium`, `bakery`,
`resorts_reworded`, `marinas_reworded`, `theatres_reworded`, `orchards_reworded`,
`means_ratios`."""
_CANONICAL = {
    **holdout2.CANONICAL,
    **holdout3.CANONICAL,
    **holdout4.CANONICAL,
    **holdout5.CANONICAL,
    **holdout6.CANONICAL,
    **holdout7.CANONICAL,
    **holdout8.CANONICAL,
    **holdout9.CANONICAL,
    **holdout10.CANONICAL,
    **holdout11.CANONICAL,
    **holdout12.CANONICAL,
    **holdout13.CANONICAL,
    **local_devsets.CANONICAL,
}


@dataclass
class Score:
    """One question's outcome."""

    question: str
    calls_right: bool
    answer_right: bool
    """The model's own words hold every expected number."""
    shown_right: bool
    """The answer shown holds them, counting the results the joiner adds."""
    seconds: float
    plan: str = ""
    answer: str = ""
    ran: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    """The model requests it made (`RequestLog`): kind, tokens, prefill and decode seconds."""


class RequestLog:
    """Where a question's model seconds go: llama.cpp's timings of every request.

    An `httpx` response hook for the chat model's client: each reply of the embedded
    server carries `timings` (prompt tokens processed and reused from the cache, prefill
    and decode milliseconds); the request's kind comes from its `x-llmorch-request` header.
    """

    def __init__(self) -> None:
        """An empty log."""
        self.entries: list[dict[str, Any]] = []

    def hook(self, response: Any) -> None:
        """Record one response (an `httpx` response event hook)."""
        response.read()
        try:
            body = response.json()
        except ValueError:
            body = {}
        timings = (body.get("timings") or {}) if isinstance(body, dict) else {}
        self.entries.append(
            {
                "kind": response.request.headers.get("x-llmorch-request", "?"),
                "wall": response.elapsed.total_seconds(),
                "prompt_n": timings.get("prompt_n", 0),
                "cache_n": timings.get("cache_n", 0),
                "prefill": timings.get("prompt_ms", 0.0) / 1000,
                "predicted_n": timings.get("predicted_n", 0),
                "decode": timings.get("predicted_ms", 0.0) / 1000,
                "reply": _reply_text(body),
            }
        )

    def take(self) -> list[dict[str, Any]]:
        """The entries since the last `take()`."""
        entries, self.entries = self.entries, []
        return entries

    def client(self) -> Any:
        """An `httpx.Client` that records into this log (pass as `http_client=`)."""
        import httpx  # noqa: PLC0415

        return httpx.Client(event_hooks={"response": [self.hook]}, timeout=600)


def _reply_text(body: Any) -> str:
    try:
        return str(body["choices"][0]["message"]["content"] or "")
    except (KeyError, IndexError, TypeError):
        return ""


def where_seconds_go(scores: Sequence[Score]) -> str:
    """Mean seconds a question per part: first plan (prefill, decode), repairs, joiner."""
    n = max(len(scores), 1)
    parts = {"plan prefill": 0.0, "plan decode": 0.0, "repairs": 0.0, "join": 0.0}
    tokens = {"plan": [0, 0, 0], "join": [0, 0, 0]}  # prompt, cached, generated
    extra = 0
    for s in scores:
        first = True
        for r in s.requests:
            # Structured plan requests carry no kind header (yet): "?" is a plan too.
            if r["kind"] in {"plan", "?"} and first:
                parts["plan prefill"] += r["prefill"]
                parts["plan decode"] += r["decode"]
                first = False
                key = "plan"
            elif r["kind"] == "join":
                parts["join"] += r["wall"]
                key = "join"
            else:
                parts["repairs"] += r["wall"]
                extra += 1
                continue
            tokens[key][0] += r["prompt_n"] + r["cache_n"]
            tokens[key][1] += r["cache_n"]
            tokens[key][2] += r["predicted_n"]
    model = sum(parts.values())
    rest = sum(s.seconds for s in scores) - model
    shown = ", ".join(f"{k} {v / n:.1f}" for k, v in parts.items())
    tok = "; ".join(
        f"{k}: {p / n:.0f} prompt tokens ({c / n:.0f} cached), {g / n:.0f} generated"
        for k, (p, c, g) in tokens.items()
    )
    return (
        f"  seconds a question: {shown}, the rest (calls, client) {rest / n:.1f}; "
        f"{extra} repair/recovery requests\n  {tok}"
    )


def _normal(value: Any, tool: str = "", arg: str = "") -> Any:
    canonical = _CANONICAL.get((tool, arg))
    if canonical is not None and isinstance(value, str):
        return canonical(value)
    return value.strip().lower() if isinstance(value, str) else value


def _argument(expr: Any, tools: dict[str, str]) -> Any:
    """A plan argument as the scorer compares it: a whole reference is the referred tool's."""
    from langchain_llmorch.plan.expressions import Ref, Template  # noqa: PLC0415

    if isinstance(expr, Template) and len(expr.parts) == 1:
        expr = expr.parts[0]
    if isinstance(expr, Ref) and expr.id in tools:
        return holdout2.chained(tools[expr.id])
    return expr


def ran_calls(state: dict[str, Any]) -> set[tuple[str, str, Any]]:
    """The tool calls that finished (not `self`), as (tool, argument, value).

    An argument that is an earlier call's whole result is `holdout2.chained(its tool)`.
    """
    from langchain_llmorch.errors import PlanSyntaxError  # noqa: PLC0415
    from langchain_llmorch.plan.language import parse_plan  # noqa: PLC0415

    finished = set(state.get("results", {}))
    try:
        plan = parse_plan(state.get("plan") or "")
    except PlanSyntaxError:
        return set()
    tools = {call.id: call.tool for call in plan.calls}
    calls = set()
    for call in plan.calls:
        if call.tool in {"self", "join"} or call.id not in finished:
            continue
        for name, expr in call.kwargs.items():
            calls.add((call.tool, name, _normal(_argument(expr, tools), call.tool, name)))
    return calls


_MORE = re.compile(
    r"\b(larger|higher|greater|bigger|more|stronger|heavier|taller|longer|largest|highest|"
    r"greatest|biggest|most|strongest|heaviest|tallest|longest|dearer|dearest|pricier|"
    r"priciest|costlier|exceeds?|outweighs?|deeper|deepest|richer|richest|further|farther)\b",
    re.IGNORECASE,
)
_LESS = re.compile(
    r"\b(smaller|lower|less|fewer|weaker|lighter|shorter|smallest|lowest|least|fewest|"
    r"weakest|lightest|shortest|cheaper|cheapest|shallower|shallowest|poorer|poorest)\b",
    re.IGNORECASE,
)


def comparison_wrong(answer: str, larger: str, smaller: str) -> str | None:
    """Why an answer's comparison of `larger` and `smaller` is wrong, or None when right.

    Each sentence that names one of them and a comparative word claims something: the
    subject named nearest before the word (else the first one after it) is said to be the
    larger ("more", "higher", ...) or the smaller ("less", "lower", ...). Right: at least
    one claim, and every claim agrees with the truth.
    """
    names = {larger: True, smaller: False}
    claims = 0
    for sentence in re.split(r"(?<=[.!?])\s+", answer):
        found = [
            (m.start(), is_larger)
            for name, is_larger in names.items()
            for m in re.finditer(
                rf"(?<![\w.]){re.escape(name)}(?![\w]|\.\d)", sentence, re.IGNORECASE
            )
        ]
        words = [(m.start(), True) for m in _MORE.finditer(sentence)]
        words += [(m.start(), False) for m in _LESS.finditer(sentence)]
        if not found or not words:
            continue
        at, says_more = min(words)
        before = [f for f in found if f[0] < at]
        subject = max(before)[1] if before else min(found)[1]
        claims += 1
        if subject != says_more:
            return f"wrong comparison: {sentence!r}"
    return None if claims else "the answer does not say which is larger"


def score(question: Question, state: dict[str, Any], seconds: float) -> Score:
    """Right calls: exactly the expected ones ran. Right answer: every expected number."""
    answer = state["messages"][-1].text if state.get("messages") else ""
    expected = {(t, a, _normal(v, t, a)) for t, a, v in question.calls}
    ran = ran_calls(state)
    words = model_words(answer)
    right = all(mentions(words, n) for n in question.numbers)
    if question.larger is not None:
        right = right and comparison_wrong(words, *question.larger) is None
    return Score(
        question=question.text,
        calls_right=ran == expected,
        answer_right=right,
        shown_right=all(mentions(answer, n) for n in question.numbers),
        seconds=seconds,
        plan=state.get("plan") or "",
        answer=answer,
        ran=sorted(f"{t}({a}={v!r})" for t, a, v in ran),
    )


def run(
    model: Any,
    planning: str,
    questions: Sequence[Question] = QUESTIONS,
    tools: Sequence[BaseTool] = TOOLS,
    log: RequestLog | None = None,
) -> list[Score]:
    """Ask every question through a fresh agent with `planning`; score each answer."""
    from langchain_llmorch.agent.graph import create_llmorch_agent  # noqa: PLC0415

    agent: Any = create_llmorch_agent(model, tools, planning=planning)  # type: ignore[arg-type]
    scores = []
    for question in questions:
        if log is not None:
            log.take()
        start = time.perf_counter()
        state = agent.invoke({"messages": [("user", question.text)]})
        scores.append(score(question, state, time.perf_counter() - start))
        if log is not None:
            scores[-1].requests = log.take()
    return scores


def report(title: str, scores: Sequence[Score]) -> str:
    """A table of one run: each question, then the totals."""
    lines = [title]
    for s in scores:
        marks = (
            ("calls ok" if s.calls_right else "CALLS WRONG")
            + ", "
            + ("answer ok" if s.answer_right else "ANSWER WRONG")
        )
        lines.append(f"  {s.seconds:5.1f} s  {marks:26}  {s.question}")
        if not (s.calls_right and s.answer_right):
            lines.append("           plan: " + " | ".join(s.plan.splitlines()))
            lines.append(f"           ran: {', '.join(s.ran) or '(none)'}")
            lines.append(f"           answer: {s.answer[:200]!r}")
    lines.append(totals(scores))
    return "\n".join(lines)


def totals(scores: Sequence[Score]) -> str:
    """The totals of a run: right calls, right answers, seconds, where the seconds go."""
    n = len(scores)
    calls = sum(s.calls_right for s in scores)
    answers = sum(s.answer_right for s in scores)
    shown = sum(s.shown_right for s in scores)
    mean = sum(s.seconds for s in scores) / max(n, 1)
    line = (
        f"  tool calls right {calls}/{n}, answers right {answers}/{n} (with the results the "
        f"joiner adds: {shown}/{n}), {mean:.1f} s a question"
    )
    if any(s.requests for s in scores):
        line += "\n" + where_seconds_go(scores)
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Run the questions with the embedded model for each planning mode asked."""
    parser = argparse.ArgumentParser(prog="python -m bench.local_questions")
    parser.add_argument("--model", default=None, help="embedded model name or GGUF path")
    parser.add_argument("--planning", nargs="+", default=["auto", "text"])
    parser.add_argument("--set", nargs="+", default=["holdout"], choices=sorted(SETS))
    parser.add_argument("--limit", type=int, default=len(QUESTIONS), help="first N questions")
    args = parser.parse_args(argv)
    from langchain_llmorch.local import local_chat_model  # noqa: PLC0415

    log = RequestLog()
    model = local_chat_model(args.model, max_tokens=400, timeout=180, http_client=log.client())
    for name in args.set:
        tools, questions = SETS[name]
        for planning in args.planning:
            scores = run(model, planning, questions[: args.limit], tools, log)
            print(report(f"{name} set, planning={planning}", scores), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
