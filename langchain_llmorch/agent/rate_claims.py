"""Sentences that call a computed amount a rate: `rates_misstated`.

"What do 500 grams of the Tamsin blend cost?" with 27 a kilogram looked up: the joiner is
told 27 x 0.5 = 13.5, and the 0.5B model wrote "The price per kilogram of the Tamsin
blend is $13.5." The number is the computed one, the words say it is the rate: a claim
the results contradict. Such a clause says "per", "each", "a" or "one" before what the
rate's tool gives its result for (its description's "one kilogram": `Unit.per`), states
the value computed from that rate, and does not state the rate itself ("13.5 euros, at 27
per kilogram" is right; so is "284 euros, one ticket per adult": another clause).

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

from langchain_llmorch.agent.answer import mentions
from langchain_llmorch.agent.echoes import sentences
from langchain_llmorch.agent.facts import Fact
from langchain_llmorch.agent.words import singular, stem_match

# "per kilogram", "each adult", "12 euros a kilogram": a rate's base, as an answer says it
# ("half a kilogram" is an amount, not a rate).
_BASE = re.compile(
    r"\b(?:per|each|every)\s+([a-z]+)|\d\s*(?:[a-z]+\s+)?(?:a|an)\s+([a-z]+)", re.IGNORECASE
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
    said = [singular((m.group(1) or m.group(2)).lower()) for m in _BASE.finditer(clause)]
    return any(stem_match(word, b) for word in said for b in base)


__all__ = ["rates_misstated"]
