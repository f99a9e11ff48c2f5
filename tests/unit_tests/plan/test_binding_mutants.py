"""Binding a call's arguments to its tool (`plan/binding.py`): what is bound, what is reported.

Written for the mutants of `plan/binding.py` that the rest of the suite let live. Each test
states one rule: the built-in `self` takes exactly one prompt, positional arguments bind in
the schema's order, a constant is checked against the parameter's type, and every problem
names its call and line.
"""

from __future__ import annotations

import pytest

from langchain_llmorch import build_frg, parse_plan
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
