"""Names a plan cuts short are given whole (`agent.whole_names`)."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.whole_names import misspelt_names, whole_names
from langchain_llmorch.local.server import EMBEDDED_MARK
from langchain_llmorch.testing import planner_or


@pytest.mark.parametrize(
    ("value", "question", "whole"),
    [
        ("Ashby", "Port Ashby vs Tarrow Quay: which is dearer?", "Port Ashby"),
        ("Kells", "How deep is the Bay of Kells?", "Bay of Kells"),
        ("Ives", "Is St Ives Harbour busy tonight?", "St Ives Harbour"),
        ("Ashby", "Is Port Ashby's fee higher?", "Port Ashby"),
    ],
)
def test_a_name_written_only_inside_a_longer_one_is_made_whole(
    value: str, question: str, whole: str
) -> None:
    plan = parse_plan(f's1: fee(marina="{value}")')
    fixed = whole_names(plan, question)
    assert fixed is not None
    assert fixed.render() == f's1: fee(marina="{whole}")'


@pytest.mark.parametrize(
    ("value", "question"),
    [
        ("Ashby", "Is Ashby dearer than Port Ashby?"),  # written alone too
        ("Ashby", "Is Ashby dearer than Tarrow Quay?"),  # "Is" starts the sentence
        ("Ashby", "Port Ashby or Ashby Vale: which is dearer?"),  # inside two names
        ("Copper Bell", "What do 5 tickets for The Copper Bell cost?"),  # the article
        ("Tessaly", "If Tessaly keeps going, how many tonnes?"),
        ("Port Ashby", "What is the fee at Port Ashby?"),  # whole already
    ],
)
def test_a_name_written_alone_or_ambiguous_is_left(value: str, question: str) -> None:
    assert whole_names(parse_plan(f's1: fee(marina="{value}")'), question) is None


@inout
def mooring_fee(marina: str) -> float:
    """Look up what mooring at a marina costs per night."""
    return {"Port Ashby": 29.5, "Tarrow Quay": 44.0}[marina]


def test_the_embedded_models_plan_runs_with_the_whole_name() -> None:
    model = planner_or(
        's1: mooring_fee(marina="Ashby")\ns2: mooring_fee(marina="Tarrow Quay")',
        "Port Ashby charges 29.5 and Tarrow Quay 44.0.",
    )
    model.metadata = {EMBEDDED_MARK: "qwen"}
    agent = create_llmorch_agent(model, [mooring_fee], append_results=False)
    question = "Port Ashby vs Tarrow Quay: which charges more per night?"
    out: Any = agent.invoke({"messages": [("user", question)]})
    assert out["results"] == {"s1": 29.5, "s2": 44.0}
    assert 'marina="Port Ashby"' in out["plan"]


@inout
def shaft_depth(mine: str) -> int:
    """Look up how deep a mine's main shaft goes, in metres."""
    return 945


@inout
def mine_owner(mine: str) -> str:
    """Look up which company owns a mine; returns the company's name."""
    return "Halden"


@pytest.mark.parametrize(
    ("value", "question", "bare"),
    [
        ("Orla's shaft", "How deep is Orla's shaft?", "Orla"),
        ("Orla's main shaft", "How far does Orla's main shaft go?", "Orla"),
        ("Orla's owner", "How deep is the shaft of Orla's owner?", None),  # not the tool's
        ("Orla's shaft", "How deep is the Orla shaft?", None),  # not written so
    ],
)
def test_what_the_tool_measures_is_no_part_of_the_name(
    value: str, question: str, bare: str | None
) -> None:
    from langchain_llmorch.agent.whole_names import bare_names

    plan = parse_plan(f's1: shaft_depth(mine="{value}")')
    fixed = bare_names(plan, question, [shaft_depth, mine_owner])
    assert (fixed.render() if fixed else None) == (
        f's1: shaft_depth(mine="{bare}")' if bare else None
    )


def test_a_possessed_word_of_another_called_tool_is_no_part_of_the_name() -> None:
    from langchain_llmorch.agent.whole_names import bare_names

    @inout
    def workforce(mine: str) -> int:
        """Look up how many people work at a mine."""
        return 263

    plan = parse_plan('s1: shaft_depth(mine="Orla\'s shaft")\ns2: workforce(mine="Orla\'s shaft")')
    question = "Tell me how deep Orla's shaft is and how many people work there."
    fixed = bare_names(plan, question, [shaft_depth, workforce])
    assert fixed is not None
    assert fixed.render() == 's1: shaft_depth(mine="Orla")\ns2: workforce(mine="Orla")'


@pytest.mark.parametrize(
    ("value", "question", "meant"),
    [
        ("Ferrrow Ridge", "Is Caldwick lower than Ferrow Ridge?", "Ferrow Ridge"),
        ("Caldwikc", "Is Caldwick lower than Ferrow Ridge?", "Caldwick"),
        ("tesaly", "Which mine is deeper, Tessaly or Wenlow?", "Tessaly"),
    ],
)
def test_a_name_misspelt_by_a_letter_or_two_is_written_as_the_question_writes_it(
    value: str, question: str, meant: str
) -> None:
    fixed = misspelt_names(parse_plan(f's1: depth(site="{value}")'), question)
    assert fixed is not None
    assert fixed.render() == f's1: depth(site="{meant}")'


@pytest.mark.parametrize(
    ("value", "question"),
    [
        ("Orrin", "Is Orrin Gap deeper than Wenlow?"),  # cut short: whole_names' to mend
        ("Leeds", "Is Leeds bigger than Leads?"),  # written as it is
        ("Farrow", "Is Barrow bigger than Harrow?"),  # near two names: which is unknown
        ("Paris", "What is the weather in Rome?"),  # near none
        ("Bon", "Is Ban open?"),  # too short to tell a misspelling from another name
    ],
)
def test_a_text_no_single_name_is_a_misspelling_of_stays(value: str, question: str) -> None:
    assert misspelt_names(parse_plan(f's1: depth(site="{value}")'), question) is None


def test_a_whole_name_after_the_verb_that_opens_the_sentence_stays() -> None:
    question = "Stack Marrock Point's tower on top of Skellan Head's: how high is that?"
    assert whole_names(parse_plan('s1: height(site="Marrock Point")'), question) is None
    # One word after it is a name cut short.
    fixed = whole_names(parse_plan('s1: fee(marina="Ashby")'), "Port Ashby or Tarrow Quay?")
    assert fixed is not None
    assert fixed.render() == 's1: fee(marina="Port Ashby")'
