"""What an answer claims about which result is larger, held against the results.

`contradicted_comparisons` finds the sentences of an answer that call the smaller of two
results the larger (or the reverse); `correct_comparisons` rewrites them; `orderings` puts
a compared pair in words for the joiner to copy; `unanswered_comparisons` finds an answer
that never says which is larger when the question asks. The numeric claims (values no
result supports, failed calls not named) are `agent.claims`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from langchain_llmorch.agent.claims import literal_texts
from langchain_llmorch.plan.language import Call, result_text

_MORE = (
    "larger|higher|greater|bigger|more|stronger|heavier|taller|longer|warmer|hotter|"
    "dearer|costlier|farther|further|wider|deeper|older|faster|exceeds?|outweighs?"
)
_LESS = (
    "smaller|lower|less|fewer|weaker|lighter|shorter|colder|cooler|cheaper|nearer|closer|"
    "narrower|shallower|younger|slower"
)
_MOST = "largest|highest|greatest|biggest|most|strongest|heaviest|tallest|longest|warmest|hottest"
_LEAST = "smallest|lowest|least|fewest|weakest|lightest|shortest|coldest|cheapest|nearest"
_COMPARATIVE = re.compile(
    rf"\b(?:(?P<more>{_MORE})|(?P<less>{_LESS})|(?P<most>{_MOST})|(?P<least>{_LEAST}))\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:not|n't|never|no)\s+(?:\w+\s+)?$", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _mentions_name(sentence: str, name: str) -> list[int]:
    """Where `sentence` names `name` as a whole word (a number not inside a longer one)."""
    pattern = rf"(?<![\w.,]){re.escape(name)}(?![\w]|[.,]\d)"
    return [m.start() for m in re.finditer(pattern, sentence, re.IGNORECASE)]


def _named(call: Call, value: float) -> list[str]:
    """What an answer may call `call`'s subject: its literal arguments, or its result.

    The result as written counts too: "the higher one is 8586".
    """
    names = [text.strip() for text in literal_texts(call)]
    exprs = [*call.args, *call.kwargs.values()]
    names += [str(e) for e in exprs if isinstance(e, int) and not isinstance(e, bool)]
    return [*names, result_text(value)] if names else []


@dataclass(frozen=True)
class _Subject:
    names: tuple[str, ...]
    value: float


def _groups(numeric: Mapping[str, tuple[Call, float]]) -> list[list[_Subject]]:
    """Per tool, the calls with a numeric result and a name, when two or more differ."""
    by_tool: dict[str, list[_Subject]] = {}
    for call, value in numeric.values():
        names = _named(call, value)
        if names:
            by_tool.setdefault(call.tool, []).append(_Subject(tuple(names), value))
    return [_told_apart(g) for g in by_tool.values() if len({s.value for s in g}) > 1]


def _told_apart(group: list[_Subject]) -> list[_Subject]:
    """`group` with the names every subject shares left out, when others tell them apart.

    `stock(item="backpacks", warehouse="Leeds")` and `(..., warehouse="Bristol")` are
    Leeds and Bristol: "backpacks" names both.
    """
    shared = set.intersection(*({n.lower() for n in s.names[:-1]} for s in group))
    if not shared:
        return group
    told: list[_Subject] = []
    for subject in group:
        own = tuple(n for n in subject.names[:-1] if n.lower() not in shared)
        if not own:  # nothing but their results tells them apart
            return group
        told.append(_Subject((*own, subject.names[-1]), subject.value))
    return told


def _claim(sentence: str, group: list[_Subject]) -> tuple[_Subject, bool, bool] | None:
    """(subject, says larger, superlative) of a sentence's first comparison, or None."""
    # (where, -length, subject): of names that start at one place, the longest is meant
    # ("K2 West" over "K2").
    found = [
        (at, -len(name), s)
        for s in group
        for name in s.names
        for at in _mentions_name(sentence, name)
        if not _is_difference(sentence, at, at + len(name))
    ]
    word = _COMPARATIVE.search(sentence)
    if not found or word is None:
        return None
    before = [f for f in found if f[0] < word.start()]
    first = min(found, key=lambda f: (f[0], f[1]))
    nearest = max(before, key=lambda f: (f[0], -f[1])) if before else first
    subject = nearest[2]
    larger = bool(word.group("more") or word.group("most"))
    if _NEGATION.search(sentence[: word.start()]):
        larger = not larger
    return subject, larger, bool(word.group("most") or word.group("least"))


