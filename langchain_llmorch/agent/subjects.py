"""The subjects an answer compares: each call's result, by the names an answer may use.

A call with a numeric result is a subject, named by its literal arguments (and by its
result as written); calls of one tool whose results differ form a group that an answer
may compare (`subject_groups`). `agent.comparisons` reads which is larger from these;
`agent.value_claims` which value each subject is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from langchain_llmorch.agent.claims import literal_texts
from langchain_llmorch.plan.language import Call, result_text


def mentions_name(sentence: str, name: str) -> list[int]:
    """Where `sentence` names `name` as a whole word (a number not inside a longer one)."""
    pattern = rf"(?<![\w.,]){re.escape(name)}(?![\w]|[.,]\d)"
    return [m.start() for m in re.finditer(pattern, sentence, re.IGNORECASE)]


def named_as(call: Call, value: float) -> list[str]:
    """What an answer may call `call`'s subject: its literal arguments, or its result.

    The result as written counts too: "the higher one is 8586".
    """
    names = [text.strip() for text in literal_texts(call)]
    exprs = [*call.args, *call.kwargs.values()]
    names += [str(e) for e in exprs if isinstance(e, int) and not isinstance(e, bool)]
    return [*names, result_text(value)] if names else []


@dataclass(frozen=True)
class Subject:
    """A named result of one tool: how an answer may name it, and its value."""

    names: tuple[str, ...]
    value: float
    tool: str = ""
    """The tool whose result it is."""


def subject_groups(numeric: Mapping[str, tuple[Call, float]]) -> list[list[Subject]]:
    """Per tool, the calls with a numeric result and a name, when two or more differ."""
    by_tool: dict[str, list[Subject]] = {}
    for call, value in numeric.values():
        names = named_as(call, value)
        if names:
            by_tool.setdefault(call.tool, []).append(Subject(tuple(names), value, call.tool))
    return [told_apart(g) for g in by_tool.values() if len({s.value for s in g}) > 1]


def told_apart(group: list[Subject]) -> list[Subject]:
    """`group` with the names every subject shares left out, when others tell them apart.

    `stock(item="backpacks", warehouse="Leeds")` and `(..., warehouse="Bristol")` are
    Leeds and Bristol: "backpacks" names both.
    """
    shared = set.intersection(*({n.lower() for n in s.names[:-1]} for s in group))
    if not shared:
        return group
    told: list[Subject] = []
    for subject in group:
        own = tuple(n for n in subject.names[:-1] if n.lower() not in shared)
        if not own:  # nothing but their results tells them apart
            return group
        told.append(Subject((*own, subject.names[-1]), subject.value, subject.tool))
    return told


WRITTEN = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w-])")


def literal_mentions(sentence: str, subject: Subject) -> list[int]:
    """Where `sentence` names `subject` by its call's arguments (not by its result)."""
    return [
        at for name in subject.names[:-1] if name.strip() for at in mentions_name(sentence, name)
    ]


# A number that is a difference: "25 metres longer than", "by 25".
_DIFFERENCE_AFTER = re.compile(
    r"\s*(?:[a-z]+\s+){0,2}?(?:more|less|fewer|longer|shorter|higher|lower|heavier|lighter|"
    r"larger|smaller|bigger|older|younger|cheaper|dearer|faster|slower|taller|deeper|wider)"
    r"\s+than\b",
    re.IGNORECASE,
)
_BY = re.compile(r"\bby\s+$", re.IGNORECASE)


def is_difference(sentence: str, start: int, end: int) -> bool:
    """Whether the number at `start:end` of `sentence` is written as a difference."""
    if re.fullmatch(r"-?\d[\d,]*(?:\.\d+)?", sentence[start:end]) is None:
        return False
    return bool(_DIFFERENCE_AFTER.match(sentence, end) or _BY.search(sentence[:start]))


def said_name(subject: Subject) -> str:
    """A subject as the results say it: its first name and its value ("Mars (3.72)")."""
    return f"{subject.names[0]} ({result_text(subject.value)})"


__all__ = [
    "WRITTEN",
    "Subject",
    "is_difference",
    "literal_mentions",
    "mentions_name",
    "named_as",
    "said_name",
    "subject_groups",
    "told_apart",
]
