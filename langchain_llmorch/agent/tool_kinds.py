"""What a tool takes and gives, and what a question asks of a name: read by the plan checks.

`agent.tool_fit` and `agent.misfits` hold a plan's calls to the question with these: which
tools return a text or a number (`result_kind`, from the function's annotation), which
arguments take a text, the plan's plain-text arguments, and the "W" a question asks of a
name ("the country that Seville is in": `asked_of`).

Example:
    ```python
    from langchain_llmorch.agent.tool_kinds import asked_of

    assert asked_of("What does power cost in the country that Seville is in?", "Seville") == (
        "country"
    )
    ```
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.words import content_words
from langchain_llmorch.plan.language import Call, Plan
from langchain_llmorch.tools import BUILTIN_TOOLS

_RELATIVE = r"(?:of|that|which|where|whose|in\s+which|behind|at)"
# "the country that Seville", "the supplier of the umbrella", "the artist of the album X",
# "the company behind Kelderpeak", "the harbour master at Gullhaven":
# an article and one word (what the name is) may come between.
_ARTICLE = r"(?:(?:the|a|an)\s+)?(?:[a-z]+\s+)?"
# "the company that makes the Marlin": the W is the subject of a verb whose object is the
# name (one word, maybe with "has"/"had"/"did" before it: "the team that has won X").
_SUBJECT_RELATIVE = r"(?:that|which|who)"
_VERB = r"(?:(?:has|have|had|did|does|will)\s+)?[a-z]+\s+"


def result_kind(tool: BaseTool) -> str | None:
    """What `tool`'s function is annotated to return: "text", "number", or None (unknown).

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.agent.tool_kinds import result_kind

        @inout
        def code(city: str) -> str:
            \"\"\"An airport's code.\"\"\"
            return "DEN"

        assert result_kind(code) == "text"
        ```
    """
    func = getattr(tool, "func", None)
    if func is None:
        return None
    try:
        annotation = inspect.signature(func).return_annotation
    except (TypeError, ValueError):
        return None
    if annotation in {str, "str"}:
        return "text"
    return "number" if annotation in {int, float, "int", "float"} else None


def returns_text(tool: BaseTool) -> bool:
    """Whether `tool`'s function is annotated to return a text (`-> str`).

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.agent.tool_kinds import returns_text

        @inout
        def code(city: str) -> str:
            \"\"\"An airport's code.\"\"\"
            return "DEN"

        assert returns_text(code)
        ```
    """
    return result_kind(tool) == "text"


# "...; returns the harbour master's name": what a tool's text result names.
_RETURNS = re.compile(r"\breturns\s+(?:the\s+|a\s+|an\s+)?([a-z][a-z ]*?)(?:['\u2019]s)?\s+name")


def returned_words(tool: BaseTool) -> set[str]:
    """The words of what `tool` returns.

    Its name's words that are no argument's, and what its description says it returns
    the name of.

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.agent.tool_kinds import returned_words

        @inout
        def play_director(play: str) -> str:
            \"\"\"Look up who directs a play; returns the director's name.\"\"\"
            return "Tobin Achter"

        assert returned_words(play_director) == {"director"}
        ```
    """
    named = content_words(tool.name) - content_words(" ".join(tool.args))
    said = _RETURNS.search((tool.description or "").lower())
    return named | (content_words(said.group(1)) if said else set())


def text_arguments(tool: BaseTool) -> list[str]:
    """The names of `tool`'s arguments that take a text.

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.agent.tool_kinds import text_arguments

        @inout
        def stock(item: str, days: int) -> int:
            \"\"\"Units of an item in stock.\"\"\"
            return 3

        assert text_arguments(stock) == ["item"]
        ```
    """
    return [n for n, s in tool.args.items() if s.get("type", "string") == "string"]


def required_arguments(tool: BaseTool) -> list[str]:
    """The names of `tool`'s arguments that have no default."""
    return [n for n, spec in tool.args.items() if "default" not in spec]


def literal_texts(call: Call) -> Iterator[tuple[str, str]]:
    """(argument name, text) for each argument given as a plain text."""
    for name, expr in call.kwargs.items():
        if isinstance(expr, str) and expr.strip():
            yield name, expr.strip()


