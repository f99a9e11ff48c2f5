"""The Function-call Relation Graph (FRG): data relations, ranks, mutual exclusion.

`build_frg` checks a parsed plan against the tools and returns the graph
`G = <K, R1, R2>` of the paper (section III-B):

- R1, data relations: `(parent, child)` when the child's arguments use the parent's id;
- ranks by Algorithm 1: calls without parents rank 1, others 1 + their largest parent rank;
- R2, control relations: two `compute` calls of equal rank are mutually exclusive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from langchain_core.tools import BaseTool

from langchain_llmorch.errors import PlanProblem, PlanValidationError
from langchain_llmorch.plan.binding import Binder
from langchain_llmorch.plan.expressions import (
    MAX_DEPTH,
    expr_depth,
)
from langchain_llmorch.plan.language import Call, Expr, Plan
from langchain_llmorch.tools import (
    COMPUTE,
    INOUT,
    JOIN_TOOL,
    SELF_TOOL,
    ToolKind,
    tool_kind,
    tools_by_name,
)


@dataclass(frozen=True)
class FRG:
    """A plan's Function-call Relation Graph.

    Example:
        ```python
        from langchain_llmorch import build_frg, compute, parse_plan

        @compute
        def work(n: int) -> int:
            \"\"\"Busy work.\"\"\"
            return n

        frg = build_frg(parse_plan("s1: work(n=1)\\ns2: work(n=2)\\ns3: work(n=s1)"), [work])
        assert frg.rank("s3") == 2
        assert frg.mutex_pairs == {frozenset({"s1", "s2"})}
        ```
    """

    calls: Mapping[str, Call]
    """Calls by id, in plan order."""
    kinds: Mapping[str, ToolKind]
    """Each call's kind, from its tool's tags."""
    bound_args: Mapping[str, Mapping[str, Expr]]
    """Each call's arguments by parameter name (positional ones bound to the schema)."""
    data_edges: frozenset[tuple[str, str]]
    """R1: `(parent_id, child_id)` def-use relations."""
    ranks: Mapping[str, int]
    """Rank of every call (1-based)."""
    rank_groups: Mapping[int, tuple[str, ...]]
    """R2 as groups: rank -> its compute calls, in plan order (every two of a group are
    mutually exclusive). Linear in the number of calls, unlike `mutex_pairs`."""
    _parents: Mapping[str, tuple[str, ...]] = field(repr=False)
    _children: Mapping[str, tuple[str, ...]] = field(repr=False)

    @cached_property
    def mutex_pairs(self) -> frozenset[frozenset[str]]:
        """R2 as pairs of compute calls of equal rank (built on first use: quadratic)."""
        return frozenset(
            frozenset({a, b})
            for group in self.rank_groups.values()
            for i, a in enumerate(group)
            for b in group[i + 1 :]
        )

    def mutually_exclusive(self, a: str, b: str) -> bool:
        """Whether R2 relates `a` and `b`: distinct compute calls of equal rank."""
        return (
            a != b
            and self.kinds[a] == COMPUTE
            and self.kinds[b] == COMPUTE
            and self.ranks[a] == self.ranks[b]
        )

    def rank(self, call_id: str) -> int:
        """Rank of a call (Algorithm 1)."""
        return self.ranks[call_id]

    def parents(self, call_id: str) -> tuple[str, ...]:
        """Calls whose results `call_id` uses, in plan order."""
        return self._parents[call_id]

    def children(self, call_id: str) -> tuple[str, ...]:
        """Calls that use the result of `call_id`, in plan order."""
        return self._children[call_id]

    def kind(self, call_id: str) -> ToolKind:
        """`"compute"` or `"inout"`."""
        return self.kinds[call_id]

    def descendants(self, call_ids: Sequence[str]) -> set[str]:
        """Every call reachable from `call_ids` along R1 (excluding the start calls)."""
        out: set[str] = set()
        stack = list(call_ids)
        while stack:
            for child in self._children[stack.pop()]:
                if child not in out:
                    out.add(child)
                    stack.append(child)
        return out

    @property
    def max_rank(self) -> int:
        """The largest rank (0 for an empty graph)."""
        return max(self.ranks.values(), default=0)


