"""What an answer claims about which result is larger, held against the results.

`contradicted_comparisons` finds the sentences of an answer that call the smaller of two
results the larger (or the reverse); `correct_comparisons` rewrites them; `orderings` puts
a compared pair in words for the joiner to copy; `unanswered_comparisons` finds an answer
that never says which is larger when the question asks. The subjects compared are
`agent.subjects`'; the words of comparison and what a question asks,
`agent.comparatives`'; the values given to them (one to several, or swapped) are
`agent.value_claims`'; the numeric claims (values no result supports, failed calls not
named) are `agent.claims`'.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from langchain_llmorch.agent.comparatives import (
    COMPARATIVE,
    LEAST,
    LESS,
    MOST,
    asked_comparative,
    asks_smaller,
)
from langchain_llmorch.agent.subjects import (
    Subject,
    is_difference,
    literal_mentions,
    mentions_name,
    said_name,
    subject_groups,
)
from langchain_llmorch.agent.value_claims import swapped_truth, uniform_truth
from langchain_llmorch.agent.words import content_words, shared_words
from langchain_llmorch.plan.language import Call

_NEGATION = re.compile(r"\b(?:not|n't|never|no)\s+(?:\w+\s+)?$", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _claim(sentence: str, group: list[Subject]) -> tuple[Subject, bool, bool] | None:
    """(subject, says larger, superlative) of a sentence's first comparison, or None."""
    # (where, -length, subject): of names that start at one place, the longest is meant
    # ("K2 West" over "K2").
    found = [
        (at, -len(name), s)
        for s in group
        for name in s.names
        for at in mentions_name(sentence, name)
        if not is_difference(sentence, at, at + len(name))
    ]
    word = COMPARATIVE.search(sentence)
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
    for group in subject_groups(numeric):
        claim = _claim(sentence, group) or _named_answer(sentence, group, question)
        if claim is None:
            continue
        subject, larger, superlative = claim
        rest = [s for s in group if s is not subject]
        named = [s for s in rest if any(mentions_name(sentence, n) for n in s.names)]
        values = [s.value for s in (named if named and not superlative else rest)]
        if subject.value > max(values) if larger else subject.value < min(values):
            continue
        truths.append(_asked_truth(group, question))
    for group in subject_groups(numeric):
        for truth in (uniform_truth(sentence, group), swapped_truth(sentence, group)):
            if truth and truth not in truths:
                truths.append(truth)
    return truths


def _named_answer(
    sentence: str, group: list[Subject], question: str
) -> tuple[Subject, bool, bool] | None:
    """The claim of a sentence that names one of `group` as its answer, to a comparison.

    "The answer is cat.", "The answer is "Kangchenjunga" with a height of 8586 metres.",
    "Cat.": the pick is said to be the one the question asks for.
    """
    word = asked_comparative(question)
    if word is None or COMPARATIVE.search(sentence) or not _plain_order(question, word, group):
        return None
    said = _ANSWER_IS.search(sentence)
    if said is not None:
        rest = sentence[said.end() :].lower()
        picked = [s for s in group if any(_starts_with(rest, n) for n in s.names[:-1])]
        named = [s for s in group if any(mentions_name(rest, n) for n in s.names[:-1])]
        picked = picked if len(named) == 1 else []  # "cat or ferret": no one pick
    else:  # the sentence is a name and nothing else: "Cat.", "The Odrun!"
        name = _ARTICLE.sub("", sentence.strip().rstrip(".!").strip()).lower()
        picked = [s for s in group if any(n.strip().lower() == name for n in s.names[:-1])]
    if len(picked) != 1:
        return None
    return picked[0], not asks_smaller(word), bool(re.fullmatch(f"{MOST}|{LEAST}", word))


# "The answer is", "Answer:", then maybe a quote and an article: what follows is the pick.
_ANSWER_IS = re.compile(
    r"\banswer\s*(?:is\s*:?|:)\s*[\"'\u201c]?\s*(?:(?:the|a|an)\s+)?", re.IGNORECASE
)


# Comparatives that mean the larger or the smaller number whatever the tool gives.
_PLAIN = frozenset({"larger", "smaller", "bigger", "greater", "higher", "lower", "largest"})
_PLAIN_AFTER = frozenset({"more", "less", "fewer", "most", "least", "fewest"})


