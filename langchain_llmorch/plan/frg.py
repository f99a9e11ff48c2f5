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
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import TypeAdapter, ValidationError

from langchain_llmorch.errors import PlanProblem, PlanValidationError
from langchain_llmorch.plan.language import Call, Expr, Plan, Ref, evaluate, iter_refs, render_expr
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
    mutex_pairs: frozenset[frozenset[str]]
    """R2: pairs of compute calls of equal rank."""
    ranks: Mapping[str, int]
    """Rank of every call (1-based)."""
    _parents: Mapping[str, tuple[str, ...]] = field(repr=False)
    _children: Mapping[str, tuple[str, ...]] = field(repr=False)

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


def _bind(call: Call, tool: BaseTool | None, problems: list[PlanProblem]) -> dict[str, Expr]:
    """Bind positional arguments to parameter names and check them against the schema."""
    if tool is None:  # `self` and `join`: take what was written
        names = ["prompt"] if call.tool == SELF_TOOL else [f"arg{i}" for i in range(len(call.args))]
        bound = dict(zip(names, call.args, strict=False))
        bound.update(call.kwargs)
        if call.tool == SELF_TOOL and "prompt" not in bound:
            problems.append(
                PlanProblem(call.id, 'self needs a prompt: self(prompt="...")', call.line)
            )
        return bound
    fields = _schema_fields(tool)
    names = list(fields)
    bound = {}
    if len(call.args) > len(names):
        msg = (
            f"{call.tool} takes {len(names)} argument(s) ({', '.join(names)}), got {len(call.args)}"
        )
        problems.append(PlanProblem(call.id, msg, call.line))
    bound.update(zip(names, call.args, strict=False))
    for name, expr in call.kwargs.items():
        if name not in fields:
            known = ", ".join(names) or "none"
            msg = f"{call.tool} has no argument {name!r}; its arguments are {known}"
            problems.append(PlanProblem(call.id, msg, call.line))
        elif name in bound:
            problems.append(PlanProblem(call.id, f"argument {name!r} given twice", call.line))
        bound[name] = expr
    for name, (annotation, required) in fields.items():
        if name not in bound:
            if required:
                problems.append(
                    PlanProblem(call.id, f"{call.tool} needs argument {name!r}", call.line)
                )
            continue
        expr = bound[name]
        if _is_constant(expr) and annotation is not None:
            try:
                TypeAdapter(annotation).validate_python(evaluate(expr, {}))
            except ValidationError as err:
                reason = err.errors()[0].get("msg", str(err))
                shown = render_expr(expr)
                msg = f"argument {name!r} of {call.tool} is invalid: {reason} (got {shown})"
                problems.append(PlanProblem(call.id, msg, call.line))
    return bound


_INJECTED = frozenset({"config", "callbacks", "run_manager"})


def _schema_fields(tool: BaseTool) -> dict[str, tuple[Any, bool]]:
    """Parameter name -> (annotation or None, required), from the tool's args schema."""
    schema = tool.get_input_schema()
    out: dict[str, tuple[Any, bool]] = {}
    for name, info in getattr(schema, "model_fields", {}).items():
        if name in _INJECTED:
            continue
        out[info.alias or name] = (info.annotation, info.is_required())
    if not out and not getattr(schema, "model_fields", None):
        for name, prop in tool.args.items():
            out[name] = (None, "default" not in prop)
    return out


def _is_constant(expr: Expr) -> bool:
    return next(iter_refs(expr), None) is None and not isinstance(expr, Ref)


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
        bound[call.id] = _bind(call, tool, problems) if tool or call.tool == SELF_TOOL else {}
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
        parents[call.id] = tuple(good)
        calls[call.id] = call

    if problems:
        raise PlanValidationError(problems)

    children: dict[str, list[str]] = {cid: [] for cid in calls}
    for cid, ps in parents.items():
        for p in ps:
            children[p].append(cid)
    ranks = assign_ranks(list(calls), parents)
    compute_calls = [cid for cid in calls if kinds[cid] == COMPUTE]
    mutex = frozenset(
        frozenset({a, b})
        for i, a in enumerate(compute_calls)
        for b in compute_calls[i + 1 :]
        if ranks[a] == ranks[b]
    )
    return FRG(
        calls=calls,
        kinds=kinds,
        bound_args=bound,
        data_edges=frozenset((p, c) for c, ps in parents.items() for p in ps),
        mutex_pairs=mutex,
        ranks=ranks,
        _parents=parents,
        _children={k: tuple(v) for k, v in children.items()},
    )


def _kind_of(call: Call, tool: BaseTool | None, self_kind: ToolKind) -> ToolKind:
    if tool is not None:
        return tool_kind(tool)
    return self_kind if call.tool == SELF_TOOL else INOUT
