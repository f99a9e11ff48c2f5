"""Put-right edits of an answer's text (`spliced`) and of a plan's arguments (`with_texts`).

The answer checks put a claim right in place ("$145" as "145 euros", "410 + 96 = 410" as
"... = 506", "3120 meters higher" as "355 meters higher", "per ticket" as "for 5 tickets"):
each finds the spans to replace in the text as it was, and `spliced` writes them all.

Example:
    ```python
    from langchain_llmorch.agent.edits import spliced

    assert spliced("a 24-pound dog, $145", [(2, 4, "11"), (16, 20, "145 euros")]) == (
        "a 11-pound dog, 145 euros"
    )
    ```
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from langchain_llmorch.agent.tool_kinds import literal_texts
from langchain_llmorch.plan.expressions import Expr
from langchain_llmorch.plan.language import Call, Plan, parse_plan


def spliced(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, replacement) written in, spans as in `text` itself.

    The spans must not overlap; they are written from the last to the first, so each
    one's place is still where it was found.
    """
    out = text
    for start, end, replacement in sorted(edits, key=lambda edit: -edit[0]):
        out = f"{out[:start]}{replacement}{out[end:]}"
    return out


def with_arguments(plan: Plan, changes: Iterable[tuple[str, str, Expr]]) -> Plan:
    """`plan` with each (call id, argument, value) of `changes` given; the rest as it was.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.edits import with_arguments

        plan = parse_plan('s1: fee(marina="Ashby", nights=1)')
        assert with_arguments(plan, [("s1", "nights", 14)]).render() == (
            's1: fee(marina="Ashby", nights=14)'
        )
        ```
    """
    by_id = {call.id: call for call in plan.calls}
    given: dict[str, dict[str, Expr]] = {}
    for call_id, argument, value in changes:
        given.setdefault(call_id, dict(by_id[call_id].kwargs))[argument] = value
    calls = [replace(c, kwargs=given[c.id]) if c.id in given else c for c in plan.calls]
    return parse_plan("\n".join(c.render() for c in calls))


def with_texts(plan: Plan, fix: Callable[[Call, str, str], str | None]) -> Plan | None:
    """`plan` with each plain-text argument `fix(call, argument, text)` rewrites, or None.

    `fix` gets each text stripped, and returns its new value or None to keep it.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.edits import with_texts

        plan = parse_plan('s1: fee(marina="ashby")')
        assert with_texts(plan, lambda call, argument, text: text.title()).render() == (
            's1: fee(marina="Ashby")'
        )
        assert with_texts(plan, lambda call, argument, text: None) is None
        ```
    """
    changes = [
        (call.id, argument, new)
        for call in plan.calls
        for argument, text in literal_texts(call)
        if (new := fix(call, argument, text)) is not None and new != text
    ]
    return with_arguments(plan, changes) if changes else None


__all__ = ["spliced", "with_arguments", "with_texts"]
