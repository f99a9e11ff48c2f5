"""Structured planning (`plan/schema.py`): what each schema accepts, and how a plan reads back.

Written for the mutants of `plan/schema.py` that the rest of the suite let live. The two
schemas are checked by what they accept and refuse (the pydantic model by validation, the
strict JSON schema with `jsonschema`, as a constrained decoder would enforce it), and
`structured_plan_text` by the plan text it writes and `parse_plan` reads back.
"""

from __future__ import annotations

from typing import Annotated, Any

import jsonschema
import pytest
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field, ValidationError

from langchain_llmorch import build_frg, compute, inout, parse_plan
from langchain_llmorch.plan.expressions import DictExpr, ListExpr, Ref, Template
from langchain_llmorch.plan.schema import (
    MAX_STRING,
    plan_json_schema,
    plan_response_format,
    plan_schema,
    structured_plan_text,
)

REF_HELP = (
    'To use an earlier result, write its id in braces: "{s1}" (alone: the result itself; '
    "inside text: the result's text)."
)


@compute
def render(
    path: str,
    width: int,
    scale: float = 1.0,
    sharp: bool = False,
    parts: Annotated[list[str], Field(description="The parts, in order.")] = [],  # noqa: B006
) -> str:
    """Render an image."""
    return path


@inout
def merge(text: str) -> str:
    """Merge texts."""
    return text


def _echo(**kwargs: Any) -> str:
    return str(kwargs)


# A tool described by a plain JSON schema (as MCP tools are): shapes pydantic never writes.
raw = StructuredTool.from_function(
    _echo,
    name="raw",
    description="A tool with a raw JSON schema.",
    args_schema={
        "type": "object",
        "properties": {
            "late": {"anyOf": [{"type": "null"}, {"type": "integer"}], "default": None},
            "nothing": {"anyOf": [{"type": "null"}]},
            "rows": {"type": "array", "items": {"type": "object"}},
            "loose": {"type": "array"},
            "flags": {"type": "array", "items": {"type": "boolean"}},
            "conf": {"type": "object", "description": 7},
            "whatever": {"title": "Whatever"},
            "small": {"type": "integer", "anyOf": [{"minimum": 0}, {"maximum": -10}]},
        },
        "required": ["nothing", "rows", "loose", "flags", "conf", "whatever", "small"],
    },
)


def _step(tool: str, args: dict[str, Any], id_: str = "s1") -> dict[str, Any]:
    return {"id": id_, "tool": tool, "args": args}


def _valid(schema: type[BaseModel], *steps: dict[str, Any]) -> bool:
    try:
        schema.model_validate({"steps": list(steps)})
    except ValidationError:
        return False
    return True


RENDER = {"path": "a.png", "width": 5}


# ------------------------------------------------------------ the pydantic plan model


def test_each_argument_takes_its_own_type() -> None:
    schema = plan_schema([render, merge])
    full = {**RENDER, "scale": 1.5, "sharp": True, "parts": ["a", 2]}
    assert _valid(schema, _step("render", full))
    for arg, wrong in [("width", "wide"), ("scale", "big"), ("sharp", "maybe"), ("parts", "a")]:
        assert not _valid(schema, _step("render", {**RENDER, arg: wrong})), arg
    # Arguments with a default may be left out; the others may not.
    assert _valid(schema, _step("render", RENDER))
    assert not _valid(schema, _step("render", {"path": "a.png"}))
    assert not _valid(schema, _step("render", {"width": 5}))


def test_a_number_or_boolean_may_be_a_whole_reference_unless_refused() -> None:
    with_refs, without = plan_schema([render]), plan_schema([render], scalar_refs=False)
    for arg in ("width", "scale", "sharp"):
        assert _valid(with_refs, _step("render", {**RENDER, arg: "{s1}"})), arg
        assert not _valid(with_refs, _step("render", {**RENDER, arg: "{s1} px"})), arg
        assert not _valid(with_refs, _step("render", {**RENDER, arg: "{s0}"})), arg
        assert not _valid(without, _step("render", {**RENDER, arg: "{s1}"})), arg


