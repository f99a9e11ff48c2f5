"""The words a question and a tool are read with, for the plan checks of `agent.tool_fit`.

A tool is described by its name, its arguments' names and its description; a question by
its clauses. Both are reduced to content words (lower case, without the words that say
nothing of which tool fits: "the", "how", "many", ...), and words match by their stems
("weighs" and "weight", "supplier" and "supplies"). A few English adjectives stand for
their nouns ("high" for height, "long" for length).

Example:
    ```python
    from langchain_llmorch.agent.words import content_words, shared_words, stem_match

    assert stem_match("weighs", "weight")
    assert content_words("How high is the tower?") == {"high", "height", "tower"}
    assert shared_words({"weighs", "chair"}, {"weight", "item"}) == {"weighs"}
    ```
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from langchain_core.tools import BaseTool

# Words that say nothing of which tool fits.
_STOP_WORDS = """
a an the of in on at to for from by with and or what which who whom whose how many much
is are was were be been do does did has have had it its this that these those there their
his her my your our one per each any some give gives tell me please than then more most
less fewer same between up look looks returns return name names
use uses used need needs take takes get gets make makes go goes run runs running come
comes put puts keep keeps
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
"""Words that say nothing of which tool fits."""
# Adjectives a question asks with, for the nouns tools are described with; each also in its
# comparative and superlative ("shallower", "cheapest"), made by `_graded`.
_MEASURES = {
    "height": "high tall low",
    "length": "long short",
    "weight": "heavy light",
    "distance": "far near close",
    "age": "old young",
    "depth": "deep shallow",
    "width": "wide narrow",
    "size": "big large small",
    "temperature": "hot cold warm cool",
    "speed": "fast slow quick",
    "price": "cheap dear pricey costly expensive",
    "content": "rich poor",
    "strength": "strong weak",
    "brightness": "bright dim",
}
# Words for a price that are no adjective ("What's the bill?" asks a fee's price); not
# "charge" ("Who's in charge?").
_PRICE_WORDS = dict.fromkeys(
    ["cost", "costs", "fee", "fees", "bill", "bills", "charges", "fare", "fares"],
    "price",
)


_IRREGULAR_GRADES = {"far": ("farther", "farthest", "further", "furthest")}


def _graded(adjective: str) -> set[str]:
    """An adjective with its comparative and superlative: "big", "bigger", "biggest"."""
    if adjective in _IRREGULAR_GRADES:
        return {adjective, *_IRREGULAR_GRADES[adjective]}
    if adjective.endswith("e"):
        stem = adjective[:-1]
    elif adjective.endswith("ey"):  # pricey, pricier
        stem = adjective[:-2] + "i"
    elif adjective.endswith("y"):
        stem = adjective[:-1] + "i"
    elif re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwy]", adjective):  # big, hot, wet
        stem = adjective + adjective[-1]
    else:
        stem = adjective
    return {adjective, f"{stem}er", f"{stem}est"}


_NOUNS = {
    form: noun
    for noun, adjectives in _MEASURES.items()
    for adjective in adjectives.split()
    for form in _graded(adjective)
} | _PRICE_WORDS
# The comparatives and superlatives among them ("pricier", "deepest"), not the plain forms.
_GRADED = {
    form
    for adjectives in _MEASURES.values()
    for adjective in adjectives.split()
    for form in _graded(adjective) - {adjective}
}


def compared_measures(text: str) -> set[str]:
    """The measures `text` compares by: the nouns of its comparatives and superlatives.

    Example:
        ```python
        from langchain_llmorch.agent.words import compared_measures

        assert compared_measures("Is a seat at A pricier than one at B?") == {"price"}
        assert compared_measures("How deep is A?") == set()
        ```
    """
    return {_NOUNS[w] for w in _words(text) if w in _GRADED}


# A word: letters and digits, the possessive's "s" not one ("Gullhaven's" is "gullhaven").
_WORD = re.compile(r"[a-z][a-z0-9]*")
_POSSESSIVE = re.compile(r"(?<=[a-z])['\u2019]s\b")


# "sells its apples for less" asks which is cheaper ("for more nights" asks no price).
_FOR_LESS = re.compile(r"\bfor\s+(less|more)\b(?=\s*(?:[,.;:?!]|than\b|$))")


def _words(text: str) -> set[str]:
    """The lower-case words of `text`, a possessive's "s" and the stop words left out."""
    text = _POSSESSIVE.sub("", text.lower()).replace("_", " ")
    text = _FOR_LESS.sub(lambda m: "cheaper" if m.group(1) == "less" else "dearer", text)
    return set(_WORD.findall(text)) - STOP_WORDS


