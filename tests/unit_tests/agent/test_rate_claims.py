"""Answers that loop, that state no result, or that call a computed amount a rate."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.comparisons import unanswered_comparisons
from langchain_llmorch.agent.facts import Fact
from langchain_llmorch.agent.rate_claims import (
    Total,
    rates_misstated,
    totals,
    totals_as_rates,
    totals_put_right,
)
from langchain_llmorch.testing import ScriptedChatModel, request_kind

PRICES = {"Quill": 24.0, "Marrow": 18.0}


@inout
def price_per_kg(tea: str) -> float:
    """Look up what one kilogram of a tea costs, in euros."""
    return PRICES[tea]


@inout
def shop_owner(shop: str) -> str:
    """Look up who owns a tea shop; returns the owner's name."""
    return "Ilse Brandt"


@inout
def owner_shops(owner: str) -> int:
    """Look up how many tea shops a person owns."""
    return 9


class Script:
    """Plans `plan`, then answers with each of `answers` in turn (the last one repeats)."""

    def __init__(self, plan: str, *answers: str) -> None:
        self.plan, self.answers = plan, list(answers)
        self.joins: list[str] = []

    def __call__(self, messages: list[BaseMessage]) -> str:
        if request_kind(messages) in {"plan", "repair"}:
            return self.plan
        self.joins.append(messages[-1].text)
        return self.answers[min(len(self.joins), len(self.answers)) - 1]


def _ask(script: Script, question: str) -> str:
    agent = create_llmorch_agent(
        ScriptedChatModel(script),
        [price_per_kg, shop_owner, owner_shops],
        check_answers=True,
        append_results=False,
    )
    out: Any = agent.invoke({"messages": [("user", question)]})
    return str(out["messages"][-1].text)


FACT = Fact("price_per_kg(tea=Quill) x 0.5 = 24 x 0.5 = 12", 12.0, "price_per_kg", rate=24.0)
BASES = {"price_per_kg": {"kilogram", "tea"}}


@pytest.mark.parametrize(
    "said",
    [
        "The price per kilogram of Quill is 12 euros.",
        "Each kilogram of Quill costs 12 euros.",
        "Quill costs 12 euros a kilogram.",
    ],
)
def test_a_computed_amount_called_a_rate_is_found(said: str) -> None:
    assert rates_misstated(said, [FACT], BASES) == [said]


@pytest.mark.parametrize(
    "said",
    [
        "500 g of Quill cost 12 euros, at 24 per kilogram.",  # the rate beside it
        "500 grams of Quill cost 12 euros.",  # no rate word
        "Half a kilogram of Quill costs 12 euros.",  # "half a kilogram": an amount
        "It costs 12 euros per order.",  # per something the rate is not for
        "Each kilogram is weighed; so 500 g cost 12 euros.",  # another clause
    ],
)
def test_a_rate_stated_beside_the_amount_or_another_base_is_no_claim(said: str) -> None:
    assert rates_misstated(said, [FACT], BASES) == []


def test_a_sum_is_no_rate() -> None:
    total = Fact("total: 24 + 18 = 42", 42.0, "price_per_kg")  # no rate: a sum
    assert rates_misstated("Together they cost 42 euros per kilogram.", [total], BASES) == []


def test_an_answer_calling_the_amount_a_rate_goes_back_and_is_not_kept() -> None:
    wrong = "The price per kilogram of Quill is 12 euros."
    script = Script('s1: price_per_kg(tea="Quill")', wrong, "500 grams of Quill cost 12 euros.")
    assert _ask(script, "What do 500 grams of Quill cost?") == "500 grams of Quill cost 12 euros."
    assert "calls the computed total a rate" in script.joins[1]
    again = Script('s1: price_per_kg(tea="Quill")', wrong)
    answer = _ask(again, "What do 500 grams of Quill cost?")
    assert "12" in answer
    assert "per kilogram of Quill is 12" not in answer


def test_a_looping_answer_is_said_once_and_one_without_any_result_gives_way() -> None:
    loop = "1 tea blend\n1 leaf grade\n" * 20
    plan = 's1: shop_owner(shop="Leafwell")\ns2: owner_shops(owner=s1)'
    script = Script(plan, loop)
    answer = _ask(script, "How many shops does the person who owns Leafwell own?")
    assert "9" in answer
    assert "1 tea blend" not in answer
    kept = Script(plan, loop, "Ilse Brandt owns 9 tea shops.")
    assert _ask(kept, "How many shops does the person who owns Leafwell own?") == (
        "Ilse Brandt owns 9 tea shops."
    )


