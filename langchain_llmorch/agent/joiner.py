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
from dataclasses import dataclass, field
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
    computed_answer,
    correction_request,
    misstated_amounts,
    reason_in_words,
    results_answer,
    unavailable_sentence,
    unnamed_failures,
    unsupported_numbers,
    without_unsupported,
)
from langchain_llmorch.agent.comparisons import (
    contradicted_comparisons,
    correct_comparisons,
    orderings,
    unanswered_comparisons,
)
from langchain_llmorch.agent.echoes import once_each, without_echoes
from langchain_llmorch.agent.facts import Fact, numeric_results, products, reference_of
from langchain_llmorch.agent.requests import Step, ask
from langchain_llmorch.agent.state import AgentContext, LLMOrchState
from langchain_llmorch.agent.stated_units import (
    Misnamed,
    Unit,
    correct_units,
    misnamed_units,
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
    finished = {described(c): results[cid] for cid, c in frg.calls.items() if cid in results}
    failed_calls = {cid: frg.calls[cid] for cid in errors if cid in frg.calls}
    failed = {
        described(frg.calls[cid]): reason_in_words(why)
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
        described=described,
        descriptions=units,
        references=references,
    )
    if checks_answers(ctx):  # a total or a difference the question asks for, first
        computed = [*aggregates(question, numeric, described=described), *computed]
    compared = orderings(question, numeric) if checks_answers(ctx) else []
    request = prompts.joiner_messages(
        state["messages"],
        finished,
        steps=steps,
        failed=failed,
        notes=notes,
        facts=[f.text for f in computed],
        orderings=compared,
    )
    bound = _grammar(ctx, request, computed, numeric, compared=bool(compared))
    reply = yield from ask("join", request, bound=bound)
    if reply.error is not None and bound is not None:  # a grammar the server refused
        bound = None
        reply = yield from ask("join", request)
    text = without_echoes(reply.text.strip())
    said = conversation_text(state["messages"])
    review = _Review(
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
    for cid in unnamed_failures(text, failed_calls):
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


@dataclass(frozen=True)
class _Objections:
    """What is wrong with an answer, to send it back once."""

    unsupported: list[str]
    unnamed: list[str]
    contradicted: list[str]
    unstated: list[str]
    left_out: list[str]
    unanswered: list[str]
    misstated: list[str]
    misnamed: list[Misnamed]

    def count(self) -> int:
        kinds = (self.unsupported, self.unnamed, self.contradicted, self.unstated, self.left_out)
        more = (self.unanswered, self.misstated, self.misnamed)
        return sum(len(kind) for kind in (*kinds, *more))

    def __lt__(self, other: _Objections) -> bool:
        return self.count() < other.count()

    def request(self, failed: Mapping[str, Call]) -> str:
        return correction_request(
            self.unsupported,
            self.unnamed,
            failed,
            contradicted=self.contradicted,
            unstated=self.unstated,
            left_out=self.left_out,
            unanswered=self.unanswered,
            misstated=self.misstated,
            misnamed=[wrong.truth for wrong in self.misnamed],
        )


@dataclass(frozen=True)
class _Review:
    """Holds an answer's claims to the results.

    Always, when calls failed: no value for them, and each named. With `checking` (the
    answer checks of small models, `check_answers`): every number it states is
    supported, no comparison is contradicted, a comparison the question asks is made, a
    computed value is stated, no numeric result is left out (`missing_results`), and no
    result is given in another unit than its tool's (`agent.stated_units`).
    """

    finished: Mapping[str, Any]
    failed: Mapping[str, Call]
    numeric: Mapping[str, tuple[Call, float]]
    computed: list[Fact]
    conversation: str
    question: str
    checking: bool
    units: Mapping[str, Unit] = field(default_factory=dict)

    def settled(
        self, first: str, objections: _Objections, second: str, why: Mapping[str, tuple[Call, str]]
    ) -> str:
        """The answer after one send-back: `second` if it holds, else the better one put right.

        A value still stated for a failed call leaves the results to speak
        (`results_answer`); a comparison or a unit still wrong is put right, a sentence
        with a number nothing supports is taken out, a comparison the question asks and
        still not made is added; an answer still without the computed value says it
        (`computed_answer`).
        """
        second_objections = self.objections(second) if second else None
        if second and second_objections is None:
            return second
        if self.failed and (second_objections or objections).unsupported:
            text = results_answer(self.finished, why)
        else:  # the better of the two, with any comparison still wrong put right
            # The first answer states a value for a failed call, the second does not: never
            # keep the first, even when the second has as many other faults.
            text = first
            invented = bool(self.failed and objections.unsupported)
            if second_objections is not None and (second_objections < objections or invented):
                text = second
            text = correct_comparisons(text, self.numeric)
            text = correct_units(text, self.misnamed(text))
            if self.checking:
                # A number still invented goes; what is left must hold.
                values = [fact.value for fact in self.computed]
                results = self.finished.values()
                held = without_unsupported(text, results, self.conversation, computed=values)
                text = held or results_answer(self.finished, why)
                # A comparison asked and twice not made: the results make it.
                asked = unanswered_comparisons(self.question, text, self.numeric)
                text = " ".join([text, *(f"{t[0].upper()}{t[1:]}." for t in asked)])
        if self.unstated(text):  # twice without the computed value: it is said
            text = computed_answer([fact.text for fact in self.computed])
        return text

    def unstated(self, text: str) -> bool:
        """Whether the answer checks ask `text` for a computed value it does not state."""
        if not self.checking or not self.computed:
            return False
        return not any(mentions(text, f.value) for f in self.computed) or bool(self.misstated(text))

    def misstated(self, text: str) -> list[str]:
        """The sentences of `text` that give a result as the amount the question asks."""
        if not self.checking:
            return []
        values = [f.value for f in self.computed]
        return misstated_amounts(text, self.question, self.finished.values(), values)

    def misnamed(self, text: str) -> list[Misnamed]:
        """The numbers of `text` written with another unit than their result is in."""
        if not self.checking or not self.units:
            return []
        return misnamed_units(text, self.numeric, self.units, self.computed, question=self.question)

    def objections(self, text: str) -> _Objections | None:
        """What is wrong with `text`, or None."""
        unsupported: list[str] = []
        if self.failed or self.checking:
            values = [fact.value for fact in self.computed]
            unsupported = unsupported_numbers(
                text, self.finished.values(), self.conversation, computed=values
            )
        unnamed = unnamed_failures(text, self.failed) if unsupported else []
        contradicted: list[str] = []
        unstated: list[str] = []
        left_out: list[str] = []
        unanswered: list[str] = []
        misstated: list[str] = []
        misnamed = self.misnamed(text)
        if self.checking:
            contradicted = contradicted_comparisons(text, self.numeric)
            unanswered = unanswered_comparisons(self.question, text, self.numeric)
            misstated = self.misstated(text)
            if self.unstated(text):
                unstated = [fact.text for fact in self.computed]
            elif not self.computed:  # an amount's answer need not repeat the rate
                missing = missing_results(text, self.finished)
                left_out = [f"{call} = {result_text(v)[:80]}" for call, v in missing.items()]
        found = _Objections(
            unsupported, unnamed, contradicted, unstated, left_out, unanswered, misstated, misnamed
        )
        return found if found.count() else None


def described(call: Call) -> str:
    """A call as the joiner shows it: `tool(arg=value)`, without its id."""
    return call.render().split(": ", 1)[1]


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
