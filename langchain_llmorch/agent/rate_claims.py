"""Sentences that call an amount a rate: `rates_misstated`, `totals_as_rates`.

"What do 500 grams of the Tamsin blend cost?" with 27 a kilogram looked up: the joiner is
told 27 x 0.5 = 13.5, and the 0.5B model wrote "The price per kilogram of the Tamsin
blend is $13.5." The number is the computed one, the words say it is the rate: a claim
the results contradict. Such a clause says "per", "each", "a" or "one" before what the
rate's tool gives its result for (its description's "one kilogram": `Unit.per`), states
the value computed from that rate, and does not state the rate itself ("13.5 euros, at 27
per kilogram" is right; so is "284 euros, one ticket per adult": another clause).

A tool's own total is the same claim: `group_booking(play="The Copper Bell", tickets=5)`
gave 110, and the 0.5B model wrote "Group booking costs 110.0 pounds per ticket."
(`totals_as_rates`; `totals_put_right` says "for 5 tickets" where the model twice
would not).

Example:
    ```python
    from langchain_llmorch.agent.facts import Fact
    from langchain_llmorch.agent.rate_claims import rates_misstated

    fact = Fact("price_per_kg(blend=Tamsin) x 0.5 = 27 x 0.5 = 13.5", 13.5, "price", rate=27.0)
    bases = {"price": {"kilogram"}}
    said = "The price per kilogram of the Tamsin blend is $13.5."
    assert rates_misstated(said, [fact], bases) == [said]
    assert rates_misstated("It costs $13.5, at $27 per kilogram.", [fact], bases) == []
    assert rates_misstated("It costs $13.5 per order.", [fact], bases) == []
    ```
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from langchain_llmorch.agent.answer import mentions
from langchain_llmorch.agent.echoes import sentence_spans, sentences
from langchain_llmorch.agent.edits import spliced
from langchain_llmorch.agent.facts import Fact
from langchain_llmorch.agent.words import singular, stem_match
from langchain_llmorch.plan.language import Call

# "per kilogram", "each adult", "for one night", "12 euros a kilogram": a rate's base, as
# an answer says it ("half a kilogram" is an amount, not a rate). `phrase` is what says it.
_PER_ONE = re.compile(
    r"\b(?P<per>(?:per|each|every|for\s+(?:a|an|one))\s+(?P<base>[a-z]+))\b"
    r"|\d\s*(?:[a-z]+\s+)?(?P<a>(?:a|an)\s+(?P<a_base>[a-z]+))\b",
    re.IGNORECASE,
)
# A clause ends at a comma, a semicolon, a colon or a joining word.
_CLAUSE = re.compile(r"[,;:]|\b(?:so|and|but|while|which|at)\b", re.IGNORECASE)


def rates_misstated(
    answer: str, facts: Sequence[Fact], bases: Mapping[str, Collection[str]]
) -> list[str]:
    """The sentences of `answer` that give an amount computed from a rate as the rate.

    Args:
        answer: the model's answer.
        facts: the computed values; those with a `rate` are products of it.
        bases: what each tool gives its result for one of, by tool name (`Unit.per`).
    """
    products = [f for f in facts if f.rate is not None and f.rate != f.value]
    found = []
    for sentence in (s.strip() for s in sentences(answer)):
        for clause in _CLAUSE.split(sentence):
            if any(_as_rate(clause, fact, bases.get(fact.tool, ())) for fact in products):
                found.append(sentence)
                break
    return found


def _as_rate(clause: str, fact: Fact, base: Collection[str]) -> bool:
    """Whether `clause` states `fact`'s value as the rate for one of its base."""
    if not mentions(clause, fact.value) or mentions(clause, fact.rate or 0.0):
        return False
    said = [singular(_base(m)) for m in _PER_ONE.finditer(clause)]
    said += [one for word, one in _FOR_ONE.items() if re.search(rf"\b{word}\b", clause, _I)]
    return any(stem_match(word, b) for word in said for b in base)


_I = re.IGNORECASE
# Words that say "for one" of a span: "the daily output is 2905" calls a week's total a day's.
_FOR_ONE = {
    "daily": "day",
    "nightly": "night",
    "hourly": "hour",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
}


