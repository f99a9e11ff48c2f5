"""Names given to the wrong tool: a tool fed its own result, a look-up skipped, a misfit.

Read from the tools' own words (`agent.tool_fit`), put right without asking the model
again when the embedded model's plan checks are on, left alone for other models.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import (
    fit_doubts,
    misfit_tools,
    returns_text,
    self_chains,
    skipped_lookups,
)
from langchain_llmorch.testing import ScriptedChatModel, request_kind

COUNTRIES = {"Seville": "Spain", "Bergen": "Norway"}
PRICES = {"Spain": 0.28, "Norway": 0.12}


@inout
def city_country(city: str) -> str:
    """Look up which country a city is in; returns the country's name."""
    return COUNTRIES[city]


@inout
def power_price(country: str) -> float:
    """Look up the price of one kilowatt-hour of electricity in a country."""
    return PRICES[country]


@inout
def parcel_rate(carrier: str) -> float:
    """Look up what a carrier charges to ship one kilogram."""
    return {"Parcelio": 1.9}[carrier]


@inout
def item_weight(item: str) -> float:
    """Look up how much one item weighs, in kilograms."""
    return {"chair": 7.8, "Chair": 7.8}[item]


@inout
def lift_height(mountain: str) -> int:
    """The height of a mountain above sea level."""
    return 5895


@inout
def country_code(country: str) -> int:
    """The dialling code of a country's phone numbers."""
    return 34


@inout
def box_weight(box: str) -> float:
    """Look up how much a box weighs."""
    return 1.0


ENERGY = [city_country, power_price]
SHOP = [parcel_rate, item_weight]


def test_a_tool_fed_its_own_result_is_doubted_and_another_tools_is_not() -> None:
    plan = parse_plan('s1: power_price(country="Spain")\ns2: power_price(country=s1)')
    assert self_chains(plan) == [
        (
            "s2 gives power_price the result of s1, a power_price call too: "
            "another tool must find what power_price is given"
        )
    ]
    chained = parse_plan('s1: city_country(city="Seville")\ns2: power_price(country="{s1}")')
    assert self_chains(chained) == []


def test_a_skipped_look_up_is_doubted_naming_the_tool_that_does_it() -> None:
    question = "What does a kWh cost in the country that Seville is in?"
    plan = parse_plan('s1: power_price(country="Seville")')
    (doubt,) = skipped_lookups(plan, question, ENERGY)
    assert doubt.startswith('s1 gives country="Seville", but the question asks for the country')
    assert "city_country looks that up" in doubt


@pytest.mark.parametrize(
    ("question", "plan", "tools"),
    [
        # the look-up is in the plan already, its result passed
        (
            "What does a kWh cost in the country that Seville is in?",
            's1: city_country(city="Seville")\ns2: power_price(country=s1)',
            ENERGY,
        ),
        # the question names the country itself
        ("What does a kWh cost in Spain?", 's1: power_price(country="Spain")', ENERGY),
        # the only tool that knows about countries returns a number, not a name
        (
            "What does a kWh cost in the country that Seville is in?",
            's1: power_price(country="Seville")',
            [country_code, power_price],
        ),
    ],
)
def test_no_look_up_is_asked_for_when_none_is_missing(
    question: str, plan: str, tools: list[Any]
) -> None:
    assert skipped_lookups(parse_plan(plan), question, tools) == []


def test_a_name_asked_about_with_another_tools_words_is_doubted() -> None:
    question = "What does Parcelio charge per kilogram, and what does a chair weigh?"
    plan = parse_plan('s1: parcel_rate(carrier="Parcelio")\ns2: parcel_rate(carrier="chair")')
    assert misfit_tools(plan, question, SHOP) == [
        (
            's2 asks parcel_rate about "chair", but the question asks "what does a chair '
            'weigh" (weigh): item_weight fits that'
        )
    ]


def test_an_adjective_stands_for_its_noun() -> None:
    plan = parse_plan('s1: parcel_rate(carrier="Kilimanjaro")')
    (doubt,) = misfit_tools(plan, "How high is Kilimanjaro?", [parcel_rate, lift_height])
    assert doubt.endswith("(height): lift_height fits that")


@pytest.mark.parametrize(
    ("question", "tools"),
    [
        ("What does Parcelio charge to ship a kilogram?", SHOP),  # the clause fits the tool
        ("Parcelio?", SHOP),  # nothing said about it
        # two tools with the words of the question: neither fits better
        ("What does Parcelio weigh?", [parcel_rate, item_weight, box_weight]),
    ],
)
def test_no_misfit_when_the_words_fit_or_say_nothing_or_tie(
    question: str, tools: list[Any]
) -> None:
    plan = parse_plan('s1: parcel_rate(carrier="Parcelio")')
    assert misfit_tools(plan, question, tools) == []


