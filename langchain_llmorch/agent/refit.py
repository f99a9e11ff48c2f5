"""Plans put right without the model: what `agent.tool_fit` finds, rewritten.

Sent back with a doubt stated, the 0.5B model wrote the same plan again (7 of 7
questions with a tool fed its own result, a skipped look-up or a name given to the wrong
tool), and a repair request costs seconds. `refitted` rewrites such a plan itself; the
plan checks (`agent.checks.doubted`) run it before asking the model for a repair.

Example:
    ```python
    from langchain_llmorch import inout, parse_plan
    from langchain_llmorch.agent.refit import refitted

    @inout
    def item_weight(item: str) -> float:
        \"\"\"Look up how much one item weighs.\"\"\"
        return 7.8

    @inout
    def shipping_rate(carrier: str) -> float:
        \"\"\"What a carrier charges to ship one kilogram.\"\"\"
        return 1.9

    plan = parse_plan('s1: shipping_rate(carrier="chair")')
    fixed = refitted(plan, "What does a chair weigh?", [item_weight, shipping_rate])
    assert fixed.render() == 's1: item_weight(item="chair")'
    ```
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.amount_fit import (
    counted_names,
    miscounted,
    unit_names,
    with_spanned_days,
    wrong_units,
)
from langchain_llmorch.agent.joined_names import joined_names
from langchain_llmorch.agent.passed_on import with_names_kept
from langchain_llmorch.agent.per_unit import with_divisors
from langchain_llmorch.agent.tool_fit import (
    lookups,
    misfits,
    result_kind,
    self_fed,
    text_arguments,
)
from langchain_llmorch.agent.tool_kinds import required_arguments, tool_calls
from langchain_llmorch.agent.unasked import unasked_calls
from langchain_llmorch.agent.words import content_words, shared_words, tool_words, word_forms
from langchain_llmorch.plan.expressions import (
    BinOp,
    DictExpr,
    Expr,
    ListExpr,
    Neg,
    Ref,
    Template,
    iter_refs,
)
from langchain_llmorch.plan.language import Call, Plan, parse_plan
from langchain_llmorch.tools import BUILTIN_TOOLS


def refitted(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with what `agent.tool_fit` doubts put right, or None when nothing could be.

    Sent back with the doubt stated, the 0.5B model wrote the same plan again (7 of 7
    questions), so what can be put right without the model is:

    - a call given two names as one (`play="Night Harbour and Willowgate"`, where the
      question means two plays) is made one call per name, when no call uses its result
      (`agent.joined_names`);
    - a look-up's result passed on where the name it looked up belongs (the director's
      name as the play whose minutes are asked) is replaced by that name
      (`agent.passed_on`);
    - a call fed its own tool's result where that result fits (a name) is given to the
      tool that takes such a name instead, when exactly one does (`_onward`);
    - a call fed its own tool's result that no later call uses is dropped, when that
      result cannot be the argument (a number for a text, or a text for a number);
    - an amount written into a name (`"15 gallons"`) is taken out (`"gallons"`);
    - a call given only a unit the question uses for an amount (`model="km"` for "a 250
      km drive") is dropped, when no call uses its result and others stay;
    - a call given an amount of what another call's tool counts, not its own ("4 adults"
      as `bags=4` beside a fare for one adult), is dropped, when no call uses its result;
    - two calls of a compared pair by two tools go to the one whose words share more of
      the question's (`_one_measure`);
    - a skipped look-up is added: the name goes to the look-up tool's first text argument
      (when that is its only required one), and its result to the call; a look-up in the
      plan whose result the call was not given (the name was) gives it;
    - a name asked about with another tool's words goes to that tool instead, with the
      call's other arguments that tool takes (by name; else the one left, of its kind),
      when they give every argument it needs;
    - a call whose tool gives nothing a one-part question asks, beside one whose tool
      does, is dropped, when no call uses its result (`agent.unasked`);
    - a question asked "per X" of a plan whose one call counts no X gets the call of the
      one tool that counts X, for the same names (`agent.per_unit`);
    - a days argument not given the span the question says ("for a fortnight" as
      `days=1`) is given it (`amount_fit.unspanned_days`);
    - an amount the question writes in another unit than the one its argument (or the
      tool's description) names is converted ("90 minutes" as `hours=90`: `hours=1.5`).

    Example:
        ```python
        from langchain_llmorch import inout, parse_plan
        from langchain_llmorch.agent.refit import refitted

        @inout
        def airport_code(city: str) -> str:
            \"\"\"The three-letter code of a city's main airport.\"\"\"
            return "DEN"

        @inout
        def runway(code: str) -> int:
            \"\"\"The longest runway of an airport, by its code.\"\"\"
            return 4877

        plan = parse_plan('s1: runway(code="Denver")\\ns2: runway(code=s1)')
        fixed = refitted(plan, "The runway of the airport of Denver?", [airport_code, runway])
        assert fixed.render() == 's1: airport_code(city="Denver")\\ns2: runway(code=s1)'
        ```
    """
    steps = (
        _split_names,
        _names_kept,
        _onward,
        _without_self_fed,
        _without_counts,
        _without_unit_names,
        _without_miscounted,
        _with_lookups,
        _refitted_misfits,
        _one_measure,
        _without_unasked,
        with_divisors,
        _spanned,
        _in_argument_units,
    )
    current, changed = plan, False
    for step in steps:
        fixed = step(current, question, tools)
        if fixed is not None:
            current, changed = fixed, True
    return current if changed else None


