"""Run-time recovery (paper section III-D): recovery points and rewritten calls.

When calls fail, the recovery points are each failed call's closest parents
that share the smallest rank (the failed call itself when it has no parents).
The LLM rewrites each recovery call; only rewritten calls and their
descendants run again, every other finished result is kept.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from langchain_llmorch.agent.tool_kinds import literal_texts
from langchain_llmorch.agent.whole_names import misspells
from langchain_llmorch.errors import MissingExtraError, PlanSyntaxError, UnpicklableCallError
from langchain_llmorch.plan.expressions import Expr, render_expr
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.plan.language import Call, Plan, parse_plan

# How alike a rewritten text must be to the question's to count as the same thing spelled
# right ("Aple" -> "Apple" is 0.89, "ZZZZ" -> "ACME" is 0.0): a fix of form, not of subject.
SAME_SUBJECT = 0.75


def recovery_points(frg: FRG, failed: Iterable[str]) -> list[str]:
    """The calls to rewrite for a set of failed calls, in plan order.

    Example:
        ```python
        # s1 -> s2 -> s4 and s3 -> s4; s4 failed: its parents s2 (rank 2) and s3
        # (rank 1) are its closest parents, and s3 has the smallest rank.
        assert recovery_points(frg, ["s4"]) == ["s3"]
        ```
    """
    points: set[str] = set()
    for call_id in failed:
        parents = frg.parents(call_id)
        if not parents:
            points.add(call_id)
            continue
        lowest = min(frg.rank(p) for p in parents)
        points.update(p for p in parents if frg.rank(p) == lowest)
    return [cid for cid in frg.calls if cid in points]


@dataclass(frozen=True)
class Rewrite:
    """The LLM's answer for one recovery call."""

    original: Call
    call: Call
    """The rewritten call (the original when the LLM returned it unchanged)."""

    @property
    def changed(self) -> bool:
        """True when the call differs from the original."""
        return self.call.render() != self.original.render()


# A tool called with arguments its function does not take: the tool's code is at fault.
_SIGNATURE = re.compile(
    r"unexpected keyword argument|missing \d+ required (?:positional|keyword-only) argument"
    r"|takes \d+ positional arguments? but \d+"
)


def is_programmer_error(err: BaseException) -> bool:
    """Whether a call failed in a way no rewrite of the call can fix.

    A call that cannot be sent to a worker (`UnpicklableCallError`), a tool that needs a
    missing extra, or a tool's own function that does not take the arguments its schema
    accepts: the fix is in the code, so recovery turns would be spent for nothing.

    Example:
        ```python
        from langchain_llmorch.agent.recovery import is_programmer_error

        assert is_programmer_error(TypeError("f() got an unexpected keyword argument 'x'"))
        assert not is_programmer_error(KeyError("ZZZZ"))
        ```
    """
    seen: BaseException | None = err
    for _ in range(3):  # the error, and what it wraps
        if seen is None:
            return False
        if isinstance(seen, UnpicklableCallError | MissingExtraError):
            return True
        if isinstance(seen, TypeError) and _SIGNATURE.search(str(seen)):
            return True
        seen = seen.__cause__
    return False


def plain_args(call: Call) -> dict[str, Any]:
    """A call's arguments as plain values: literals as they are, the rest as plan text."""
    named = {str(i): expr for i, expr in enumerate(call.args)} | dict(call.kwargs)
    return {name: _plain(expr) for name, expr in named.items()}


def _plain(expr: Expr) -> Any:
    if isinstance(expr, str | int | float | bool) or expr is None:
        return expr
    return render_expr(expr)


def replaced_subjects(original: Call, rewritten: Call, question: str) -> list[str]:
    """What a rewrite replaces that the question gave: `'ZZZZ' -> 'ACME'`, one per value.

    A value of the original call that the question writes (a name, a number; a name
    misspelt counts as written) must stay in the rewrite, or be replaced by one alike
    enough to be the same thing spelled or formatted right (`SAME_SUBJECT`): recovery may
    fix how a call is made, not what the user asked about.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.recovery import replaced_subjects

        old, new, fixed = parse_plan(
            's1: price(ticker="ZZZZ")\\ns1: price(ticker="ACME")\\ns1: price(ticker="zzzz")'
        ).calls
        assert replaced_subjects(old, new, "Price of ACME and ZZZZ?") == ["'ZZZZ' -> 'ACME'"]
        assert replaced_subjects(old, fixed, "Price of ACME and ZZZZ?") == []
        ```
    """
    asked = question.lower()
    before, after = plain_args(original), plain_args(rewritten)
    new_values = list(after.values())
    replaced = []
    for name, value in before.items():
        if not _given(value, asked) or after.get(name) == value or value in new_values:
            continue
        if isinstance(value, str) and any(_alike(value, v) for v in new_values):
            continue
        new = after.get(name)
        replaced.append(f"{value!r} -> {new!r}" if name in after else f"{value!r} dropped")
    return replaced


def _given(value: Any, question: str) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        text = value.strip().lower()
        return len(text) > 1 and (text in question or _misspelt(text, question))
    if isinstance(value, int | float):
        return str(value) in question
    return False


def _misspelt(text: str, question: str) -> bool:
    """Whether `text` is a run of as many words of `question` misspelt (`misspells`).

    "Ferrrow Ridge", a misspelling of the question's "Ferrow Ridge", was given by the
    question: its rewrite must keep the subject ("Caldwick" is another).
    """
    words = re.findall(r"[\w'-]+", question)
    n = len(text.split())
    return any(misspells(text, " ".join(words[i : i + n])) for i in range(len(words) - n + 1))