def test_free_text_is_bounded() -> None:
    schema = plan_schema([render])
    assert _valid(schema, _step("render", {**RENDER, "path": "p" * MAX_STRING}))
    assert not _valid(schema, _step("render", {**RENDER, "path": "p" * (MAX_STRING + 1)}))
    assert _valid(schema, _step("self", {"prompt": "q" * MAX_STRING}))
    assert not _valid(schema, _step("self", {"prompt": "q" * (MAX_STRING + 1)}))
    assert MAX_STRING == 300  # the documented bound


def test_ids_run_from_s1_to_s999() -> None:
    schema = plan_schema([merge])
    for good in ("s1", "s9", "s10", "s999"):
        assert _valid(schema, _step("merge", {"text": "t"}, good)), good
    for bad in ("s0", "s01", "s1000", "1", "x1", "s1 "):
        assert not _valid(schema, _step("merge", {"text": "t"}, bad)), bad


def test_a_step_is_tied_to_its_tool_and_closed() -> None:
    schema = plan_schema([render, merge])
    # `merge`'s arguments under `render`'s name, and the other way round.
    assert not _valid(schema, _step("render", {"text": "t"}))
    assert not _valid(schema, _step("merge", RENDER))
    assert not _valid(schema, {**_step("merge", {"text": "t"}), "why": "x"})
    assert not _valid(schema, _step("merge", {"text": "t", "extra": 1}))
    assert not _valid(schema, _step("self", {"prompt": "p", "extra": 1}))
    assert not _valid(schema, _step("self", {}))
    with pytest.raises(ValidationError):
        schema.model_validate({"steps": [], "answer": "x"})


def test_the_builtin_self_is_offered_once_whatever_the_tools() -> None:
    own_self = StructuredTool.from_function(_echo, name="self", description="Not the built-in.")
    schema = plan_schema([own_self, merge])
    assert _valid(schema, _step("merge", {"text": "t"}), _step("self", {"prompt": "p"}, "s2"))
    steps = schema.model_json_schema()["$defs"]
    assert sorted(name for name in steps if name.endswith("_step")) == [
        "merge_step",
        "self_step",
    ]


def test_the_pydantic_schema_explains_references_to_the_model() -> None:
    schema = plan_schema([render]).model_json_schema()
    assert schema["title"] == "Plan"
    assert schema["properties"]["steps"]["description"] == "The tool calls, in order. " + REF_HELP
    defs = schema["$defs"]
    assert set(defs) == {"render_step", "render_args", "self_step", "self_args"}
    args = defs["render_args"]["properties"]
    assert args["path"]["description"] == REF_HELP
    assert args["parts"]["description"] == "The parts, in order."
    assert defs["self_args"]["properties"]["prompt"]["description"] == "What to ask. " + REF_HELP
    assert defs["render_step"]["properties"]["id"]["description"] == 'Unique id: "s1", "s2", ...'
    assert defs["render_step"]["required"] == ["id", "tool", "args"]


# ------------------------------------------------------------ the strict JSON schema


def _check(schema: dict[str, Any], *steps: dict[str, Any]) -> bool:
    try:
        jsonschema.validate({"steps": list(steps)}, schema)
    except jsonschema.ValidationError:
        return False
    return True


RAW = {
    "late": None,
    "nothing": "n",
    "rows": ["r"],
    "loose": [1],
    "flags": [True],
    "conf": "c",
    "whatever": "w",
    "small": 1,
}


def test_the_strict_schema_accepts_a_full_reply_and_nulls_for_defaults() -> None:
    schema = plan_json_schema([render, raw])
    full = {**RENDER, "scale": 2.5, "sharp": False, "parts": ["a"]}
    nulls = {**RENDER, "scale": None, "sharp": None, "parts": None}
    assert _check(schema, _step("render", full), _step("raw", RAW, "s2"))
    assert _check(schema, _step("render", nulls), _step("self", {"prompt": "p"}, "s999"))
    assert _check(schema)  # no steps at all is a shape the parser then refuses


