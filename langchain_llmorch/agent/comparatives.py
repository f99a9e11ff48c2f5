"""The words of comparison, and the comparison a question asks: `asked_comparative`.

A comparative ("larger", "cheaper", "poorer") or superlative ("deepest") says which of
two or more results is meant: the larger (`MORE`, `MOST`) or the smaller (`LESS`,
`LEAST`). `agent.comparisons` holds an answer's claims to the results with them.
"""

from __future__ import annotations

import re

MORE = (
    "larger|higher|greater|bigger|more|stronger|heavier|taller|longer|warmer|hotter|"
    "dearer|costlier|pricier|farther|further|wider|deeper|older|faster|richer|brighter|"
    "louder|busier|exceeds?|outweighs?|outnumbers?"
)
LESS = (
    "smaller|lower|less|fewer|weaker|lighter|shorter|colder|cooler|cheaper|nearer|closer|"
    "narrower|shallower|younger|slower|poorer|dimmer|quieter"
)
MOST = (
    "largest|highest|greatest|biggest|most|strongest|heaviest|tallest|longest|warmest|"
    "hottest|dearest|priciest|costliest|farthest|furthest|widest|deepest|oldest|fastest|"
    "richest|brightest|loudest|busiest"
)
LEAST = (
    "smallest|lowest|least|fewest|weakest|lightest|shortest|coldest|cheapest|nearest|"
    "closest|narrowest|shallowest|youngest|slowest|poorest|dimmest|quietest"
)
COMPARATIVE = re.compile(
    rf"\b(?:(?P<more>{MORE})|(?P<less>{LESS})|(?P<most>{MOST})|(?P<least>{LEAST}))\b",
    re.IGNORECASE,
)

_ASKS_COMPARISON = re.compile(
    rf"\b(?:which|whose|who|where)\b.*?\b(?P<word>{MORE}|{LESS}|{MOST}|{LEAST})\b",
    re.IGNORECASE | re.DOTALL,
)
# "Is petrol cheaper in Spain or in Poland?", "Does the Cresta or the Sorel use more?"
_ASKS_EITHER = re.compile(
    rf"^\s*(?:is|are|was|were|does|do|did|can|could|has|have|will|would)\b(?=.*\bor\b)"
    rf".*?\b(?P<word>{MORE}|{LESS}|{MOST}|{LEAST})\b",
    re.IGNORECASE | re.DOTALL,
)


# "Is a seat at A pricier than one at B?", "Does Skarnholm have more snow than Frostmere?":
# a yes-or-no question set against another subject, not against a time ("than a year ago").
_ASKS_THAN = re.compile(
    rf"^\s*(?:is|are|was|were|does|do|did|can|could|has|have|will|would)\b"
    rf".*?\b(?P<word>{MORE}|{LESS})\b(?:\s+[a-z]+){{0,2}}?\s+than\s+"
    r"(?!(?:a|an|last|ever|before|usual|expected|normal|average|it|that|this)\b)",
    re.IGNORECASE | re.DOTALL,
)


def asks_smaller(word: str) -> bool:
    """Whether comparative `word` asks for the smaller ("cheaper", "fewest").

    Example:
        ```python
        from langchain_llmorch.agent.comparatives import asks_smaller

        assert asks_smaller("poorer") and not asks_smaller("deepest")
        ```
    """
    return bool(re.fullmatch(f"{LESS}|{LEAST}", word))


def asked_comparative(question: str) -> str | None:
    """The comparative word of a question that asks which is larger or smaller, or None.

    "Which ... cheaper", "whose ... more", an either-or question ("Is petrol cheaper
    in Spain or in Poland?") and a yes-or-no one set against another subject ("Is a
    seat at A pricier than one at B?"; not "than a year ago").

    Example:
        ```python
        from langchain_llmorch.agent.comparatives import asked_comparative

        assert asked_comparative("Which planet has the stronger gravity?") == "stronger"
        assert asked_comparative("Is petrol cheaper in Spain or in Poland?") == "cheaper"
        assert asked_comparative("Is petrol cheaper in Spain than a year ago?") is None
        assert asked_comparative("Is a seat at A pricier than one at B?") == "pricier"
        ```
    """
    asked = (
        _ASKS_COMPARISON.search(question)
        or _ASKS_EITHER.search(question)
        or _ASKS_THAN.search(question)
    )
    return asked.group("word").lower() if asked else None


__all__ = ["COMPARATIVE", "LEAST", "LESS", "MORE", "MOST", "asked_comparative", "asks_smaller"]
