"""Offline search and math tools for HotpotQA, MovieRec and ParallelQA.

`search(entity)` imitates LLMCompiler's Wikipedia tool: an exact title match (then a case-folded
one) returns the article's first 5 sentences, anything else `"Could not find <entity>."`. Titles
come from `datasets.load_wiki()`: the Wikipedia paragraphs of the bundled HotpotQA questions and
the five U.S. states of ParallelQA #83 (most other ParallelQA entities are not covered).
`search_words(term, k)` is the ParallelQA variant of the paper's RQ3 (`search(term, k=500)`: the
first k words). Both are async and sleep a seeded latency first: they are I/O-bound, like the
real thing.

`math(expression, context)` stands in for LLMCompiler's LLM-math chain without an LLM: it
evaluates an arithmetic expression through an `ast` whitelist (never `eval`), where
`num("word", i)` is the number nearest to "word" in the i-th context text. When a search was cut
short (k too small) the word or its number is missing and `math` raises a `ValueError` saying
so: the failure the paper's recovery repairs in ParallelQA #83 (see `PARALLELQA_83_PLAN`).

Example:
    ```python
    import asyncio
    from bench.workloads import search as ws
    from bench.workloads.latency import LatencyModel

    ws.set_latency(LatencyModel(scale=0.0))
    text = asyncio.run(ws.search_words("New Jersey", k=200))
    print(ws.math("num('population', 1) / num('km2', 1)", context=[text]))  # ~487.7
    ```
"""

from __future__ import annotations

import ast
import math as _m
import operator
import re
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from bench.datasets import load_hotpotqa, load_wiki
from bench.workloads.latency import LatencyModel

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from bench.workloads import Registry

__all__ = [
    "HOTPOTQA_TOOLS",
    "PARALLELQA_83_PLAN",
    "PARALLELQA_83_REPAIR",
    "PARALLELQA_TOOLS",
    "get_latency",
    "latency_key",
    "lookup",
    "math",
    "search",
    "search_words",
    "set_latency",
]

_latency = LatencyModel()


def set_latency(model: LatencyModel) -> None:
    """Use `model` for the latency of every later search.

    Args:
        model: the benchmark's latency model (`LatencyModel(scale=0.0)` for none).
    """
    global _latency  # noqa: PLW0603 - one model per benchmark process, set by the harness
    _latency = model


def get_latency() -> LatencyModel:
    """Return the latency model searches use now."""
    return _latency


@cache
def _titles() -> dict[str, dict[str, str]]:
    hotpot: dict[str, str] = {}
    for item in load_hotpotqa():
        for para in item.contexts:
            hotpot.setdefault(para.title, para.text)
    return {"hotpotqa": hotpot, "wiki": dict(load_wiki())}


@cache
def _folded() -> dict[str, dict[str, str]]:
    return {
        source: {title.casefold(): text for title, text in reversed(pages.items())}
        for source, pages in _titles().items()
    }


def lookup(term: str, *, prefer: Literal["hotpotqa", "wiki"] = "hotpotqa") -> str | None:
    """Find the offline paragraph for a title: exact match first, then case-folded.

    Args:
        term: the title searched for (surrounding quotes and brackets are ignored).
        prefer: which corpus wins when both have the title.

    Returns:
        The paragraph, or None when no title matches.

    Example:
        ```python
        assert lookup("new jersey", prefer="wiki").startswith("New Jersey is a state")
        ```
    """
    key = term.strip().strip("\"'[]").strip()
    order = (prefer, "wiki" if prefer == "hotpotqa" else "hotpotqa")
    for table, probe in ((_titles(), key), (_folded(), key.casefold())):
        for source in order:
            if (text := table[source].get(probe)) is not None:
                return text
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def _first_sentences(text: str, n: int) -> str:
    return " ".join(_SENTENCE_END.split(" ".join(text.split()))[:n])


def latency_key(tool: str, args: Mapping[str, Any]) -> str | None:
    """The key of the seeded latency a call of `tool` with `args` sleeps.

    Args:
        tool: the tool's name.
        args: the call's arguments.

    Returns:
        The key (the same `search` and `search_words` use), or None when the tool is not
        one of the searches or the arguments do not fit.

    Example:
        ```python
        assert latency_key("search", {"entity": "Texas"}) == "search:Texas"
        assert latency_key("math", {"expression": "1+1"}) is None
        ```
    """
    if tool == "search" and isinstance(entity := args.get("entity"), str):
        return _search_key(entity)
    k = args.get("k", _WORDS)
    if tool == "search_words" and isinstance(term := args.get("term"), str) and isinstance(k, int):
        return _words_key(term, k)
    return None