@pytest.mark.parametrize(
    ("arg", "value"),
    [
        ("width", None),  # no default: not nullable
        ("width", 1.5),
        ("width", "{s1}"),  # strict mode: no references for numbers
        ("scale", "x"),
        ("sharp", 1),
        ("parts", "a"),
        ("parts", [1]),  # an array of text holds text
        ("path", "p" * (MAX_STRING + 1)),
        ("path", 3),
    ],
)
def test_the_strict_schema_refuses_a_wrong_argument(arg: str, value: object) -> None:
    schema = plan_json_schema([render])
    assert _check(schema, _step("render", {**RENDER, "scale": 1, "sharp": True, "parts": []}))
    bad = {**RENDER, "scale": 1, "sharp": True, "parts": [], arg: value}
    assert not _check(schema, _step("render", bad))


def test_the_strict_schema_reads_unusual_json_schemas() -> None:
    schema = plan_json_schema([raw])
    assert _check(schema, _step("raw", {**RAW, "late": 3}))
    # `null | integer`: the integer, nullable by its default.
    assert not _check(schema, _step("raw", {**RAW, "late": "3"}))
    # Only `null` in `anyOf`, or no type at all: bounded text.
    for arg in ("nothing", "whatever"):
        assert _check(schema, _step("raw", {**RAW, arg: "n"}))
        assert not _check(schema, _step("raw", {**RAW, arg: "n" * (MAX_STRING + 1)}))
        assert not _check(schema, _step("raw", {**RAW, arg: 5}))
    # Arrays of objects or of anything: text or numbers; arrays of scalars keep their type.
    assert _check(schema, _step("raw", {**RAW, "rows": ["r", 2], "loose": [1.5, "l"]}))
    assert not _check(schema, _step("raw", {**RAW, "rows": [{"k": 1}]}))
    assert not _check(schema, _step("raw", {**RAW, "loose": [True, None]}))
    assert not _check(schema, _step("raw", {**RAW, "flags": ["yes"]}))
    # A type beside `anyOf` is the type.
    assert not _check(schema, _step("raw", {**RAW, "small": "1"}))
    # An object argument is text (strict mode needs every object's properties listed).
    assert not _check(schema, _step("raw", {**RAW, "conf": {"k": 1}}))
    args = schema["properties"]["steps"]["items"]["anyOf"][0]["properties"]["args"]
    assert args["properties"]["conf"]["description"] == "7"
    assert "description" not in args["properties"]["rows"]


@pytest.mark.parametrize(
    "step",
    [
        _step("render", RENDER),  # the arguments with defaults must be there (as null)
        {"id": "s1", "tool": "render"},
        {"tool": "merge", "args": {"text": "t"}},
        {"id": "s1", "args": {"text": "t"}},
        {**_step("merge", {"text": "t"}), "why": "x"},
        _step("merge", {"text": "t", "extra": 1}),
        _step("merge", {"text": "t"}, "s1000"),
        _step("merge", {"text": "t"}, "s0"),
        _step("nosuch", {"text": "t"}),
        _step("self", {}),
        _step("self", {"prompt": "p" * (MAX_STRING + 1)}),
        _step("self", {"prompt": "p", "extra": 1}),
    ],
)
def test_the_strict_schema_refuses_a_malformed_step(step: dict[str, Any]) -> None:
    assert not _check(plan_json_schema([render, merge]), step)


def test_the_strict_schema_is_closed_at_the_root_and_explains_itself() -> None:
    schema = plan_json_schema([merge])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"steps": [], "answer": "x"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({}, schema)
    steps = schema["properties"]["steps"]
    assert steps["description"] == "The tool calls, in order. " + REF_HELP
    merge_step, self_step = steps["items"]["anyOf"]
    assert merge_step["properties"]["id"]["description"] == 'Unique: "s1", "s2"'
    prompt = self_step["properties"]["args"]["properties"]["prompt"]
    assert prompt["description"] == "What to ask. " + REF_HELP


def test_the_builtin_self_has_one_strict_step_whatever_the_tools() -> None:
    own_self = StructuredTool.from_function(_echo, name="self", description="Not the built-in.")
    steps = plan_json_schema([own_self, merge])["properties"]["steps"]["items"]["anyOf"]
    assert [s["properties"]["tool"]["enum"] for s in steps] == [["merge"], ["self"]]


def test_the_response_format_is_named_strict_and_holds_the_schema() -> None:
    assert plan_response_format([merge]) == {
        "name": "plan",
        "strict": True,
        "schema": plan_json_schema([merge]),
    }


