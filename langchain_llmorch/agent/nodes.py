"""The agent's nodes: planner, coordinator, repair and joiner (sync and async twins).

Each node's logic is written once, as a generator that yields what it needs done
(`Ask` a model, `StreamPlan` a plan while running its calls, `RunCalls` an FRG) and
returns the state update; `agent.serving` serves those requests with `invoke` or
`ainvoke`, so the sync graph is as parallel as the async one.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer

from langchain_llmorch.agent import prompts
from langchain_llmorch.agent.answer import answer_steps, runnable_plan
from langchain_llmorch.agent.call_repair import exhausted, rewrite_failed
from langchain_llmorch.agent.checks import doubted, doubts_message, refit_repaired
from langchain_llmorch.agent.joiner import join
from langchain_llmorch.agent.recovery import is_programmer_error
from langchain_llmorch.agent.requests import (
    Reply,
    RequestKind,
    Step,
    Streamed,
    ask,
    run_calls,
    stream_plan,
)
from langchain_llmorch.agent.serving import adrive, drive
from langchain_llmorch.agent.state import AgentContext, LLMOrchState
from langchain_llmorch.agent.streaming import kept_results, plan_source
from langchain_llmorch.agent.transcript import call_messages
from langchain_llmorch.engine.events import event
from langchain_llmorch.errors import (
    LLMOrchError,
    PlanSyntaxError,
    PlanValidationError,
    RecoveryExhaustedError,
)
from langchain_llmorch.local.grammar import uses_plan_grammar
from langchain_llmorch.plan.frg import FRG, build_frg
from langchain_llmorch.plan.language import Plan, parse_plan


def compile_plan(text: str, ctx: AgentContext) -> tuple[Plan, FRG]:
    """Parse and validate plan text against the agent's tools.

    The FRG leaves out the plan's answer steps (`answer_steps`): the joiner does them.
    """
    plan = parse_plan(text)
    frg = build_frg(plan, ctx.tools, self_kind=ctx.self_kind)
    folded = answer_steps(plan)
    if folded:
        frg = build_frg(runnable_plan(plan, folded), ctx.tools, self_kind=ctx.self_kind)
    return plan, frg


def _question(state: LLMOrchState) -> str:
    return prompts.last_question(state["messages"])


def _planner_prompt(
    state: LLMOrchState, ctx: AgentContext, *, structured: bool | None = None
) -> list[AnyMessage]:
    return prompts.planner_messages(
        state["messages"],
        ctx.tools,
        system_prompt=ctx.system_prompt,
        structured=ctx.planning == "structured" if structured is None else structured,
        answer_step=not uses_plan_grammar(ctx),
    )


def _compiled(reply: Reply | str, ctx: AgentContext) -> dict[str, Any]:
    if isinstance(reply, Reply) and reply.error is not None:
        return {"plan": "", "compile_error": str(reply.error)}
    text = reply.text if isinstance(reply, Reply) else reply
    try:
        compile_plan(text, ctx)
    except (PlanSyntaxError, PlanValidationError) as err:
        return {"plan": text, "compile_error": str(err)}
    except Exception as err:  # whatever a plan does to the compiler, it goes to repair
        return {"plan": text, "compile_error": f"the plan could not be compiled: {err!r}"}
    return {"plan": text, "compile_error": None}


# ----------------------------------------------------------------------- planner


def _plan(state: LLMOrchState, ctx: AgentContext) -> Step:
    fresh = {"results": {}, "errors": {}, "attempts": {}, "repairs": 0, "replans": 0}
    fresh |= {"recoveries": 0, "trace": [], "failure": None, "streamed": None}
    fresh |= {"planning": ctx.planning, "doubts": [], "checked": False, "in_doubt": False}
    fresh |= {"rewrites": [], "unrecoverable": []}
    get_stream_writer()(event("planning", request="plan"))
    if ctx.stream_plan and (ctx.planning == "text" or plan_source(ctx) is not None):
        streamed = yield from stream_plan(_planner_prompt(state, ctx))
        fresh["checked"] = True  # its calls started before it was complete: nothing to hold
        return fresh | _compiled(streamed.text, ctx) | _after_streaming(streamed, ctx)
    structured = ctx.planning == "structured"
    stop = None if structured else [prompts.END_OF_PLAN]
    reply = yield from ask("plan", _planner_prompt(state, ctx), structured=structured, stop=stop)
    compiled = _compiled(reply, ctx)
    return fresh | compiled | doubted(compiled, state, ctx, checked=False)


def _after_streaming(streamed: Streamed, ctx: AgentContext) -> dict[str, Any]:
    """Keep what ran while the plan streamed: valid results, whatever the plan became."""
    run = streamed.run
    if run is None or streamed.ran is None:
        return {}
    trace = [r.to_dict() for r in run.trace]
    attempts = {r.id: r.attempt for r in run.trace}
    update: dict[str, Any] = {"trace": trace, "attempts": attempts}
    try:
        _, final = compile_plan(streamed.text, ctx)
    except (PlanSyntaxError, PlanValidationError):
        # To repair; the results are checked against the repaired plan.
        source = "\n".join(c.render() for c in streamed.ran.calls.values())
        return update | {"results": dict(run.results), "streamed": source}
    results = kept_results(streamed.ran, final, run.results)
    kept_ids = {cid for cid in final.calls if cid in streamed.ran.calls}
    errors = {
        cid: f"{type(e).__name__}: {e}"
        for cid, e in run.errors.items()
        if cid in kept_ids and final.calls[cid].render() == streamed.ran.calls[cid].render()
    }
    return update | {"results": results, "errors": errors}


# ------------------------------------------------------------------- coordinator


def _coordinate(state: LLMOrchState, ctx: AgentContext) -> Step:
    try:
        _, frg = compile_plan(state["plan"], ctx)
    except (PlanSyntaxError, PlanValidationError) as err:
        # A plan edited with `update_state` is validated here and repaired if faulty.
        return {"compile_error": str(err)}
    before = state.get("attempts", {})
    results = state.get("results", {})
    upcoming = {cid: before.get(cid, 0) + 1 for cid in frg.calls if cid not in results}
    run = yield from run_calls(frg, results, upcoming)
    # Only calls that ran count as attempts; skipped ones did not start.
    attempts = {**before, **{r.id: r.attempt for r in run.trace}}
    errors = {cid: f"{type(e).__name__}: {e}" for cid, e in run.errors.items()}
    trace = [*state.get("trace", []), *(r.to_dict() for r in run.trace)]
    hopeless = [cid for cid, e in run.errors.items() if is_programmer_error(e)]
    return {
        "results": run.results,
        "errors": errors,
        "attempts": attempts,
        "trace": trace,
        "unrecoverable": hopeless,
        "messages": call_messages(frg, run),
    }


# ------------------------------------------------------------------------ repair


NO_PLAN = (
    "Sorry, I could not work out how to answer this with the tools I have. "
    "Try asking in other words, or one thing at a time."
)
"""The answer when no valid plan could be made (the details are in the state's `failure`)."""


def _give_up(ctx: AgentContext, reason: str, error: LLMOrchError) -> dict[str, Any]:
    if ctx.options.raise_on_failure:
        raise error
    return {"failure": reason, "messages": [AIMessage(NO_PLAN)]}


def _reconsider(state: LLMOrchState, ctx: AgentContext) -> Step:
    """The one repair of a doubted plan (`agent.checks`); what comes back runs."""
    repairs = state.get("repairs", 0)
    if repairs >= ctx.options.max_repairs:
        return {"in_doubt": False}  # no repair left: the plan runs as it is
    doubts = doubts_message(state.get("doubts", []))
    if ctx.planning == "structured":
        # A doubted structured plan is planned again in the plan language, without the
        # doubted plan to copy (the small model copied a doubted JSON plan unchanged).
        kind: RequestKind = "plan"
        prompt = _planner_prompt(state, ctx, structured=False)
    else:
        kind = "repair"
        prompt = prompts.repair_messages(
            _planner_prompt(state, ctx), state.get("plan", ""), doubts, ctx.tools
        )
    reply = yield from ask(kind, prompt, stop=[prompts.END_OF_PLAN])
    compiled = _compiled(reply, ctx)
    compiled |= refit_repaired(compiled, state, ctx)
    return {"repairs": repairs + 1, "in_doubt": False} | compiled


def _repair_compile(state: LLMOrchState, ctx: AgentContext) -> Step:
    error = state.get("compile_error") or ""
    repairs, replans = state.get("repairs", 0), state.get("replans", 0)
    if repairs < ctx.options.max_repairs:
        structured = ctx.planning == "structured"
        prompt = prompts.repair_messages(
            _planner_prompt(state, ctx), state.get("plan", ""), error, ctx.tools
        )
        stop = None if structured else [prompts.END_OF_PLAN]
        reply = yield from ask("repair", prompt, structured=structured, stop=stop)
        compiled = _compiled(reply, ctx)
        compiled |= doubted(compiled, state, ctx, checked=state.get("checked", True))
        return {"repairs": repairs + 1} | compiled | _kept_after_repair(state, compiled, ctx)
    if replans < ctx.options.max_replans:
        reply = yield from ask(
            "plan",
            _planner_prompt(state, ctx),
            temperature=ctx.options.replan_temperature,
            structured=ctx.planning == "structured",
        )
        compiled = _compiled(reply, ctx)
        return {"replans": replans + 1} | compiled | _kept_after_repair(state, compiled, ctx)
    reason = (
        f"No valid plan after {repairs} repair(s) and {replans} fresh plan(s); "
        f"the last error was:\n{error}"
    )
    try:
        compile_plan(state.get("plan", ""), ctx)
    except (PlanSyntaxError, PlanValidationError) as err:
        return _give_up(ctx, reason, err)
    except Exception:  # an untyped compile failure: give up with the reason
        return _give_up(ctx, reason, LLMOrchError(reason))
    return _give_up(ctx, reason, LLMOrchError(reason))  # pragma: no cover - defensive


def _kept_after_repair(
    state: LLMOrchState, compiled: dict[str, Any], ctx: AgentContext
) -> dict[str, Any]:
    """Results of calls that ran while a faulty plan streamed, if the new plan keeps them."""
    streamed = state.get("streamed")
    if not streamed or compiled.get("compile_error"):
        return {}
    ran = compile_plan(streamed, ctx)[1]
    plan = compile_plan(compiled["plan"], ctx)[1]
    results = kept_results(ran, plan, state.get("results", {}))
    return {"results": results, "errors": {}, "streamed": None}


def _repair_runtime(state: LLMOrchState, ctx: AgentContext) -> Step:
    """Failed calls: rewritten by the model (`agent.call_repair`), or answered around."""
    plan, frg = compile_plan(state["plan"], ctx)
    reason = exhausted(state, ctx)
    if reason is not None:
        if ctx.options.raise_on_failure:
            raise RecoveryExhaustedError(reason)
        # Answer from the calls that finished, and name the ones that failed.
        update = yield from _join(state, ctx)
        return update | {"failure": reason}
    rewritten = yield from rewrite_failed(state, ctx, plan, frg)
    if rewritten.refused is not None:  # every rewrite was refused: the failures stand
        if rewritten.exhausted and ctx.options.raise_on_failure:
            raise RecoveryExhaustedError(rewritten.refused)
        update = yield from _join(state | {"rewrites": rewritten.record}, ctx)
        return update | {"failure": rewritten.refused, "rewrites": rewritten.record}
    return rewritten.update


def _repair(state: LLMOrchState, ctx: AgentContext) -> Step:
    if state.get("compile_error") or state.get("in_doubt"):
        get_stream_writer()(event("planning", request="repair"))
    if state.get("compile_error"):
        return (yield from _repair_compile(state, ctx))
    if state.get("in_doubt"):
        return (yield from _reconsider(state, ctx))
    return (yield from _repair_runtime(state, ctx))


# ------------------------------------------------------------------------ joiner


def _join(state: LLMOrchState, ctx: AgentContext) -> Step:
    """One request answers from the results (`agent.joiner`)."""
    plan, frg = compile_plan(state["plan"], ctx)
    return (yield from join(state, ctx, frg, plan))


NodeName = Literal["planner", "coordinator", "repair", "joiner"]
_STEPS = {"planner": _plan, "coordinator": _coordinate, "repair": _repair, "joiner": _join}


def node(name: NodeName, ctx: AgentContext) -> tuple[Any, Any]:
    """The sync and async functions of node `name`, bound to `ctx`."""
    make = _STEPS[name]

    def sync(state: LLMOrchState, config: RunnableConfig) -> dict[str, Any]:
        return drive(make(state, ctx), ctx, config)

    async def asynchronous(state: LLMOrchState, config: RunnableConfig) -> dict[str, Any]:
        return await adrive(make(state, ctx), ctx, config)

    sync.__name__ = name
    asynchronous.__name__ = f"a{name}"
    return sync, asynchronous


# ----------------------------------------------------------------------- routing


def route_after_planning(state: LLMOrchState) -> Literal["coordinator", "repair", "__end__"]:
    """A plan that compiles runs; a faulty one, or calls failed while it streamed, to repair."""
    if state.get("failure"):
        return "__end__"
    needs_repair = state.get("compile_error") or state.get("in_doubt") or state.get("errors")
    return "repair" if needs_repair else "coordinator"


def route_after_coordinator(state: LLMOrchState) -> Literal["joiner", "repair"]:
    """Failed calls, or a plan edited into an invalid one, go to repair; else the joiner."""
    return "repair" if state.get("errors") or state.get("compile_error") else "joiner"
