"""Which value an answer gives each subject, held against the results.

`uniform_truth`: one value given to several subjects whose results differ ("50 litres
each", "both", "the same"). `swapped_truth`: a subject given another subject's result
("the Orla burns 40 hours and the Pim 12.5", the other way round). Both are read by
`agent.comparisons.contradicted_comparisons`.
"""

from __future__ import annotations

import math
import re
from typing import Any

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
    and Kestrel are 9.1 and 7.9, respectively"). A sentence that writes a number before
    any subject is read the other way round: a number has the subject that follows it
    ("150 watts for the fridge and 60 watts for the laptop"). Only numbers that are one of
    the group's results count, so an amount or a unit between them changes nothing; a
    difference ("25 metres longer than", "by 25") is no subject's value.
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
    if tokens and not isinstance(tokens[0][1], Subject):  # "150 watts for the fridge and 60 ..."
        return [(s, n) for n, s in _runs([t for _, t in tokens], leader=float)]
    return _runs([t for _, t in tokens], leader=Subject)


def _runs(tokens: list[Subject | float], leader: type) -> list[tuple[Any, Any]]:
    """(leader, follower) pairs of runs of leaders each followed by a run of followers.

    A run pairs in order when its leaders and followers are as many, or when one leader
    leads them (it takes the first follower); other runs are too loose to read.
    """
    pairs: list[tuple[Any, Any]] = []
    leaders: list[Subject | float] = []
    followers: list[Subject | float] = []
    for token in [*tokens, None]:
        is_leader = token is not None and isinstance(token, leader)
        if (token is None or is_leader) and followers:  # a run of leaders, then followers, ends
            if len(followers) == len(leaders) or len(leaders) == 1:
                pairs += zip(leaders, followers[: len(leaders)], strict=False)
            leaders, followers = [], []
        if token is None:
            break
        if is_leader:
            if not leaders or leaders[-1] is not token:
                leaders.append(token)
        elif leaders:
            followers.append(token)
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
