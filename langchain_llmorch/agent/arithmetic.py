"""Arithmetic an answer writes out, held to itself: `miscalculations`.

Asked to add up two results, the 1.5B model wrote "The total number of berths at Tarrow
Quay and Linsey Cove is 410 + 96 = 410." Each operand was a result, so no check of the
numbers found anything; the sum was wrong. A sum, difference, product or quotient an
answer writes as `a op b = c` is worked out again; a wrong `c` is sent back with the right
value, and put right if it comes back wrong (`calculations_put_right`). Only a single
step is read: in "3 + 4 + 5 = 12" the "4 + 5 = 12" is part of a longer sum, not a claim.

Example:
    ```python
    from langchain_llmorch.agent.arithmetic import calculations_put_right, miscalculations

    said = "The total is 410 + 96 = 410 berths."
    assert [wrong.truth for wrong in miscalculations(said)] == ["410 + 96 = 506, not 410"]
    assert calculations_put_right(said) == "The total is 410 + 96 = 506 berths."
    assert miscalculations("It costs 4 x 47.0 = 188 euros.") == []
    ```
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from langchain_llmorch.agent.answer import mentions
from langchain_llmorch.agent.edits import spliced
from langchain_llmorch.agent.facts import shown

_NUM = r"\d[\d,]*(?:\.\d+)?"
_TIMES, _MINUS = "\u00d7", "\u2212"  # the multiplication and minus signs
_OPERATORS = rf"-+*/x\u00f7{_TIMES}{_MINUS}"
_STEP = re.compile(
    rf"(?<![\w.,])(?P<a>{_NUM})\s*(?P<op>[{_OPERATORS}])\s*(?P<b>{_NUM})\s*=\s*(?P<c>-?{_NUM})"
    r"(?![\d.]\d)"
)
_OPERATIONS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    _MINUS: operator.sub,
    "*": operator.mul,
    "x": operator.mul,
    _TIMES: operator.mul,
    "/": operator.truediv,
    "\u00f7": operator.truediv,
}
# An operator just before the step: it is the tail of a longer calculation.
_LONGER = re.compile(rf"(?<![a-z])[{_OPERATORS}(]\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Miscalculation:
    """A step `a op b = c` whose `c` is wrong."""

    start: int
    """Where `c` starts in the answer."""
    end: int
    """Where `c` ends."""
    right: float
    """What `a op b` is."""
    truth: str
    """The step said right: `410 + 96 = 506, not 410`."""


def miscalculations(answer: str) -> list[Miscalculation]:
    """The one-step calculations `answer` writes out with a wrong result."""
    found = []
    for match in _STEP.finditer(answer):
        if _LONGER.search(answer[: match.start()]):
            continue
        a, b = (float(match.group(k).replace(",", "")) for k in ("a", "b"))
        op = match.group("op")
        if _OPERATIONS[op] is operator.truediv and b == 0:
            continue
        right = _OPERATIONS[op](a, b)
        written = match.group("c")
        if mentions(written, right) and (right < 0) == written.startswith("-"):
            continue
        step = f"{match.group('a')} {op} {match.group('b')}"
        found.append(
            Miscalculation(
                match.start("c"), match.end("c"), right, f"{step} = {shown(right)}, not {written}"
            )
        )
    return found


def calculations_put_right(answer: str) -> str:
    """`answer` with the result of each wrong one-step calculation written right."""
    return spliced(answer, [(m.start, m.end, shown(m.right)) for m in miscalculations(answer)])


__all__ = ["Miscalculation", "calculations_put_right", "miscalculations"]
