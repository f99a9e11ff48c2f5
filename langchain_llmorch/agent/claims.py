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
from typing import Any

from langchain_llmorch.agent.answer import mentions, numbers_in, numbers_of
from langchain_llmorch.agent.words import singular
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
    rate), and small whole numbers (they count things), but not as a count of what the
    question asks how many of ("1 fish" for "how many fish live in ...").

    Example:
        ```python
        from langchain_llmorch.agent.claims import unsupported_numbers

        said = "ACME trades at 182.4 and ZZZZ at 97.1."
        assert unsupported_numbers(said, [182.4], "Prices of ACME and ZZZZ?") == ["97.1"]
        ```
    """
    supported = [*supported_values(results), *computed]
    given = numbers_in(conversation)
    asked = {singular(w.lower()) for m in _HOW_MANY.finditer(conversation) for w in m.groups() if w}
    out: list[str] = []
    for match in _NUMBER.finditer(answer):
        written = match.group(0).rstrip(",")
        number = float(written.replace(",", ""))
        noun = _WORD_AFTER.match(answer, match.end())
        counts_asked = noun is not None and singular(noun.group(1).lower()) in asked
        if number.is_integer() and abs(number) <= _SMALL_COUNT and not counts_asked:
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
    return [text.lower() for text in literal_texts(call)] or [call.tool.replace("_", " ").lower()]


def literal_texts(call: Call) -> list[str]:
    """The texts `call` was given literally (its subjects: `"ACME"` of `price(ticker="ACME")`)."""
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
    about = ", ".join(literal_texts(call))
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
    misstated: Sequence[str] = (),
    misnamed: Sequence[str] = (),
    as_rate: Sequence[str] = (),
    miscalculated: Sequence[str] = (),
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
        misstated: sentences that give a result as the amount asked about
            (`misstated_amounts`).
        misnamed: what the results say, for each number the answer writes with another
            unit than its result is in (`agent.stated_units`).
        as_rate: sentences that give a value computed from a rate as the rate
            (`agent.rate_claims`).
        miscalculated: each calculation the answer works out wrong, said right
            (`agent.arithmetic`).
    """
    parts = [f"{_WRONG} {truth}." for truth in contradicted]
    parts += [f"{_UNSAID} {truth}." for truth in unanswered]
    parts += [f'{_MISSTATED} "{sentence}"' for sentence in misstated]
    parts += [f"{_MISNAMED} {truth}." for truth in misnamed]
    parts += [f'{_AS_RATE} "{sentence}"' for sentence in as_rate]
    parts += [f"{_MISCALCULATED} {truth}." for truth in miscalculated]
    parts += [f"{_UNSTATED} {fact}." for fact in unstated]
    if left_out:
        parts.append(f"Your answer leaves out {'; '.join(left_out)}: {_WRITE_EACH}")
    if unsupported:
        parts.append(f"Your answer states {', '.join(unsupported)}, {_ONLY_RESULTS}")
    if unnamed:
        names = "; ".join(", ".join(subjects(failed[cid])) for cid in unnamed)
        parts.append(f"It does not say that the result for {names} is not available.")
    parts.append(_AGAIN_FAILED if failed else _AGAIN)
    return " ".join(parts)


_WRONG = "Your answer gets a comparison wrong:"
_UNSAID = "Your answer does not make the comparison asked:"
_UNSTATED = "Your answer does not state the computed value:"
_MISSTATED = "Your answer gives a looked-up value as the amount asked about:"
_MISNAMED = "Your answer gives a number in the wrong unit:"
_AS_RATE = "Your answer calls the computed total a rate (per one):"
_MISCALCULATED = "Your answer works a calculation out wrong:"
_WRITE_EACH = "keep what it says and write each number."
_ONLY_RESULTS = "which no result gives: state only values from the results."
_AGAIN_FAILED = (
    "Answer again. For every call that failed, say that its result is not available and "
    "give no value for it."
)
_AGAIN = "Answer again in one or two full sentences, with the numbers as given."
CORRECTION_INSTRUCTIONS = (_WRITE_EACH, _ONLY_RESULTS, _AGAIN_FAILED, _AGAIN)
"""The fixed instruction text of `correction_request`: none of it may stay in an answer."""
CORRECTION_OPENINGS = (
    _WRONG,
    _UNSAID,
    _UNSTATED,
    _MISSTATED,
    _MISNAMED,
    _AS_RATE,
    "Your answer leaves out",
    "Your answer states",
)
"""How `correction_request`'s sentences about an answer start (a value follows)."""


