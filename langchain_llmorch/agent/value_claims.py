"""Which value an answer gives each subject, held against the results.

`uniform_truth`: one value given to several subjects whose results differ ("50 litres
each", "both", "the same"). `swapped_truth`: a subject given another subject's result
("the Orla burns 40 hours and the Pim 12.5", the other way round). Both are read by
`agent.comparisons.contradicted_comparisons`.
"""

from __future__ import annotations

import math
import re

from langchain_llmorch.agent.subjects import (
    WRITTEN,
    Subject,
    is_difference,
    literal_mentions,
    said_name,
)

# One value given to several subjects: "50 litres each", "both cost 2", "the same".
_UNIFORM = re.compile(r"\b(?:each|both|all|the same|equal(?:ly)?|alike|apiece)\b", re.IGNORECASE)
_SAME = re.compile(r"\b(?:the same|equal(?:ly)?|alike)\b", re.IGNORECASE)


def uniform_truth(sentence: str, group: list[Subject]) -> str | None:
    """What the results say, when `sentence` gives one value to subjects whose results differ.

    The sentence names two or more of the group's subjects, has a word that spreads one
    value over them ("each", "both", "all", "the same") and writes one number, or says
    they are the same; their results are not all one value.
    """
    if not _UNIFORM.search(sentence):
        return None
    named = [s for s in group if literal_mentions(sentence, s)]
    if len(named) < 2 or len({s.value for s in named}) < 2:  # noqa: PLR2004 - several
        return None
    written = {float(w.replace(",", "")) for w in WRITTEN.findall(sentence)}
    if len(written) != 1 and not _SAME.search(sentence):
        return None
    return "the results differ: " + ", ".join(said_name(s) for s in named)


def value_pairs(sentence: str, group: list[Subject]) -> list[tuple[Subject, float]]:
    """The values `sentence` gives the group's subjects it names, as it pairs them.

    A subject followed by a number has that number ("a ferret eats 150, a rabbit 55");
    a list of subjects followed by a list of as many numbers pairs them in order ("Brisa
    and Kestrel are 9.1 and 7.9, respectively"). Only numbers that are one of the group's
    results count, so an amount or a unit between them changes nothing; a difference ("25
    metres longer than", "by 25") is no subject's value.
    """
    values = {s.value for s in group}
    tokens: list[tuple[int, Subject | float]] = []
    for subject in group:
        tokens += [(at, subject) for at in literal_mentions(sentence, subject)]
    named_at = {at for at, _ in tokens}
    for match in WRITTEN.finditer(sentence):
        if match.start() in named_at:  # a name that is a number ("fibonacci of 10")
            continue
        if is_difference(sentence, match.start(), match.end()):
            continue  # "25 metres longer than", "by 25": a difference, no subject's value
        number = float(match.group().replace(",", ""))
        if any(math.isclose(number, v, rel_tol=1e-9) for v in values):
            tokens.append((match.start(), number))
    tokens.sort(key=lambda t: t[0])
    pairs: list[tuple[Subject, float]] = []
    subjects: list[Subject] = []
    numbers: list[float] = []
    for _, token in [*tokens, (len(sentence), Subject((), math.nan))]:
        if isinstance(token, Subject) and numbers:  # a run of subjects, then of numbers, ends
            if len(numbers) == len(subjects) or len(subjects) == 1:
                pairs += zip(subjects, numbers[: len(subjects)], strict=False)
            subjects, numbers = [], []
        if isinstance(token, Subject):
            if token.names and (not subjects or subjects[-1] is not token):
                subjects.append(token)
        elif subjects:
            numbers.append(token)
    return pairs


def swapped_truth(sentence: str, group: list[Subject]) -> str | None:
    """What the results say, when `sentence` gives a subject another subject's result."""
    pairs = value_pairs(sentence, group)
    wrong = [
        (subject, number)
        for subject, number in pairs
        if not math.isclose(number, subject.value, rel_tol=1e-9)
        and any(math.isclose(number, s.value, rel_tol=1e-9) for s in group if s is not subject)
    ]
    if not wrong:
        return None
    named = list(dict.fromkeys(subject for subject, _ in pairs))
    return "the results are " + ", ".join(said_name(s) for s in named)


__all__ = ["swapped_truth", "uniform_truth", "value_pairs"]
