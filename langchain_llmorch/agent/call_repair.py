"""The repair node's answer to failed calls: rewrite them, or say why it gives up.

The paper's runtime recovery (Section IV): for each recovery point of the failed calls
the model is asked once for a rewrite of that call; a rewrite that does not parse, breaks
the plan or switches the call between `inout` and `compute` keeps the original call, and
one that would answer another question (`recovery.replaced_subjects`) is refused, so the
call stays failed. The node (`agent.nodes`) joins when nothing is left to try.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from langgraph.config import get_stream_writer

from langchain_llmorch.agent import prompts
from langchain_llmorch.agent.joiner import described
from langchain_llmorch.agent.recovery import (
    Rewrite,
    apply_rewrites,
    parse_rewrite,
    plain_args,
    recovery_points,
    replaced_subjects,
    without_opening_word,
    without_possessive,
)
from langchain_llmorch.agent.requests import Reply, Request, ask
from langchain_llmorch.agent.state import AgentContext, LLMOrchState
from langchain_llmorch.engine.events import event
from langchain_llmorch.errors import PlanSyntaxError, PlanValidationError
from langchain_llmorch.plan.frg import FRG, build_frg
from langchain_llmorch.plan.language import Call, Plan


@dataclass
class Rewritten:
    """What the rewrites of one recovery round give the node."""

    update: dict[str, Any] = field(default_factory=dict)
    """The state update: the patched plan and the results it keeps (empty when refused)."""
    refused: str | None = None
    """Why every rewrite was refused (each would have changed what was asked), else None."""
    record: list[dict[str, Any]] = field(default_factory=list)
    """The state's `rewrites`: every rewrite so far, kept or refused."""
    exhausted: bool = False
    """Whether a failure stands because its call came back unchanged (recovery ran out)."""


def exhausted(state: LLMOrchState, ctx: AgentContext) -> str | None:
    """Why no more recovery is tried (the failed calls listed), or None to try again."""
    errors = state.get("errors", {})
    recoveries = state.get("recoveries", 0)
    refused = {r["id"] for r in state.get("rewrites", []) if not r["kept"]}
    hopeless = set(state.get("unrecoverable", [])) | refused
    if recoveries < ctx.options.max_recoveries and not set(errors) <= hopeless:
        return None
    listed = "\n".join(f"- {cid}: {msg}" for cid, msg in errors.items())
    why = (
        "no rewrite can fix them"
        if set(errors) <= hopeless
        else (f"after {recoveries} recovery attempt(s)")
    )
    return f"Calls failed ({why}):\n{listed}"


def rewrite_failed(
    state: LLMOrchState, ctx: AgentContext, plan: Plan, frg: FRG
) -> Generator[Request, object, Rewritten]:
    """Ask for one rewrite per recovery point; the plan with the kept ones, or a refusal."""
    errors = state.get("errors", {})
    recoveries = state.get("recoveries", 0)
    results = state.get("results", {})
    question = prompts.last_question(state["messages"])
    failed = {frg.calls[c].render(): msg for c, msg in errors.items()}
    writer = get_stream_writer()
    writer(event("planning", request="recover"))
    rewrites: list[Rewrite] = []
    record = list(state.get("rewrites", []))
    for point in recovery_points(frg, errors):
        original = frg.calls[point]
        # A name given with the question's possessive ("Gullhaven's") or its opening word
        # ("Stack Marrock Point"): given bare, no request.
        bare = (
            without_possessive(original, question) or without_opening_word(original, question)
            if point in errors
            else None
        )
        if bare is not None:
            rewrite = bare
        else:
            reply = yield from ask(
                "recover",
                prompts.recovery_messages(
                    question=question,
                    tools=ctx.tools,
                    recovery_call=original.render(),
                    failed_calls=failed,
                    results=results,
                ),
                call_id=point,
            )
            rewrite = checked_rewrite(original, reply, plan, frg, ctx)
        replaced = replaced_subjects(original, rewrite.call, question)
        if replaced:  # it would answer another question: refused, the call stays failed
            record.append(_rewrite_record(rewrite, errors, replaced, kept=False))
            _rewritten_event(writer, rewrite, frg, recoveries + 1, replaced, kept=False)
            continue
        if not rewrite.changed and repeats_the_failure(errors.get(point, "")):
            # The same call again would fail the same way: the failure stands.
            record.append(_rewrite_record(rewrite, errors, [], kept=False))
            _rewritten_event(writer, rewrite, frg, recoveries + 1, [], kept=False)
            continue
        if rewrite.changed:
            record.append(_rewrite_record(rewrite, errors, [], kept=True))
            _rewritten_event(writer, rewrite, frg, recoveries + 1, [], kept=True)
        rewrites.append(rewrite)
        writer(
            event(
                "repaired",
                None,
                id=point,
                tool=rewrite.call.tool,
                kind=frg.kind(point),
                attempt=recoveries + 1,
                changed=rewrite.changed,
                call=rewrite.call.render(),
            )
        )
    if not rewrites:  # every rewrite was refused or the same call: the failures stand
        refused = [r for r in record if not r["kept"] and r["replaced"]]
        same = [r for r in record if not r["kept"] and not r["replaced"]]
        reasons = []
        if refused:
            reasons.append("Recovery would have changed what was asked:")
            reasons += [f"- {r['old']}: {'; '.join(r['replaced'])}" for r in refused]
        if same:
            reasons.append("Calls failed (recovery gave the same call, which fails the same way):")
            reasons += [f"- {r['id']}: {r['error']}" for r in same]
        return Rewritten(refused="\n".join(reasons), record=record, exhausted=bool(same))
    new_plan, kept = apply_rewrites(plan, frg, rewrites, results)
    update = {
        "plan": new_plan.source,
        "results": kept,
        "errors": {},
        "recoveries": recoveries + 1,
        "rewrites": record,
    }
    return Rewritten(update=update, record=record)