# "250 km", "8 adult": an amount the question gives, as it writes it (number, next word).
_AMOUNT_PHRASE = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*-?\s*([a-z]+)", re.IGNORECASE)
# A sentence that states a rate ("4.4 litres per 100 km") is not stating the amount.
_RATE = re.compile(r"\b(?:per|every|each|a piece|apiece)\b|/", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_LINES_AND_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


def misstated_amounts(
    answer: str, question: str, results: Iterable[Any], computed: Sequence[float]
) -> list[str]:
    """The sentences of `answer` that give a looked-up value as the amount asked about.

    When a value was computed for the question (4.4 litres per 100 km on a 250 km drive
    is 11 litres), a sentence that repeats the question's amount ("on a 250 km drive"),
    states no computed value and states a result instead ("uses 4.4 litres") gives the
    rate, or another call's result, for the computed value. A sentence that says it is a
    rate ("per", "each") is not such a claim.

    Example:
        ```python
        from langchain_llmorch.agent.claims import misstated_amounts

        question = "How many litres does the Pixa use on a 250 km drive?"
        said = "The Pixa uses 4.4 litres on a 250 km drive."
        assert misstated_amounts(said, question, [4.4], [11.0]) == [said]
        right = "It uses 11 litres on a 250 km drive."
        assert misstated_amounts(right, question, [4.4], [11.0]) == []
        ```
    """
    if not computed:
        return []
    phrases = {
        (float(m.group(1).replace(",", "")), m.group(2).lower())
        for m in _AMOUNT_PHRASE.finditer(question)
    }
    values = [n for value in results for n in numbers_of(value)]
    found = []
    for sentence in _SENTENCES.split(answer):
        if _RATE.search(sentence) or any(mentions(sentence, v) for v in computed):
            continue
        written = {
            (float(m.group(1).replace(",", "")), m.group(2).lower())
            for m in _AMOUNT_PHRASE.finditer(sentence)
        }
        if not written & phrases:
            continue
        amounts = {number for number, _ in phrases}
        stated = [
            float(w.replace(",", ""))
            for w in _written_numbers(sentence)
            if float(w.replace(",", "")) not in amounts
        ]
        if any(mentions(result_text(n), v) for n in stated for v in values):
            found.append(sentence)
    return found


def without_unsupported(
    answer: str, results: Iterable[Any], conversation: str, *, computed: Iterable[float] = ()
) -> str:
    """`answer` without the sentences that state a number nothing supports.

    The last resort for an answer that invented a number twice ("There is 1 fish in the
    tank." beside the result 85): what is left holds; it may be empty.

    Example:
        ```python
        from langchain_llmorch.agent.claims import without_unsupported

        said = "There is 1 fish in the tank. The tank has 85 fish."
        assert without_unsupported(said, [85], "How many fish live in it?") == (
            "The tank has 85 fish."
        )
        ```
    """
    values = list(computed)
    kept = [
        sentence.strip()
        for sentence in _LINES_AND_SENTENCES.split(answer)
        if not unsupported_numbers(sentence, results, conversation, computed=values)
    ]
    said = " ".join(sentence for sentence in kept if sentence)
    # "1." is no answer; "1150 - 890 = 260", the computed gap, is one.
    found = [*values, *(n for value in results for n in numbers_of(value))]
    worded = re.search(r"[^\W\d_]{2}", said) or any(mentions(said, v) for v in found)
    return said if worded else ""


def computed_answer(facts: Sequence[str]) -> str:
    """An answer that says the computed values, when the model's twice did not.

    Args:
        facts: the computed values as the joiner was told them (`agent.facts`), the one
            the question asks for first.

    Example:
        ```python
        from langchain_llmorch.agent.claims import computed_answer

        said = computed_answer(["fare(zone=2) x 3 = 2.5 x 3 = 7.5"])
        assert said == "From the results: fare(zone=2) x 3 = 2.5 x 3 = 7.5."
        ```
    """
    return f"From the results: {'; '.join(facts)}." if facts else ""


def results_answer(finished: Mapping[str, Any], failed: Mapping[str, tuple[Call, str]]) -> str:
    """An answer made from the results alone, when the model's could not be trusted."""
    lines = [f"{call} = {result_text(value)[:200]}" for call, value in finished.items()]
    found = f"Here is what I found: {'; '.join(lines)}." if lines else ""
    missing = " ".join(unavailable_sentence(call, why) for call, why in failed.values())
    return " ".join(part for part in (found, missing) if part)


# Not after a letter or a point, nor after a hyphen that follows one ("SHA-256", "3-5").
_NUMBER = re.compile(r"(?<![\w.])(?<!\w-)-?\d[\d,]*(?:\.\d+)?(?![\w-])")


# "how many fish", "how many adult tickets": the noun a question counts (or the word after).
_HOW_MANY = re.compile(r"\bhow\s+many\s+([a-z]+)(?:\s+([a-z]+))?", re.IGNORECASE)
_WORD_AFTER = re.compile(r"\s+([a-z]+)", re.IGNORECASE)


def _written_numbers(text: str) -> list[str]:
    """Numbers standing as values in `text` (not parts of names like `SHA-256` or `s2`)."""
    return [m.group(0).rstrip(",") for m in _NUMBER.finditer(text)]


__all__ = [
    "CORRECTION_INSTRUCTIONS",
    "CORRECTION_OPENINGS",
    "computed_answer",
    "correction_request",
    "literal_texts",
    "misstated_amounts",
    "reason_in_words",
    "results_answer",
    "subjects",
    "supported_values",
    "unavailable_sentence",
    "unnamed_failures",
    "unsupported_numbers",
    "without_unsupported",
]