def _name(subject: _Subject) -> str:
    return f"{subject.names[0]} ({result_text(subject.value)})"


def contradicted_comparisons(
    answer: str, numeric: Mapping[str, tuple[Call, float]], question: str = ""
) -> list[str]:
    """What the results say, for each comparison in `answer` they contradict.

    Results of the same tool are compared (the gravity of two planets, not a gravity with
    a mass). A sentence that names one of them and a comparative word ("larger", "more",
    "cheaper", "highest"...) claims the subject named nearest before the word (else the
    first after it) is larger or smaller than the others it names (else than the rest),
    or the largest or smallest; a "not" before the word turns the claim round. A sentence
    that gives one value to several subjects ("50 litres each", "both", "the same") whose
    results differ is contradicted too, and so is one that gives a subject another
    subject's result ("the Orla burns 40 hours and the Pim 12.5", the other way round).
    With the `question`, when it asks which is larger or smaller, an answer that only
    names one ("The answer is cat.", "Cat.") claims it is the one asked for.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.comparisons import contradicted_comparisons

        mars, venus = parse_plan('s1: gravity(planet="Mars")\\ns2: gravity(planet="Venus")').calls
        numeric = {"s1": (mars, 3.72), "s2": (venus, 8.87)}
        said = "Mars has the stronger gravity."
        assert contradicted_comparisons(said, numeric) == [
            "the results say Venus (8.87) is larger than Mars (3.72)"
        ]
        assert contradicted_comparisons("Venus has the stronger gravity.", numeric) == []
        ```
    """
    truths: list[str] = []
    for sentence in _SENTENCE.split(answer):
        for truth in _truths(sentence, numeric, question):
            if truth not in truths:
                truths.append(truth)
    return truths


def _truths(
    sentence: str, numeric: Mapping[str, tuple[Call, float]], question: str = ""
) -> list[str]:
    """What the results say, for each comparison of `sentence` they contradict."""
    truths = []
    for group in _groups(numeric):
        claim = _claim(sentence, group) or _named_answer(sentence, group, question)
        if claim is None:
            continue
        subject, larger, superlative = claim
        rest = [s for s in group if s is not subject]
        named = [s for s in rest if any(_mentions_name(sentence, n) for n in s.names)]
        values = [s.value for s in (named if named and not superlative else rest)]
        if subject.value > max(values) if larger else subject.value < min(values):
            continue
        truths.append(_asked_truth(group, question))
    for group in _groups(numeric):
        for truth in (_uniform_truth(sentence, group), _swapped_truth(sentence, group)):
            if truth and truth not in truths:
                truths.append(truth)
    return truths


# An answer that only names its pick: "The answer is cat.", "Answer: the Odrun.", "Cat."
_NAMED_ANSWER = re.compile(
    r"^\s*(?:(?:the\s+)?answer\s*(?:is\s*:?|:)\s*)?(?:(?:the|a|an)\s+)?(?P<name>[^.!?,;:]+?)"
    r"\s*[.!]?\s*$",
    re.IGNORECASE,
)


def _named_answer(
    sentence: str, group: list[_Subject], question: str
) -> tuple[_Subject, bool, bool] | None:
    """The claim of a sentence that only names one of `group`, to a comparison question."""
    word = asked_comparative(question)
    found = _NAMED_ANSWER.match(sentence)
    if word is None or found is None or _COMPARATIVE.search(sentence):
        return None
    name = found.group("name").strip().lower()
    picked = [s for s in group if any(n.lower() == name for n in s.names[:-1])]
    if len(picked) != 1:
        return None
    smaller = bool(re.fullmatch(f"{_LESS}|{_LEAST}", word))
    return picked[0], not smaller, bool(re.fullmatch(f"{_MOST}|{_LEAST}", word))


