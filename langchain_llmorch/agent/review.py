"""An answer's claims held to the results: what is wrong with it, and what stands after.

`Review` holds an answer to the finished and failed calls, the values computed for the
question and (with `check_answers`) the comparisons, amounts and units the results give;
`Objections` is what it found, sent back once as one request. The joiner
(`agent.joiner`) asks, sends back and settles with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_llmorch.agent.aggregates import misstated_totals, totals_said
from langchain_llmorch.agent.answer import mentions, missing_results, numbers_in
from langchain_llmorch.agent.arithmetic import calculations_put_right, miscalculations
from langchain_llmorch.agent.claims import (
    computed_answer,
    correction_request,
    misstated_amounts,
    results_answer,
    subjects,
    unnamed_failures,
    unsupported_numbers,
    without_unsupported,
)
from langchain_llmorch.agent.comparisons import (
    contradicted_comparisons,
    correct_comparisons,
    unanswered_comparisons,
)
from langchain_llmorch.agent.echoes import sentences
from langchain_llmorch.agent.facts import Fact
from langchain_llmorch.agent.failed_values import given_to_failed
from langchain_llmorch.agent.gap_claims import gaps_put_right, misstated_gaps
from langchain_llmorch.agent.rate_claims import (
    rates_misstated,
    totals,
    totals_as_rates,
    totals_put_right,
)
from langchain_llmorch.agent.stated_units import Misnamed, Unit, correct_units, misnamed_units
from langchain_llmorch.plan.language import Call, result_text

# Words that say a value could not be had: "could not find", "is not available", "failed".
_UNAVAILABLE = re.compile(
    r"\b(?:could\s*n[o']?t|cannot|can'?t|unable|(?:did|does|do|was|is|are|were)\s*n[o']?t|"
    r"not\s+(?:be\s+)?(?:found|available|known|listed|retrieved|returned|able)|"
    r"unavailable|unknown|missing|fail(?:ed|s|ure)?|errors?|"
    r"no\s+(?:data|results?|information|records?|values?|answer|figures?))\b",
    re.IGNORECASE,
)


def unacknowledged_failures(answer: str, failed: Mapping[str, Call]) -> list[str]:
    """The failed calls (by id) no sentence of `answer` says could not be had.

    Naming a failed call's subject is not enough ("The seats of Night Harbour and
    Willowgate has     seats altogether." names it, with a blank for the value): a
    sentence must name it and say it is not there ("could not", "not found",
    "unavailable", "failed", "no data", ...).

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.review import unacknowledged_failures

        (call,) = parse_plan('s1: share_price(ticker="ZZZZ")').calls
        assert unacknowledged_failures("ZZZZ trades at  .", {"s1": call}) == ["s1"]
        assert unacknowledged_failures("I could not find ZZZZ.", {"s1": call}) == []
        ```
    """
    said = [s.lower() for s in sentences(answer) if _UNAVAILABLE.search(s)]
    return [
        cid
        for cid, call in failed.items()
        if not any(subject in s for s in said for subject in subjects(call))
    ]


@dataclass(frozen=True)
class Objections:
    """What is wrong with an answer, to send it back once."""

    unsupported: list[str]
    unnamed: list[str]
    contradicted: list[str]
    unstated: list[str]
    left_out: list[str]
    unanswered: list[str]
    misstated: list[str]
    misnamed: list[Misnamed]
    as_rate: list[str] = field(default_factory=list)
    miscalculated: list[str] = field(default_factory=list)

    def count(self) -> int:
        """How many faults were found, of every kind."""
        kinds = (self.unsupported, self.unnamed, self.contradicted, self.unstated, self.left_out)
        more = (self.unanswered, self.misstated, self.misnamed, self.as_rate, self.miscalculated)
        return sum(len(kind) for kind in (*kinds, *more))

    def __lt__(self, other: Objections) -> bool:
        """Fewer faults: the better answer of two."""
        return self.count() < other.count()

    def request(self, failed: Mapping[str, Call]) -> str:
        """The send-back request that states every fault (`claims.correction_request`)."""
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
            as_rate=self.as_rate,
            miscalculated=self.miscalculated,
        )


@dataclass(frozen=True)
class Review:
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
        self, first: str, objections: Objections, second: str, why: Mapping[str, tuple[Call, str]]
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
            text = calculations_put_right(text)  # "1150 - 890 = 1150": 260, stated
            text = correct_comparisons(text, self.numeric, self.question)
            text = correct_units(text, self.misnamed(text))
            text = totals_put_right(text, totals(self.numeric)) if self.checking else text
            if self.checking:
                # A number still invented goes; what is left must hold.
                values = [fact.value for fact in self.computed]
                results = self.finished.values()
                held = without_unsupported(text, results, self.conversation, computed=values)
                # Numbers, none of them a result nor a computed value: no answer at all.
                text = (
                    held if held and not self.baseless(held) else results_answer(self.finished, why)
                )
                # A comparison asked and twice not made: the results make it.
                asked = unanswered_comparisons(self.question, text, self.numeric)
                text = " ".join([text, *(f"{t[0].upper()}{t[1:]}." for t in asked)])
        if self.checking:  # a result still given as the gap of its pair, or the total
            text = totals_said(gaps_put_right(text, self.numeric), self.computed)
        if self.unstated(text) or self.as_rate(text):  # twice: the computed value is said
            text = computed_answer([fact.text for fact in self.computed])
        return calculations_put_right(text)

    def baseless(self, text: str) -> bool:
        """Whether `text` states numbers and not one of them is a result or computed value.

        Twice so, the answer is no answer ("1 train operator 1 company fleet" to a question
        whose result is 62): the results speak instead.
        """
        values = [v for _, v in self.numeric.values()] + [f.value for f in self.computed]
        stated = bool(numbers_in(text))
        return stated and bool(values) and not any(mentions(text, v) for v in values)

    def unstated(self, text: str, misstated: list[str] | None = None) -> bool:
        """Whether the answer checks ask `text` for a computed value it does not state.

        `misstated`: `self.misstated(text)`, when the caller has it already.
        """
        if not self.checking or not self.computed:
            return False
        if not any(mentions(text, f.value) for f in self.computed):
            return True
        return bool(self.misstated(text) if misstated is None else misstated)

    def misstated(self, text: str) -> list[str]:
        """The sentences of `text` that give a result as the amount the question asks.

        Or as the gap between it and its pair ("3120 meters higher than",
        `agent.gap_claims`), or as the total of the results summed ("147 workers in
        total", `aggregates.misstated_totals`).
        """
        if not self.checking:
            return []
        values = [f.value for f in self.computed]
        found = misstated_amounts(text, self.question, self.finished.values(), values)
        gaps = [gap.sentence for gap in misstated_gaps(text, self.numeric)]
        summed = [total.sentence for total in misstated_totals(text, self.computed)]
        return list(dict.fromkeys([*found, *gaps, *summed]))

    def as_rate(self, text: str) -> list[str]:
        """The sentences of `text` that call an amount computed from a rate the rate.

        Or a tool's total for an amount (`group_booking(tickets=5)`) the price of one.
        """
        if not self.checking:
            return []
        bases = {name: unit.per for name, unit in self.units.items()}
        found = rates_misstated(text, self.computed, bases)
        return list(dict.fromkeys([*found, *totals_as_rates(text, totals(self.numeric))]))

    def misnamed(self, text: str) -> list[Misnamed]:
        """The numbers of `text` written with another unit than their result is in."""
        if not self.checking or not self.units:
            return []
        return misnamed_units(text, self.numeric, self.units, self.computed, question=self.question)

    def objections(self, text: str) -> Objections | None:
        """What is wrong with `text`, or None."""
        unsupported: list[str] = []
        if self.failed or self.checking:
            values = [fact.value for fact in self.computed]
            unsupported = unsupported_numbers(
                text, self.finished.values(), self.conversation, computed=values
            )
        # Another call's result given to a failed one ("the fee of Ashby = 44.0").
        unsupported += [
            n for n in given_to_failed(text, self.failed, self.numeric) if n not in unsupported
        ]
        unnamed = unnamed_failures(text, self.failed) if unsupported else []
        contradicted: list[str] = []
        unstated: list[str] = []
        left_out: list[str] = []
        unanswered: list[str] = []
        misstated: list[str] = []
        as_rate: list[str] = []
        misnamed = self.misnamed(text)
        if self.checking:
            contradicted = contradicted_comparisons(text, self.numeric, self.question)
            unanswered = unanswered_comparisons(self.question, text, self.numeric)
            as_rate = self.as_rate(text)
            given = self.misstated(text)
            misstated = [s for s in given if s not in as_rate]
            if self.unstated(text, given):
                unstated = [fact.text for fact in self.computed]
            elif not self.computed:  # an amount's answer need not repeat the rate
                missing = missing_results(text, self.finished)
                left_out = [f"{call} = {result_text(v)[:80]}" for call, v in missing.items()]
        found = Objections(
            unsupported,
            unnamed,
            contradicted,
            unstated,
            left_out,
            unanswered,
            misstated,
            misnamed,
            as_rate,
            [wrong.truth for wrong in miscalculations(text)],
        )
        return found if found.count() else None


__all__ = ["Objections", "Review", "unacknowledged_failures"]