def _alike(old: str, new: Any) -> bool:
    if not isinstance(new, str):
        return False
    a, b = old.strip().lower(), new.strip().lower()
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= SAME_SUBJECT


# "Gullhaven's", "Dunmore Leys's herd": a name with a possessive, maybe a noun after it.
_POSSESSED = re.compile(r"^(?P<name>.+?)['\u2019]s?(?:\s+[a-z][\w\s-]*)?$", re.IGNORECASE)


def without_possessive(original: Call, question: str) -> Rewrite | None:
    """`original` with each name written with the question's possessive given bare, or None.

    "Whose beam reaches further, Gullhaven's or Ostreby's?" planned as
    `light_range(lighthouse="Gullhaven's")`: the tool knows Gullhaven, the call failed,
    and the model's recovery wrote it again. A failed call's text argument that is a
    name the question writes with "'s" or "'" ("Dunmore Leys'"), maybe with a noun
    after it ("Dunmore Leys's herd"), is given the name alone, without asking the model.
    A name whose "'s" is its own ("McDonald's") is left as it is where its call works.

    Example:
        ```python
        from langchain_llmorch.agent.recovery import without_possessive
        from langchain_llmorch.plan.language import Call

        call = Call("s1", "herd", kwargs={"farm": "Dunmore Leys's herd"})
        rewrite = without_possessive(call, "Does Hollinsby's herd outnumber Dunmore Leys'?")
        assert rewrite is not None and rewrite.call.kwargs == {"farm": "Dunmore Leys"}
        assert without_possessive(call, "How big is the herd at Dunmore Leys?") is None
        ```
    """

    def bare(text: str) -> str | None:
        found = _POSSESSED.match(text)
        if found is None:
            return None
        name = found.group("name").strip()
        said = re.search(rf"(?<![\w]){re.escape(name)}['\u2019]", question, re.IGNORECASE)
        return name if said else None

    return _texts_rewritten(original, bare)


def without_opening_word(original: Call, question: str) -> Rewrite | None:
    """`original` with a name that took the question's opening word given without it.

    "Stack Marrock Point's tower on top of Skellan Head's: how high would that reach?"
    planned as `tower_height(lighthouse="Stack Marrock Point")`: the verb that opens the
    sentence is no part of the name, and the call failed. A failed call's text argument
    that starts with the word opening a sentence of the question, where the question
    writes it so, is given without that word, without asking the model (its own call
    failed; a name whose first word it is works and is never rewritten).

    Example:
        ```python
        from langchain_llmorch.agent.recovery import without_opening_word
        from langchain_llmorch.plan.language import Call

        call = Call("s1", "height", kwargs={"lighthouse": "Stack Marrock Point"})
        question = "Stack Marrock Point's tower on Skellan Head's: how high is that?"
        rewrite = without_opening_word(call, question)
        assert rewrite is not None and rewrite.call.kwargs == {"lighthouse": "Marrock Point"}
        assert without_opening_word(call, "How high is Stack Marrock Point?") is None
        ```
    """

    def without_first(text: str) -> str | None:
        if len(text.split()) < 2:  # noqa: PLR2004 - a word must be left
            return None
        first, rest = text.split(maxsplit=1)
        opening = rf"(?:^|[.!?:]\s+){re.escape(first)}\s+{re.escape(rest)}\b"
        return rest if re.search(opening, question) else None

    return _texts_rewritten(original, without_first)


def _texts_rewritten(original: Call, fix: Callable[[str], str | None]) -> Rewrite | None:
    """`original` with each plain-text argument `fix` gives a new value (stripped), or None."""
    kwargs = dict(original.kwargs)
    for argument, text in literal_texts(original):
        new = fix(text)
        if new is not None:
            kwargs[argument] = new
    if kwargs == dict(original.kwargs):
        return None
    return Rewrite(original=original, call=replace(original, kwargs=kwargs))


def parse_rewrite(original: Call, reply: str) -> Rewrite:
    """Read the rewritten call for `original` out of the LLM's reply.

    Raises:
        PlanSyntaxError: when the reply holds no parsable call with the same id.
    """
    candidates = [
        line for line in reply.splitlines() if line.strip().startswith(f"{original.id}:")
    ] or [line for line in reply.splitlines() if line.strip()]
    for line in candidates:
        try:
            plan = parse_plan(line)
        except PlanSyntaxError:
            continue
        call = plan.calls[0]
        rewritten = Call(
            id=original.id,
            tool=call.tool,
            args=call.args,
            kwargs=call.kwargs,
            thought=original.thought,
            line=original.line,
            source=call.source,
        )
        return Rewrite(original=original, call=rewritten)
    msg = f"expected one line `{original.id}: tool(...)` rewriting the call, got {reply[:200]!r}"
    raise PlanSyntaxError(msg)


def apply_rewrites(
    plan: Plan, frg: FRG, rewrites: Iterable[Rewrite], results: Mapping[str, Any]
) -> tuple[Plan, dict[str, Any]]:
    """The plan with rewritten calls, and the results that stay valid.

    A changed recovery call loses its result, and so does every call that
    depends on it; an unchanged one keeps its result.
    """
    replaced = {r.call.id: r.call for r in rewrites}
    changed = [r.call.id for r in rewrites if r.changed]
    stale = set(changed) | frg.descendants(changed)
    new_plan = Plan(
        calls=tuple(replaced.get(c.id, c) for c in plan.calls),
        source="",
    )
    kept = {k: v for k, v in results.items() if k not in stale}
    return Plan(calls=new_plan.calls, source=new_plan.render()), kept
