"""Planner, repair, recovery and joiner prompts, with few-shot examples of our own.

The paper found few-shot examples far more reliable than a grammar (over 85%
valid plans against under 20%), so every prompt that asks for plan text shows
examples rather than rules alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool

from langchain_llmorch.plan.language import result_text

FEW_SHOT_EXAMPLES = """\
Example 1
Question: Which is taller, the Eiffel Tower or the Statue of Liberty, and by how much?
Tools: search(query: str), self(prompt: str)
Plan:
Thought: Look both up at once, then compare.
s1: search(query="Eiffel Tower height")
s2: search(query="Statue of Liberty height")
s3: self(prompt="From these facts: {s1} / {s2}. Which is taller and by how many metres?")

Example 2
Question: Resize photos a.png and b.png to 512px, then make a contact sheet of both.
Tools: resize(path: str, width: int), contact_sheet(images: list)
Plan:
s1: resize(path="a.png", width=512)
s2: resize(path="b.png", width=512)
s3: contact_sheet(images=[s1, s2])

Example 3
Question: What is the combined population of France and Spain in millions?
Tools: search(query: str), math(expression: str)
Plan:
s1: search(query="France population")
s2: search(query="Spain population")
s3: self(prompt="Write one arithmetic expression adding the two populations in millions: {s1} {s2}")
s4: math(expression=s3)
"""

STRUCTURED_EXAMPLE = """\
Question: Get the weather in Paris and Rome, then say which is warmer.
Plan: {"steps": [{"id": "s1", "tool": "weather", "args": {"city": "Paris"}}, \
{"id": "s2", "tool": "weather", "args": {"city": "Rome"}}, \
{"id": "s3", "tool": "self", "args": {"prompt": "Which is warmer? {s1} {s2}"}}]}"""

STRUCTURED_RULES = """\
Answer with a JSON plan: a list of steps, each one tool call with a new id (s1, s2, ...).
Use the numbers and names the question gives. Refer to an earlier step's result as "{s1}".
Steps that do not need each other's results run at the same time.
End with a self step that words the final answer."""

PLAN_RULES = """\
Write a plan: one tool call per line, exactly in this form:
s1: tool_name(argument_name=value, ...)
- Give every call a new id: s1, s2, s3, ... in order.
- Values are numbers, "strings", [lists] or {"dicts"}.
- Use the result of an earlier call by its id: `text=s1` passes the result itself,
  and "{s1}" inside a string puts the result's text there.
- Only refer to calls written above the current line. Calls that do not depend on each
  other run at the same time, so do not chain calls that need not wait for each other.
- self(prompt="...") asks you, the assistant, to reason over results; end with a self
  call that writes the final answer when the answer needs any wording or arithmetic.
- A line starting with `Thought:` may explain the next call.
- Output only the plan: no prose before or after it."""


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
) -> list[AnyMessage]:
    """The planner's prompt: rules, tools and examples, then the conversation."""
    rules, examples = (STRUCTURED_RULES, "") if structured else (PLAN_RULES, FEW_SHOT_EXAMPLES)
    parts = [
        system_prompt or "You are a helpful assistant that answers by planning tool calls.",
        "Tools you can call:\n" + describe_tools(tools),
        rules,
    ]
    if examples:
        parts.append("Examples (their tools are not yours):\n" + examples)
    return [SystemMessage("\n\n".join(parts)), *messages]


def repair_messages(
    planner_prompt: list[AnyMessage], faulty_plan: str, error: str
) -> list[AnyMessage]:
    """Compile-time repair: the faulty plan and its error go back with the examples."""
    request = (
        f"This plan has an error:\n\n{faulty_plan}\n\nThe error:\n{error}\n\n"
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
        + "\n\nReply with exactly one line: the rewritten call with the same id, e.g.\n"
        + f'{call_id}: search(query="a more specific query", k=1000)\n'
        + "You may change its arguments or use another tool of the same kind. If the call "
        "is right as it is, repeat it unchanged."
    )
    human = (
        f"Question: {question}\n\nThe call to rewrite:\n{recovery_call}\n\n"
        f"Calls that failed after it:\n{failures}\n\nResults so far:\n{seen}"
    )
    return [SystemMessage(system), HumanMessage(human)]


def joiner_messages(
    messages: Sequence[AnyMessage], plan: str, results: Mapping[str, Any]
) -> list[AnyMessage]:
    """One LLM call that words the answer from the plan's results."""
    lines = "\n".join(f"{k} = {_short(v, 2000)}" for k, v in results.items())
    system = (
        "Answer the user's last question from the results of the tool calls below. "
        "Be concise and do not mention the tools.\n\n"
        f"Plan:\n{plan}\n\nResults:\n{lines}"
    )
    return [SystemMessage(system), *messages]


_FENCE = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.DOTALL)


_STEP = re.compile(r"^\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*:(?!=)|\d+\s*[.:)]|Thought\s*:)")


def extract_plan_text(reply: str) -> str:
    """The plan inside a reply: the first fenced block when there is one.

    Prose before the first step and after the last one ("Here is the plan:") is
    dropped; prose between steps stays, so the parser reports it.
    """
    match = _FENCE.search(reply)
    lines = (match.group(1) if match else reply).strip().splitlines()
    steps = [i for i, line in enumerate(lines) if _STEP.match(line)]
    if not steps:
        return "\n".join(lines).strip()
    return "\n".join(lines[steps[0] : steps[-1] + 1]).strip()


def _short(value: Any, limit: int = 400) -> str:
    text = result_text(value)
    return text if len(text) <= limit else text[:limit] + "..."


__all__ = [
    "FEW_SHOT_EXAMPLES",
    "PLAN_RULES",
    "describe_tools",
    "extract_plan_text",
    "joiner_messages",
    "planner_messages",
    "recovery_messages",
    "repair_messages",
]