# Failures that the same call meets again: it looked for something that is not there, or
# was given a value its tool rejects. A timeout or a crashed worker may pass on a retry.
_DETERMINISTIC = frozenset(
    {"KeyError", "LookupError", "IndexError", "ValueError", "ZeroDivisionError", "TypeError"}
)


def repeats_the_failure(why: str) -> bool:
    """Whether running the same call again fails as `why` says (`KeyError: 'ZZZZ'`).

    Example:
        ```python
        from langchain_llmorch.agent.call_repair import repeats_the_failure

        assert repeats_the_failure("KeyError: 'reef'")
        assert not repeats_the_failure("CallTimeoutError: over 30 s")
        ```
    """
    return why.partition(":")[0].strip() in _DETERMINISTIC


def _rewrite_record(
    rewrite: Rewrite, errors: Mapping[str, str], replaced: list[str], *, kept: bool
) -> dict[str, Any]:
    cause = errors.get(rewrite.original.id) or next(iter(errors.values()), "")
    return {
        "id": rewrite.original.id,
        "old": described(rewrite.original),
        "new": described(rewrite.call),
        "error": cause,
        "kept": kept,
        "replaced": replaced,
    }


def _rewritten_event(
    writer: Any, rewrite: Rewrite, frg: FRG, attempt: int, replaced: list[str], *, kept: bool
) -> None:
    writer(
        event(
            "rewritten",
            None,
            id=rewrite.original.id,
            tool=rewrite.call.tool,
            kind=frg.kind(rewrite.original.id),
            attempt=attempt,
            old_call=rewrite.original.render(),
            new_call=rewrite.call.render(),
            old_args=plain_args(rewrite.original),
            new_args=plain_args(rewrite.call),
            kept=kept,
            replaced=replaced,
        )
    )


def checked_rewrite(
    original: Call, reply: Reply, plan: Plan, frg: FRG, ctx: AgentContext
) -> Rewrite:
    """The LLM's rewrite, or the original when the rewrite is unusable.

    A rewrite must parse, keep the plan valid and keep the call's kind: the paper
    forbids switching between inout and compute during recovery.
    """
    unchanged = Rewrite(original=original, call=original)
    try:
        rewrite = parse_rewrite(original, reply.text)
    except PlanSyntaxError:
        return unchanged
    patched, _ = apply_rewrites(plan, frg, [rewrite], {})
    try:
        new_frg = build_frg(patched, ctx.tools, self_kind=ctx.self_kind)
    except PlanValidationError:
        return unchanged
    return rewrite if new_frg.kind(original.id) == frg.kind(original.id) else unchanged
