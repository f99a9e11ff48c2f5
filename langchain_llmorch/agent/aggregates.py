"""Sums and differences of looked-up results, computed for the joiner to copy.

Asked "how much water do a tomato and a basil plant need together?", the 0.5B model
added 3.5 and 1.2 in its head; asked "how much longer is X than Y?", it subtracted. Both
are arithmetic a small model gets wrong, and the answer grammar allows only numbers that
were given or computed. With the answer checks on (the embedded model's default), the
joiner is handed them:

- a total ("together", "in total", "combined", "altogether", "in all", "sum", "between
  them", "add up", "overall") of the
  numeric results of one tool, two or more of them;
- a mean ("average", "mean") of two or more numeric results of one tool;
- a difference ("how much more ... than", "how many fewer", "by how much", "difference",
  "gap", "how many years passed between", "apart", "separate")
  of a pair of one tool's results, the larger first.

A result per unit of another ("litres per fish") is `agent.ratios`'.

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.aggregates import aggregates

    a, b = parse_plan('s1: water(plant="tomato")\\ns2: water(plant="basil")').calls
    numeric = {"s1": (a, 3.5), "s2": (b, 1.2)}
    (total,) = aggregates("How much water do tomato and basil need together?", numeric)
    assert total.value == 4.7
    (gap,) = aggregates("How much more water does tomato need than basil?", numeric)
    assert gap.value == 2.3
    ```
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from langchain_llmorch.agent.answer import mentions
from langchain_llmorch.agent.echoes import sentence_spans
from langchain_llmorch.agent.edits import spliced
from langchain_llmorch.agent.facts import Fact, shown
from langchain_llmorch.plan.language import Call

_TOTAL = re.compile(
    r"\b(?:together|in\s+total|total|combined|altogether|in\s+all|sum|all\s+told|"
    r"between\s+them|add(?:ed|ing)?\s+up|overall|collectively|jointly)\b",
    re.IGNORECASE,
)
# "the average length", "on average", "the mean" (a noun); not "on an average day" (a
# typical one: a total may be asked of it) nor "what does X mean".
_MEAN = re.compile(
    r"(?<!\ban\s)\b(?:average|averaged)\b|\b(?:the|a)\s+mean\b",
    re.IGNORECASE,
)
_DIFFERENCE = re.compile(
    r"\bhow\s+(?:much|many)\s+(?:\w+\s+){0,2}?(?:more|less|fewer|longer|shorter|higher|lower|"
    r"heavier|lighter|older|younger|bigger|smaller|larger|cheaper|dearer|farther|further|"
    r"taller|deeper|wider|faster|slower)\b|\bby\s+how\s+(?:much|many)\b|\b(?:difference|gap)\b"
    r"|\b(?:passed|elapsed|went\s+by)\s+between\b|\bapart\b|\bseparates?\b",
    re.IGNORECASE,
)
# At most this many values are summed (each one costs the joiner's prompt tokens).
_MAX_TERMS = 6
_DIGITS = 10
# A mean is rounded to this many decimals ("463.33", not "463.3333333").
_PLACES = 2


def aggregates(
    question: str,
    numeric: Mapping[str, tuple[Call, float]],
    *,
    described: Callable[[Call], str] | None = None,
) -> list[Fact]:
    """The totals, means and differences `question` asks of `numeric`'s results, per tool.

    Args:
        question: the user's question.
        numeric: the finished calls with a numeric result, by id: (call, value).
        described: how a call is written in the fact (default: `tool(arg=value)`).

    Returns:
        A total (or a mean) for each tool with two to six results, when the question
        asks for one; a difference for each tool with exactly two, when it asks for one.
    """
    show = described or Call.expression
    groups: dict[str, list[tuple[Call, float]]] = {}
    for call, value in numeric.values():
        groups.setdefault(call.tool, []).append((call, value))
    facts = []
    total = bool(_TOTAL.search(question))
    mean = bool(_MEAN.search(question))
    difference = bool(_DIFFERENCE.search(question))
    for tool, members in groups.items():
        terms = " + ".join(f"{show(c)} {shown(v)}" for c, v in members)
        if total and 2 <= len(members) <= _MAX_TERMS:  # noqa: PLR2004 - a sum of two or more
            value = _tidy(sum(v for _, v in members))
            facts.append(Fact(f"total: {terms} = {shown(value)}", value, tool))
        if mean and 2 <= len(members) <= _MAX_TERMS:  # noqa: PLR2004 - a mean of two or more
            value = _tidy(round(sum(v for _, v in members) / len(members), _PLACES))
            text = f"mean: ({terms}) / {len(members)} = {shown(value)}"
            facts.append(Fact(text, value, tool))
        if difference and len(members) == 2:  # noqa: PLR2004 - a pair
            (high_call, high), (low_call, low) = sorted(members, key=lambda m: -m[1])
            value = _tidy(high - low)
            text = (
                f"difference: {show(high_call)} {shown(high)} - {show(low_call)} "
                f"{shown(low)} = {shown(value)}"
            )
            facts.append(Fact(text, value, tool))
    return facts


def _tidy(value: float) -> float:
    """`value` without float noise (3.5 + 1.2 is 4.7, not 4.700000000000001)."""
    return float(f"{value:.{_DIGITS}g}")


@dataclass(frozen=True)
class MisstatedTotal:
    """A result written where the total the question asks belongs."""

    start: int
    end: int
    total: float
    sentence: str


def misstated_totals(answer: str, facts: Sequence[Fact]) -> list[MisstatedTotal]:
    """The results `answer` gives as the total asked ("147 workers in total", 359 summed).

    A sentence with a total's word ("in total", "together", "combined") that writes none
    of the computed totals but writes one of the results summed claims that result is
    the total. Where one total was computed, its number is what belongs there.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.aggregates import aggregates, misstated_totals

        a, b = parse_plan('s1: staff(mine="A")\\ns2: staff(mine="B")').calls
        facts = aggregates("How many workers in total?", {"s1": (a, 212), "s2": (b, 147)})
        said = "147 workers in total. A has 212 and B 147, 359 in all."
        assert [m.sentence for m in misstated_totals(said, facts)] == ["147 workers in total."]
        assert misstated_totals("359 workers in total.", facts) == []
        ```
    """
    totals = [fact for fact in facts if fact.text.startswith("total:")]
    if len(totals) != 1:
        return []
    (total,) = totals
    terms = [float(n) for n in re.findall(r" (-?\d+(?:\.\d+)?)(?= \+| =)", total.text)]
    found = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        if not _TOTAL.search(sentence) or mentions(sentence, total.value):
            continue
        for match in _WRITTEN.finditer(sentence):
            if any(mentions(match.group(0), term) for term in terms):
                at = start + match.start()
                found.append(
                    MisstatedTotal(at, at + len(match.group(0)), total.value, sentence.strip())
                )
                break
    return found


def totals_said(answer: str, facts: Sequence[Fact]) -> str:
    """`answer` with each result given as the total written as the total."""
    wrong = misstated_totals(answer, facts)
    return spliced(answer, [(m.start, m.end, shown(m.total)) for m in wrong])


_WRITTEN = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")


__all__ = ["MisstatedTotal", "aggregates", "misstated_totals", "totals_said"]