def test_a_comparison_asked_for_the_smaller_is_stated_as_asked() -> None:
    from langchain_llmorch import parse_plan

    quill, marrow = parse_plan(
        's1: price_per_kg(tea="Quill")\ns2: price_per_kg(tea="Marrow")'
    ).calls
    numeric = {"s1": (quill, 24.0), "s2": (marrow, 18.0)}
    said = "Quill is 24 euros. Marrow is 18 euros."
    assert unanswered_comparisons("Which tea is cheaper, Quill or Marrow?", said, numeric) == [
        "the results say Marrow (18.0) is cheaper than Quill (24.0)"
    ]


@inout
def adult_fare(train: str) -> float:
    """Look up what one adult's ticket for a train costs, in euros."""
    return 71.0


@pytest.mark.parametrize(
    "said",
    [
        "Each of the 4 adults needs a ticket, so together they cost 284 euros.",
        "Tickets for 4 adults cost 284 euros, one ticket per adult.",
        "Each adult needs a ticket: 284 euros for all 4 of them.",
    ],
)
def test_a_right_total_beside_a_rate_word_is_kept_as_said(said: str) -> None:
    script = Script('s1: adult_fare(train="Coldfell")', said)
    agent = create_llmorch_agent(
        ScriptedChatModel(script), [adult_fare], check_answers=True, append_results=False
    )
    out: Any = agent.invoke({"messages": [("user", "What do tickets for 4 adults cost?")]})
    assert out["messages"][-1].text == said
    assert len(script.joins) == 1


@inout
def tasting_price(tea: str, guests: int) -> float:
    """The price, in euros, of a tea tasting for a number of guests."""
    return {"Quill": 9.0}[tea] * guests


@pytest.mark.parametrize(
    "said",
    [
        "A tasting of Quill costs 36 euros per guest.",
        "The tasting costs 36 euros for each guest.",
        "It is 36 euros a guest.",
        "Quill's tasting comes to 36 euros for one guest.",
    ],
)
def test_a_tool_s_total_called_the_price_of_one_is_found(said: str) -> None:
    total = Total(36.0, 4.0, "guests")
    assert totals_as_rates(said, [total]) == [said]
    put_right = totals_put_right(said, [total])
    assert "for 4 guests" in put_right
    assert totals_as_rates(put_right, [total]) == []


@pytest.mark.parametrize(
    "said",
    [
        "A tasting for 4 guests costs 36 euros.",
        "It costs 36 euros, 9 euros per guest.",
        "The tasting costs 36 euros; each guest gets 3 cups.",
    ],
)
def test_a_total_said_for_its_amount_or_beside_its_share_is_no_claim(said: str) -> None:
    assert totals_as_rates(said, [Total(36.0, 4.0, "guests")]) == []


def test_only_a_plural_amount_other_than_one_makes_a_total() -> None:
    calls = parse_plan(
        's1: tasting_price(tea="Quill", guests=4)\n'
        's2: tasting_price(tea="Quill", guests=1)\n'
        's3: price_per_kg(tea="Quill")'
    ).calls
    numeric = {c.id: (c, 9.0) for c in calls}
    assert totals(numeric) == [Total(9.0, 4.0, "guests")]


def test_a_total_called_the_price_of_one_goes_back_and_is_put_right() -> None:
    plan = 's1: tasting_price(tea="Quill", guests=4)'
    wrong = "A tasting of Quill costs 36.0 euros per guest."
    fixed = "A tasting of Quill for 4 guests costs 36.0 euros."
    agent_script = Script(plan, wrong, fixed)
    question = "What does a tasting of Quill cost for 4 guests?"
    tools = [tasting_price]
    agent = create_llmorch_agent(
        ScriptedChatModel(agent_script), tools, check_answers=True, append_results=False
    )
    out: Any = agent.invoke({"messages": [("user", question)]})
    assert out["messages"][-1].text == fixed
    assert "calls the computed total a rate" in agent_script.joins[1]
    stubborn = Script(plan, wrong)
    agent = create_llmorch_agent(
        ScriptedChatModel(stubborn), tools, check_answers=True, append_results=False
    )
    out = agent.invoke({"messages": [("user", question)]})
    assert out["messages"][-1].text == "A tasting of Quill costs 36.0 euros for 4 guests."


def test_a_span_s_total_called_daily_is_a_rate_claim() -> None:
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.facts import Fact
    from langchain_llmorch.agent.rate_claims import rates_misstated

    parse_plan('s1: tonnes_mined(mine="Orla")')
    fact = Fact("tonnes x 7 (days in a week) = 415 x 7 = 2905", 2905.0, "tonnes_mined", rate=415.0)
    bases = {"tonnes_mined": ("day",)}
    said = "The daily output for Orla is 2905 tonnes."
    assert rates_misstated(said, [fact], bases) == [said]
    assert rates_misstated("Orla mines 2905 tonnes in a week.", [fact], bases) == []
