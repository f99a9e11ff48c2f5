"""Chains the plan checks complete without the model (`agent.refit`, `agent.tool_fit`)."""

from __future__ import annotations

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.refit import refitted


@inout
def kiln_company(kiln: str) -> str:
    """Look up which company runs a kiln; returns the company's name."""
    return "Fenwick Clay"


@inout
def company_kilns(company: str) -> int:
    """Look up how many kilns a company runs."""
    return 7


@inout
def kiln_temperature(kiln: str) -> int:
    """Look up the highest temperature a kiln reaches, in degrees Celsius."""
    return 1280


TOOLS = [kiln_company, company_kilns, kiln_temperature]
CHAIN = 's1: kiln_company(kiln="Ashby")\ns2: company_kilns(company=s1)'


@pytest.mark.parametrize("fed", ["s1", '"{s1}"'])
def test_a_name_fed_to_its_own_tool_goes_to_the_tool_that_takes_it(fed: str) -> None:
    plan = parse_plan(f's1: kiln_company(kiln="Ashby")\ns2: kiln_company(kiln={fed})')
    fixed = refitted(plan, "How many kilns does the company that runs Ashby have?", TOOLS)
    assert fixed is not None
    assert fixed.render() == CHAIN


def test_a_name_fed_to_its_own_tool_stays_when_no_tool_the_question_asks_of_takes_it() -> None:
    plan = parse_plan('s1: kiln_company(kiln="Ashby")\ns2: kiln_company(kiln=s1)')
    fixed = refitted(plan, "Which company runs Ashby?", [kiln_company, kiln_temperature])
    assert fixed is None or "company_kilns" not in fixed.render()


@pytest.mark.parametrize(
    ("plan", "question"),
    [
        (
            's1: company_kilns(company="Ashby\'s company")',
            "How many kilns does Ashby's company run?",
        ),
        ('s1: company_kilns(company="Ashby")', "How many kilns does the company behind Ashby run?"),
    ],
)
def test_a_look_up_the_question_asks_by_a_possessive_or_behind_is_added(
    plan: str, question: str
) -> None:
    fixed = refitted(parse_plan(plan), question, TOOLS)
    assert fixed is not None
    assert fixed.render() == CHAIN


def test_a_possessive_the_question_does_not_write_is_left_alone() -> None:
    plan = parse_plan('s1: company_kilns(company="Ashby\'s company")')
    assert refitted(plan, "How many kilns does Fenwick Clay run?", TOOLS) is None
