"""Binding a call's arguments to its tool (`plan/binding.py`): what is bound, what is reported.

Written for the mutants of `plan/binding.py` that the rest of the suite let live. Each test
states one rule: the built-in `self` takes exactly one prompt, positional arguments bind in
the schema's order, a constant is checked against the parameter's type, and every problem
names its call and line.
"""

from __future__ import annotations

import pytest
from langchain_core.tools import StructuredTool
from pydantic import TypeAdapter, ValidationError

from langchain_llmorch import build_frg, compute, parse_plan
from langchain_llmorch.errors import PlanValidationError
from tests.unit_tests._work import ALL


def problems(text: str, tools: object = ALL) -> list[tuple[str | None, int | None, str]]:
    with pytest.raises(PlanValidationError) as err:
        build_frg(parse_plan(text), tools)  # type: ignore[arg-type]
    return [(p.call_id, p.line, p.message) for p in err.value.problems]


ONLY_A_PROMPT = 'self takes only a prompt: self(prompt="...")'
NEEDS_A_PROMPT = 'self needs a prompt: self(prompt="...")'


def test_self_binds_its_one_positional_argument_as_the_prompt() -> None:
    frg = build_frg(parse_plan('s1: add(a=1)\n\ns2: self("say {s1}")'), ALL)
    assert list(frg.bound_args["s2"]) == ["prompt"]
    frg = build_frg(parse_plan('s1: self(prompt="hi")'), [])
    assert frg.bound_args["s1"] == {"prompt": "hi"}


def test_self_with_more_than_a_prompt_is_reported_at_its_line() -> None:
    assert problems('s1: add(a=1)\ns2: self("a", "b")') == [("s2", 2, ONLY_A_PROMPT)]
    assert problems('\ns1: self(prompt="a", tone="dry")', []) == [("s1", 2, ONLY_A_PROMPT)]
    assert problems('s1: self("a", prompt="b")', []) == [("s1", 1, ONLY_A_PROMPT)]


def test_self_without_a_prompt_is_reported_at_its_line() -> None:
    assert problems("s1: add(a=1)\n\ns2: self()") == [("s2", 3, NEEDS_A_PROMPT)]


def test_the_prompt_of_self_is_held_to_the_value_limits() -> None:
    found = problems("s1: add(a=1)\ns2: self(prompt=1 / 0)")
    assert len(found) == 1
    call_id, line, message = found[0]
    assert (call_id, line) == ("s2", 2)
    assert message.startswith("argument 'prompt' of self: ")
    assert "failed" in message


@compute
def pair(x: int, y: int) -> int:
    """Two required arguments."""
    return x + y


@compute
def nothing() -> int:
    """No arguments at all."""
    return 0


TOOLS = [*ALL, pair, nothing]


def test_every_argument_problem_names_its_call_and_line() -> None:
    text = "s1: add(a=1)\ns2: add(1, 2, 3)\ns3: add(c=1)\ns4: nothing(z=1)\ns5: add(1, a=2)\ns6: pair()"
    assert problems(text, TOOLS) == [
        ("s2", 2, "add takes 2 argument(s) (a, b), got 3"),
        ("s3", 3, "add has no argument 'c'; its arguments are a, b"),
        ("s3", 3, "add needs argument 'a'"),
        ("s4", 4, "nothing has no argument 'z'; its arguments are none"),
        ("s5", 5, "argument 'a' given twice"),
        ("s6", 6, "pair needs argument 'x'"),
        ("s6", 6, "pair needs argument 'y'"),
    ]


def test_a_constant_of_the_wrong_type_is_shown_with_the_reason() -> None:
    reason = ""
    try:
        TypeAdapter(float).validate_python("abc")
    except ValidationError as err:
        reason = err.errors()[0]["msg"]
    assert problems('s1: add(a=1)\ns2: add(a="abc")') == [
        ("s2", 2, f"argument 'a' of add is invalid: {reason} (got \"abc\")")
    ]


def test_a_long_constant_is_shown_cut_to_eighty_characters() -> None:
    fits = "x" * 78  # 80 characters with its quotes
    (found,) = problems(f's1: add(a="{fits}")')
    assert found[2].endswith(f'(got "{fits}")')
    (found,) = problems(f's1: add(a="{fits}y")')
    assert found[2].endswith(f'(got "{fits[:76]}...)')


@pytest.mark.parametrize(
    "argument",
    ["s1 + 1 / 0", "1 / 0 + s1", "-(s1 + 1 / 0)", "[s1, 1 / 0]", '{"k": s1, "j": 1 / 0}'],
)
def test_a_constant_part_beside_a_reference_is_still_checked(argument: str) -> None:
    (found,) = problems(f"s1: add(a=1)\ns2: add(a={argument})")
    assert found[:2] == ("s2", 2)
    assert found[2].startswith("argument 'a' of add: `/` failed")


def test_a_tool_described_by_a_json_schema_binds_by_its_properties() -> None:
    # Regression: such a tool (MCP tools are) was bound to one argument named `root`.
    tool = StructuredTool.from_function(
        func=lambda **kw: kw,
        name="lookup",
        description="Look a key up.",
        args_schema={
            "type": "object",
            "properties": {"key": {"type": "string"}, "limit": {"type": "integer", "default": 3}},
            "required": ["key"],
        },
    )
    frg = build_frg(parse_plan('s1: lookup("k")'), [tool])
    assert frg.bound_args["s1"] == {"key": "k"}
    assert problems("s1: lookup(limit=2)", [tool]) == [("s1", 1, "lookup needs argument 'key'")]
