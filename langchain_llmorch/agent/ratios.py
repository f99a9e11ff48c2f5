"""A result per unit of another, computed for the joiner to copy: `ratios`.

"How many litres of water does each fish in the Kelp tank get?" is the tank's volume
over its count of fish: two results of two tools for one subject, one divided by the
other. A small model divides in its head, or answers with one of the two results. With
the answer checks on (the embedded model's default), the joiner is handed the quotient
when the question asks "per X", "each X" or "every X", exactly two numeric results of
two tools were given the same names, and X is named by exactly one of the two tools'
words (its name's and description's, not its arguments'): that one is the divisor.

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.ratios import ratios

    volume, fish = parse_plan('s1: tank_volume(tank="Kelp")\\ns2: tank_fish(tank="Kelp")').calls
    numeric = {"s1": (volume, 2600.0), "s2": (fish, 60)}
    descriptions = {
        "tank_volume": "Look up how many litres of water an aquarium tank holds.",
        "tank_fish": "Look up how many fish live in an aquarium tank.",
    }
    (fact,) = ratios("How many litres does each fish in the Kelp tank get?", numeric, descriptions)
    assert fact.value == 43.33
    assert fact.text.startswith("per fish: ") and fact.text.endswith("= 43.33")
    ```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from langchain_llmorch.agent.facts import Fact, shown
from langchain_llmorch.agent.tool_kinds import literal_texts
from langchain_llmorch.agent.words import described_words, shared_words, units_asked_per
from langchain_llmorch.plan.language import Call

# A quotient is rounded to this many decimals ("43.33").
_PLACES = 2


def ratios(
    question: str,
    numeric: Mapping[str, tuple[Call, float]],
    descriptions: Mapping[str, str],
    *,
    described: Callable[[Call], str] | None = None,
) -> list[Fact]:
    """The result per unit of another that `question` asks, as a fact; or none.

    Args:
        question: the user's question.
        numeric: the finished calls with a numeric result, by id: (call, value).
        descriptions: each tool's description, by name.
        described: how a call is written in the fact (default: `tool(arg=value)`).
    """
    show = described or Call.expression
    units = units_asked_per(question)
    members = list(numeric.values())
    if not units or len(members) != 2 or members[0][0].tool == members[1][0].tool:  # noqa: PLR2004
        return []
    (one, a), (other, b) = members
    if sorted(v for _, v in literal_texts(one)) != sorted(v for _, v in literal_texts(other)):
        return []  # not one subject's two results

    named = [
        (c, v, shared_words(units, described_words(c.tool, descriptions.get(c.tool, ""))))
        for c, v in members
    ]
    divisors = [(c, v, unit) for c, v, unit in named if unit]
    if len(divisors) != 1:
        return []
    ((divisor, by, unit),) = divisors
    counted, value = (other, b) if divisor is one else (one, a)
    if by == 0:
        return []
    quotient = round(value / by, _PLACES)
    text = f"per {min(unit)}: {show(counted)} {shown(value)} / {show(divisor)} {shown(by)}"
    return [Fact(f"{text} = {shown(quotient)}", quotient, counted.tool)]


__all__ = ["ratios"]