@dataclass(frozen=True)
class Total:
    """A result for an amount of something other than one: `group_booking(tickets=5)`."""

    value: float
    """The result."""
    amount: float
    """The amount the call was given (5)."""
    noun: str
    """The argument that took it, a plural noun ("tickets")."""


def totals(numeric: Mapping[str, tuple[Call, float]]) -> list[Total]:
    """The numeric results of calls given an amount other than one of a plural noun.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.rate_claims import Total, totals

        (call,) = parse_plan('s1: group_booking(play="Saltmarsh", tickets=5)').calls
        assert totals({"s1": (call, 110.0)}) == [Total(110.0, 5.0, "tickets")]
        ```
    """
    found = []
    for call, value in numeric.values():
        for name, expr in call.kwargs.items():
            amount = expr if isinstance(expr, int | float) and not isinstance(expr, bool) else None
            if amount in {None, 0, 1} or not _PLURAL.fullmatch(name) or value == 0:
                continue
            found.append(Total(float(value), float(amount or 0), name))
    return found


def totals_as_rates(answer: str, found: Sequence[Total]) -> list[str]:
    """The sentences of `answer` that give a total (`totals`) as the price of one.

    "Group booking costs 110.0 pounds per ticket." for `group_booking(tickets=5) = 110`:
    the 110 is for 5 tickets. A clause that states the total, not the total over the
    amount, and says "per", "each", "every" or "a" the argument's singular ("ticket").

    Example:
        ```python
        from langchain_llmorch.agent.rate_claims import Total, totals_as_rates

        total = Total(110.0, 5.0, "tickets")
        said = "The Copper Bell costs 28 pounds. Group booking costs 110.0 pounds per ticket."
        assert totals_as_rates(said, [total]) == ["Group booking costs 110.0 pounds per ticket."]
        assert totals_as_rates("It costs 110 pounds for 5 tickets.", [total]) == []
        ```
    """
    return list(dict.fromkeys(answer[s:e].strip() for s, e, _ in _per_one(answer, found)))


def totals_put_right(answer: str, found: Sequence[Total]) -> str:
    """`answer` with each total said to be for one said to be for its amount.

    Example:
        ```python
        from langchain_llmorch.agent.rate_claims import Total, totals_put_right

        said = "Group booking costs 110.0 pounds per ticket."
        assert totals_put_right(said, [Total(110.0, 5.0, "tickets")]) == (
            "Group booking costs 110.0 pounds for 5 tickets."
        )
        ```
    """
    edits = [
        (at, to, f"for {total.amount:g} {total.noun}")
        for _, _, (at, to, total) in _per_one(answer, found)
    ]
    return spliced(answer, edits)


# A plural noun an amount is given as ("tickets", "nights", "crates").
_PLURAL = re.compile(r"[a-z]{3,}s")
# Within a sentence, a clause ends at a comma, a semicolon, a colon or a joining word.
_CLAUSE_END = re.compile(r"[,;:.!?](?:\s|$)|\b(?:so|and|but|while|which)\b", re.IGNORECASE)


def _per_one(answer: str, found: Sequence[Total]) -> list[tuple[int, int, tuple[int, int, Total]]]:
    """Where `answer` gives a total as the price of one.

    (sentence start, sentence end, (phrase start, phrase end, total)) for each "per one"
    phrase of a clause that states a total's value, not that value over its amount.
    """
    out = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        for match in _PER_ONE.finditer(sentence):
            at, to = match.span("per") if match.group("per") else match.span("a")
            for total in found:
                if not stem_match(singular(_base(match)), singular(total.noun)):
                    continue
                clause = _around(sentence, at, _CLAUSE_END)
                if mentions(clause, total.value) and not mentions(
                    clause, total.value / total.amount
                ):
                    out.append((start, end, (start + at, start + to, total)))
                    break
    return out


def _base(match: re.Match[str]) -> str:
    """The word a `_PER_ONE` match gives a rate for one of, lower case."""
    return (match.group("base") or match.group("a_base")).lower()


def _around(text: str, at: int, ends: re.Pattern[str]) -> str:
    """The stretch of `text` around position `at` between two matches of `ends`."""
    before = [m.end() for m in ends.finditer(text, 0, at)]
    after = ends.search(text, at)
    return text[before[-1] if before else 0 : after.start() if after else len(text)]


__all__ = ["Total", "rates_misstated", "totals", "totals_as_rates", "totals_put_right"]
