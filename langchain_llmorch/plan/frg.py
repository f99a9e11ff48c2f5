"""The Function-call Relation Graph (FRG): data relations, ranks, mutual exclusion.

`build_frg` checks a parsed plan against the tools and returns the graph
`G = <K, R1, R2>` of the paper (section III-B):

- R1, data relations: `(parent, child)` when the child's arguments use the parent's id;
- ranks by Algorithm 1: calls without parents rank 1, others 1 + their largest parent rank;
- R2, control relations: two `compute` calls of equal rank are mutually exclusive.

Beyond the paper (see `langchain_llmorch.tool_limits`), a tool may declare what its calls
hold while they run and whether they run in plan order:

- `demands`: call id -> resource -> amount (named resources, and `tool:<name>` for a tool
  with `max_concurrency`), with `limits` the capacities the tools give (`tool:<name>` -> N).
  R2 generalised: calls that need one resource exclude each other beyond its capacity
  (`resource_groups`);
- `order_edges`: `(earlier, later)` control edges between consecutive calls of an `ordered`
  tool, in plan order: the later call starts only once the earlier one has finished.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from langchain_core.tools import BaseTool

from langchain_llmorch.errors import PlanProblem, PlanValidationError
from langchain_llmorch.plan.binding import Binder
from langchain_llmorch.plan.drawing import frg_mermaid
from langchain_llmorch.plan.expressions import (
    MAX_DEPTH,
    expr_depth,
)
from langchain_llmorch.plan.language import Call, Expr, Plan
from langchain_llmorch.tool_limits import TOOL_PREFIX, ToolLimits, tool_limits
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
        assert frg.order_edges == frozenset()  # no tool is `ordered`
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
    order_edges: frozenset[tuple[str, str]] = frozenset()
    """Control edges `(earlier, later)`: consecutive calls of an `ordered` tool, in plan order."""
    demands: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Call id -> resource -> amount it holds while it runs (only calls that hold any)."""
    limits: Mapping[str, float] = field(default_factory=dict)
    """Capacities the tools declare: `tool:<name>` -> its `max_concurrency`."""

    @cached_property
    def _order_next(self) -> Mapping[str, str]:
        return dict(self.order_edges)

    @cached_property
    def _order_prev(self) -> Mapping[str, str]:
        return {later: earlier for earlier, later in self.order_edges}

    @property
    def constrained(self) -> bool:
        """Whether any call holds a resource or runs in order (else only processors bound it)."""
        return bool(self.demands or self.order_edges)

    def order_predecessor(self, call_id: str) -> str | None:
        """The call that must finish before `call_id` starts (its `ordered` predecessor)."""
        return self._order_prev.get(call_id)

    def order_successor(self, call_id: str) -> str | None:
        """The next call of the same `ordered` tool, which waits for `call_id`."""
        return self._order_next.get(call_id)

    def demand(self, call_id: str) -> Mapping[str, float]:
        """What `call_id` holds while it runs (empty when nothing)."""
        return self.demands.get(call_id, {})

    @cached_property
    def resource_groups(self) -> Mapping[str, tuple[str, ...]]:
        """R2 generalised: resource -> the calls that need it, in plan order."""
        groups: dict[str, list[str]] = {}
        for cid in self.calls:
            for name in self.demand(cid):
                groups.setdefault(name, []).append(cid)
        return {name: tuple(ids) for name, ids in groups.items()}

    def dependents(self, call_ids: Sequence[str]) -> set[str]:
        """Every call held back when `call_ids` do not finish: along R1 and order edges.

        `descendants` follows data edges only (what must run again when a result changes);
        this also follows order edges (what must not run before a call that failed).
        """
        if not self.order_edges:
            return self.descendants(call_ids)
        out: set[str] = set()
        stack = list(call_ids)
        while stack:
            cid = stack.pop()
            after = self._order_next.get(cid)
            for child in (*self._children[cid], *((after,) if after else ())):
                if child not in out:
                    out.add(child)
                    stack.append(child)
        return out

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

    def to_mermaid(self) -> str:
        """The graph as Mermaid flowchart text: data edges solid, order edges dashed.

        See `langchain_llmorch.plan.drawing.frg_mermaid`.
        """
        return frg_mermaid(self)


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
    declared: dict[str, ToolLimits] = {}
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
        if tool is not None:
            declared[call.id] = tool_limits(tool)
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
    return _with_limits(_graph(calls, kinds, bound, parents), declared)


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


def _with_limits(frg: FRG, declared: Mapping[str, ToolLimits]) -> FRG:
    """Add the tools' declared demands, capacities and order edges (none: `frg` as it is)."""
    if all(limits.empty for limits in declared.values()):
        return frg
    demands: dict[str, dict[str, float]] = {}
    capacities: dict[str, float] = {}
    last: dict[str, str] = {}  # ordered tool -> its latest call so far
    order: set[tuple[str, str]] = set()
    for cid, call in frg.calls.items():
        limits = declared.get(cid)
        if limits is None or limits.empty:
            continue
        if demand := limits.demand(call.tool):
            demands[cid] = demand
        if limits.max_concurrency is not None:
            capacities[TOOL_PREFIX + call.tool] = limits.max_concurrency
        if limits.ordered:
            if call.tool in last:
                order.add((last[call.tool], cid))
            last[call.tool] = cid
    return replace(frg, order_edges=frozenset(order), demands=demands, limits=capacities)


def _kind_of(call: Call, tool: BaseTool | None, self_kind: ToolKind) -> ToolKind:
    if tool is not None:
        return tool_kind(tool)
    return self_kind if call.tool == SELF_TOOL else INOUT