def _search_key(entity: str) -> str:
    return f"search:{entity}"


def _words_key(term: str, k: int) -> str:
    return f"search:{term}:{k}"


_WORDS = 500


async def search(entity: str) -> str:
    """Executes an exact search for the entity on Wikipedia. Returns the first paragraph if the entity is found.

    Args:
        entity: the article title to look up.
    """  # noqa: E501 - LLMCompiler's tool description, verbatim
    await _latency.asleep_search(_search_key(entity))
    text = lookup(entity)
    return _first_sentences(text, 5) if text is not None else f"Could not find {entity}."


async def search_words(term: str, k: int = _WORDS) -> str:
    """Search term in Wikipedia and obtain the first k words into a summary.

    Args:
        term: the article title to look up.
        k: how many words of the article to return.
    """
    await _latency.asleep_search(_words_key(term, k))
    text = lookup(term, prefer="wiki")
    if text is None:
        return f"Could not find {term}."
    return " ".join(text.split()[: max(0, k)])


# --- math -------------------------------------------------------------------------------------

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {
    "max": max,
    "min": min,
    "abs": abs,
    "round": lambda x, digits=0.0: round(x, int(digits)),
}
_MAX_EXPONENT = 1000.0  # 2 ** 1000 fits a float; bigger powers are a mistake, not arithmetic
_MAX_LENGTH = 2000
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?!\w)")
_SCALE = re.compile(r"\s*(thousand|million|billion|trillion)\b", re.IGNORECASE)
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_HELP = (
    "Write an arithmetic expression of numbers, + - * / ** and parentheses, max/min/abs/round, "
    "and num('word', i) for the number nearest to 'word' in context text i."
)


def _numbers(text: str) -> list[tuple[int, int, float]]:
    found = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1).replace(",", "") + (match.group(2) or ""))
        end = match.end()
        if scale := _SCALE.match(text, end):
            value *= _SCALES[scale.group(1).lower()]
            end = scale.end()
        found.append((match.start(), end, value))
    return found


def _extract(word: str, index: int, context: list[str]) -> float:
    if not context:
        msg = f"math: num({word!r}, {index}) needs a context, but none was given. {_HELP}"
        raise ValueError(msg)
    if not 1 <= index <= len(context):
        msg = f"math: num({word!r}, {index}): context has {len(context)} text(s), numbered from 1."
        raise ValueError(msg)
    text = " ".join(context[index - 1].split())
    cut_short = (
        f"({len(text.split())} words). The text may be cut short: search again with a larger k."
    )
    numbers = _numbers(text)
    if not numbers:
        msg = f"math: can't extract {word!r}: context {index} contains no numbers {cut_short}"
        raise ValueError(msg)
    hits = list(re.finditer(r"\b" + re.escape(word), text, re.IGNORECASE))
    if not hits:
        msg = f"math: can't extract {word!r}: the word is not in context {index} {cut_short}"
        raise ValueError(msg)
    for hit in hits:
        lo = max((m.end() for m in _SENTENCE_END.finditer(text, 0, hit.start())), default=0)
        nxt = _SENTENCE_END.search(text, hit.end())
        hi = nxt.start() if nxt else len(text)
        near = [
            (max(hit.start() - end, start - hit.end(), 0), value)
            for start, end, value in numbers
            if start >= lo and end <= hi
        ]
        if near:
            return min(near)[1]
    msg = f"math: can't extract {word!r}: no number near it in context {index} {cut_short}"
    raise ValueError(msg)


