"""The benchmark's suites: queries, the plan a correct planner writes, and the tools.

Every technique gets the same `Query`: the same tools, and a scripted LLM that
answers each technique's requests from the query's plan (the whole plan for
plan-first techniques, one layer or one call per turn for the others).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

from bench import datasets
from bench.workloads import Registry, agnews, kitti, search
from langchain_llmorch.tools import compute, inout


def _no_answer(prompt: str) -> str:
    return f"(answer to: {prompt[:60]})"


@dataclass(frozen=True)
class Query:
    """One benchmark query and what a correct LLM would write for it."""

    suite: str
    qid: str
    question: str
    plan: str
    """The plan a correct planner writes, in the plan language."""
    tools: tuple[BaseTool, ...]
    label: str | None = None
    """The expected answer, when the dataset has one."""
    self_answer: Callable[[str], str] = _no_answer
    """What a correct LLM answers to a `self` prompt of this plan."""
    repairs: dict[str, str] = field(default_factory=dict)
    """Recovery rewrites a correct LLM gives: call id -> rewritten call."""


def tools_from(registry: Registry) -> tuple[BaseTool, ...]:
    """LangChain tools, tagged with their kind, from a workload's registry."""
    out: list[BaseTool] = []
    for name, (func, kind, description) in registry.items():
        if _is_coroutine(func):
            tool = StructuredTool.from_function(coroutine=func, name=name, description=description)
        else:
            tool = StructuredTool.from_function(func=func, name=name, description=description)
        out.append(compute(tool) if kind == "compute" else inout(tool))
    return tuple(out)


def _is_coroutine(func: Callable[..., Any]) -> bool:
    import inspect  # noqa: PLC0415

    return inspect.iscoroutinefunction(func)


def kitti_queries(n: int, *, scale: float = kitti.DEFAULT_SCALE) -> list[Query]:
    """KITTI* (RQ2): 8 steering calls, two `self` averages, one `self` difference."""
    tools = tools_from(kitti.TOOLS)
    return [
        Query(
            suite="kitti",
            qid=f"kitti-{q}",
            question=kitti.query(q),
            plan=kitti.plan(q, scale=scale),
            tools=tools,
            self_answer=kitti.answer_self,
        )
        for q in range(n)
    ]


def agnews_queries(n: int, *, sizes: dict[str, int] | None = None) -> list[Query]:
    """AGNews* (RQ2): `self`, read 1,000 documents, t-SNE and LDA at once, write."""
    tools = tools_from(agnews.TOOLS)
    return [
        Query(
            suite="agnews",
            qid=f"agnews-{q}",
            question=agnews.query(q),
            plan=agnews.plan(q, outdir="benchmark_results/agnews", sizes=sizes),
            tools=tools,
            self_answer=lambda _p: "1. Vectorize with TF-IDF. 2. Reduce. 3. Embed or fit topics.",
        )
        for q in range(n)
    ]


def hotpotqa_queries(n: int) -> list[Query]:
    """HotpotQA comparison (RQ1): search both entities at once, then compare."""
    return [
        _search_then_answer(
            "hotpotqa",
            item.id,
            item.question,
            [c.title for c in item.contexts if c.is_supporting][:2],
            item.answer,
        )
        for item in datasets.load_hotpotqa()[:n]
    ]


def movierec_queries(n: int) -> list[Query]:
    """MovieRec (RQ1): search the four liked movies at once, then choose an option."""
    out = []
    for item in datasets.load_movierec()[:n]:
        first = item.question.splitlines()[0].removeprefix("Find a movie similar to ")
        movies = [m.strip() for m in first.split(",") if m.strip()][:4]
        out.append(_search_then_answer("movierec", item.id, item.question, movies, item.answer))
    return out


def _search_then_answer(
    suite: str, qid: str, question: str, entities: list[str], label: str
) -> Query:
    """Search every entity at once; the joiner answers from the facts (as LLMCompiler's do)."""
    lines = [f"s{i}: search(entity={_quote(e)})" for i, e in enumerate(entities, start=1)]
    return Query(
        suite=suite,
        qid=f"{suite}-{qid}",
        question=question,
        plan="\n".join(lines),
        tools=tools_from(search.HOTPOTQA_TOOLS),
        label=label,
        self_answer=_constant(label),
    )


def recovery_queries() -> list[Query]:
    """ParallelQA #83 (RQ3): a search returns too little and the math after it fails."""
    item = next(i for i in datasets.load_parallelqa() if i.id == "83")
    return [
        Query(
            suite="recovery",
            qid="parallelqa-83",
            question=item.question,
            plan=search.PARALLELQA_83_PLAN,
            tools=tools_from(search.PARALLELQA_TOOLS),
            label=item.answer,
            repairs={"s2": search.PARALLELQA_83_REPAIR},
        )
    ]


def _constant(answer: str) -> Callable[[str], str]:
    def reply(_prompt: str) -> str:
        return answer

    return reply


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def case_queries(workdir: str, *, scale: float = 1.0, video_mb: float = 32) -> list[Query]:
    """The RQ5 case studies: purchase-intent analysis and end-to-end encryption."""
    from bench.workloads import cases, encryption  # noqa: PLC0415

    return [
        Query(
            suite="cases",
            qid="purchase-intent",
            question=cases.PURCHASE_QUERY,
            plan=cases.purchase_case(f"{workdir}/purchase", scale=scale),
            tools=tools_from(cases.PURCHASE_TOOLS),
        ),
        Query(
            suite="cases",
            qid="e2e-encryption",
            question=encryption.ENCRYPTION_QUERY,
            plan=encryption.encryption_case(f"{workdir}/e2e", video_mb=video_mb),
            tools=tools_from(encryption.ENCRYPTION_TOOLS),
        ),
    ]
