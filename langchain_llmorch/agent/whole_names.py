"""Names the plan cuts short or misspells: `whole_names`, `misspelt_names`.

"Port Ashby vs Tarrow Quay: which charges more per night?" was planned by the 0.5B model
as `mooring_fee(marina="Ashby")`: the tool knows "Port Ashby", the call failed, the
recovery wrote it again, and the answer gave the Ashby call Tarrow Quay's fee. A text
argument that the question writes only inside one longer capitalised name ("Ashby"
only in "Port Ashby") is that name cut short: `whole_names` gives the call the whole
name, without asking the model. A value the question also writes on its own, or inside
two different names, is left as it is.

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.whole_names import whole_names

    plan = parse_plan('s1: fee(marina="Ashby")\\ns2: fee(marina="Tarrow Quay")')
    question = "Port Ashby vs Tarrow Quay: which charges more per night?"
    assert whole_names(plan, question).render() == (
        's1: fee(marina="Port Ashby")\\ns2: fee(marina="Tarrow Quay")'
    )
    assert whole_names(plan, "Is Ashby dearer than Port Ashby or Tarrow Quay?") is None
    ```
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.edits import with_texts
from langchain_llmorch.agent.tool_kinds import possessed
from langchain_llmorch.agent.words import STOP_WORDS, content_words, shared_words, tool_words
from langchain_llmorch.plan.language import Call, Plan

# A capitalised name of two or more words, a lower-case joining word allowed between
# ("Port Ashby", "Bay of Kells", "St Ives Harbour").
_NAME = re.compile(r"\b[A-Z][\w'\u2019-]*(?:\s+(?:(?:of|on|upon|de|la|le)\s+)?[A-Z][\w'\u2019-]*)+")


# Words that start a sentence, not a name ("Is Ashby dearer...", "Compare Orla and...").
_OPENING_WORDS = """
is are was were does do did can could will would should what which who how where when why
compare tell give show find list name please i my if so but also after before since while
although unless once whether suppose say let assuming
"""
_OPENERS = frozenset(_OPENING_WORDS.split())


def _names(question: str) -> list[str]:
    """The names of two or more words `question` writes.

    Without a sentence's first word ("Is", "If", "Of"), an article ("The Copper Bell" is
    the Copper Bell, as a tool keyed by name reads it) or a possessive's "'s".
    """
    found = []
    for match in _NAME.finditer(question):
        words = _POSSESSIVE.sub("", match.group(0)).split()
        while words and (words[0].lower() in _OPENERS or words[0].lower() in STOP_WORDS):
            words.pop(0)
        if len(words) > 1:
            found.append(" ".join(words))
    return list(dict.fromkeys(found))


_POSSESSIVE = re.compile(r"['\u2019]s?$")


def whole_names(plan: Plan, question: str) -> Plan | None:
    """`plan` with each name it cuts short given whole (see the module), or None."""
    names = _names(question)
    return with_texts(plan, lambda _call, _argument, text: _whole(text, names, question))


def _whole(value: str, names: list[str], question: str) -> str | None:
    """The one longer name of `names` holding `value`, if the question writes it only there."""
    if not value:
        return None
    part = re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])", re.IGNORECASE)
    holding = [name for name in names if part.search(name) and len(name) > len(value)]
    if len(holding) != 1:
        return None
    (name,) = holding
    if len(value.split()) > 1 and _opened(name, value, question):
        return None  # "Stack Marrock Point's tower...": a verb, not part of the name
    inside = question.count(name) * len(part.findall(name))
    return name if len(part.findall(question)) <= inside else None


def _opened(name: str, value: str, question: str) -> bool:
    """Whether `name` is `value` after only the first word of a sentence of `question`.

    A name of two words or more, said after a capitalised word that opens the sentence
    ("Stack", "Average"), is likely whole already: the word is the sentence's, not the
    name's. (One word after it is likely cut short: "Port Ashby" for "Ashby".)
    """
    first, _, rest = name.partition(" ")
    opening = re.search(rf"(?:^|[.!?:]\s+){re.escape(first)}\s", question)
    return rest.lower() == value.lower() and opening is not None


def bare_names(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with "V's W" given to a tool whose own words are W's, as V; or None.

    "Tell me how deep Wenlow's shaft is" planned as `shaft_depth(mine="Wenlow's shaft")`:
    the shaft is what the tool measures, not part of the mine's name. Where the question
    writes the text so and every word of W is one of a called tool's (its name's,
    arguments' or description's: the workforce call given "Wenlow's shaft" beside the
    shaft-depth call), the call is given V. (Where another tool finds W, the
    look-up is `agent.tool_fit`'s.)
    """
    by_name = {tool.name: tool for tool in tools}
    called = [by_name[c.tool] for c in plan.calls if c.tool in by_name]

    def bare(call: Call, _argument: str, text: str) -> str | None:
        owned = possessed(text, question) if call.tool in by_name else None
        what = content_words(owned[1]) if owned else set()
        if owned and what and any(what <= shared_words(what, tool_words(t)) for t in called):
            return owned[0]
        return None

    return with_texts(plan, bare)


