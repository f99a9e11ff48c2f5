"""What an answer claims, held against what the calls returned.

An answer may only state values that a finished call returned (or that follow from two
of them by one arithmetic step, or that the conversation gave); when a call failed, the
answer must say so and state no value for it. `unsupported_numbers` finds the numbers an
answer states that nothing supports; `unnamed_failures` the failed calls an answer does
not mention. The joiner sends a contradicted answer back once, with the contradiction
stated, and answers from the results itself if the second answer still invents.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_llmorch.agent.answer import mentions, numbers_in, numbers_of
from langchain_llmorch.plan.language import Call, result_text

# Small whole numbers are counts and ordinals ("the 2 tickers", "top 3"), not claimed values.
_SMALL_COUNT = 10
# Pairs of result numbers tried for one-step arithmetic; past this many numbers the check
# keeps to the numbers themselves (a long list of results is summarised, not combined).
_MAX_COMBINED = 24


def supported_values(results: Iterable[Any]) -> list[float]:
    """The values an answer may state about `results`.

    Every number of the results, what one step of arithmetic (+, -, *, /) on two of them
    gives, and their total.

    Example:
        ```python
        from langchain_llmorch.agent.claims import supported_values

        assert 30.0 in supported_values([10, 20])
        ```
    """
    numbers = [n for value in results for n in numbers_of(value)]
    values = list(numbers)
    if 1 < len(numbers) <= _MAX_COMBINED:
        values.append(math.fsum(numbers))
        for a, b in itertools.permutations(numbers, 2):
            values += [a + b, a - b, a * b]
            if b:
                values.append(a / b)
    return values


def unsupported_numbers(
    answer: str, results: Iterable[Any], conversation: str, *, computed: Iterable[float] = ()
) -> list[str]:
    """The numbers `answer` writes that nothing supports.

    Supported: a result, arithmetic on two results (`supported_values`), a number the
    conversation gave, a value computed for the joiner (`computed`: an amount times a
    rate), and small whole numbers (they count things).

    Example:
        ```python
        from langchain_llmorch.agent.claims import unsupported_numbers

        said = "ACME trades at 182.4 and ZZZZ at 97.1."
        assert unsupported_numbers(said, [182.4], "Prices of ACME and ZZZZ?") == ["97.1"]
        ```
    """
    supported = [*supported_values(results), *computed]
    given = numbers_in(conversation)
    out: list[str] = []
    for written in _written_numbers(answer):
        number = float(written.replace(",", ""))
        if number.is_integer() and abs(number) <= _SMALL_COUNT:
            continue
        if any(mentions(written, value) for value in supported):
            continue
        if number in given:
            continue
        out.append(written)
    return out


def unnamed_failures(answer: str, failed: Mapping[str, Call]) -> list[str]:
    """The failed calls (by id) whose subject `answer` never names.

    A call's subject is what it was asked about: its text arguments (a ticker, a city),
    else its tool's name.
    """
    text = answer.lower()
    return [cid for cid, call in failed.items() if not any(s in text for s in subjects(call))]


def subjects(call: Call) -> list[str]:
    """What a call was about, lowercased: its literal text arguments, else its tool's name."""
    return [text.lower() for text in _texts(call)] or [call.tool.replace("_", " ").lower()]


def _texts(call: Call) -> list[str]:
    exprs = [*call.args, *call.kwargs.values()]
    return [expr for expr in exprs if isinstance(expr, str) and expr.strip()]


def unavailable_sentence(call: Call, why: str) -> str:
    """One sentence for a user: what could not be found, and why, in words.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.claims import unavailable_sentence

        (call,) = parse_plan('s1: share_price(ticker="ZZZZ")').calls
        said = unavailable_sentence(call, "KeyError: 'ZZZZ'")
        assert said == "I could not get the share price for ZZZZ: it was not found (ZZZZ)."
        ```
    """
    tool = call.tool.replace("_", " ")
    about = ", ".join(_texts(call))
    what = f"{tool} for {about}" if about else tool
    return f"I could not get the {what}: {reason_in_words(why)}."