def tool_calls(plan: Plan) -> list[Call]:
    """The calls of `plan` that call a tool (not `self` nor `join`)."""
    return [c for c in plan.calls if c.tool not in BUILTIN_TOOLS]


def given_texts(
    plan: Plan, tools: Mapping[str, BaseTool]
) -> Iterator[tuple[Call, BaseTool, str, str]]:
    """(call, its tool, argument name, text) for each plain text a call of `plan` is given.

    Only the calls of `tools` (by name): a built-in or unknown tool is left out.
    """
    for call in tool_calls(plan):
        tool = tools.get(call.tool)
        if tool is not None:
            for argument, text in literal_texts(call):
                yield call, tool, argument, text


# "Gullhaven's harbour master": a name, then what of it is meant.
_POSSESSED = re.compile(r"(?P<name>.+?)['\u2019]s\s+(?P<what>[a-z][a-z ]*)", re.IGNORECASE)


def possessed(given: str, question: str) -> tuple[str, str] | None:
    """(name, what) for a text given as the question's "V's W", or None.

    Example:
        ```python
        from langchain_llmorch.agent.tool_kinds import possessed

        question = "How long has Gullhaven's harbour master served?"
        assert possessed("Gullhaven's harbour master", question) == ("Gullhaven", "harbour master")
        assert possessed("Gullhaven's harbour master", "Who is it?") is None
        ```
    """
    match = _POSSESSED.fullmatch(given.strip())
    if match is None or given.strip().lower() not in question.lower():
        return None
    return match.group("name").strip(), match.group("what").strip().lower()


def asked_of(question: str, value: str) -> str | None:
    """W when the question asks for "the W of/that ... `value`" or "`value`'s W", else None.

    The W may do something to the name too: "the company that makes the Marlin", "the
    author who wrote Dune", "the team which won the Cup"; and the "that" may be left out
    when a verb follows the name ("the country the Ombra blend comes from").

    A name ending in s may take the apostrophe alone ("Iron Lanterns' author").
    """
    name = re.escape(value)
    asked = (
        re.search(rf"\b([a-z][a-z-]*)\s+{_RELATIVE}\s+{_ARTICLE}{name}\b", question, re.IGNORECASE)
        or re.search(
            rf"\b([a-z][a-z-]*)\s+{_SUBJECT_RELATIVE}\s+{_VERB}(?:(?:the|a|an)\s+)?{name}\b",
            question,
            re.IGNORECASE,
        )
    ) or re.search(
        rf"\b{name}(?:['\u2019]s|(?<=s)['\u2019])\s+([a-z][a-z-]*)", question, re.IGNORECASE
    )
    # "the country the Ombra blend comes from": a relative clause without its "that".
    asked = asked or re.search(
        rf"\bthe\s+([a-z][a-z-]*)\s+(?:the|a|an)\s+{name}\b(?:\s+[a-z]+){{0,2}}\s+{_VERB}",
        question,
        re.IGNORECASE,
    )
    return asked.group(1).lower() if asked else None


def asked_verb(question: str, value: str) -> str | None:
    """The verb of "the W who/that VERBs `value`", or None: what the W does to the name.

    A W as plain as "person" or "company" says little of which tool finds it; the verb
    does ("the person who owns the Summit Club": a tool that looks up who owns a gym).

    Example:
        ```python
        from langchain_llmorch.agent.tool_kinds import asked_verb

        question = "How many gyms does the person who owns the Summit Club own?"
        assert asked_verb(question, "Summit Club") == "owns"
        assert asked_verb("What is the capital of Peru?", "Peru") is None
        ```
    """
    found = re.search(
        rf"\b[a-z][a-z-]*\s+{_SUBJECT_RELATIVE}\s+(?:(?:has|have|had|did|does|will)\s+)?"
        rf"([a-z]+)\s+(?:(?:the|a|an)\s+)?{re.escape(value)}\b",
        question,
        re.IGNORECASE,
    )
    return found.group(1).lower() if found else None


__all__ = [
    "asked_of",
    "asked_verb",
    "literal_texts",
    "possessed",
    "required_arguments",
    "result_kind",
    "returned_words",
    "returns_text",
    "text_arguments",
    "tool_calls",
]
