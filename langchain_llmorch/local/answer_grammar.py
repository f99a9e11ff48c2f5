"""A llama.cpp grammar (GBNF) for answers: free words, numbers only from the run.

Under it the embedded model writes its answer in its own words, but every number in it is
one of the numbers it was shown: the results, the question and the calls as the joiner
wrote them, and the values the library computed for it (`agent.facts`: amount x rate; the
difference of two compared results). A number is written as the results write it (or
rounded to two decimals, or with thousands commas), never a digit more or less: the model
cannot invent a value nor misquote one. Letters, punctuation and the order of the words
are its own.

The grammar is one small rule per number: `root ::= words (num sep words)* (num end)?`,
where `words` holds no digit and `sep` is a character that cannot extend a number (so
`3` followed by `.89` is not `3.89` unless `3.89` is allowed). More than `MAX_NUMBERS`
numbers (a long list of results) gives no grammar: the answer then goes without one.

Example:
    ```python
    from langchain_llmorch.local.answer_grammar import answer_grammar, answer_numbers

    numbers = answer_numbers(["oats = 3.89", "Kilocalories in 250 grams of oats?"], [972.5])
    assert numbers == ["3.89", "250", "972.5"]
    assert '"972.5"' in answer_grammar(numbers)
    ```
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_llmorch.errors import OptionValueError

if TYPE_CHECKING:
    from langchain_core.messages import AnyMessage

    from langchain_llmorch.agent.state import AgentContext

MAX_NUMBERS = 160
"""Numbers an answer grammar may allow; with more, the answer goes without a grammar."""

# Digit runs with decimals ("3.89"), and the same with thousands commas ("522,250").
_PLAIN = re.compile(r"\d+(?:\.\d+)?")
_GROUPED = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])")
_ROUNDED = 2
"""A number with more decimals may also be written with this many."""
_GROUPED_FROM = 1_000
"""From this size, a whole number may also be written with thousands commas."""

_TERMINALS = """\
words ::= [^0-9]*
sep ::= [^0-9.,] | [.,] [^0-9]
end ::= [.,]?
"""

MAX_REQUIRED = 3
"""Numbers an answer grammar may require (it has a rule for each subset of them)."""
MAX_REQUIRED_TOKENS = 160
"""Tokens an answer may have when numbers are required: the model may stop only once it
wrote them, and one that will not goes on until `max_tokens` (one or two sentences are
some 20-50 tokens)."""


def _variants(written: str) -> list[str]:
    """`written` and the other ways an answer may write the same number."""
    forms = [written]
    plain = written.replace(",", "")
    whole, _, decimals = plain.partition(".")
    if len(decimals) > _ROUNDED:
        rounded = f"{float(plain):.{_ROUNDED}f}".rstrip("0").rstrip(".")
        forms.append(rounded)
        whole = rounded.partition(".")[0]
        decimals = rounded.partition(".")[2]
    if len(whole) <= 15 and int(whole) >= _GROUPED_FROM:  # noqa: PLR2004 - a float's digits
        forms.append(f"{int(whole):,}" + (f".{decimals}" if decimals else ""))
    if "," in written:
        forms.append(plain)
    return forms


def written_number(value: float) -> str | None:
    """`value` as the answer may write it: whole numbers without `.0`, else Python's digits.

    Example:
        ```python
        from langchain_llmorch.local.answer_grammar import written_number

        assert written_number(972.5) == "972.5"
        assert written_number(1735.0) == "1735"
        assert written_number(-3.5) == "3.5"  # the sign is a word, not a digit
        ```
    """
    if isinstance(value, bool) or not math.isfinite(value):
        return None
    number = abs(value)
    if float(number).is_integer() and number < 1e15:  # noqa: PLR2004 - beyond, "1e+15"
        return str(int(number))
    text = repr(float(number))
    return None if "e" in text else text


MAX_COMPARED = 4
"""Results of one tool whose pairwise differences an answer may state (6 pairs)."""


def differences(groups: Iterable[Sequence[float]]) -> list[float]:
    """The difference of each pair in each group of results (2 to `MAX_COMPARED` of them).

    Each difference is rounded to the most decimals its two numbers are written with, so
    that 8.87 - 3.72 is 5.15, not 5.149999999999999.

    Example:
        ```python
        from langchain_llmorch.local.answer_grammar import differences

        assert differences([[3.72, 8.87], [8611]]) == [5.15]
        assert differences([[1, 2, 4]]) == [1, 3, 2]
        ```
    """
    found: list[float] = []
    for group in groups:
        if not 2 <= len(group) <= MAX_COMPARED:  # noqa: PLR2004 - a pair at least
            continue
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                places = max(_places(a), _places(b))
                found.append(round(abs(a - b), places) if places else abs(a - b))
    return found


def _places(value: float) -> int:
    written = written_number(value) or ""
    return len(written.partition(".")[2])


def answer_numbers(texts: Iterable[str], values: Iterable[float] = ()) -> list[str]:
    """Every number written in `texts`, and `values`, in the forms an answer may use.

    Args:
        texts: what the joiner was shown (the question, the results, the computed facts).
        values: numbers computed for the answer that the texts may not write.

    Returns:
        The numbers as text, each once, in the order first seen.

    Example:
        ```python
        from langchain_llmorch.local.answer_grammar import answer_numbers

        assert answer_numbers(["K2 = 8611 m, 42.1648128 kg"]) == [
            "2", "8611", "8,611", "42.1648128", "42.16"
        ]
        assert answer_numbers(["population 1,234,567"])[:2] == ["1", "234"]
        assert "1,234,567" in answer_numbers(["population 1,234,567"])
        ```
    """
    found: dict[str, None] = {}
    for text in texts:
        for match in [*_PLAIN.finditer(text), *_GROUPED.finditer(text)]:
            found.update(dict.fromkeys(_variants(match.group(0))))
    for value in values:
        found.update(dict.fromkeys(number_forms(value)))
    return list(found)


def answer_grammar(numbers: Sequence[str], *, required: Sequence[Sequence[str]] = ()) -> str:
    """A GBNF grammar of answers whose every number is one of `numbers`.

    Args:
        numbers: the numbers allowed, as text (`answer_numbers`); none allows no digit.
        required: numbers the answer must write, each as the forms it may take (at least
            one form of each item, in any order; at most `MAX_REQUIRED` items). Their forms
            are allowed too.

    Returns:
        The grammar's text, for llama.cpp's `grammar` request field.

    Raises:
        OptionValueError: more than `MAX_NUMBERS` numbers or `MAX_REQUIRED` required ones,
            an empty required item, or a number that is not digits with optional thousands
            commas and decimals (also a `ValueError`).

    Example:
        ```python
        from langchain_llmorch.local.answer_grammar import answer_grammar

        grammar = answer_grammar(["8611", "8586"])
        assert 'num ::= "8611" | "8586"' in grammar
        assert "req0" in answer_grammar(["8611"], required=[["8611", "8,611"]])
        ```
    """
    forms = list(dict.fromkeys([*numbers, *(form for item in required for form in item)]))
    problems = []
    if len(forms) > MAX_NUMBERS:
        problems.append(f"an answer grammar allows at most {MAX_NUMBERS} numbers, not {len(forms)}")
    if len(required) > MAX_REQUIRED or not all(required):
        problems.append(
            f"an answer grammar requires at most {MAX_REQUIRED} numbers, each with a form"
        )
    bad = [n for n in forms if not re.fullmatch(r"\d[\d,]*(?:\.\d+)?", n)]
    if bad:
        problems.append(f"not numbers an answer can write: {', '.join(map(repr, bad[:5]))}")
    if problems:
        msg = "; ".join(problems)
        raise OptionValueError(msg)
    if not forms:
        return "root ::= [^0-9]*\n"
    lines = ["root ::= st0"]
    full = (1 << len(required)) - 1
    for seen in range(full + 1):
        if seen == full:  # anything allowed, and the answer may end
            lines.append(f"st{seen} ::= words (num sep st{seen} | num end)?")
            continue
        choices = [f"num sep st{seen}"]
        for i in range(len(required)):
            now = seen | 1 << i
            if now != seen:
                ending = " | end" if now == full else ""
                choices.append(f"req{i} (sep st{now}{ending})")
        lines.append(f"st{seen} ::= words ({' | '.join(choices)})")
    lines += [
        f"req{i} ::= {' | '.join(json.dumps(n) for n in dict.fromkeys(item))}"
        for i, item in enumerate(required)
    ]
    lines.append(f"num ::= {' | '.join(json.dumps(n) for n in forms)}")
    return "\n".join(lines) + "\n" + _TERMINALS


def number_forms(value: float) -> list[str]:
    """The forms an answer may write `value` in (`[]` for one it cannot write).

    Example:
        ```python
        from langchain_llmorch.local.answer_grammar import number_forms

        assert number_forms(42.1648128) == ["42.1648128", "42.16"]
        assert number_forms(8611) == ["8611", "8,611"]
        assert number_forms(9.0) == ["9", "9.0"]
        ```
    """
    written = written_number(value)
    if written is None:
        return []
    forms = _variants(written)
    if isinstance(value, float) and "." not in written:  # 9.0: as the results write it too
        forms += _variants(f"{written}.0")
    return list(dict.fromkeys(forms))


def answer_constraint(
    messages: Sequence[AnyMessage],
    values: Iterable[float] = (),
    *,
    required: Sequence[Sequence[str]] = (),
) -> dict[str, Any] | None:
    """The keyword arguments that send the answer grammar of a joiner's request, or None.

    The numbers are those of every message but the instructions (the system message),
    and `values`; `required` as in `answer_grammar` (more than `MAX_REQUIRED` items are
    not required; with any, the answer is capped at `MAX_REQUIRED_TOKENS`). None when
    there are more than `MAX_NUMBERS` numbers.

    Example:
        ```python
        from langchain_core.messages import HumanMessage, SystemMessage
        from langchain_llmorch.local.answer_grammar import answer_constraint

        sent = answer_constraint(
            [SystemMessage("Answer in 2 sentences."), HumanMessage("K2 = 8611")]
        )
        assert '"8611"' in sent["extra_body"]["grammar"]
        assert '"2"' in sent["extra_body"]["grammar"]  # from "K2", not the instructions
        ```
    """
    texts = [m.text for m in messages if m.type != "system"]
    numbers = answer_numbers(texts, values)
    items = [item for item in required if item] if len(required) <= MAX_REQUIRED else []
    forms = {form for item in items for form in item}
    if len(forms.union(numbers)) > MAX_NUMBERS:
        return None
    sent: dict[str, Any] = {"extra_body": {"grammar": answer_grammar(numbers, required=items)}}
    if items:  # a model that will not write one goes on until it may stop: not for long
        sent["max_tokens"] = MAX_REQUIRED_TOKENS
    return sent


def uses_answer_grammar(ctx: AgentContext) -> bool:
    """Whether the agent's answers go under the grammar (`answer_grammar`, resolved).

    Example:
        ```python
        from langchain_llmorch.local.answer_grammar import uses_answer_grammar

        assert uses_answer_grammar(ctx) is ctx.options.answer_grammar  # when given
        ```
    """
    return ctx.embedded_default(ctx.options.answer_grammar)


__all__ = [
    "MAX_NUMBERS",
    "MAX_REQUIRED",
    "MAX_REQUIRED_TOKENS",
    "answer_constraint",
    "answer_grammar",
    "answer_numbers",
    "differences",
    "number_forms",
    "uses_answer_grammar",
    "written_number",
]