def reason_in_words(why: str) -> str:
    """An error line (`KeyError: 'ZZZZ'`) as a short reason for a user."""
    kind, _, detail = why.partition(": ")
    detail = detail.strip().strip("'\"")[:120]
    words = {
        "KeyError": f"it was not found ({detail})" if detail else "it was not found",
        "CallTimeoutError": "it took too long",
        "TimeoutError": "it took too long",
        "WorkerCrashedError": "the process running it crashed",
        "DependencyFailedError": "a call it needed failed",
    }
    if kind in words:
        return words[kind]
    return f"{kind}: {detail}" if detail else kind or "it failed"


def correction_request(
    unsupported: Sequence[str],
    unnamed: Sequence[str],
    failed: Mapping[str, Call],
    *,
    contradicted: Sequence[str] = (),
    unstated: Sequence[str] = (),
    left_out: Sequence[str] = (),
    unanswered: Sequence[str] = (),
) -> str:
    """What the joiner says when it sends a contradicted answer back.

    Args:
        unsupported: numbers the answer states that no result supports.
        unnamed: failed calls (ids) the answer does not say are unavailable.
        failed: the failed calls, by id.
        contradicted: what the results say, for each comparison the answer got wrong
            (`contradicted_comparisons`).
        unstated: computed values the answer should state and does not
            (`agent.facts`), as the joiner was told them.
        left_out: results the answer does not write (`call = value`).
        unanswered: what the results say, for a comparison the question asks and the
            answer does not make (`unanswered_comparisons`).
    """
    parts = [f"Your answer gets a comparison wrong: {truth}." for truth in contradicted]
    parts += [f"Your answer does not say which is larger: {truth}." for truth in unanswered]
    parts += [f"Your answer does not state the computed value: {fact}." for fact in unstated]
    if left_out:
        parts.append(
            f"Your answer leaves out {'; '.join(left_out)}: keep what it says and write "
            "each number."
        )
    if unsupported:
        parts.append(
            f"Your answer states {', '.join(unsupported)}, which no result gives: state only "
            "values from the results."
        )
    if unnamed:
        names = "; ".join(", ".join(subjects(failed[cid])) for cid in unnamed)
        parts.append(f"It does not say that the result for {names} is not available.")
    if failed:
        parts.append(
            "Answer again. For every call that failed, say that its result is not available "
            "and give no value for it."
        )
    else:
        parts.append("Answer again in one or two full sentences, with the numbers as given.")
    return " ".join(parts)


def results_answer(finished: Mapping[str, Any], failed: Mapping[str, tuple[Call, str]]) -> str:
    """An answer made from the results alone, when the model's could not be trusted."""
    lines = [f"{call} = {result_text(value)[:200]}" for call, value in finished.items()]
    found = f"Here is what I found: {'; '.join(lines)}." if lines else ""
    missing = " ".join(unavailable_sentence(call, why) for call, why in failed.values())
    return " ".join(part for part in (found, missing) if part)


# --------------------------------------------------------------------------- comparisons

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
    names = [text.strip() for text in _texts(call)]
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
    return [g for g in by_tool.values() if len({s.value for s in g}) > 1]


def _claim(sentence: str, group: list[_Subject]) -> tuple[_Subject, bool, bool] | None:
    """(subject, says larger, superlative) of a sentence's first comparison, or None."""
    found = [(at, s) for s in group for name in s.names for at in _mentions_name(sentence, name)]
    word = _COMPARATIVE.search(sentence)
    if not found or word is None:
        return None
    before = [(at, s) for at, s in found if at < word.start()]
    subject = max(before, key=lambda f: f[0])[1] if before else min(found, key=lambda f: f[0])[1]
    larger = bool(word.group("more") or word.group("most"))
    if _NEGATION.search(sentence[: word.start()]):
        larger = not larger
    return subject, larger, bool(word.group("most") or word.group("least"))


def _name(subject: _Subject) -> str:
    return f"{subject.names[0]} ({result_text(subject.value)})"