def assign_ranks(order: Sequence[str], parents: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Algorithm 1: rank 1 for calls without parents, else 1 + the largest parent rank.

    `order` must be topological (plan order is, once forward references are rejected).
    """
    ranks: dict[str, int] = {}
    for call_id in order:
        ranks[call_id] = 1 + max((ranks[p] for p in parents[call_id]), default=0)
    return ranks


def build_frg(
    plan: Plan,
    tools: Sequence[BaseTool | Callable[..., Any]] | Mapping[str, BaseTool],
    *,
    self_kind: ToolKind = INOUT,
) -> FRG:
    """Check a plan against the tools and build its Function-call Relation Graph.

    Args:
        plan: the parsed plan.
        tools: the agent's tools (a list, or a name -> tool mapping). The
            built-ins `self` and `join` are known without being given.
        self_kind: the kind of the built-in `self` call: `"compute"` when the
            agent's model runs on this machine's CPU.

    Returns:
        The FRG with R1, ranks and R2.

    Raises:
        PlanValidationError: listing every problem found (undefined ids, forward
            or self references, duplicate ids, unknown tools, bad arguments).

    Example:
        ```python
        from langchain_llmorch import build_frg, parse_plan

        frg = build_frg(parse_plan('s1: self(prompt="hi")\\ns2: self(prompt="{s1}!")'), [])
        assert frg.data_edges == {("s1", "s2")}
        ```
    """
    by_name = dict(tools) if isinstance(tools, Mapping) else tools_by_name(tools)
    problems: list[PlanProblem] = []
    position: dict[str, int] = {}
    for index, call in enumerate(plan.calls):
        if call.id in position:
            msg = f"id {call.id!r} is used twice; give every call its own id"
            problems.append(PlanProblem(call.id, msg, call.line))
        else:
            position[call.id] = index

    binder = Binder()
    calls: dict[str, Call] = {}
    kinds: dict[str, ToolKind] = {}
    bound: dict[str, Mapping[str, Expr]] = {}
    parents: dict[str, tuple[str, ...]] = {}
    for index, call in enumerate(plan.calls):
        if call.id in calls:
            continue
        tool = by_name.get(call.tool)
        if tool is None and call.tool not in {SELF_TOOL, JOIN_TOOL}:
            known = ", ".join(sorted({*by_name, SELF_TOOL})) or "none"
            msg = f"unknown tool {call.tool!r}; the tools are: {known}"
            problems.append(PlanProblem(call.id, msg, call.line))
        kinds[call.id] = _kind_of(call, tool, self_kind)
        too_deep = [e for e in (*call.args, *call.kwargs.values()) if expr_depth(e) > MAX_DEPTH]
        if too_deep:  # from a structured plan: nothing else about it can be checked safely
            msg = f"an argument is nested deeper than {MAX_DEPTH} levels; split it into calls"
            problems.append(PlanProblem(call.id, msg, call.line))
            parents[call.id], calls[call.id] = (), call
            continue
        if tool is not None or call.tool == SELF_TOOL:
            bound[call.id] = binder.bind(call, tool, problems)
        else:
            bound[call.id] = {}
        parents[call.id] = _parents_of(call, index, plan, position, problems)
        calls[call.id] = call

    if problems:
        raise PlanValidationError(problems)
    return _graph(calls, kinds, bound, parents)


def _parents_of(
    call: Call, index: int, plan: Plan, position: Mapping[str, int], problems: list[PlanProblem]
) -> tuple[str, ...]:
    """The calls `call` refers to, each problem (self, undefined, later) reported."""
    good: list[str] = []
    for ref in call.references():
        where = position.get(ref)
        if ref == call.id:
            problems.append(PlanProblem(call.id, f"{call.id} refers to itself", call.line))
        elif where is None:
            msg = f"{ref!r} is not the id of any call; refer only to ids defined above"
            if not ref[:1].isdigit():
                msg += f" (if {ref!r} is meant as text, put it in quotes)"
            problems.append(PlanProblem(call.id, msg, call.line))
        elif where > index:
            later = plan.calls[where].line
            msg = f"{ref!r} is defined later (line {later}); use only results of calls above"
            problems.append(PlanProblem(call.id, msg, call.line))
        else:
            good.append(ref)
    return tuple(good)


def _graph(
    calls: dict[str, Call],
    kinds: dict[str, ToolKind],
    bound: dict[str, Mapping[str, Expr]],
    parents: dict[str, tuple[str, ...]],
) -> FRG:
    """R1, ranks and R2 (as rank groups) of validated calls."""
    children: dict[str, list[str]] = {cid: [] for cid in calls}
    for cid, ps in parents.items():
        for p in ps:
            children[p].append(cid)
    ranks = assign_ranks(list(calls), parents)
    groups: dict[int, list[str]] = {}
    for cid in calls:
        if kinds[cid] == COMPUTE:
            groups.setdefault(ranks[cid], []).append(cid)
    return FRG(
        calls=calls,
        kinds=kinds,
        bound_args=bound,
        data_edges=frozenset((p, c) for c, ps in parents.items() for p in ps),
        ranks=ranks,
        rank_groups={rank: tuple(ids) for rank, ids in sorted(groups.items())},
        _parents=parents,
        _children={k: tuple(v) for k, v in children.items()},
    )


def _kind_of(call: Call, tool: BaseTool | None, self_kind: ToolKind) -> ToolKind:
    if tool is not None:
        return tool_kind(tool)
    return self_kind if call.tool == SELF_TOOL else INOUT
