"""Reading a plan out of a model's reply: text (fenced or not, said twice) or structured.

The planner's, the repair's and the recovery's replies all come through here, so what
counts as "the plan inside a reply" is decided in one place, beside the plan language.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_llmorch.plan.schema import structured_plan_text

END_OF_PLAN = "<END_OF_PLAN>"
"""The line that ends a text plan; the planner stops generating there."""

_FENCE = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.DOTALL)


_MAX_SAME_CALL = 8
# Identical calls are legitimate (six runs of one benchmark, say); a small model looping on one
# call writes dozens. Eight keeps real plans whole and still stops a loop early.
_CALL_ID = re.compile(r"^\s*(s\d+|\d+)\s*[.:)]")
_STEP = re.compile(r"^\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*:(?!=)|\d+\s*[.:)]|Thought\s*:)")


def extract_plan_text(reply: str) -> str:
    """The plan inside a reply: the first fenced block when there is one, read once.

    Prose before the first step and after the last one ("Here is the plan:") is
    dropped; prose between steps stays, so the parser reports it. The plan ends at
    `END_OF_PLAN`, and a plan written twice (small models repeat themselves) is read
    once: the text stops where an id comes back, or one call comes a ninth time.
    """
    match = _FENCE.search(reply)
    lines = (match.group(1) if match else reply).strip().splitlines()
    ids: set[str] = set()
    bodies: Counter[str] = Counter()
    for i, line in enumerate(lines):
        if line.strip() == END_OF_PLAN:
            lines = lines[:i]
            break
        call = _CALL_ID.match(line)
        if call:
            body = line[call.end() :].strip()
            # A ninth identical call is a model repeating itself, not a plan.
            if call.group(1) in ids or bodies[body] >= _MAX_SAME_CALL:
                lines = lines[:i]
                break
            ids.add(call.group(1))
            bodies[body] += 1
    steps = [i for i, line in enumerate(lines) if _STEP.match(line)]
    if not steps:
        return "\n".join(lines).strip()
    return "\n".join(lines[steps[0] : steps[-1] + 1]).strip()


def plan_text_of(reply: Any) -> str:
    """The plan text of a model's reply: a message, a string, or a structured plan.

    Example:
        ```python
        from langchain_core.messages import AIMessage
        from langchain_llmorch.plan.replies import plan_text_of

        reply = AIMessage("Here is the plan:\\ns1: f(x=1)\\n<END_OF_PLAN>\\nThat is all.")
        assert plan_text_of(reply) == "s1: f(x=1)"
        structured = {"steps": [{"id": "s1", "tool": "f", "args": {"x": 1}}]}
        assert plan_text_of(structured) == "s1: f(x=1)"
        ```
    """
    if isinstance(reply, str):
        return reply
    if isinstance(reply, BaseMessage):
        return extract_plan_text(reply.text)
    return structured_plan_text(reply)


__all__ = ["END_OF_PLAN", "extract_plan_text", "plan_text_of"]