def _split_names(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with a call given two names as one made one call per name, or None.

    Only a call whose result no call uses: which name's result a later call wants is
    the model's to say.
    """
    referred = {ref for call in plan.calls for ref in call.references()}
    calls = list(plan.calls)
    changed = False
    for call, argument, names in joined_names(plan, question, tools):
        if call.id in referred:
            continue
        at = _at(calls, call.id)
        calls[at : at + 1] = [
            replace(
                call,
                id=call.id if i == 0 else f"_{call.id}_{i}",
                kwargs={**call.kwargs, argument: name},
            )
            for i, name in enumerate(names)
        ]
        changed = True
    return _renumbered(calls) if changed else None


def _without_self_fed(plan: Plan, _question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` without the calls fed their own tool's result that no call uses, or None.

    Only where the result cannot be the argument: a number given as a text
    (`runway_length(code=s1)`, its result metres) or a text as a number. A tool whose
    result fits its own argument (`next_prime(n=s1)`) may be meant to run twice.
    """
    by_name = {t.name: t for t in tools}
    referred = {ref for call in plan.calls for ref in call.references()}
    dropped = {
        call.id
        for call, ref in self_fed(plan)
        if call.id not in referred and call.tool in by_name and _misfed(call, ref, by_name)
    }
    return _renumbered([c for c in plan.calls if c.id not in dropped]) if dropped else None


def _spanned(plan: Plan, question: str, _tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with a days argument given the span the question says ("a fortnight": 14)."""
    return with_spanned_days(plan, question)


def _names_kept(plan: Plan, _question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with a look-up's result passed on where its name belongs given the name."""
    return with_names_kept(plan, tools)


def _onward(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with a call fed its own tool's name result given to the tool that takes it.

    `s2: resort_operator(resort=s1)` after `s1: resort_operator(resort="Kelderpeak")`:
    the company's name fits the text argument, but a company is no resort. The tool to
    call with it is the one other tool whose only required argument is a text named by a
    word of the first tool's description ("returns the company's name": `company`), and
    that shares a word with the question. Sent back instead, the 0.5B model swapped both
    calls for a count and answered it as the company's.
    """
    asked = content_words(question)
    calls = list(plan.calls)
    changed = False
    for call, ref in self_fed(plan):
        own = next((t for t in tools if t.name == call.tool), None)
        if own is None or result_kind(own) != "text":
            continue
        gives = tool_words(own, arguments=False)
        onward = []
        for tool in tools:
            required = required_arguments(tool)
            if tool.name in {own.name, *BUILTIN_TOOLS} or len(required) != 1:
                continue
            (argument,) = required
            named = argument in text_arguments(tool) and shared_words({argument}, gives)
            if named and shared_words(asked, tool_words(tool, arguments=False) - gives):
                onward.append((tool, argument))
        if len(onward) != 1:
            continue
        (tool, argument), at = onward[0], _at(calls, call.id)
        calls[at] = Call(call.id, tool.name, kwargs={argument: Ref(ref)})
        changed = True
    return _renumbered(calls) if changed else None


def _misfed(call: Call, ref: str, tools: Mapping[str, BaseTool]) -> bool:
    """Whether `call` gets the result of `ref` (its own tool's) where it cannot fit."""
    tool = tools[call.tool]
    result = result_kind(tool)
    for name, expr in call.kwargs.items():
        if ref not in {r.id for r in iter_refs(expr)}:
            continue
        kind = tool.args.get(name, {}).get("type")
        if (result == "number" and kind == "string") or (
            result == "text" and kind in {"integer", "number"}
        ):
            return True
    return False


def _without_counts(plan: Plan, question: str, _tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with each amount written into a name taken out (`"15 gallons"`), or None."""
    calls = list(plan.calls)
    found = counted_names(plan, question)
    for call, argument, name in found:
        at = _at(calls, call.id)
        calls[at] = replace(calls[at], kwargs={**calls[at].kwargs, argument: name})
    return _renumbered(calls) if found else None


def _without_unit_names(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` without the calls given only a unit as a name (`unit_names`), or None."""
    dropped = {call.id for call, _ in unit_names(plan, question, tools)}
    return _renumbered([c for c in plan.calls if c.id not in dropped]) if dropped else None


def _without_miscounted(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` without the calls given an amount of what they do not count, or None."""
    dropped = {call.id for call, _, _ in miscounted(plan, question, tools)}
    return _renumbered([c for c in plan.calls if c.id not in dropped]) if dropped else None


def _with_lookups(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with each skipped look-up added before the call it feeds, or None."""
    calls = list(plan.calls)
    changed = False
    for found in lookups(plan, question, tools):
        at = _at(calls, found.call.id)
        if found.done is not None:  # looked up, but the name passed instead of the result
            kwargs = {**calls[at].kwargs, found.argument: Ref(found.done)}
            calls[at] = replace(calls[at], kwargs=kwargs)
            changed = True
            continue
        required = required_arguments(found.tool)
        if len(required) != 1 or required[0] not in text_arguments(found.tool):
            continue
        look = Call(f"_{found.call.id}", found.tool.name, kwargs={required[0]: found.value})
        kwargs = {**calls[at].kwargs, found.argument: Ref(look.id)}
        calls[at : at + 1] = [look, replace(calls[at], kwargs=kwargs)]
        changed = True
    return _renumbered(calls) if changed else None


def _refitted_misfits(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with each name asked about with another tool's words given to it, or None."""
    calls = list(plan.calls)
    changed = False
    for found in misfits(plan, question, tools):
        kwargs = _moved(found.call, found.argument, found.value, found.tool)
        if kwargs is None:
            continue
        at = _at(calls, found.call.id)
        calls[at] = Call(found.call.id, found.tool.name, kwargs=kwargs)
        changed = True
    return _renumbered(calls) if changed else None


def _without_unasked(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` without the calls a one-part question asks nothing of, or None."""
    dropped = {call.id for call in unasked_calls(plan, question, tools)}
    return _renumbered([c for c in plan.calls if c.id not in dropped]) if dropped else None


def _moved(call: Call, argument: str, value: str, tool: BaseTool) -> dict[str, Expr] | None:
    """The arguments of `tool` for `call`'s name `value` (its `argument`), or None.

    The name goes to `tool`'s text argument of the same name, else to its only required
    text argument; each other argument `tool` needs is kept from `call` by its name, else
    (one left on each side, of one kind: a text or not) the one `call` has left. Arguments
    `tool` does not take are dropped; one it needs that `call` cannot give: None.
    """
    texts = text_arguments(tool)
    required = required_arguments(tool)
    if argument in texts:
        target = argument
    else:
        needed = [n for n in required if n in texts]
        if len(needed) != 1:
            return None
        target = needed[0]
    kwargs: dict[str, Expr] = {target: value}
    rest = {n: e for n, e in call.kwargs.items() if n != argument}
    kwargs |= {n: e for n, e in rest.items() if n in tool.args and n != target}
    missing = [n for n in required if n not in kwargs]
    left = [n for n in rest if n not in kwargs]
    if len(missing) == 1 and len(left) == 1:
        (need,), (have,) = missing, left
        if (need in texts) is isinstance(rest[have], str):
            kwargs[need] = rest[have]
            missing = []
    if missing:
        return None
    order = list(tool.args)
    return dict(sorted(kwargs.items(), key=lambda item: order.index(item[0])))


def _in_argument_units(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with each amount the question writes in one unit given in its argument's, or None."""
    calls = list(plan.calls)
    found = wrong_units(plan, question, tools)
    for call, argument, value in found:
        at = _at(calls, call.id)
        calls[at] = replace(calls[at], kwargs={**calls[at].kwargs, argument: value})
    return _renumbered(calls) if found else None


# A question that sets two things against each other: "than", "or", "vs", "compared".
_SET_AGAINST = re.compile(r"\b(?:than|or|vs|versus|compared?|between)\b", re.IGNORECASE)


def _one_measure(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with a compared pair looked up by one tool, or None.

    "How much more does a kilo of Harrow Hill apples cost than Quillby's?" planned as
    `orchard_trees(orchard="Harrow Hill")` and `apple_price(orchard="Quillby")`: two
    things set against each other are measured alike. Where the plan is two calls, each
    given one name for the same argument and nothing else, by two tools, and the question
    sets them against each other ("than", "or", "vs"), both go to the tool whose words
    share more of the question's (none where they share as many).
    """
    calls = tool_calls(plan)
    by_name = {t.name: t for t in tools}
    if len(calls) != 2 or len(plan.calls) != 2 or not _SET_AGAINST.search(question):  # noqa: PLR2004
        return None
    first, second = calls
    if first.tool == second.tool or first.tool not in by_name or second.tool not in by_name:
        return None
    if list(first.kwargs) != list(second.kwargs) or len(first.kwargs) != 1 or first.args:
        return None
    if any(not isinstance(v, str) for c in calls for v in c.kwargs.values()):
        return None
    given = {w for c in calls for v in c.kwargs.values() for w in content_words(str(v))}
    asked = {w: f for w, f in word_forms(question).items() if w not in given}

    def shared(tool: str) -> int:
        words = tool_words(by_name[tool], arguments=False)
        return sum(1 for forms in asked.values() if shared_words(forms, words))

    one, other = shared(first.tool), shared(second.tool)
    if one == other:
        return None
    tool = first.tool if one > other else second.tool
    return _renumbered([replace(c, tool=tool) for c in calls])


def _at(calls: Sequence[Call], call_id: str) -> int:
    """Where the call `call_id` stands in `calls`."""
    return next(i for i, c in enumerate(calls) if c.id == call_id)


def _renumbered(calls: Sequence[Call]) -> Plan:
    """A plan of `calls` with ids s1, s2, ... in order, references renamed to match."""
    names = {call.id: f"s{i}" for i, call in enumerate(calls, start=1)}
    lines = []
    for call in calls:
        kwargs = {k: _renamed(v, names) for k, v in call.kwargs.items()}
        args = tuple(_renamed(a, names) for a in call.args)
        lines.append(Call(names[call.id], call.tool, args, kwargs).render())
    return parse_plan("\n".join(lines))


def _renamed(expr: Expr, names: Mapping[str, str]) -> Expr:
    """`expr` with each reference's id renamed by `names`."""
    if isinstance(expr, Ref):
        return Ref(names.get(expr.id, expr.id))
    if isinstance(expr, Template):
        parts = expr.parts
        return Template(
            tuple(Ref(names.get(p.id, p.id)) if isinstance(p, Ref) else p for p in parts)
        )
    if isinstance(expr, BinOp):
        return BinOp(expr.op, _renamed(expr.left, names), _renamed(expr.right, names))
    if isinstance(expr, Neg):
        return Neg(_renamed(expr.operand, names))
    if isinstance(expr, ListExpr):
        return ListExpr(tuple(_renamed(item, names) for item in expr.items))
    if isinstance(expr, DictExpr):
        return DictExpr(tuple((k, _renamed(v, names)) for k, v in expr.items))
    return expr


__all__ = ["refitted"]
