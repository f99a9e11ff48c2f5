"""Planner, repair, recovery and joiner prompts, with few-shot examples made from the tools.

The paper found few-shot examples far more reliable than a grammar (over 85%
valid plans against under 20%), so every prompt that asks for a plan shows
examples. Small models copy what the examples show, tool names included, so the
examples are written with the agent's own tools and argument shapes, never with
tools it lacks; a text plan ends with `END_OF_PLAN`, where generation stops.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool

from langchain_llmorch.agent.tool_fit import returns_text
from langchain_llmorch.agent.transcript import conversation
from langchain_llmorch.plan.language import result_text
from langchain_llmorch.plan.replies import END_OF_PLAN
from langchain_llmorch.tools import SELF_TOOL

TOOLS_HEADER = "Tools you can call:"
REPAIR_HEAD = "This plan has an error:"
"""How a repair request starts (its text quotes the faulty plan: not the user's words)."""


PLAN_RULES = f"""\
Write a plan: one tool call per line, exactly in this form:
s1: tool_name(argument_name=value, ...)
- Call only the tools listed above, with their argument names.
- Copy the numbers and names from the question exactly.
- Give every call a new id: s1, s2, s3, ... in order.
- Values are numbers, "strings", [lists] or {{"dicts"}}.
- Use the result of an earlier call by its id: `text=s1` passes the result itself,
  and "{{s1}}" inside a string puts the result's text there. Never refer to the
  call's own id or to a later one.
- Calls that do not depend on each other run at the same time: do not chain them.
- self(prompt="...") asks you, the assistant, to work on results. End with a self
  call that words the final answer from the results it needs.
- Write the plan once, then the line {END_OF_PLAN} and nothing else."""

GRAMMAR_PLAN_RULES = f"""\
Write a plan: one tool call per line, exactly in this form:
s1: tool_name(argument_name=value, ...)
- Call only the tools the question needs, with the numbers and names it gives, copied
  exactly.
- Give every call a new id: s1, s2, s3, ... in order.
- To pass an earlier call's result, write its id: `argument_name=s1`.
- Calls that do not depend on each other run at the same time: do not chain them.
- The answer is worded from the results afterwards: write only the calls, then the line
  {END_OF_PLAN}."""
"""The text plan rules under a grammar (`local.grammar`): no closing `self` step is asked
for (the joiner words the answer anyway; the step cost some 20 generated tokens), and the
form of each line is the grammar's to enforce."""

STRUCTURED_RULES = """\
Answer with a JSON plan: a list of steps, each one tool call with a new id (s1, s2, ...).
Call only the tools the question needs, with the numbers and names it gives, copied
exactly. Refer to an earlier step's result as "{s1}". Steps that do not need each other's
results run at the same time. The answer is worded from the results afterwards."""
"""The structured planner's rules. No closing `self` step is asked for: the joiner words
the answer anyway, and the step cost the 0.5B model some 25 generated tokens a plan."""

EXAMPLE_ANSWER_PROMPT = "Answer the question from {s1} and {s2}"
"""The examples' last step. A plan that copies it asks for nothing the joiner does not do
anyway, so the joiner leaves it out (a small model echoed it into its answer)."""

# Example argument values: two of each type, unlike any question's own values.
_SAMPLES: dict[str, tuple[Any, Any]] = {
    "integer": (7, 12),
    "number": (2.5, 4.0),
    "boolean": (True, False),
    "array": ([1, 2], [3, 4]),
}


def _sample(name: str, spec: Mapping[str, Any], which: int) -> Any:
    kind = str(spec.get("type") or "string")
    if kind in _SAMPLES:
        return _SAMPLES[kind][which]
    return ("first", "second")[which] + " " + name.replace("_", " ")


def _first_argument(tool: BaseTool) -> tuple[str, Mapping[str, Any]] | None:
    required = [(n, s) for n, s in tool.args.items() if "default" not in s]
    return required[0] if required else None


_Step = tuple[str, str, dict[str, Any]]


def _call(call_id: str, tool: BaseTool, which: int) -> _Step:
    args = {
        name: _sample(name, spec, which)
        for name, spec in tool.args.items()
        if "default" not in spec
    }
    return (call_id, tool.name, args)


def _render(step: _Step) -> str:
    call_id, tool, args = step
    return f"{call_id}: {tool}({', '.join(f'{k}={json.dumps(v)}' for k, v in args.items())})"


# Examples per tool: a small model copies the example nearest its question, so every tool
# gets its own (a single example pulled every question towards its tool). Six at most, and
# one more that mixes two tools (without it, "the price of X and the steps of 871" became
# two price look-ups).
_MAX_EXAMPLES = 6


def _chain_case(own: Sequence[BaseTool]) -> tuple[str, list[_Step]] | None:
    """A two-step chain: a tool that returns a text, its result the next tool's argument.

    Only a pair that fits is shown: the second tool's first argument is a text, and its
    name is a word of the first tool's description (`moon_planet`: "returns the planet's
    name" feeds `planet_gravity(planet=...)`).
    """
    for first in own:
        if not returns_text(first):
            continue
        words = set(re.findall(r"[a-z]+", (first.description or "").lower()))
        for second in own:
            target = _first_argument(second)
            if second is first or target is None or target[1].get("type") != "string":
                continue
            if target[0].lower() not in words:
                continue
            one = _question_value(first, 0)
            question = f"What does {second.name} give for the result of {first.name} for {one}?"
            call = _call("s1", first, 0)
            chained = ("s2", second.name, {**_call("s2", second, 0)[2], target[0]: "{s1}"})
            return question, [call, chained]
    return None


def _example_cases(
    tools: Sequence[BaseTool], *, answer_step: bool = True
) -> list[tuple[str, list[_Step]]]:
    """(question, plan steps) pairs that use only `tools`.

    Two parallel calls of each tool, a chain when one tool's text result can be another's
    argument, then one call each of two tools. `answer_step`: end each with a `self` step.
    """
    own = [t for t in tools if t.name != SELF_TOOL and _first_argument(t) is not None]
    cases: list[tuple[str, list[_Step]]] = []
    for tool in own[:_MAX_EXAMPLES]:
        one, two = (_question_value(tool, i) for i in (0, 1))
        question = f"What does {tool.name} give for {one} and for {two}?"
        cases.append((question, [_call("s1", tool, 0), _call("s2", tool, 1)]))
    chain = _chain_case(own)
    if chain is not None:
        cases.append(chain)
    if len(own) > 1:  # and one that mixes two tools, so a mixed question stays mixed
        first, second = own[min(len(own), _MAX_EXAMPLES) - 1], own[0]
        one = _question_value(first, 1)
        two = _question_value(second, 0)
        question = f"What does {first.name} give for {one}, and {second.name} for {two}?"
        cases.append((question, [_call("s1", first, 1), _call("s2", second, 0)]))
    if answer_step:
        for _, steps in cases:
            refs = " and ".join(f"{{{step[0]}}}" for step in steps)
            prompt = EXAMPLE_ANSWER_PROMPT.split("{", 1)[0] + refs
            steps.append((f"s{len(steps) + 1}", SELF_TOOL, {"prompt": prompt}))
    return cases


def _question_value(tool: BaseTool, which: int) -> str:
    """`arg value` of a tool's first required argument, as an example question says it."""
    arg, spec = _first_argument(tool) or ("", {})
    return f"{arg} {json.dumps(_sample(arg, spec, which))}"


def example_plans(
    tools: Sequence[BaseTool], *, structured: bool = False, answer_step: bool = True
) -> str:
    """Few-shot examples built from the agent's own tools and argument shapes.

    Example:
        ```python
        print(example_plans([steering_angle]))
        # Example 1
        # Question: What does steering_angle give for scene 7 and for scene 12?
        # Plan:
        # s1: steering_angle(scene=7)
        # s2: steering_angle(scene=12)
        # <END_OF_PLAN>
        ```
    """
    blocks = []
    cases = _example_cases(tools, answer_step=answer_step and not structured)
    for number, (question, steps) in enumerate(cases, start=1):
        if structured:
            plan = json.dumps({"steps": [{"id": i, "tool": t, "args": a} for i, t, a in steps]})
        else:
            plan = "\n".join([*(_render(step) for step in steps), END_OF_PLAN])
        blocks.append(f"Example {number}\nQuestion: {question}\nPlan:\n{plan}")
    return "\n\n".join(blocks)


def last_question(messages: Sequence[AnyMessage]) -> str:
    """The text of the conversation's last human message ("" when there is none)."""
    return next((m.text for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def describe_tools(tools: Sequence[BaseTool]) -> str:
    """One line per tool: `name(arg: type, ...): description`."""
    lines = []
    for tool in tools:
        params = []
        for name, spec in tool.args.items():
            kind = spec.get("type") or "any"
            params.append(f"{name}: {kind}" + ("" if "default" not in spec else " = ..."))
        description = " ".join((tool.description or "").split())
        lines.append(f"- {tool.name}({', '.join(params)}): {description}")
    return "\n".join(lines)


def planner_messages(
    messages: Sequence[AnyMessage],
    tools: Sequence[BaseTool],
    *,
    system_prompt: str | None = None,
    structured: bool = False,
    answer_step: bool = True,
) -> list[AnyMessage]:
    """The planner's prompt: tools, rules, examples made from the tools, then the conversation.

    `answer_step=False` (text plans under a grammar) asks for the calls only, without the
    closing `self` step (`GRAMMAR_PLAN_RULES`).

    The conversation is kept verbatim (every message, content blocks and all), as an
    AgentExecutor's model would see it. When it ends with the user's message, one
    more human message asks it again in the examples' form (`Question: ...` then
    `Plan:`): without that cue the 0.5B local model answered with just the end-of-plan marker.
    """
    messages = conversation(messages)
    rules = STRUCTURED_RULES if structured else PLAN_RULES if answer_step else GRAMMAR_PLAN_RULES
    parts = [
        system_prompt or "You are a helpful assistant that answers by planning tool calls.",
        TOOLS_HEADER + "\n" + describe_tools(tools),
        rules,
    ]
    examples = example_plans(tools, structured=structured, answer_step=answer_step)
    if examples:
        parts.append(examples)
    cue: list[AnyMessage] = []
    if messages and isinstance(messages[-1], HumanMessage):
        cue.append(HumanMessage(f"Question: {messages[-1].text}\nPlan:"))
    return [SystemMessage("\n\n".join(parts)), *messages, *cue]


def repair_messages(
    planner_prompt: list[AnyMessage], faulty_plan: str, error: str, tools: Sequence[BaseTool]
) -> list[AnyMessage]:
    """Compile-time repair: the faulty plan, its error and the tool list go back to the model."""
    listed = f"\n\nThe only tools you can call:\n{describe_tools(tools)}" if tools else ""
    request = (
        f"{REPAIR_HEAD}\n\n{faulty_plan}\n\nThe error:\n{error}{listed}\n\n"
        "Write the whole plan again with the error fixed, in the same form as the "
        "examples. Output only the plan."
    )
    return [*planner_prompt, HumanMessage(request)]


def recovery_messages(
    *,
    question: str,
    tools: Sequence[BaseTool],
    recovery_call: str,
    failed_calls: Mapping[str, str],
    results: Mapping[str, Any],
) -> list[AnyMessage]:
    """Run-time recovery: ask for a rewrite of one recovery call (same id)."""
    call_id = recovery_call.split(":", 1)[0].strip()
    failures = "\n".join(f"- {call}\n  raised: {error}" for call, error in failed_calls.items())
    seen = "\n".join(f"- {k} = {_short(v)}" for k, v in results.items()) or "- (none)"
    system = (
        "You repair a plan of tool calls that failed while running. Tools:\n"
        + describe_tools(tools)
        + "\n\nReply with exactly one line: the rewritten call with the same id, in the "
        + f"form `{call_id}: tool_name(argument_name=value, ...)`, with one of the tools "
        + "above. You may change its arguments or use another tool of the same kind that "
        + "fits the question better. If the call is right as it is, repeat it unchanged."
    )
    human = (
        f"Question: {question}\n\nThe call to rewrite:\n{recovery_call}\n\n"
        f"Calls that failed after it:\n{failures}\n\nResults so far:\n{seen}"
    )
    return [SystemMessage(system), HumanMessage(human)]


_COPIED_ANSWER_PROMPT = EXAMPLE_ANSWER_PROMPT.split("{", 1)[0]

JOINER_RULES = """\
Answer the user's last question from the results below, in one or two full sentences
that say what each number is. Write the number of every result exactly as it is
given. Do not mention the tools, the plan or call ids."""

COMPARED_HEAD = (
    "Compared (the question asks which is larger or smaller: say it, with both numbers):"
)
COMPUTED_HEAD = "Computed from the results (if the question asks for one, state its value):"
FAILED_HEAD = (
    "These calls failed, so their results are not available. Say so for each, naming what "
    "it was for, and give no value for them:"
)
ALSO_HEAD = "While answering, also do this:"
ANSWER_INSTRUCTIONS = (JOINER_RULES, COMPARED_HEAD, COMPUTED_HEAD, FAILED_HEAD, ALSO_HEAD)
"""The joiner prompt's fixed instruction text: none of it may stay in an answer."""


def joiner_messages(
    messages: Sequence[AnyMessage],
    results: Mapping[str, str],
    *,
    steps: Sequence[str] = (),
    failed: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    facts: Sequence[str] = (),
    orderings: Sequence[str] = (),
    extremes: bool = True,
) -> list[AnyMessage]:
    """The joiner's single request: the question, the results, and the folded answer steps.

    The conversation before the question is kept verbatim; the question itself is asked
    again with the results, in one message (the 0.5B local model lost numbers when the
    question came twice, verbatim and then with the results).

    Args:
        messages: the conversation; its last human message is the question.
        results: each finished call, rendered (`steering_angle(scene=3)`) -> its result's text.
        steps: the plan's folded `self` prompts, with the results filled in (a copy of
            the examples' `EXAMPLE_ANSWER_PROMPT` is left out).
        failed: each failed call, rendered -> why it failed, in words.
        notes: facts about how the results were found (what recovery looked up instead).
        facts: values computed from the results for the answer to copy (`agent.facts`:
            an amount the question gives times a looked-up rate).
        orderings: results compared, in words, when the question asks which is larger
            (`comparisons.orderings`: "Venus (8.87) is larger than Mars (3.72)").
        extremes: whether each tool's largest and smallest result is named (`Largest:
            ...`). With the answer checks, only when the question asks a comparison: told
            the extremes of two results whose total was asked, the 0.5B model wrote "The
            largest number is 67" of the total.
    """
    messages = conversation(messages)
    question = last_question(messages)
    lines = [f"- {call} = {_short(value, 600)}" for call, value in results.items()]
    parts = [f"Question: {question}", "Results:\n" + ("\n".join(lines) or "- (none)")]
    named = _extremes(results) if extremes else ""
    if named:
        parts.append(named)
    if orderings:  # small models copy a sentence better than they compare numbers
        parts.append(COMPARED_HEAD + "\n" + "\n".join(f"- {line}" for line in orderings))
    if facts:
        parts.append(COMPUTED_HEAD + "\n" + "\n".join(f"- {fact}" for fact in facts))
    if failed:
        parts.append(
            FAILED_HEAD + "\n" + "\n".join(f"- {call}: {why}" for call, why in failed.items())
        )
    if notes:
        parts.append("Notes:\n" + "\n".join(f"- {note}" for note in notes))
    asks = [s for s in steps if not s.startswith(_COPIED_ANSWER_PROMPT)]
    if asks:
        parts.append(ALSO_HEAD + "\n" + "\n".join(f"- {s}" for s in asks))
    parts.append("Answer:")
    return [SystemMessage(JOINER_RULES), *messages[:-1], HumanMessage("\n\n".join(parts))]


def _extremes(results: Mapping[str, Any]) -> str:
    """`Largest: ... Smallest: ...` for each tool with two or more numeric results.

    Small models compare numbers badly (the 0.5B model called 25.36 the largest of 30.71,
    25.32 and 25.36); the comparison is done for them.
    """
    by_tool: dict[str, dict[str, float]] = {}
    for call, value in results.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            by_tool.setdefault(call.split("(", 1)[0], {})[call] = value
    lines = []
    for values in by_tool.values():
        if len(set(values.values())) >= 2:  # noqa: PLR2004 - a comparison needs two
            high, low = max(values, key=values.__getitem__), min(values, key=values.__getitem__)
            lines.append(
                f"Largest: {high} = {result_text(values[high])}. "
                f"Smallest: {low} = {result_text(values[low])}."
            )
    return "\n".join(lines)


def _short(value: Any, limit: int = 400) -> str:
    text = result_text(value)
    return text if len(text) <= limit else text[:limit] + "..."


__all__ = [
    "ANSWER_INSTRUCTIONS",
    "END_OF_PLAN",
    "GRAMMAR_PLAN_RULES",
    "JOINER_RULES",
    "PLAN_RULES",
    "REPAIR_HEAD",
    "STRUCTURED_RULES",
    "TOOLS_HEADER",
    "describe_tools",
    "example_plans",
    "joiner_messages",
    "last_question",
    "planner_messages",
    "recovery_messages",
    "repair_messages",
]