def test_returns_text_reads_the_return_annotation() -> None:
    assert returns_text(city_country)
    assert not returns_text(power_price)


def test_refitted_puts_each_kind_right_and_leaves_a_right_plan_alone() -> None:
    question = "What does a kWh cost in the country that Seville is in?"
    plan = parse_plan('s1: power_price(country="Seville")\ns2: power_price(country=s1)')
    fixed = refitted(plan, question, ENERGY)
    assert fixed is not None
    assert fixed.render() == 's1: city_country(city="Seville")\ns2: power_price(country=s1)'
    assert fit_doubts(fixed, question, ENERGY) == []
    assert refitted(fixed, question, ENERGY) is None
    swapped = refitted(
        parse_plan('s1: parcel_rate(carrier="Parcelio")\ns2: parcel_rate(carrier="chair")'),
        "What does Parcelio charge per kilogram, and what does a chair weigh?",
        SHOP,
    )
    assert swapped is not None
    assert swapped.render() == 's1: parcel_rate(carrier="Parcelio")\ns2: item_weight(item="chair")'


def test_a_self_fed_call_that_a_later_call_uses_is_kept() -> None:
    plan = parse_plan(
        's1: power_price(country="Spain")\ns2: power_price(country=s1)\n'
        's3: self(prompt="about {s2}")'
    )
    assert refitted(plan, "What does a kWh cost in Spain?", ENERGY) is None


class Script:
    """Plans `plan`, records the requests' kinds, answers in words."""

    def __init__(self, plan: str) -> None:
        self.plan = plan
        self.kinds: list[str] = []

    def __call__(self, messages: list[BaseMessage]) -> str:
        kind = request_kind(messages)
        self.kinds.append(kind)
        return self.plan if kind in {"plan", "repair"} else "A kWh costs 0.28 there."


@pytest.mark.parametrize("check", [True, False])
def test_the_agent_puts_a_skipped_look_up_right_without_asking_again(*, check: bool) -> None:
    script = Script('s1: power_price(country="Seville")')
    agent = create_llmorch_agent(
        ScriptedChatModel(script), ENERGY, check_plans=check, raise_on_failure=False
    )
    out = agent.invoke(
        {"messages": [("user", "What does a kWh cost in the country that Seville is in?")]}
    )
    if check:
        assert script.kinds == ["plan", "join"]
        assert out["plan"] == 's1: city_country(city="Seville")\ns2: power_price(country=s1)'
        assert out["results"] == {"s1": "Spain", "s2": 0.28}
    else:  # other models' plans run as written
        assert out["plan"] == 's1: power_price(country="Seville")'
        assert "s1" not in out["results"]


@inout
def album_artist(album: str) -> str:
    """Look up which artist recorded an album; returns the artist's name."""
    return "Mira Vale"


@inout
def followers(artist: str) -> int:
    """How many followers an artist has."""
    return 48200


@pytest.mark.parametrize(
    "question",
    [
        "How many followers does the artist of Blue Harbor have?",
        "How many followers does the artist of the album Blue Harbor have?",
    ],
)
def test_an_article_and_a_kind_word_may_stand_before_the_name(question: str) -> None:
    fixed = refitted(
        parse_plan('s1: followers(artist="Blue Harbor")'), question, [album_artist, followers]
    )
    assert fixed is not None
    assert fixed.render() == 's1: album_artist(album="Blue Harbor")\ns2: followers(artist=s1)'


@inout
def ship_rate(carrier: str) -> float:
    """Look up what a carrier charges to ship one kilogram."""
    return 2.35


@inout
def boxes(kilograms: float) -> int:
    """How many boxes a load of `kilograms` needs."""
    return 3


def test_an_amount_in_the_unit_a_called_tool_prices_is_not_asked_for() -> None:
    from langchain_llmorch.agent.checks import plan_doubts
    from langchain_llmorch.agent.tool_inputs import tool_defaults, tool_inputs

    tools = [ship_rate, boxes]
    plan = parse_plan('s1: ship_rate(carrier="Swiftpost")')

    def doubts(question: str) -> list[str]:
        return plan_doubts(
            plan, question, tool_defaults(tools), question=question,
            inputs=tool_inputs(tools), tools=tools,
        )  # fmt: skip

    assert doubts("What does Swiftpost charge to ship 12 kg?") == []
    assert doubts("What does Swiftpost charge to ship 12 boxes?") == [
        "the question gives 12, but no call uses it"
    ]


