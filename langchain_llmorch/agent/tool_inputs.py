"""What the arguments of an agent's tools can take, for the plan checks (`agent.checks`).

`tool_inputs` says whether some argument takes text, free text (not only identifiers such as
a `ticker`) or numbers: a plan is doubted for leaving out a name or number of the question
only when some tool could have taken it. `tool_vocabulary` and `tool_defaults` are the
tools' words and default values, which a plan may use without the question giving them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.tools import BaseTool

from langchain_llmorch.tools import BUILTIN_TOOLS


@dataclass(frozen=True)
class ToolInputs:
    """What the arguments of a set of tools can take (`tool_inputs`).

    Example:
        ```python
        inputs = ToolInputs(text=True, free_text=False, numbers=False)
        assert inputs.takes("INITECH") and not inputs.takes("Hamlet")
        ```
    """

    text: bool = True
    """Some argument takes text: quoted texts and all-caps names (`INITECH`, `SHA-256`)."""
    free_text: bool = True
    """Some text argument is not an identifier (`ticker`, `code`): capitalised names."""
    numbers: bool = True
    """Some argument takes a number."""

    def takes(self, name: str) -> bool:
        """Whether some argument can take the name: codes any text, others free text."""
        return self.text if name.upper() == name else self.free_text


def tool_inputs(tools: Sequence[BaseTool]) -> ToolInputs:
    """What the arguments of the user's tools (not the built-ins) can take.

    An argument without a type takes anything. A text argument whose name or description
    says it is an identifier (`ticker`, `symbol`, `code`, `id`) takes codes, not names.

    Example:
        ```python
        from langchain_core.tools import tool

        @tool
        def price(ticker: str) -> float:
            \"\"\"The share price of a stock.\"\"\"
            return 1.0

        assert tool_inputs([price]) == ToolInputs(text=True, free_text=False, numbers=False)
        ```
    """
    text = free_text = numbers = False
    for tool in tools:
        if tool.name in BUILTIN_TOOLS:
            continue
        for name, schema in tool.args.items():
            kinds = _kinds(schema)
            numbers |= "number" in kinds
            if "text" in kinds:
                text = True
                free_text |= not _is_identifier(name, schema)
    return ToolInputs(text=text, free_text=free_text, numbers=numbers)


# Words that make a text argument an identifier: it takes codes (`ACME`), not names.
_IDENTIFIER_WORDS = frozenset(
    {"symbol", "ticker", "code", "id", "identifier", "abbreviation", "acronym"}
)


def _is_identifier(name: str, schema: Mapping[str, Any]) -> bool:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    said = f"{spaced} {schema.get('title', '')} {schema.get('description', '')}".lower()
    return bool(_IDENTIFIER_WORDS & set(re.findall(r"[a-z]+", said.replace("_", " "))))


def _kinds(schema: Any) -> set[str]:
    """`"text"` and/or `"number"`: what a JSON-schema argument takes."""
    if not isinstance(schema, Mapping):
        return {"text", "number"}
    if "enum" in schema or "const" in schema:
        return set()  # a choice among fixed values takes nothing the question gives
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return set().union(*(_kinds(option) for option in options))
    kind = schema.get("type")
    if kind is None:
        return {"text", "number"}
    kinds = set(kind) if isinstance(kind, list) else {kind}
    out = set()
    if "string" in kinds:
        out.add("text")
    if kinds & {"integer", "number"}:
        out.add("number")
    if "array" in kinds:
        out |= _kinds(schema.get("items", {}))
    return out


def tool_vocabulary(tools: Sequence[BaseTool]) -> str:
    """The tools' names and descriptions, as one text (`plan_doubts`' `vocabulary`)."""
    return " ".join(f"{t.name.replace('_', ' ')} {t.description or ''}" for t in tools)


def tool_defaults(tools: Sequence[BaseTool]) -> dict[str, dict[str, Any]]:
    """Each tool's arguments that have a default, and the default."""
    return {
        tool.name: {n: s["default"] for n, s in tool.args.items() if "default" in s}
        for tool in tools
    }


__all__ = ["ToolInputs", "tool_defaults", "tool_inputs", "tool_vocabulary"]