# One value given to several subjects: "50 litres each", "both cost 2", "the same".
_UNIFORM = re.compile(r"\b(?:each|both|all|the same|equal(?:ly)?|alike|apiece)\b", re.IGNORECASE)
_SAME = re.compile(r"\b(?:the same|equal(?:ly)?|alike)\b", re.IGNORECASE)
_WRITTEN = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w-])")


def _literal_mentions(sentence: str, subject: _Subject) -> list[int]:
    """Where `sentence` names `subject` by its call's arguments (not by its result)."""
    return [
        at for name in subject.names[:-1] if name.strip() for at in _mentions_name(sentence, name)
    ]


def _uniform_truth(sentence: str, group: list[_Subject]) -> str | None:
    """What the results say, when `sentence` gives one value to subjects whose results differ.

    The sentence names two or more of the group's subjects, has a word that spreads one
    value over them ("each", "both", "all", "the same") and writes one number, or says
    they are the same; their results are not all one value.
    """
    if not _UNIFORM.search(sentence):
        return None
    named = [s for s in group if _literal_mentions(sentence, s)]
    if len(named) < 2 or len({s.value for s in named}) < 2:  # noqa: PLR2004 - several
        return None
    written = {float(w.replace(",", "")) for w in _WRITTEN.findall(sentence)}
    if len(written) != 1 and not _SAME.search(sentence):
        return None
    return "the results differ: " + ", ".join(_name(s) for s in named)


# A number that is a difference: "25 metres longer than", "by 25".
_DIFFERENCE_AFTER = re.compile(
    r"\s*(?:[a-z]+\s+){0,2}?(?:more|less|fewer|longer|shorter|higher|lower|heavier|lighter|"
    r"larger|smaller|bigger|older|younger|cheaper|dearer|faster|slower|taller|deeper|wider)"
    r"\s+than\b",
    re.IGNORECASE,
)
_BY = re.compile(r"\bby\s+$", re.IGNORECASE)


def _is_difference(sentence: str, start: int, end: int) -> bool:
    """Whether the number at `start:end` of `sentence` is written as a difference."""
    if re.fullmatch(r"-?\d[\d,]*(?:\.\d+)?", sentence[start:end]) is None:
        return False
    return bool(_DIFFERENCE_AFTER.match(sentence, end) or _BY.search(sentence[:start]))


def _pairs(sentence: str, group: list[_Subject]) -> list[tuple[_Subject, float]]:
    """The values `sentence` gives the group's subjects it names, as it pairs them.

    A subject followed by a number has that number ("a ferret eats 150, a rabbit 55");
    a list of subjects followed by a list of as many numbers pairs them in order ("Brisa
    and Kestrel are 9.1 and 7.9, respectively"). Only numbers that are one of the group's
    results count, so an amount or a unit between them changes nothing; a difference ("25
    metres longer than", "by 25") is no subject's value.
    """
    values = {s.value for s in group}
    tokens: list[tuple[int, _Subject | float]] = []
    for subject in group:
        tokens += [(at, subject) for at in _literal_mentions(sentence, subject)]
    named_at = {at for at, _ in tokens}
    for match in _WRITTEN.finditer(sentence):
        if match.start() in named_at:  # a name that is a number ("fibonacci of 10")
            continue
        if _is_difference(sentence, match.start(), match.end()):
            continue  # "25 metres longer than", "by 25": a difference, no subject's value
        number = float(match.group().replace(",", ""))
        if any(math.isclose(number, v, rel_tol=1e-9) for v in values):
            tokens.append((match.start(), number))
    tokens.sort(key=lambda t: t[0])
    pairs: list[tuple[_Subject, float]] = []
    subjects: list[_Subject] = []
    numbers: list[float] = []
    for _, token in [*tokens, (len(sentence), _Subject((), math.nan))]:
        if isinstance(token, _Subject) and numbers:  # a run of subjects, then of numbers, ends
            if len(numbers) == len(subjects) or len(subjects) == 1:
                pairs += zip(subjects, numbers[: len(subjects)], strict=False)
            subjects, numbers = [], []
        if isinstance(token, _Subject):
            if token.names and (not subjects or subjects[-1] is not token):
                subjects.append(token)
        elif subjects:
            numbers.append(token)
    return pairs