@inout
def moon_planet(moon: str) -> str:
    """Look up which planet a moon orbits; returns the planet's name."""
    return "Saturn"


@inout
def gravity(planet: str) -> float:
    """The surface gravity of a planet."""
    return 10.44


def test_a_possessive_asks_for_a_look_up_and_a_kind_word_alone_does_not() -> None:
    plan = parse_plan('s1: power_price(country="Seville")')
    fixed = refitted(plan, "What does a kWh cost in Seville's country?", ENERGY)
    assert fixed is not None
    assert fixed.render() == 's1: city_country(city="Seville")\ns2: power_price(country=s1)'
    # "the planet Mars" says what Mars is; "the gravity of ..." is what the call gives
    mars = parse_plan('s1: gravity(planet="Mars")')
    question = "What is the gravity of the planet Mars?"
    assert refitted(mars, question, [moon_planet, gravity]) is None


def test_a_look_up_whose_result_is_not_passed_gives_it() -> None:
    question = "What does a kWh cost in the country that Seville is in?"
    plan = parse_plan('s1: city_country(city="Seville")\ns2: power_price(country="Seville")')
    (doubt,) = skipped_lookups(plan, question, ENERGY)
    assert doubt.endswith("s1 looks that up; pass its result as country")
    fixed = refitted(plan, question, ENERGY)
    assert fixed is not None
    assert fixed.render() == 's1: city_country(city="Seville")\ns2: power_price(country=s1)'


@inout
def factor(from_unit: str, to_unit: str) -> float:
    """How many `to_unit` make one `from_unit`."""
    return 3.785


@pytest.mark.parametrize(
    ("plan", "question", "fixed"),
    [
        (
            's1: factor(from_unit="15 gallons", to_unit="litres")',
            "How many litres are 15 gallons?",
            's1: factor(from_unit="gallons", to_unit="litres")',
        ),
        # a title with a number, and a text the question does not write, stay
        ('s1: factor(from_unit="12 Angry Men", to_unit="x")', "Is 12 Angry Men long?", None),
        ('s1: factor(from_unit="15 gallons", to_unit="x")', "Convert 15 US gallons", None),
    ],
)
def test_an_amount_written_into_a_name_is_taken_out(
    plan: str, question: str, fixed: str | None
) -> None:
    refit = refitted(parse_plan(plan), question, [factor])
    assert (refit.render() if refit else None) == fixed
    assert bool(fit_doubts(parse_plan(plan), question, [factor])) is (fixed is not None)


@inout
def next_prime(n: int) -> int:
    """The smallest prime above n."""
    return {10: 11, 11: 13}[n]


def test_a_self_fed_call_whose_result_fits_its_argument_is_kept() -> None:
    plan = parse_plan("s1: next_prime(n=10)\ns2: next_prime(n=s1)")
    question = "What is the next prime after the next prime after 10?"
    assert self_chains(plan)  # doubted: the model is asked once
    assert refitted(plan, question, [next_prime]) is None  # but not dropped


@inout
def book_author(book: str) -> str:
    """Look up who wrote a book; returns the author's name."""
    return "Tobias Crane"


@inout
def birth_year(author: str) -> int:
    """The year an author was born."""
    return 1978


def test_a_name_ending_in_s_takes_the_apostrophe_alone() -> None:
    plan = parse_plan('s1: birth_year(author="Iron Lanterns")')
    fixed = refitted(plan, "Iron Lanterns' author was born when?", [book_author, birth_year])
    assert fixed is not None
    assert fixed.render() == 's1: book_author(book="Iron Lanterns")\ns2: birth_year(author=s1)'
    assert refitted(plan, "Iron Lanterns author", [book_author, birth_year]) is None


def test_who_verbs_a_name_asks_the_look_up_though_the_call_takes_the_doer() -> None:
    @inout
    def lighthouse_keeper(lighthouse: str) -> str:
        """Look up who keeps a lighthouse; returns the keeper's name."""
        return "Maren Tolle"

    @inout
    def keeper_service(keeper: str) -> int:
        """Look up how many years a lighthouse keeper has served."""
        return 23

    tools = [lighthouse_keeper, keeper_service]
    plan = parse_plan('s1: keeper_service(keeper="Ostreby")')
    question = "Who keeps the Ostreby light, and how long have they served?"
    fixed = refitted(plan, question, tools)
    assert fixed is not None
    assert fixed.render() == (
        's1: lighthouse_keeper(lighthouse="Ostreby")\ns2: keeper_service(keeper=s1)'
    )