def _plain_order(question: str, word: str, group: list[Subject]) -> bool:
    """Whether the question's `word` says plainly which of `group`'s values it picks.

    "Which has more seats" of a seats tool, "which is lighter" of a weight tool: the
    larger or the smaller result. "Which car is more efficient" of a fuel-use tool, or
    "which train is faster" of trip hours, may mean the other one: a pick named alone is
    then no claim this module can hold to the results.
    """
    tool = content_words(group[0].tool.replace("_", " ")) if group and group[0].tool else set()
    if word in _PLAIN_AFTER:
        after = re.search(rf"\b{word}\s+([a-z]+)", question, re.IGNORECASE)
        said = after.group(1).lower() if after else ""
        return not said or said in {"or", "than"} or bool(shared_words(content_words(said), tool))
    return word in _PLAIN or bool(shared_words(content_words(word), tool))


_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def _starts_with(text: str, name: str) -> bool:
    """Whether `text` (lower case) starts with `name` as a whole word."""
    name = name.strip().lower()
    return bool(name) and text.startswith(name) and not text[len(name) : len(name) + 1].isalnum()


def _truth(group: list[Subject]) -> str:
    """What the results say of a group's order."""
    ranked = sorted(group, key=lambda s: s.value, reverse=True)
    if len(ranked) == 2:  # noqa: PLR2004 - a pair says it plainly
        return f"the results say {said_name(ranked[0])} is larger than {said_name(ranked[1])}"
    order = ", ".join(said_name(s) for s in ranked)
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
    smaller = asks_smaller(word)
    lines = []
    for group in subject_groups(numeric):
        if len(group) == 2:  # noqa: PLR2004 - a pair says it plainly
            lines.append(_pair(group, word) if smaller else _truth(group))
        elif len(group) <= _RANKED:
            ranked = sorted(group, key=lambda s: s.value, reverse=not smaller)
            order = ", ".join(said_name(s) for s in ranked)
            lines.append(
                f"from {'smallest to largest' if smaller else 'largest to smallest'}: {order}"
            )
    truths = [line.removeprefix("the results say ") for line in lines]
    return [truth[0].upper() + truth[1:] for truth in truths]


# Results of one tool ranked for the joiner: more would cost its prompt too much.
_RANKED = 5
# Comparatives that say only "smaller" (said so); others ("cheaper") are said as asked.
_PLAIN_LESS = frozenset({"less", "fewer", "lower", "smaller"})


def _pair(group: list[Subject], word: str) -> str:
    """A pair, the smaller first, in the question's word: "Central (0.35) is cheaper than ..."."""
    low, high = sorted(group, key=lambda s: s.value)
    said = word if re.fullmatch(LESS, word) and word not in _PLAIN_LESS else "smaller"
    return f"{said_name(low)} is {said} than {said_name(high)}"


def _asked_truth(group: list[Subject], question: str) -> str:
    """What the results say of a group's order, a pair in the question's word when smaller."""
    word = asked_comparative(question)
    if word is not None and len(group) == 2 and asks_smaller(word):  # noqa: PLR2004
        return f"the results say {_pair(group, word)}"
    return _truth(group)


def unanswered_comparisons(
    question: str, answer: str, numeric: Mapping[str, tuple[Call, float]]
) -> list[str]:
    """What the results say, when `question` asks which is larger and `answer` never says.

    A question asks for a comparison when it has "which" (or "whose", "who", "where")
    before a comparative word ("Which has more divisors, 360 or 840?"); one that asks for
    the smaller of two is told the smaller first, in its own word where it is a
    comparative ("cheaper"; "fewer" and the like as "smaller"). The answer says
    which when one of its sentences makes a claim that `contradicted_comparisons` reads
    (right or wrong: a wrong one is that function's to find) about a subject it names by
    its call's arguments: a claim about a value alone ("The largest number is 2615")
    does not say which subject it is.

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
    groups = subject_groups(numeric)
    word = asked_comparative(question)
    if not groups or word is None:
        return []
    sentences = _SENTENCE.split(answer)
    # Said by name, or by a value the answer gives its name beside: "The largest number is
    # 2615" alone tells no one which place is higher.
    if any(
        _claim(s, _without_results(g))
        or _named_answer(s, g, question)
        or _paired_claim(s, g, sentences)
        for s in sentences
        for g in groups
    ):
        return []
    return [_asked_truth(group, question) for group in groups]


def _paired_claim(sentence: str, group: list[Subject], sentences: list[str]) -> bool:
    """Whether `sentence` claims of a value that a sentence of the answer names beside it.

    "The steering angles of scenes 1, 2 and 5 are 30.71, 25.32 and 25.36. The largest is
    30.71.": the value says which scene.
    """
    claim = _claim(sentence, group)
    if claim is None:
        return False
    subject = claim[0]
    return any(
        literal_mentions(other, subject) and mentions_name(other, subject.names[-1])
        for other in sentences
    )


def _without_results(group: list[Subject]) -> list[Subject]:
    """`group`'s subjects named only by their calls' arguments, not by their results."""
    return [replace(s, names=s.names[:-1]) if len(s.names) > 1 else s for s in group]


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
