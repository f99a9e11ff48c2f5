"""A result given as the gap between two: `misstated_gaps`.

"How much higher does Kelderpeak's top station sit than Skarnholm's?" with 3120 and 2765
looked up, and 355 computed: the 0.5B model wrote "Kelderpeak's top station is 3120
meters higher than Skarnholm's. The difference in height is 355 meters." The second
sentence is right, the first says the gap is 3120. A number written right before a
comparative and "than" ("3120 meters higher than", "12 fewer than") is a gap; where it is
one of a pair of one tool's results and not their difference, the answer is sent back,
then the difference is written in its place; so is a number after "by" that follows a
comparative and "than" ("larger than Gullhaven by 8 meters").

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.gap_claims import gaps_put_right, misstated_gaps

    a, b = parse_plan('s1: top(resort="K")\\ns2: top(resort="S")').calls
    numeric = {"s1": (a, 3120.0), "s2": (b, 2765.0)}
    said = "K's top is 3120 meters higher than S's."
    assert [gap.sentence for gap in misstated_gaps(said, numeric)] == [said]
    assert gaps_put_right(said, numeric) == "K's top is 355 meters higher than S's."
    assert misstated_gaps("K's top is 355 meters higher than S's.", numeric) == []
    assert misstated_gaps("K's top, at 3120, is higher than S's.", numeric) == []
    ```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from langchain_llmorch.agent.answer import mentions
from langchain_llmorch.agent.echoes import sentence_spans
from langchain_llmorch.agent.edits import spliced
from langchain_llmorch.agent.facts import shown
from langchain_llmorch.plan.language import Call

# A number, up to two words (a unit), then a comparative and "than": "355 metres higher than".
# A verb between them makes the number a value compared, not a gap: "89.9 is larger than".
_GAP = re.compile(
    r"(?<![\w.])(?P<n>\d[\d,]*(?:\.\d+)?)\s+"
    r"(?:(?!(?:is|are|was|were|be|being|been|seems?|looks?|and|or|but)\b)[a-z]+\s+){0,2}?"
    r"(?:more|less|fewer|[a-z]{2,}er)\s+than\b",
    re.IGNORECASE,
)

# A comparative, "than" and what it is compared with, then "by" and the gap: "larger than
# Gullhaven by 8 meters".
_BY_GAP = re.compile(
    r"\b(?:more|less|fewer|[a-z]{2,}er)\s+than\s+[^.,;:!?]{1,60}?\s+by\s+"
    r"(?:about\s+|around\s+|roughly\s+)?(?P<n>\d[\d,]*(?:\.\d+)?)(?![\d.]*\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MisstatedGap:
    """A result written where the gap between it and its pair belongs."""

    start: int
    """Where the number starts in the answer."""
    end: int
    """Where it ends."""
    gap: float
    """The difference of the pair."""
    sentence: str
    """The sentence that says it."""


def misstated_gaps(answer: str, numeric: Mapping[str, tuple[Call, float]]) -> list[MisstatedGap]:
    """The gaps `answer` states as one of a pair of one tool's results (see the module)."""
    by_tool: dict[str, list[float]] = {}
    for call, value in numeric.values():
        by_tool.setdefault(call.tool, []).append(value)
    pairs = [values for values in by_tool.values() if len(values) == 2]  # noqa: PLR2004
    found = []
    for sentence_start, sentence_end in sentence_spans(answer):
        sentence = answer[sentence_start:sentence_end]
        gaps = [*_GAP.finditer(sentence), *_BY_GAP.finditer(sentence)]
        for match in sorted(gaps, key=lambda m: m.start("n")):
            written = match.group("n")
            for a, b in pairs:
                gap = abs(a - b)
                if not mentions(written, gap) and (mentions(written, a) or mentions(written, b)):
                    at = sentence_start + match.start("n")
                    found.append(MisstatedGap(at, at + len(written), gap, sentence.strip()))
                    break
    return found


def gaps_put_right(answer: str, numeric: Mapping[str, tuple[Call, float]]) -> str:
    """`answer` with each misstated gap written as the pair's difference."""
    wrong = misstated_gaps(answer, numeric)
    return spliced(answer, [(gap.start, gap.end, shown(gap.gap)) for gap in wrong])


__all__ = ["MisstatedGap", "gaps_put_right", "misstated_gaps"]