# ------------------------------------------------------------ reading a structured plan back


def test_a_validated_plan_reads_back_without_the_arguments_left_out() -> None:
    plan = plan_schema([render]).model_validate(
        {"steps": [_step("render", {**RENDER, "sharp": True}), _step("self", {"prompt": "p"})]}
    )
    assert structured_plan_text(plan) == (
        's1: render(path="a.png", width=5, sharp=True)\ns1: self(prompt="p")'
    )


@pytest.mark.parametrize(
    ("value", "written", "parsed"),
    [
        ("{s1}", "s1", Ref("s1")),
        ("  { s1 }  ", "s1", Ref("s1")),
        ("{1}", "$1", Ref("1")),
        ("$2", "$2", Ref("2")),
        ("${12}", "$12", Ref("12")),
        ("$x", "x", Ref("x")),
        ("s1", '"s1"', "s1"),  # a bare id in a string is text
        ("{s1} and more", '"{s1} and more"', Template((Ref("s1"), " and more"))),
        ('say "hi"\n', '"say \\"hi\\"\\n"', 'say "hi"\n'),
        (True, "True", True),
        (False, "False", False),
        (3, "3", 3),
        (2.5, "2.5", 2.5),
        (["{s1}", 1, None, True], "[s1, 1, None, True]", ListExpr((Ref("s1"), 1, None, True))),
        (
            {1: "{s1}", "k": [2]},
            '{"1": s1, "k": [2]}',
            DictExpr((("1", Ref("s1")), ("k", ListExpr((2,))))),
        ),
    ],
)
def test_each_value_is_written_in_the_plan_language(
    value: object, written: str, parsed: object
) -> None:
    text = structured_plan_text({"steps": [_step("f", {"x": value}, "s2")]})
    assert text == f"s2: f(x={written})"
    s1 = "s1: g()\n"
    assert parse_plan(s1 + text).calls[1].kwargs["x"] == parsed


def test_steps_without_arguments_or_with_nulls_read_back_as_bare_calls() -> None:
    reply = {
        "steps": [
            {"id": "s1", "tool": "f"},
            {"id": "s2", "tool": "g", "args": None},
            {"id": "s3", "tool": "h", "args": {"a": None, "b": 1}},
        ]
    }
    assert structured_plan_text(reply) == "s1: f()\ns2: g()\ns3: h(b=1)"


@pytest.mark.parametrize("reply", [None, [], "s1: f()", {"calls": [{"id": "s1", "tool": "f"}]}])
def test_a_reply_that_is_not_a_plan_reads_as_no_text(reply: object) -> None:
    assert structured_plan_text(reply) == ""


def _tools() -> list[BaseTool]:
    return [render, merge, raw]


def test_every_strict_step_reads_back_as_a_plan_that_parses() -> None:
    reply = {
        "steps": [
            _step("render", {**RENDER, "scale": None, "sharp": True, "parts": ["{s2}"]}),
            _step("raw", {**RAW, "late": 4}, "s2"),
            _step("self", {"prompt": "Sum of {s1} and {s2}"}, "s3"),
        ]
    }
    assert _check(plan_json_schema(_tools()), *reply["steps"])
    plan = parse_plan(structured_plan_text(reply))
    assert [c.references() for c in plan.calls] == [["s2"], [], ["s1", "s2"]]


@inout
def tag(text: str, count: int | None = None, labels: list[str] | None = None) -> str:
    """Tag a text."""
    return text


def test_an_optional_argument_keeps_its_type_in_the_pydantic_schema() -> None:
    # Regression: `X | None` arguments were free text, so a list could never be given and
    # the structured (streaming) planner wrote plans that binding then refused.
    schema = plan_schema([tag], scalar_refs=False)
    step = _step("tag", {"text": "t", "count": 3, "labels": ["a", "b"]})
    plan = schema.model_validate({"steps": [step]})
    assert not _valid(schema, _step("tag", {"text": "t", "count": "many"}))
    text = structured_plan_text(plan)
    assert text == 's1: tag(text="t", count=3, labels=["a", "b"])'
    frg = build_frg(parse_plan(text), [tag])
    assert frg.calls["s1"].kwargs["labels"] == ListExpr(("a", "b"))