def _swapped_truth(sentence: str, group: list[_Subject]) -> str | None:
    """What the results say, when `sentence` gives a subject another subject's result."""
    pairs = _pairs(sentence, group)
    wrong = [
        (subject, number)
        for subject, number in pairs
        if not math.isclose(number, subject.value, rel_tol=1e-9)
        and any(math.isclose(number, s.value, rel_tol=1e-9) for s in group if s is not subject)
    ]
    if not wrong:
        return None
    named = list(dict.fromkeys(subject for subject, _ in pairs))
    return "the results are " + ", ".join(_name(s) for s in named)


def _truth(group: list[_Subject]) -> str:
    """What the results say of a group's order."""
    ranked = sorted(group, key=lambda s: s.value, reverse=True)
    if len(ranked) == 2:  # noqa: PLR2004 - a pair says it plainly
        return f"the results say {_name(ranked[0])} is larger than {_name(ranked[1])}"
    order = ", ".join(_name(s) for s in ranked)
    return f"the results say, from largest to smallest: {order}"


def orderings(question: str, numeric: Mapping[str, tuple[Call, float]]) -> list[str]:
    """Each pair of one tool's named results in order, in words, for the joiner to copy.

    Only when `question` asks which is larger or smaller (`unanswered_comparisons`): shown
    to a question that asks for the values, the 0.5B model compared them instead. A
    question that asks for the smaller ("which is cheaper", "which needs less", "the
    shortest") is answered smaller first, in its own word where it is a comparative
    ("Central (0.35) is cheaper than Riverside (0.5)"); three or more results of one tool
    are ranked from the one asked for.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.comparisons import orderings

        mars, venus = parse_plan('s1: gravity(planet="Mars")\\ns2: gravity(planet="Venus")').calls
        numeric = {"s1": (mars, 3.72), "s2": (venus, 8.87)}
        question = "Which planet has the stronger gravity, Mars or Venus?"
        assert orderings(question, numeric) == ["Venus (8.87) is larger than Mars (3.72)"]
        assert orderings("Which planet has the weaker gravity?", numeric) == [
            "Mars (3.72) is weaker than Venus (8.87)"
        ]
        assert orderings("What is the gravity of Mars and of Venus?", numeric) == []
        ```
    """
    word = asked_comparative(question)
    if word is None:
        return []
    smaller = bool(re.fullmatch(f"{_LESS}|{_LEAST}", word))
    lines = []
    for group in _groups(numeric):
        if len(group) == 2:  # noqa: PLR2004 - a pair says it plainly
            lines.append(_pair(group, word) if smaller else _truth(group))
        elif len(group) <= _RANKED:
            ranked = sorted(group, key=lambda s: s.value, reverse=not smaller)
            order = ", ".join(_name(s) for s in ranked)
            lines.append(
                f"from {'smallest to largest' if smaller else 'largest to smallest'}: {order}"
            )
    truths = [line.removeprefix("the results say ") for line in lines]
    return [truth[0].upper() + truth[1:] for truth in truths]


# Results of one tool ranked for the joiner: more would cost its prompt too much.
_RANKED = 5
# Comparatives that say only "smaller" (said so); others ("cheaper") are said as asked.
_PLAIN_LESS = frozenset({"less", "fewer", "lower", "smaller"})


def _pair(group: list[_Subject], word: str) -> str:
    """A pair, the smaller first, in the question's word: "Central (0.35) is cheaper than ..."."""
    low, high = sorted(group, key=lambda s: s.value)
    said = word if re.fullmatch(_LESS, word) and word not in _PLAIN_LESS else "smaller"
    return f"{_name(low)} is {said} than {_name(high)}"


_ASKS_COMPARISON = re.compile(
    rf"\b(?:which|whose|who|where)\b.*?\b(?P<word>{_MORE}|{_LESS}|{_MOST}|{_LEAST})\b",
    re.IGNORECASE | re.DOTALL,
)
# "Is petrol cheaper in Spain or in Poland?", "Does the Cresta or the Sorel use more?"
_ASKS_EITHER = re.compile(
    rf"^\s*(?:is|are|was|were|does|do|did|can|could|has|have|will|would)\b(?=.*\bor\b)"
    rf".*?\b(?P<word>{_MORE}|{_LESS}|{_MOST}|{_LEAST})\b",
    re.IGNORECASE | re.DOTALL,
)