# A name shorter than this is not read as misspelt ("Bon" may be another name than "Ban").
_SHORTEST = 4
# Up to this length a name is misspelt by one letter; a longer one by up to two.
_SHORT = 6
_MOST_EDITS = 2
# A single capitalised word, a possible one-word name ("Caldwick").
_WORD = re.compile(r"\b[A-Z][\w'\u2019-]*")


def misspelt_names(plan: Plan, question: str) -> Plan | None:
    """`plan` with each name it misspells written as the question writes it, or None.

    "Is Caldwick lower than Ferrow Ridge?" was planned by the 0.5B model with
    `observatory="Ferrrow Ridge"`: the call failed, and its recovery looked up Caldwick
    again. A text argument the question does not write, one or two letters from exactly
    one capitalised name of the question (one for a name of up to six letters), is that
    name misspelt; it is given as the question writes it.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.whole_names import misspelt_names

        plan = parse_plan('s1: height(site="Caldwick")\\ns2: height(site="Ferrrow Ridge")')
        fixed = misspelt_names(plan, "Is Caldwick lower than Ferrow Ridge?")
        assert fixed is not None and fixed.calls[1].kwargs == {"site": "Ferrow Ridge"}
        assert misspelt_names(plan, "Is Caldwick lower than Ferrow Ridge or Farrow Ridge?") is None
        ```
    """
    names = _names(question) + [
        word
        for word in (_POSSESSIVE.sub("", m.group(0)) for m in _WORD.finditer(question))
        if word.lower() not in _OPENERS and word.lower() not in STOP_WORDS
    ]

    def spelt(_call: Call, _argument: str, text: str) -> str | None:
        if len(text) < _SHORTEST or text.lower() in question.lower():
            return None
        near = {name for name in names if misspells(text, name)}
        return near.pop() if len(near) == 1 else None

    return with_texts(plan, spelt)


def misspells(value: str, name: str) -> bool:
    """Whether `value` is `name` with a letter or two added, dropped, changed or swapped.

    One letter for a name of up to six letters, two for a longer one; case aside.

    Example:
        ```python
        from langchain_llmorch.agent.whole_names import misspells

        assert misspells("Ferrrow Ridge", "Ferrow Ridge")
        assert not misspells("Copper Bell Theatre", "Copper Bell")
        ```
    """
    allowed = 1 if len(name) <= _SHORT else _MOST_EDITS
    return 0 < edit_distance(value.lower(), name.lower()) <= allowed


def edit_distance(one: str, other: str) -> int:
    """The letters to add, drop, change or swap (two side by side) to make `one` `other`.

    Example:
        ```python
        from langchain_llmorch.agent.whole_names import edit_distance

        assert edit_distance("ferrrow", "ferrow") == 1
        assert edit_distance("caldwikc", "caldwick") == 1
        assert edit_distance("tessaly", "wenlow") > 2
        ```
    """
    if abs(len(one) - len(other)) > _MOST_EDITS:
        return _MOST_EDITS + 1  # more than a misspelling, however it is made
    rows = [list(range(len(other) + 1))]
    for i, a in enumerate(one, 1):
        row = [i]
        for j, b in enumerate(other, 1):
            row.append(min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a != b)))
            if i > 1 and j > 1 and a == other[j - 2] and one[i - 2] == b:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def names_put_right(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan:
    """`plan` with its names misspelt or cut short made whole, then "V's W" given as V.

    `plan` itself when none is.
    """
    spelt = misspelt_names(plan, question) or plan  # "Ferrrow Ridge": Ferrow Ridge
    whole = whole_names(spelt, question) or spelt  # "Ashby": Port Ashby
    return bare_names(whole, question, tools) or whole  # "Wenlow's shaft": Wenlow


__all__ = [
    "bare_names",
    "edit_distance",
    "misspells",
    "misspelt_names",
    "names_put_right",
    "whole_names",
]
