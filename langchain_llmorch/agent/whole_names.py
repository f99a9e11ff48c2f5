"""Names the plan cuts short: `whole_names`.

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
from dataclasses import replace

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.tool_kinds import literal_texts, possessed
from langchain_llmorch.agent.words import STOP_WORDS, content_words, shared_words, tool_words
from langchain_llmorch.plan.language import Plan, parse_plan

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
    calls = list(plan.calls)
    changed = False
    for at, call in enumerate(calls):
        kwargs = dict(call.kwargs)
        for argument, value in literal_texts(call):
            whole = _whole(value.strip(), names, question)
            if whole is not None:
                kwargs[argument] = whole
        if kwargs != dict(call.kwargs):
            calls[at] = replace(call, kwargs=kwargs)
            changed = True
    if not changed:
        return None
    return parse_plan("\n".join(call.render() for call in calls))


def _whole(value: str, names: list[str], question: str) -> str | None:
    """The one longer name of `names` holding `value`, if the question writes it only there."""
    if not value:
        return None
    part = re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])", re.IGNORECASE)
    holding = [name for name in names if part.search(name) and len(name) > len(value)]
    if len(holding) != 1:
        return None
    (name,) = holding
    inside = question.count(name) * len(part.findall(name))
    return name if len(part.findall(question)) <= inside else None


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
    calls = list(plan.calls)
    called = [by_name[c.tool] for c in calls if c.tool in by_name]
    changed = False
    for at, call in enumerate(calls):
        tool = by_name.get(call.tool)
        if tool is None:
            continue
        kwargs = dict(call.kwargs)
        for argument, value in literal_texts(call):
            owned = possessed(value, question)
            if owned is None:
                continue
            what = content_words(owned[1])
            if what and any(what <= shared_words(what, tool_words(t)) for t in called):
                kwargs[argument] = owned[0]
        if kwargs != dict(call.kwargs):
            calls[at] = replace(call, kwargs=kwargs)
            changed = True
    return parse_plan("\n".join(c.render() for c in calls)) if changed else None


def names_put_right(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan:
    """`plan` with its names cut short made whole, then "V's W" given as V; or `plan`."""
    whole = whole_names(plan, question) or plan  # "Ashby": Port Ashby
    return bare_names(whole, question, tools) or whole  # "Wenlow's shaft": Wenlow


__all__ = ["bare_names", "names_put_right", "whole_names"]
