"""Sentences that call a computed amount a rate: `rates_misstated`.

"What do 500 grams of the Tamsin blend cost?" with 27 a kilogram looked up: the joiner is
told 27 x 0.5 = 13.5, and the 0.5B model wrote "The price per kilogram of the Tamsin
blend is $13.5." The number is the computed one, the words say it is the rate: a claim
the results contradict. Such a sentence says "per", "each" or "a piece", states the
value computed from a rate, and does not state the rate itself ("13.5 euros, at 27 per
kilogram" is right).

Example:
    ```python
    from langchain_llmorch.agent.facts import Fact
    from langchain_llmorch.agent.rate_claims import rates_misstated

    fact = Fact("price_per_kg(blend=Tamsin) x 0.5 = 27 x 0.5 = 13.5", 13.5, rate=27.0)
    said = "The price per kilogram of the Tamsin blend is $13.5."
    assert rates_misstated(said, [fact]) == [said]
    assert rates_misstated("It costs $13.5, at $27 per kilogram.", [fact]) == []
    ```
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_llmorch.agent.answer import mentions
from langchain_llmorch.agent.echoes import sentences
from langchain_llmorch.agent.facts import Fact

# A sentence that says it gives a rate: "per kilogram", "each", "a piece", "/kg".
_RATE = re.compile(r"\b(?:per|each|a piece|apiece)\b|/\s*[a-z]", re.IGNORECASE)


def rates_misstated(answer: str, facts: Sequence[Fact]) -> list[str]:
    """The sentences of `answer` that give an amount computed from a rate as the rate."""
    products = [f for f in facts if f.rate is not None and f.rate != f.value]
    found = []
    for sentence in (s.strip() for s in sentences(answer)):
        if not _RATE.search(sentence):
            continue
        for fact in products:
            if mentions(sentence, fact.value) and not mentions(sentence, fact.rate or 0.0):
                found.append(sentence)
                break
    return found


__all__ = ["rates_misstated"]
