"""Two names given as one: `joined_names`.

"How many seats do the theatres showing Night Harbour and Willowgate have altogether?"
was planned by the 0.5B model as `theatre_seats(play="Night Harbour and Willowgate")`. A
tool knows each play, not the pair: the call failed, recovery wrote the same call again,
and the answer had a blank where the number should be. Two names the question writes
apart, given to one argument joined by "and", "or", a comma or "&", are such a pair when
the question says it means two: "or" joins them, or a comma and "and" join three, a word
says two ("both", "either", "between", "compare"), a preposition or article comes again
after "and" ("at Port Ashby and at Linsey Cove"), or the thing the tool looks up is
written in the plural ("the theatres"). Without such a word a name may hold "and" itself
("Trinidad and Tobago"; "the pages of 3 copies of Salt and Cedar in all": a total is
no such word), and is left alone. `agent.refit` gives each name a call of its
own; `agent.tool_fit` gathers the doubt.

Example:
    ```python
    from langchain_llmorch import inout, parse_plan
    from langchain_llmorch.agent.joined_names import joined_names

    @inout
    def lift_count(resort: str) -> int:
        \"\"\"How many ski lifts a resort has.\"\"\"
        return 14

    plan = parse_plan('s1: lift_count(resort="Orvik and Sellen")')
    question = "How many lifts do the resorts Orvik and Sellen have?"
    ((call, argument, names),) = joined_names(plan, question, [lift_count])
    assert (call.id, argument, names) == ("s1", "resort", ("Orvik", "Sellen"))
    ```
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.tool_kinds import given_texts, text_arguments
from langchain_llmorch.agent.words import STOP_WORDS, content_words
from langchain_llmorch.plan.language import Call, Plan

# What joins two names in one text: "A and B", "A or B", "A, B and C", "A & B".
_JOIN = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,|\band\b|\bor\b|&)\s*", re.IGNORECASE)
# Words that say a question means two or more things. Not a total's words ("in all",
# "altogether"): "the pages of 3 copies of Salt and Cedar in all" sums copies of one book.
_TWO = re.compile(r"\b(?:both|either|between|respectively|compare|versus|vs)\b", re.IGNORECASE)
# A total's words: two names summed, unless an amount of the first is asked ("the pages
# of 3 copies of Salt and Cedar in all" sums copies of one book).
_TOTAL = re.compile(
    r"\b(?:put\s+together|combined|together|in\s+total|altogether|in\s+all|total|sum)\b",
    re.IGNORECASE,
)
# Said again after "and" or "or": the second name stands apart ("and at Linsey Cove").
_AGAIN = r"(?:at|in|on|of|for|from|to|by|with|the)"


def joined_names(
    plan: Plan, question: str, tools: Sequence[BaseTool]
) -> list[tuple[Call, str, tuple[str, ...]]]:
    """(call, argument, names) for each text argument giving two names as one.

    The names are those the question writes apart and says it means as two (see the
    module's docstring).
    """
    by_name = {t.name: t for t in tools}
    found = []
    for call, tool, argument, value in given_texts(plan, by_name):
        if argument not in text_arguments(tool):
            continue
        names = _names(value, question)
        if names and _means_two(question, value, names, tool, argument):
            found.append((call, argument, names))
    return found


def joined_doubts(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """The joined names of `plan`, one doubt each, for the repair request."""
    return [
        f'{call.id} gives {argument}="{call.kwargs[argument]}", {len(names)} names in one: '
        f"call {call.tool} once for each ({', '.join(repr(n) for n in names)})"
        for call, argument, names in joined_names(plan, question, tools)
    ]


def _names(value: str, question: str) -> tuple[str, ...]:
    """The names `value` joins, each written in `question`; empty when it is not two."""
    parts = tuple(p.strip(" '\"") for p in _JOIN.split(value))
    if len(parts) < 2 or any(not _is_name(p) for p in parts):  # noqa: PLR2004
        return ()
    if not all(_written(p, question) for p in parts):
        return ()
    return parts


def _is_name(part: str) -> bool:
    """Whether `part` can be a name: some word besides the stop words, not a number."""
    words = re.findall(r"[^\W\d_]+", part.lower())
    return bool(words) and not set(words) <= STOP_WORDS


def _written(name: str, question: str) -> bool:
    """Whether `question` writes `name` as words of its own."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", question, re.IGNORECASE) is not None


def _means_two(
    question: str, value: str, names: tuple[str, ...], tool: BaseTool, argument: str
) -> bool:
    """Whether the question says the names are two things, not one name with "and" in it."""
    if len(names) > 2 or re.search(r"\bor\b", value, re.IGNORECASE) or _TWO.search(question):  # noqa: PLR2004
        return True
    kinds = {w for w in content_words(f"{tool.name} {argument}") if not w.endswith("s")}
    one = rf"{re.escape(names[-1])}\s+(?:{'|'.join(map(re.escape, kinds))})\b" if kinds else None
    # "the Brindle and Okeford kiln": the kind in the singular after it names one thing.
    single = one is not None and re.search(one, question, re.IGNORECASE) is not None
    if _TOTAL.search(question) and not single and not _counted(question, names[0]):
        return True
    later = "|".join(re.escape(n) for n in names[1:])
    if re.search(rf"\b(?:and|or)\s+{_AGAIN}\s+(?:{later})(?!\w)", question, re.IGNORECASE):
        return True
    return bool(content_words(question) & {plural for kind in kinds for plural in _plurals(kind)})


def _counted(question: str, name: str) -> bool:
    """Whether `question` asks an amount of `name`: "3 copies of Salt", "two boxes of X"."""
    amount = r"(?:\d[\d,.]*|two|three|four|five|six|seven|eight|nine|ten|a\s+dozen)"
    pattern = rf"\b{amount}\s+(?:[a-z]+\s+){{0,2}}?(?:of\s+)?(?:the\s+)?{re.escape(name)}\b"
    return re.search(pattern, question, re.IGNORECASE) is not None


def _plurals(noun: str) -> set[str]:
    """The plural forms `noun` may take: "theatres", "boxes", "potteries"."""
    forms = {f"{noun}s", f"{noun}es"}
    if noun.endswith("y") and noun[-2:-1] not in set("aeiou"):
        forms.add(f"{noun[:-1]}ies")
    return forms


__all__ = ["joined_doubts", "joined_names"]
