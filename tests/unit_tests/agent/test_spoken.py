"""Calls an answer copies as code, said in words (`agent.spoken`)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.spoken import plain_calls, spoken, with_results
from langchain_llmorch.testing import ScriptedChatModel, request_kind

PLAN = parse_plan(
    's1: kiln_owner(kiln="Ashby")\ns2: owner_kilns(owner=s1)\n'
    's3: firing_cost(kiln="Ashby", hours=6)\ns4: kiln_owner(kiln=s9)'
)
CALLS = {call.id: call for call in PLAN.calls}
RESULTS = {"s1": "Mara Voll", "s2": 4, "s3": 54.0}


@pytest.mark.parametrize(
    ("call_id", "words"),
    [
        ("s1", "the kiln owner of Ashby"),
        ("s2", "the owner kilns of Mara Voll"),  # a chained argument: its result
        ("s3", "the firing cost of Ashby for 6 hours"),
        ("s4", None),  # a result not known: said as it was
    ],
)
def test_a_call_is_said_by_its_tool_and_what_it_was_given(call_id: str, words: str | None) -> None:
    assert spoken(CALLS[call_id], RESULTS) == words


@pytest.mark.parametrize(
    ("answer", "plain"),
    [
        ('The kiln_owner(kiln="Ashby") is Mara Voll.', "The kiln owner of Ashby is Mara Voll."),
        ("kiln_owner(kiln=Ashby) is Mara Voll.", "The kiln owner of Ashby is Mara Voll."),
        (
            "It costs 54.0: firing_cost(kiln='Ashby', hours=6).",
            "It costs 54.0: the firing cost of Ashby for 6 hours.",
        ),
        ("So owner_kilns(owner=s1) = 4.", "So the owner kilns of Mara Voll = 4."),
        ("Mara Voll owns 4 kilns.", "Mara Voll owns 4 kilns."),
        ('Kiln_owner(kiln="Ashby") = Mara Voll', "The kiln owner of Ashby = Mara Voll"),
    ],
)
def test_an_answer_s_copied_calls_are_said_in_words(answer: str, plain: str) -> None:
    assert plain_calls(answer, CALLS, RESULTS) == plain


@inout
def kiln_owner(kiln: str) -> str:
    """Look up who owns a kiln; returns the owner's name."""
    return "Mara Voll"


def _answer(*, check: bool) -> str:
    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) in {"plan", "repair"}:
            return 's1: kiln_owner(kiln="Ashby")'
        return 'The kiln_owner(kiln="Ashby") is Mara Voll.'

    agent = create_llmorch_agent(
        ScriptedChatModel(script), [kiln_owner], check_answers=check, append_results=False
    )
    out: Any = agent.invoke({"messages": [("user", "Who owns the Ashby kiln?")]})
    return str(out["messages"][-1].text)


def test_the_answer_checks_say_copied_calls_in_words_and_others_keep_the_model_s() -> None:
    assert _answer(check=True) == "The kiln owner of Ashby is Mara Voll."
    assert _answer(check=False) == 'The kiln_owner(kiln="Ashby") is Mara Voll.'


def test_a_long_chained_result_is_not_said_in_place_of_its_call() -> None:
    page, count = parse_plan('s1: fetch_page(url="x")\ns2: word_count(text=s1)').calls
    results = {"s1": "Lorem ipsum " * 400, "s2": 812}
    assert spoken(count, results) is None
    said = "The word_count(text=s1) is 812."
    assert plain_calls(said, {"s1": page, "s2": count}, results) == said


@pytest.mark.parametrize(
    ("call_id", "shown"),
    [
        ("s2", 'owner_kilns(owner="Mara Voll")'),  # a short text result: in quotes
        ("s4", "kiln_owner(kiln=s9)"),  # no result: the reference stays
    ],
)
def test_a_chained_argument_is_shown_as_its_result(call_id: str, shown: str) -> None:
    assert with_results(CALLS[call_id], RESULTS).expression() == shown
    _, count = parse_plan('s1: fetch_page(url="x")\ns2: word_count(text=s1)').calls
    assert with_results(count, {"s1": "Lorem ipsum " * 400}) == count


@inout
def owner_kilns(owner: str) -> int:
    """Look up how many kilns a person owns."""
    return 4


def test_the_joiner_and_the_results_answer_show_a_chained_call_by_its_result() -> None:
    requests: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) in {"plan", "repair"}:
            return 's1: kiln_owner(kiln="Ashby")\ns2: owner_kilns(owner=s1)'
        requests.append(messages[-1].text)
        return ""  # no answer: the results speak

    agent = create_llmorch_agent(ScriptedChatModel(script), [kiln_owner, owner_kilns])
    out: Any = agent.invoke({"messages": [("user", "How many kilns has the Ashby kiln's owner?")]})
    assert 'owner_kilns(owner="Mara Voll") = 4' in requests[0]
    assert 'owner_kilns(owner="Mara Voll") = 4' in out["messages"][-1].text
    assert "owner=s1" not in out["messages"][-1].text