def _evaluate(node: ast.AST, context: list[str]) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, context)
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, context)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left, context), _evaluate(node.right, context)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            msg = f"math: exponent {right:g} is too large (limit {_MAX_EXPONENT:g})."
            raise ValueError(msg)
        value = _BINARY[type(node.op)](left, right)
        if isinstance(value, complex):
            msg = f"math: {ast.unparse(node)!r} has no real value."
            raise ValueError(msg)
        return float(value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        args = node.args
        if node.func.id == "num" and 1 <= len(args) <= 2:
            word, index = args[0], args[1] if len(args) == 2 else ast.Constant(1)
            if (
                isinstance(word, ast.Constant)
                and isinstance(word.value, str)
                and isinstance(index, ast.Constant)
                and type(index.value) is int
            ):
                return _extract(word.value, index.value, context)
        elif node.func.id in _FUNCTIONS and args:
            values = [_evaluate(a, context) for a in args]
            try:
                return float(_FUNCTIONS[node.func.id](*values))
            except TypeError as err:
                msg = f"math: {ast.unparse(node)!r}: {err}. {_HELP}"
                raise ValueError(msg) from err
    if isinstance(node, ast.Tuple):
        msg = f"math: {ast.unparse(node)!r} is a tuple: write numbers without thousands separators."
        raise ValueError(msg)  # noqa: TRY004 - a wrong value in the expression, not a wrong type
    shown = ast.unparse(node) if isinstance(node, ast.expr) else type(node).__name__
    msg = f"math: {shown!r} is not allowed. {_HELP}"
    raise ValueError(msg)


def math(expression: str, context: list[str] | str | None = None) -> float:
    """Evaluate an arithmetic expression; num('word', i) is the number nearest 'word' in context[i].

    Args:
        expression: numbers, + - * / ** and parentheses, max/min/abs/round, and
            num('word', i) (i from 1, default 1; "million" and the like are applied).
        context: the texts num() reads, e.g. search results.

    Raises:
        ValueError: the expression is not plain arithmetic, or a context lacks the number.
    """
    texts = [context] if isinstance(context, str) else [str(c) for c in context or []]
    if len(expression) > _MAX_LENGTH:
        msg = f"math: the expression is longer than {_MAX_LENGTH} characters. {_HELP}"
        raise ValueError(msg)
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as err:
        msg = f"math: {expression!r} is not an arithmetic expression ({err.msg}). {_HELP}"
        raise ValueError(msg) from err
    try:
        value = _evaluate(tree, texts)
    except (ZeroDivisionError, OverflowError) as err:
        msg = f"math: {expression!r} cannot be computed: {err}."
        raise ValueError(msg) from err
    if not _m.isfinite(value):
        msg = f"math: {expression!r} is not a finite number."
        raise ValueError(msg)
    return value


_SEARCH_DOC = "search(entity: str) -> str: " + (search.__doc__ or "").split("\n")[0]
_SEARCH_WORDS_DOC = (
    "search(term: str, k: int = 500) -> str: "
    "Search term in Wikipedia and obtain the first k words into a summary."
)
_MATH_DOC = (
    "math(expression: str, context: list[str] | None = None) -> float: " + _HELP + " "
    "Example: math(expression=\"num('population', 1) / num('km2', 1)\", context=[s1])."
)

HOTPOTQA_TOOLS: Registry = {"search": (search, "inout", _SEARCH_DOC)}
"""HotpotQA and MovieRec: LLMCompiler's single search tool."""

PARALLELQA_TOOLS: Registry = {
    "search": (search_words, "inout", _SEARCH_WORDS_DOC),
    "math": (math, "compute", _MATH_DOC),
}
"""ParallelQA: search with a word budget, and math (compute, as in the paper)."""

PARALLELQA_83_PLAN = """\
s1: search(term="Texas")
s2: search(term="Florida", k=40)
s3: math(expression="num('population', 1) + num('population', 2)", context=[s1, s2])
s4: math(expression="num('km2', 1) + num('km2', 2)", context=[s1, s2])
s5: math(expression="{s3} / {s4}")
s6: search(term="California")
s7: search(term="Michigan")
s8: math(expression="num('residents', 1) + num('population', 2)", context=[s6, s7])
s9: math(expression="num('km2', 1) + num('km2', 2)", context=[s6, s7])
s10: math(expression="{s8} / {s9}")
s11: search(term="New Jersey")
s12: math(expression="num('population', 1) / num('km2', 1)", context=[s11])
s13: math(expression="max({s5}, {s10}, {s12})")"""
"""ParallelQA #83 as in the paper's Figure 6; s2's k is too small, so s3 and s4 fail."""

PARALLELQA_83_REPAIR = 's2: search(term="Florida", k=1000)'
"""The recovery the paper reports for #83: rewrite s2 with a larger k."""