def stem_match(one: str, other: str) -> bool:
    """Whether two words share a stem: equal, or a common start nearly as long as either.

    Example:
        ```python
        from langchain_llmorch.agent.words import stem_match

        assert stem_match("supplier", "supplies")
        assert stem_match("cow", "cows")
        assert not stem_match("seat", "season")
        ```
    """
    if one == other or singular(one) == singular(other):  # "cow" and "cows"
        return True
    shared = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        shared += 1
    return shared >= max(4, min(len(one), len(other)) - 2)


def content_words(text: str) -> set[str]:
    """The content words of `text`, lower case, with an adjective's noun added.

    Example:
        ```python
        from langchain_llmorch.agent.words import content_words

        assert content_words("How long is the Nile?") == {"long", "length", "nile"}
        ```
    """
    found = _words(text)
    return found | {_NOUNS[w] for w in found if w in _NOUNS}


def word_forms(text: str) -> dict[str, set[str]]:
    """Each content word of `text` with the forms it matches by: itself, and its noun.

    A word stands once however many forms it has: "cost" is one word asked, matched by
    "cost" or "price".

    Example:
        ```python
        from langchain_llmorch.agent.words import word_forms

        assert word_forms("What does it cost?") == {"cost": {"cost", "price"}}
        assert word_forms("Skerrow's keeper") == {"skerrow": {"skerrow"}, "keeper": {"keeper"}}
        assert word_forms("sold for less?")["cheaper"] == {"cheaper", "price"}
        ```
    """
    found = _words(text)
    return {w: {w, _NOUNS[w]} if w in _NOUNS else {w} for w in found}


def tool_words(tool: BaseTool, *, arguments: bool = True) -> set[str]:
    """A tool's words: its name's, its description's and (`arguments`) its arguments'.

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.agent.words import tool_words

        @inout
        def item_weight(item: str) -> float:
            \"\"\"How much one item weighs.\"\"\"
            return 7.8

        assert tool_words(item_weight) == {"item", "weight", "weighs"}
        ```
    """
    text = " ".join([tool.name, *(tool.args if arguments else ()), tool.description or ""])
    return content_words(text)


def argument_words(tools: Iterable[BaseTool]) -> set[str]:
    """The content words of every argument name of `tools` ("resort", "company").

    What a question says to name the things the tools take, not what it asks of them.

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.agent.words import argument_words

        @inout
        def fare(train_line: str, adults: int) -> float:
            \"\"\"The fare of a train line for a number of adults.\"\"\"
            return 9.5

        assert argument_words([fare]) == {"train", "line", "adults"}
        ```
    """
    return {word for tool in tools for name in tool.args for word in content_words(name)}


def shared_words(words: set[str], vocabulary: set[str]) -> set[str]:
    """The words of `words` that share a stem with a word of `vocabulary`.

    Example:
        ```python
        from langchain_llmorch.agent.words import shared_words

        assert shared_words({"riders", "bus"}, {"ride", "line"}) == {"riders"}
        ```
    """
    return {w for w in words if any(stem_match(w, v) for v in vocabulary)}


# Plurals not made with an s: "how many people" is counted in persons too.
_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman"}


def singular(word: str) -> str:
    """`word` in the singular, as a plural noun's usual forms undo ("inches", "cups").

    Example:
        ```python
        from langchain_llmorch.agent.words import singular

        assert [singular(w) for w in ("cups", "inches", "people", "glass")] == [
            "cup", "inch", "person", "glass"
        ]
        ```
    """
    if word.lower() in _IRREGULAR:
        return _IRREGULAR[word.lower()]
    if re.search(r"(?:ch|sh|x)es$", word):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


# "per fish", "each cow", "every kilometre": what a result is asked per.
_PER = re.compile(r"\b(?:per|each|every)\s+([a-z]+)", re.IGNORECASE)


def units_asked_per(text: str) -> set[str]:
    """The units `text` asks a result per ("per fish", "each cow"), in the singular.

    Example:
        ```python
        from langchain_llmorch.agent.words import units_asked_per

        assert units_asked_per("How much water does each fish get, per day?") == {"fish", "day"}
        ```
    """
    return {singular(m.group(1).lower()) for m in _PER.finditer(text)}


def described_words(name: str, description: str) -> set[str]:
    """The content words of a tool's name and description, each in the singular.

    Example:
        ```python
        from langchain_llmorch.agent.words import described_words

        assert described_words("tank_fish", "How many fish live in a tank.") == {
            "tank", "fish", "live"
        }
        ```
    """
    return {singular(w) for w in content_words(f"{name.replace('_', ' ')} {description}")}


__all__ = [
    "STOP_WORDS",
    "argument_words",
    "content_words",
    "described_words",
    "shared_words",
    "singular",
    "stem_match",
    "tool_words",
    "units_asked_per",
    "word_forms",
]
