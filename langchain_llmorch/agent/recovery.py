"""Run-time recovery (paper section III-D): recovery points and rewritten calls.

When calls fail, the recovery points are each failed call's closest parents
that share the smallest rank (the failed call itself when it has no parents).
The LLM rewrites each recovery call; only rewritten calls and their
descendants run again, every other finished result is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_llmorch.errors import PlanSyntaxError
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.plan.language import Call, Plan, parse_plan


def recovery_points(frg: FRG, failed: Iterable[str]) -> list[str]:
    """The calls to rewrite for a set of failed calls, in plan order.

    Example:
        ```python
        # s1 -> s2 -> s4 and s3 -> s4; s4 failed: its parents s2 (rank 2) and s3
        # (rank 1) are its closest parents, and s3 has the smallest rank.
        assert recovery_points(frg, ["s4"]) == ["s3"]
        ```
    """
    points: set[str] = set()
    for call_id in failed:
        parents = frg.parents(call_id)
        if not parents:
            points.add(call_id)
            continue
        lowest = min(frg.rank(p) for p in parents)
        points.update(p for p in parents if frg.rank(p) == lowest)
    return [cid for cid in frg.calls if cid in points]


@dataclass(frozen=True)
class Rewrite:
    """The LLM's answer for one recovery call."""

    original: Call
    call: Call
    """The rewritten call (the original when the LLM returned it unchanged)."""

    @property
    def changed(self) -> bool:
        """True when the call differs from the original."""
        return self.call.render() != self.original.render()


def parse_rewrite(original: Call, reply: str) -> Rewrite:
    """Read the rewritten call for `original` out of the LLM's reply.

    Raises:
        PlanSyntaxError: when the reply holds no parsable call with the same id.
    """
    candidates = [
        line for line in reply.splitlines() if line.strip().startswith(f"{original.id}:")
    ] or [line for line in reply.splitlines() if line.strip()]
    for line in candidates:
        try:
            plan = parse_plan(line)
        except PlanSyntaxError:
            continue
        call = plan.calls[0]
        rewritten = Call(
            id=original.id,
            tool=call.tool,
            args=call.args,
            kwargs=call.kwargs,
            thought=original.thought,
            line=original.line,
            source=call.source,
        )
        return Rewrite(original=original, call=rewritten)
    msg = f"expected one line `{original.id}: tool(...)` rewriting the call, got {reply[:200]!r}"
    raise PlanSyntaxError(msg)


def apply_rewrites(
    plan: Plan, frg: FRG, rewrites: Iterable[Rewrite], results: Mapping[str, Any]
) -> tuple[Plan, dict[str, Any]]:
    """The plan with rewritten calls, and the results that stay valid.

    A changed recovery call loses its result, and so does every call that
    depends on it; an unchanged one keeps its result.
    """
    replaced = {r.call.id: r.call for r in rewrites}
    changed = [r.call.id for r in rewrites if r.changed]
    stale = set(changed) | frg.descendants(changed)
    new_plan = Plan(
        calls=tuple(replaced.get(c.id, c) for c in plan.calls),
        source="",
    )
    kept = {k: v for k, v in results.items() if k not in stale}
    return Plan(calls=new_plan.calls, source=new_plan.render()), kept