def contradicted_comparisons(answer: str, numeric: Mapping[str, tuple[Call, float]]) -> list[str]:
    """What the results say, for each comparison in `answer` they contradict.

    Results of the same tool are compared (the gravity of two planets, not a gravity with
    a mass). A sentence that names one of them and a comparative word ("larger", "more",
    "cheaper", "highest"...) claims the subject named nearest before the word (else the
    first after it) is larger or smaller than the others it names (else than the rest),
    or the largest or smallest; a "not" before the word turns the claim round.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.claims import contradicted_comparisons

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
        for truth in _truths(sentence, numeric):
            if truth not in truths:
                truths.append(truth)
    return truths


def _truths(sentence: str, numeric: Mapping[str, tuple[Call, float]]) -> list[str]:
    """What the results say, for each comparison of `sentence` they contradict."""
    truths = []
    for group in _groups(numeric):
        claim = _claim(sentence, group)
        if claim is None:
            continue
        subject, larger, superlative = claim
        rest = [s for s in group if s is not subject]
        named = [s for s in rest if any(_mentions_name(sentence, n) for n in s.names)]
        values = [s.value for s in (named if named and not superlative else rest)]
        if subject.value > max(values) if larger else subject.value < min(values):
            continue
        truths.append(_truth(group))
    return truths


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
    to a question that asks for the values, the 0.5B model compared them instead.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.claims import orderings

        mars, venus = parse_plan('s1: gravity(planet="Mars")\\ns2: gravity(planet="Venus")').calls
        numeric = {"s1": (mars, 3.72), "s2": (venus, 8.87)}
        question = "Which planet has the stronger gravity, Mars or Venus?"
        assert orderings(question, numeric) == ["Venus (8.87) is larger than Mars (3.72)"]
        assert orderings("What is the gravity of Mars and of Venus?", numeric) == []
        ```
    """
    if not _ASKS_COMPARISON.search(question):
        return []
    pairs = [group for group in _groups(numeric) if len(group) == 2]  # noqa: PLR2004
    truths = [_truth(group).removeprefix("the results say ") for group in pairs]
    return [truth[0].upper() + truth[1:] for truth in truths]


_ASKS_COMPARISON = re.compile(
    rf"\b(?:which|whose|who|where)\b.*?\b(?:{_MORE}|{_LESS}|{_MOST}|{_LEAST})\b",
    re.IGNORECASE | re.DOTALL,
)


def unanswered_comparisons(
    question: str, answer: str, numeric: Mapping[str, tuple[Call, float]]
) -> list[str]:
    """What the results say, when `question` asks which is larger and `answer` never says.

    A question asks for a comparison when it has "which" (or "whose", "who", "where")
    before a comparative word ("Which has more divisors, 360 or 840?"). The answer says
    which when one of its sentences makes a claim that `contradicted_comparisons` reads
    (right or wrong: a wrong one is that function's to find).

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.claims import unanswered_comparisons

        a, b = parse_plan("s1: divisors(n=360)\\ns2: divisors(n=840)").calls
        numeric = {"s1": (a, 24), "s2": (b, 32)}
        question = "Which has more divisors, 360 or 840?"
        said = "360 has 24 divisors. 840 has 32 divisors."
        assert unanswered_comparisons(question, said, numeric) == [
            "the results say 840 (32) is larger than 360 (24)"
        ]
        assert unanswered_comparisons(question, "840 has more divisors.", numeric) == []
        ```
    """
    groups = _groups(numeric)
    if not groups or not _ASKS_COMPARISON.search(question):
        return []
    sentences = _SENTENCE.split(answer)
    if any(_claim(sentence, group) for sentence in sentences for group in groups):
        return []
    return [_truth(group) for group in groups]


def correct_comparisons(answer: str, numeric: Mapping[str, tuple[Call, float]]) -> str:
    """`answer`, each sentence with a comparison the results contradict put right.

    The sentence is replaced by what the results say: the last resort, when the model got
    the comparison wrong twice.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.claims import correct_comparisons

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
        truths = _truths(sentence, numeric)
        put = " ".join(t[0].upper() + t[1:] + "." for t in truths) if truths else sentence
        if put not in out:
            out.append(put)
    return " ".join(out)


_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w-])")


def _written_numbers(text: str) -> list[str]:
    """Numbers standing as values in `text` (not parts of names like `SHA-256` or `s2`)."""
    return [m.group(0).rstrip(",") for m in _NUMBER.finditer(text)]


__all__ = [
    "contradicted_comparisons",
    "correct_comparisons",
    "correction_request",
    "orderings",
    "reason_in_words",
    "results_answer",
    "subjects",
    "supported_values",
    "unanswered_comparisons",
    "unavailable_sentence",
    "unnamed_failures",
    "unsupported_numbers",
]
