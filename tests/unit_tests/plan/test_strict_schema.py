"""The structured-planning schema satisfies OpenAI's strict mode, and plans read back."""

from __future__ import annotations

from typing import Any

from langchain_llmorch import build_frg, compute, inout, parse_plan
from langchain_llmorch.plan.schema import (
    plan_json_schema,
    plan_response_format,
    structured_plan_text,
)

# The keywords OpenAI's strict mode accepts (structured outputs, "supported schemas").
STRICT_KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "enum",
    "const",
    "description",
    "title",
    "pattern",
    "format",
    "$defs",
    "$ref",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
}


@compute
def render(path: str, width: int, scale: float = 1.0, sharp: bool = False) -> str:
    """Render an image."""
    return path


@inout
def merge(parts: list[str], note: str | None = None) -> str:
    """Merge texts."""
    return " ".join(parts)


def _walk(schema: Any, where: str = "$") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, dict):
        found.append((where, schema))
        for key, value in schema.items():
            if key in {"properties", "$defs"}:
                for name, sub in value.items():
                    found += _walk(sub, f"{where}.{name}")
            elif key == "items":
                found += _walk(value, f"{where}[]")
            elif key == "anyOf":
                for i, sub in enumerate(value):
                    found += _walk(sub, f"{where}|{i}")
    return found


def test_every_object_is_closed_and_requires_all_its_properties() -> None:
    schema = plan_json_schema([render, merge])
    assert schema["type"] == "object"  # the root may not be anyOf
    objects = [(w, s) for w, s in _walk(schema) if s.get("type") == "object"]
    assert len(objects) >= 7  # root, 3 steps, 3 argument objects
    for where, obj in objects:
        assert obj.get("additionalProperties") is False, where
        assert sorted(obj["required"]) == sorted(obj["properties"]), where


def test_only_keywords_strict_mode_supports() -> None:
    for where, sub in _walk(plan_json_schema([render, merge])):
        assert set(sub) <= STRICT_KEYWORDS, (where, set(sub) - STRICT_KEYWORDS)
        assert "default" not in sub
        if sub.get("type") == "array":
            assert isinstance(sub.get("items"), dict), where  # strict mode needs an item schema


def test_arguments_with_defaults_are_nullable_not_optional() -> None:
    step = next(
        s
        for s in plan_json_schema([render])["properties"]["steps"]["items"]["anyOf"]
        if s["properties"]["tool"]["enum"] == ["render"]
    )
    args = step["properties"]["args"]["properties"]
    assert args["width"]["type"] == "integer"
    assert args["scale"]["type"] == ["number", "null"]
    assert args["sharp"]["type"] == ["boolean", "null"]
    assert args["path"]["type"] == "string"
    assert "pattern" in args["path"]  # free strings are bounded


def test_response_format_is_strict() -> None:
    fmt = plan_response_format([render])
    assert fmt["strict"] is True
    assert fmt["name"] == "plan"
    assert fmt["schema"] == plan_json_schema([render])


def test_a_structured_reply_with_nulls_reads_back_as_a_valid_plan() -> None:
    reply = {
        "steps": [
            {
                "id": "s1",
                "tool": "render",
                "args": {"path": "a.png", "width": 5, "scale": None, "sharp": None},
            },
            {"id": "s2", "tool": "merge", "args": {"parts": ["{s1}", "x"], "note": None}},
        ]
    }
    text = structured_plan_text(reply)
    assert text == 's1: render(path="a.png", width=5)\ns2: merge(parts=[s1, "x"])'
    frg = build_frg(parse_plan(text), [render, merge])
    assert frg.data_edges == {("s1", "s2")}
