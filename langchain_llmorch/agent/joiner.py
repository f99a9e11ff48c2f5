"""The joiner: one model request answers from the results; claims are held to them.

The answer is the model's words. The joiner is told the finished results (and, for small
models, which is largest and smallest), the calls that failed, and what recovery looked up
in place of what was asked. When calls failed, the answer must not state a value no result
supports, and must say which results are not available (`agent.claims`): a contradicted
answer goes back once with the contradiction stated; if the second answer still invents,
the answer is made from the results alone; one that twice leaves out the value computed
for it says that value (`claims.computed_answer`). A sentence that repeats the prompt's own
instructions is taken out (`agent.echoes`). With `append_results` (the embedded model),
numeric results the answer leaves out are added as a `(Results: ...)` note.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage

from langchain_llmorch.agent import prompts
from langchain_llmorch.agent.aggregates import aggregates
from langchain_llmorch.agent.answer import (
    ADDED_RESULTS,
    answer_steps,
    mentions,
    missing_results,
)
from langchain_llmorch.agent.checks import conversation_text
from langchain_llmorch.agent.claims import (
    reason_in_words,
    results_answer,
    unavailable_sentence,
)
from langchain_llmorch.agent.comparisons import (
    orderings,
)
from langchain_llmorch.agent.echoes import once_each, without_echoes
from langchain_llmorch.agent.facts import Fact, numeric_results, products, reference_of
from langchain_llmorch.agent.ratios import ratios
from langchain_llmorch.agent.requests import Step, ask
from langchain_llmorch.agent.review import Review, unacknowledged_failures
from langchain_llmorch.agent.spoken import plain_calls, with_results
from langchain_llmorch.agent.state import AgentContext, LLMOrchState
from langchain_llmorch.agent.stated_units import (
    result_units,
    without_notes,
)
from langchain_llmorch.local.answer_grammar import (
    MAX_REQUIRED,
    answer_constraint,
    differences,
    number_forms,
    uses_answer_grammar,
)
from langchain_llmorch.plan.expressions import evaluate
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.plan.language import Call, Plan, result_text
from langchain_llmorch.tools import SELF_TOOL


def join(state: LLMOrchState, ctx: AgentContext, frg: FRG, plan: Plan) -> Step:
    """The joiner's step: the answer, as the state's last AI message."""
    results = state.get("results", {})
    errors = state.get("errors", {})
    show = partial(described, results=results)
    finished = {show(c): results[cid] for cid, c in frg.calls.items() if cid in results}
    failed_calls = {cid: frg.calls[cid] for cid in errors if cid in frg.calls}
    failed = {
        show(frg.calls[cid]): reason_in_words(why)
        for cid, why in errors.items()
        if cid in frg.calls
    }
    notes = [
        f"In place of {r['old']}, recovery looked up {r['new']}."
        for r in state.get("rewrites", [])
        if r["kept"] and r["old"] != r["new"]
    ]
    steps = [folded_prompt(plan, cid, results) for cid in answer_steps(plan)]
    question = prompts.last_question(state["messages"])
    numeric = numeric_results(frg.calls, results)
    # With the answer checks (the embedded model's default), an amount in the unit a
    # tool prices is multiplied too ("12 kg" and "one kilogram"); other models as before.
    units = {t.name: t.description or "" for t in ctx.tools} if checks_answers(ctx) else None
    # A tool whose result is for a quantity other than one ("100 grams"): any model.
    references = {
        t.name: per for t in ctx.tools if (per := reference_of(f"{t.name} {t.description}"))
    }
    computed = products(
        question,
        numeric,
        steps,
        described=show,
        descriptions=units,
        references=references,
    )
    if checks_answers(ctx):  # a total, mean, difference or ratio the question asks, first
        descriptions = {t.name: t.description or "" for t in ctx.tools}
        asked = [
            *aggregates(question, numeric, described=show),
            *ratios(question, numeric, descriptions, described=show),
        ]
        computed = [*asked, *computed]
    compared = orderings(question, numeric) if checks_answers(ctx) else []
    request = prompts.joiner_messages(
        state["messages"],
        finished,
        steps=steps,
        failed=failed,
        notes=notes,
        facts=[f.text for f in computed],
        orderings=compared,
        # With the checks, only for a comparison asked: beside a total, the 0.5B model
        # called the total "the largest number"; without them, for three results it copied
        # the ranking bare ("1 (30.71), 5 (25.36), 2 (25.32)": no answer in words).
        extremes=not checks_answers(ctx) or bool(compared),
    )
    bound = _grammar(ctx, request, computed, numeric, compared=bool(compared))
    reply = yield from ask("join", request, bound=bound)
    if reply.error is not None and bound is not None:  # a grammar the server refused
        bound = None
        reply = yield from ask("join", request)
    text = without_echoes(reply.text.strip())
    if checks_answers(ctx):  # a small model may loop ("1 company fleet\n1 company fleet...")
        text = plain_calls(once_each(text), frg.calls, results)  # and copy calls as code
    said = conversation_text(state["messages"])
    review = Review(
        finished,
        failed_calls,
        numeric,
        computed,
        said,
        question,
        checking=checks_answers(ctx),
        units=result_units(ctx.tools) if checks_answers(ctx) else {},
    )
    objections = review.objections(text) if text else None
    if objections is not None:
        again = yield from ask(
            "join",
            [*request, AIMessage(text), HumanMessage(objections.request(failed_calls))],
            bound=bound,
        )
        second = without_notes(without_echoes(again.text.strip()), objections.misnamed)
        if checks_answers(ctx):
            second = plain_calls(once_each(second), frg.calls, results)
        why = {cid: (frg.calls[cid], errors[cid]) for cid in failed_calls}
        text = review.settled(text, objections, second, why)
    if checks_answers(ctx):
        text = once_each(text)
    if not text:  # a joiner that fails (context too small, server down) leaves the results
        why = {cid: (frg.calls[cid], errors[cid]) for cid in failed_calls}
        text = results_answer(finished, why)
    elif ctx.append_results:
        added = [
            f"{call} = {result_text(v)[:200]}"
            for call, v in missing_results(text, finished).items()
        ]
        added += [fact.text for fact in computed if not mentions(text, fact.value)]
        if added:
            text = f"{text}\n\n{ADDED_RESULTS}{'; '.join(added)}.)"
    for cid in unacknowledged_failures(text, failed_calls):
        text = f"{text} {unavailable_sentence(failed_calls[cid], errors[cid])}"
    # The model's own message, when its words are the answer: streamed once, not twice.
    same = text == reply.text.strip() and reply.message_id is not None
    return {"messages": [AIMessage(text, id=reply.message_id) if same else AIMessage(text)]}


def _grammar(
    ctx: AgentContext,
    request: list[AnyMessage],
    computed: list[Fact],
    numeric: Mapping[str, tuple[Call, float]],
    *,
    compared: bool,
) -> dict[str, Any] | None:
    """The answer grammar to send with `request` (`answer_grammar`), or None."""
    if not uses_answer_grammar(ctx):
        return None
    values = [f.value for f in computed]
    if compared:  # "by how much" may be said too
        values += differences(_by_tool(numeric))
    required = _required(computed, numeric) if checks_answers(ctx) else []
    return answer_constraint(request, values, required=required)


def _required(computed: list[Fact], numeric: Mapping[str, tuple[Call, float]]) -> list[list[str]]:
    """What the answer checks ask an answer to write, as the grammar's required numbers.

    One of the computed values when there are any, and each numeric result that no
    computed value was made from (an amount's answer need not repeat the rate); none when
    there are more than the grammar can require.
    """
    values = [v for _, v in numeric.values() if not any(mentions(f.text, v) for f in computed)]
    required = [number_forms(v) for v in dict.fromkeys(values)]
    if computed:
        required.insert(0, [form for fact in computed for form in number_forms(fact.value)])
    return required if len(required) <= MAX_REQUIRED else []


def _by_tool(numeric: Mapping[str, tuple[Call, float]]) -> list[list[float]]:
    """The numeric results, grouped by the tool that gave them."""
    groups: dict[str, list[float]] = {}
    for call, value in numeric.values():
        groups.setdefault(call.tool, []).append(value)
    return list(groups.values())


def checks_answers(ctx: AgentContext) -> bool:
    """Whether the joiner holds answers to the results (`check_answers`, resolved).

    Example:
        ```python
        from langchain_llmorch.agent.joiner import checks_answers

        assert checks_answers(ctx) is ctx.options.check_answers  # when given
        ```
    """
    return ctx.embedded_default(ctx.options.check_answers)


def described(call: Call, results: Mapping[str, Any] | None = None) -> str:
    """A call as the joiner shows it: `tool(arg=value)`, without its id.

    With `results`, each chained argument is written as the short result it stands for
    (`spoken.with_results`): `staff(company="Volta Works")`, not `staff(company=s1)`.
    """
    return with_results(call, results).expression() if results else call.expression()


def folded_prompt(plan: Plan, call_id: str, results: Mapping[str, Any]) -> str:
    """The text a folded `self` step asks for, with the results filled in where known."""
    call = next(c for c in plan.calls if c.id == call_id)
    exprs = [*call.args, *call.kwargs.values()]
    if call.tool != SELF_TOOL or not exprs:
        return "answer the question"
    try:
        return result_text(evaluate(exprs[0], results))
    except (KeyError, TypeError, ValueError):
        return described(call)


__all__ = ["checks_answers", "described", "folded_prompt", "join"]
