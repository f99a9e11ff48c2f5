"""Plans through structured output: a JSON schema built from the agent's tools.

Models with JSON-schema constrained decoding (OpenAI, vLLM, llama.cpp) can plan
through `with_structured_output` instead of text. The schema names only the
given tools and, for each tool, only its arguments, so even a very small model
yields plans that parse and validate. Either path ends in the same `Plan`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from langchain_llmorch.tools import SELF_TOOL

_WHOLE_REF = re.compile(r"^\s*(?:\$\{?|\{)\s*([A-Za-z_][A-Za-z0-9_]*|\d+)\s*\}?\s*$")

# Small models run on in unbounded strings until max_tokens: bound every free string.
MAX_STRING = 300
_ID_PATTERN = r"^s[1-9][0-9]{0,2}$"
# A non-text argument is its own type or a whole reference to an earlier result.
_REF_PATTERN = r"^\{s[1-9][0-9]{0,2}\}$"

_REF_HELP = (
    'To use an earlier result, write its id in braces: "{s1}" (alone: the result itself; '
    "inside text: the result's text)."
)


def _concrete(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """An argument's schema; for `X | None` and the like, that of its first concrete type."""
    if spec.get("type") is None and "anyOf" in spec:
        kinds = [s for s in spec["anyOf"] if s.get("type") not in {None, "null"}]
        return _concrete(kinds[0]) if kinds else {}
    return spec


def _step_model(name: str, tool: BaseTool | None, *, scalar_refs: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    if tool is None:
        fields["prompt"] = (
            str,
            Field(description="What to ask. " + _REF_HELP, max_length=MAX_STRING),
        )
    else:
        for arg, spec in tool.args.items():
            # Every argument may also be a reference string such as "{s1}".
            text = Annotated[str, StringConstraints(max_length=MAX_STRING)]
            ref = Annotated[str, StringConstraints(pattern=_REF_PATTERN)]
            scalars: dict[str, Any] = {"integer": int, "number": float, "boolean": bool}
            if scalar_refs:
                scalars = {k: Union[v, ref] for k, v in scalars.items()}  # noqa: UP007
            concrete = _concrete(spec).get("type")
            kind: Any = {**scalars, "array": list[Any]}.get(str(concrete), text)
            default = spec.get("default", ...)
            fields[arg] = (kind, Field(default, description=spec.get("description", _REF_HELP)))
    args_model = create_model(f"{name}_args", __config__=ConfigDict(extra="forbid"), **fields)
    return create_model(
        f"{name}_step",
        __config__=ConfigDict(extra="forbid"),
        id=(str, Field(description='Unique id: "s1", "s2", ...', pattern=_ID_PATTERN)),
        tool=(Literal[name], ...),  # type: ignore[arg-type]
        args=(args_model, ...),
    )


def plan_schema(tools: Sequence[BaseTool], *, scalar_refs: bool = True) -> type[BaseModel]:
    """A pydantic model of a plan whose steps may only call `tools` (and `self`).

    Args:
        tools: the agent's tools.
        scalar_refs: let number and boolean arguments be a reference (`"{s1}"`) as
            well as a literal. Very small models misuse the choice (they refer a call
            to itself); without it, results flow through text and list arguments only.

    Example:
        ```python
        schema = plan_schema([search])
        model.with_structured_output(schema, method="json_schema")
        ```
    """
    steps = [_step_model(t.name, t, scalar_refs=scalar_refs) for t in tools if t.name != SELF_TOOL]
    steps.append(_step_model(SELF_TOOL, None, scalar_refs=scalar_refs))
    step_union: Any = Union[tuple(steps)]  # noqa: UP007
    return create_model(
        "Plan",
        __config__=ConfigDict(extra="forbid"),
        steps=(list[step_union], Field(description="The tool calls, in order. " + _REF_HELP)),
    )


# ------------------------------------------------------------ strict JSON schema (a dict)

# OpenAI's strict mode accepts `pattern` but not `maxLength`; llama.cpp enforces both. A
# pattern bounds free strings for either server.
_BOUNDED_TEXT = f"^.{{0,{MAX_STRING}}}$"
_SCALARS = ("string", "integer", "number", "boolean")


def _value_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The strict schema of one argument, from the tool's own (pydantic) schema."""
    spec = _concrete(spec)
    kind = spec.get("type")
    if kind in {"integer", "number", "boolean"}:
        return {"type": kind}
    if kind == "array":
        items = spec.get("items") or {}
        item = _value_schema(items) if items.get("type") in _SCALARS else None
        return {"type": "array", "items": item or {"type": ["string", "number"]}}
    return {"type": "string", "pattern": _BOUNDED_TEXT}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


def _strict_step(name: str, tool: BaseTool | None) -> dict[str, Any]:
    if tool is None:
        args: dict[str, Any] = {
            "prompt": {
                "type": "string",
                "pattern": _BOUNDED_TEXT,
                "description": "What to ask. " + _REF_HELP,
            }
        }
    else:
        args = {}
        for arg, spec in tool.args.items():
            value = _value_schema(spec)
            # Strict mode has no optional properties: an argument with a default may be null.
            args[arg] = _nullable(value) if "default" in spec else value
            if spec.get("description"):
                args[arg]["description"] = str(spec["description"])
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "tool", "args"],
        "properties": {
            "id": {"type": "string", "pattern": _ID_PATTERN, "description": 'Unique: "s1", "s2"'},
            "tool": {"type": "string", "enum": [name]},
            "args": {
                "type": "object",
                "additionalProperties": False,
                "required": list(args),
                "properties": args,
            },
        },
    }


def plan_json_schema(tools: Sequence[BaseTool]) -> dict[str, Any]:
    """The plan schema as a JSON-schema dict that satisfies OpenAI's strict mode.

    Every object lists all its properties as required and forbids others; arguments
    with a default are nullable instead of optional; free strings are bounded by a
    `pattern` (strict mode has no `maxLength`). llama.cpp's grammar enforces the same
    schema, so small local models and OpenAI plan through one shape.

    Example:
        ```python
        schema = plan_json_schema([search])
        model.with_structured_output(
            {"name": "plan", "strict": True, "schema": schema}, method="json_schema"
        )
        ```
    """
    steps = [_strict_step(t.name, t) for t in tools if t.name != SELF_TOOL]
    steps.append(_strict_step(SELF_TOOL, None))
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["steps"],
        "properties": {
            "steps": {
                "type": "array",
                "description": "The tool calls, in order. " + _REF_HELP,
                "items": {"anyOf": steps},
            }
        },
    }


def plan_response_format(tools: Sequence[BaseTool]) -> dict[str, Any]:
    """`plan_json_schema` wrapped for `with_structured_output(..., method="json_schema")`."""
    return {"name": "plan", "strict": True, "schema": plan_json_schema(tools)}


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        match = _WHOLE_REF.match(value)
        if match:
            ref = match.group(1)
            return ref if not ref.isdigit() else f"${ref}"
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}: {_render_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if value is None or isinstance(value, bool):
        return repr(value)
    return json.dumps(value)


def structured_plan_text(plan: Any) -> str:
    """Render a structured plan (the schema's model or a plain dict) as plan text."""
    data = plan.model_dump(exclude_unset=True) if isinstance(plan, BaseModel) else plan
    lines = []
    for step in data.get("steps", []) if isinstance(data, dict) else []:
        args = {k: v for k, v in (step.get("args") or {}).items() if v is not None}
        rendered = ", ".join(f"{k}={_render_value(v)}" for k, v in args.items())
        lines.append(f"{step.get('id')}: {step.get('tool')}({rendered})")
    return "\n".join(lines)
