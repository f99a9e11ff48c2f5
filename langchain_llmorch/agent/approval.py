"""Plan approval: pause after planning, before any call runs (`approve_plan=True`).

The `approve` node sits between the planner (and repair) and the coordinator. It
calls LangGraph's `interrupt()` with the plan, so `invoke` returns with
`__interrupt__` and the thread waits. Resume with `Command(resume=...)`:

- `True`: run the plan as it is;
- `False`: do not run it; the agent answers that the plan was not approved;
- a string (or `{"plan": text}`): run this plan instead. It is validated like a
  model's plan: a faulty one goes to repair, and the repaired plan is shown again.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage
from langgraph.types import interrupt

from langchain_llmorch.agent.nodes import compile_plan, route_after_planning
from langchain_llmorch.agent.state import AgentContext, LLMOrchState
from langchain_llmorch.errors import LLMOrchError, PlanSyntaxError, PlanValidationError


class PlanRejectedError(LLMOrchError):
    """The plan was not approved (raised with `raise_on_failure=True`)."""


class PlanApprovalError(LLMOrchError):
    """An approval answer that is neither a bool nor a plan."""


REJECTED = "The plan was not approved, so no tool was called."


def plan_for_review(plan: str, ctx: AgentContext) -> dict[str, Any]:
    """What the approval interrupt shows: the plan text, its calls and its answer steps.

    `calls` are the steps that will run (each calls a tool, or the model for a `self` step
    that feeds a tool); `answer_steps` are the trailing `self` steps the joiner does in its
    single request while answering (no tool runs for them).
    """
    parsed, frg = compile_plan(plan, ctx)
    calls = [
        {"id": cid, "tool": call.tool, "kind": frg.kind(cid), "call": call.render()}
        for cid, call in frg.calls.items()
    ]
    folded = [{"id": c.id, "call": c.render()} for c in parsed.calls if c.id not in frg.calls]
    return {"plan": plan, "calls": calls, "answer_steps": folded}


def _checked(plan: str, ctx: AgentContext) -> dict[str, Any]:
    try:
        compile_plan(plan, ctx)
    except (PlanSyntaxError, PlanValidationError) as err:
        return {"compile_error": str(err)}
    return {"compile_error": None}


def approve(state: LLMOrchState, ctx: AgentContext) -> dict[str, Any]:
    """Ask a human to approve, reject or edit the plan before it runs."""
    plan = state.get("plan", "")
    checked = _checked(plan, ctx)  # a plan edited with update_state is validated too
    if checked["compile_error"]:
        return checked
    answer = interrupt(plan_for_review(plan, ctx))
    if isinstance(answer, dict) and isinstance(answer.get("plan"), str):
        answer = answer["plan"]
    if answer is True:
        return checked
    if answer is False:
        if ctx.options.raise_on_failure:
            raise PlanRejectedError(REJECTED)
        return {"failure": REJECTED, "messages": [AIMessage(REJECTED)]}
    if isinstance(answer, str):
        if answer.strip() == plan.strip():
            return checked
        # An edited plan: results of the old one may not match its ids.
        return {"plan": answer, "results": {}, "errors": {}} | _checked(answer, ctx)
    msg = (
        "resume a plan approval with True (run it), False (do not run it) or the plan "
        f"text to run instead, not {type(answer).__name__}"
    )
    raise PlanApprovalError(msg)


def route_to_approval(state: LLMOrchState) -> Literal["approve", "repair", "__end__"]:
    """`route_after_planning`, with the plan shown for approval before it runs."""
    route = route_after_planning(state)
    return "approve" if route == "coordinator" else route


__all__ = [
    "REJECTED",
    "PlanApprovalError",
    "PlanRejectedError",
    "approve",
    "plan_for_review",
    "route_to_approval",
]