def _asked_truth(group: list[_Subject], question: str) -> str:
    """What the results say of a group's order, a pair in the question's word when smaller."""
    word = asked_comparative(question)
    if word is not None and len(group) == 2 and re.fullmatch(f"{_LESS}|{_LEAST}", word):  # noqa: PLR2004
        return f"the results say {_pair(group, word)}"
    return _truth(group)


def asked_comparative(question: str) -> str | None:
    """The comparative word of a question that asks which is larger or smaller, or None.

    "Which ... cheaper", "whose ... more", and an either-or question ("Is petrol cheaper
    in Spain or in Poland?").

    Example:
        ```python
        from langchain_llmorch.agent.comparisons import asked_comparative

        assert asked_comparative("Which planet has the stronger gravity?") == "stronger"
        assert asked_comparative("Is petrol cheaper in Spain or in Poland?") == "cheaper"
        assert asked_comparative("Is petrol cheaper in Spain than a year ago?") is None
        ```
    """
    asked = _ASKS_COMPARISON.search(question) or _ASKS_EITHER.search(question)
    return asked.group("word").lower() if asked else None


def unanswered_comparisons(
    question: str, answer: str, numeric: Mapping[str, tuple[Call, float]]
) -> list[str]:
    """What the results say, when `question` asks which is larger and `answer` never says.

    A question asks for a comparison when it has "which" (or "whose", "who", "where")
    before a comparative word ("Which has more divisors, 360 or 840?"); one that asks for
    the smaller of two is told the smaller first, in its own word where it is a
    comparative ("cheaper"; "fewer" and the like as "smaller"). The answer says
    which when one of its sentences makes a claim that `contradicted_comparisons` reads
    (right or wrong: a wrong one is that function's to find).

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.comparisons import unanswered_comparisons

        a, b = parse_plan("s1: divisors(n=360)\\ns2: divisors(n=840)").calls
        numeric = {"s1": (a, 24), "s2": (b, 32)}
        question = "Which has more divisors, 360 or 840?"
        said = "360 has 24 divisors. 840 has 32 divisors."
        assert unanswered_comparisons(question, said, numeric) == [
            "the results say 840 (32) is larger than 360 (24)"
        ]
        assert unanswered_comparisons(question, "840 has more divisors.", numeric) == []
        assert unanswered_comparisons("Which has fewer divisors?", said, numeric) == [
            "the results say 360 (24) is smaller than 840 (32)"
        ]
        ```
    """
    groups = _groups(numeric)
    word = asked_comparative(question)
    if not groups or word is None:
        return []
    sentences = _SENTENCE.split(answer)
    if any(_claim(s, g) or _named_answer(s, g, question) for s in sentences for g in groups):
        return []
    return [_asked_truth(group, question) for group in groups]


def correct_comparisons(
    answer: str, numeric: Mapping[str, tuple[Call, float]], question: str = ""
) -> str:
    """`answer`, each sentence with a comparison the results contradict put right.

    The sentence is replaced by what the results say: the last resort, when the model got
    the comparison wrong twice.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.comparisons import correct_comparisons

        mars, venus = parse_plan('s1: gravity(planet="Mars")\\ns2: gravity(planet="Venus")').calls
        numeric = {"s1": (mars, 3.72), "s2": (venus, 8.87)}
        said = "Mars has the stronger gravity. Both were looked up."
        assert correct_comparisons(said, numeric) == (
            "The results say Venus (8.87) is larger than Mars (3.72). Both were looked up."
        )
        ```
    """
    out: list[str] = []
    for sentence in _SENTENCE.split(answer):
        truths = _truths(sentence, numeric, question)
        put = " ".join(t[0].upper() + t[1:] + "." for t in truths) if truths else sentence
        if put not in out:
            out.append(put)
    return " ".join(out)


__all__ = [
    "contradicted_comparisons",
    "correct_comparisons",
    "orderings",
    "unanswered_comparisons",
]
