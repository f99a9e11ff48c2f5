"""A "who" question planned with a tool that gives a number (`agent.who_asked`)."""

from __future__ import annotations

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts
from langchain_llmorch.agent.who_asked import who_misfits


@inout
def mooring_fee(marina: str) -> float:
    """Look up what mooring one boat at a marina costs per night, in pounds."""
    return 26.0


@inout
def harbour_master(marina: str) -> str:
    """Look up who the harbour master of a marina is; returns the master's name."""
    return "Ada Quill"


@inout
def marina_owner(marina: str) -> str:
    """Look up which company owns a marina; returns the company's name."""
    return "Quay Holdings"


@inout
def master_years(master: str) -> int:
    """Look up how many years a harbour master has served."""
    return 9


TOOLS = [mooring_fee, harbour_master, marina_owner, master_years]
FEE = parse_plan('s1: mooring_fee(marina="Linsey Cove")')


def test_a_who_question_s_number_call_goes_to_the_tool_that_names_a_person() -> None:
    question = "Who's in charge at Linsey Cove?"
    assert any("asks who" in doubt for doubt in fit_doubts(FEE, question, TOOLS))
    fixed = refitted(FEE, question, TOOLS)
    assert fixed is not None
    assert fixed.render() == 's1: harbour_master(marina="Linsey Cove")'


@pytest.mark.parametrize(
    ("plan", "question"),
    [
        (FEE, "Who charges more, Linsey Cove or Port Ashby?"),  # a comparison of numbers
        (FEE, "How much does Linsey Cove charge?"),  # no "who"
        (FEE, "How much is the fee at the marina whose master is Ada?"),  # relative
        (parse_plan('s1: harbour_master(marina="Linsey Cove")'), "Who runs Linsey Cove?"),
        # A chain ending in a number: the plan has more than one call.
        (
            parse_plan('s1: harbour_master(marina="X")\ns2: master_years(master=s1)'),
            "Who is at X and for how long?",
        ),
    ],
)
def test_other_plans_and_questions_stay(plan: object, question: str) -> None:
    assert who_misfits(plan, question, TOOLS) == []  # type: ignore[arg-type]


def test_two_tools_that_name_a_person_leave_the_plan_to_the_model() -> None:
    @inout
    def marina_warden(marina: str) -> str:
        """Look up who the warden of a marina is; returns the warden's name."""
        return "Bo"

    assert who_misfits(FEE, "Who's in charge at Linsey Cove?", [*TOOLS, marina_warden]) == []
