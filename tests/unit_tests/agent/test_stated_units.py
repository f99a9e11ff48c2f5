"""A result written with another unit than its tool gives it in ("24 pounds" for 24 kg,
"$145" for 145 euros) is a contradicted claim: sent back once, then put right."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.facts import Fact
from langchain_llmorch.agent.stated_units import (
    Unit,
    correct_units,
    misnamed_units,
    result_units,
    unit_in,
    unit_name,
)
from langchain_llmorch.plan.language import Call
from langchain_llmorch.testing import ScriptedChatModel, request_kind


@pytest.mark.parametrize(
    ("description", "name", "word"),
    [
        ("Look up what one night at a hotel costs, in euros.", "hotel_rate", "euros"),
        ("Look up how many grams of food an animal eats a day.", "daily_food", "grams"),
        ("Look up what one kilogram of a blend costs, in dollars.", "price_per_kg", "dollars"),
        ("Look up at what altitude, in metres above sea level, farms lie.", "altitude", "metres"),
        ("Look up the fuel a car uses per 100 km, in litres.", "fuel_use", "litres"),
        ("Look up how many years an animal of a species lives.", "lifespan", "years"),
        ("The weight of a parcel.", "parcel_weight_kg", "kg"),
    ],
)
def test_the_unit_a_result_is_in_is_read_from_the_tool(
    description: str, name: str, word: str
) -> None:
    unit = unit_in(description, name)
    assert unit is not None
    assert unit.word == word


@pytest.mark.parametrize(
    ("description", "name"),
    [
        ("Convert an amount in dollars to euros.", "convert"),  # two units: which?
        ("The distance from a city, in miles or kilometres.", "distance"),
        ("Look up what one kilogram of a blend costs.", "price_per_kg"),  # the rate's unit
        ("Look up a hotel's guest rating, out of 10.", "hotel_rating"),
        ("Look up how many rooms a hotel has.", "hotel_rooms"),
        ("Look up the weight of a parcel in kg, and its price.", "parcel_price_eur"),
        # The unit of an input, not of the result:
        ("What charging a car at a station costs for a number of hours.", "charging_cost"),
        ("Look up what a taxi charges for a distance in miles.", "taxi_fare"),
        ("What shipping a parcel costs.\n\nArgs:\n    weight: in kilograms.", "shipping"),
        # A name's last word that is no unit there:
        ("Look up the lowest price of a product.", "price_min"),
        ("Look up a shop's sales this year.", "sales_this_year"),
    ],
)
def test_a_tool_that_does_not_say_one_unit_has_none(description: str, name: str) -> None:
    assert unit_in(description, name) is None


@pytest.mark.parametrize(
    ("description", "name", "word"),
    [
        ("Look up a city's noon temperature, in degrees Celsius.", "temperature", "°C"),
        ("Look up what a gram of gold costs, in US dollars.", "gold_price", "dollars"),
        ("Look up a load's weight.", "load_weight_t", "tonnes"),
    ],
)
def test_a_unit_is_written_back_as_people_write_it(description: str, name: str, word: str) -> None:
    unit = unit_in(description, name)
    assert unit is not None
    assert unit.word == word


def test_spellings_that_could_mean_two_things_in_prose_are_no_unit() -> None:
    assert unit_name("m") is None  # metres, or millions
    assert unit_name("g") is None
    assert unit_name("km") == unit_name("kilometres") == unit_name("kilometre")
    assert unit_name("$") == unit_name("USD") == unit_name("dollars")
    assert unit_name("apples") is None


@inout
def adult_weight(animal: str) -> float:
    """Look up what an adult animal of a species weighs, in kilograms."""
    return {"dog": 24.0, "cat": 4.5}[animal]


@inout
def hotel_rate(hotel: str) -> float:
    """Look up what one night at a hotel costs, in euros."""
    return {"Marlow": 145.0, "Alder": 112.0}[hotel]


@inout
def hotel_rooms(hotel: str) -> int:
    """Look up how many rooms a hotel has."""
    return {"Marlow": 24, "Alder": 145}[hotel]


UNITS = result_units([adult_weight, hotel_rate, hotel_rooms])


def _numeric(source: str, values: list[float]) -> dict[str, tuple[Call, float]]:
    calls = parse_plan(source).calls
    return {call.id: (call, value) for call, value in zip(calls, values, strict=True)}


DOG = _numeric('s1: adult_weight(animal="dog")', [24.0])
MARLOW = _numeric('s1: hotel_rate(hotel="Marlow")', [145.0])


@pytest.mark.parametrize(
    ("said", "numeric", "fixed"),
    [
        ("An adult dog weighs 24 pounds.", DOG, "An adult dog weighs 24 kilograms."),
        ("An adult dog weighs 24.0 lbs.", DOG, "An adult dog weighs 24.0 kilograms."),
        ("A night at the Marlow costs $145.", MARLOW, "A night at the Marlow costs 145 euros."),
        ("It is 145 dollars a night.", MARLOW, "It is 145 euros a night."),
        ("It costs USD 145.00 a night.", MARLOW, "It costs 145.00 euros a night."),
        ("A dog weighs 24 grams.", DOG, "A dog weighs 24 kilograms."),
        ("A 24-pound dog.", DOG, "A 24-kilogram dog."),
        ("The Marlow costs 145 $ a night.", MARLOW, "The Marlow costs 145 euros a night."),
    ],
)
def test_a_result_in_another_unit_is_found_and_put_right(
    said: str, numeric: dict[str, tuple[Call, float]], fixed: str
) -> None:
    (wrong,) = misnamed_units(said, numeric, UNITS)
    assert f"is in {wrong.unit.word}, not " in wrong.truth
    assert correct_units(said, [wrong]) == fixed


@pytest.mark.parametrize(
    "said",
    [
        "An adult dog weighs 24 kilograms.",
        "An adult dog weighs 24 kg, about 53 pounds.",  # 53 is no result: another check's
        "A night at the Marlow costs €145.",
        "A night at the Marlow costs 145 €.",
        "A night at the Marlow costs 145 EUR, or 145.",
        "The dog weighs 24.",
        "It weighs 24 m.",  # "m" may be millions: not read
        "A night costs 145 euros; the desk is open 24 hours, 145 days a year.",  # other kinds
        "The dog weighs 24 kilograms, 24% more than last year.",
        "The dog is 24 months old and weighs 24 kg.",
        "The Marlow made $145 million.",  # not the value 145
    ],
)
def test_a_result_in_its_own_unit_or_none_is_kept(said: str) -> None:
    numeric = {**DOG, "s2": MARLOW["s1"]}
    assert misnamed_units(said, numeric, UNITS) == []


def test_a_temperature_in_the_other_scale_is_put_right() -> None:
    (call,) = parse_plan('s1: noon_temperature(city="Faro")').calls
    units = {"noon_temperature": unit_in("A city's noon temperature, in degrees Celsius.")}
    said = "It is 20 degrees Fahrenheit in Faro at noon."
    wrong = misnamed_units(said, {"s1": (call, 20.0)}, units)
    assert correct_units(said, wrong) == "It is 20 °C in Faro at noon."
    assert misnamed_units("It is 20°C in Faro.", {"s1": (call, 20.0)}, units) == []


def test_a_physical_quantity_written_in_another_kind_is_caught() -> None:
    (call,) = parse_plan('s1: co2_per_kwh(country="Norway")').calls
    units = {"co2_per_kwh": unit_in("How many grams of CO2 one kilowatt-hour of power emits.")}
    numeric = {"s1": (call, 30.0)}
    said = "A kWh emits 30 liters of CO2 in Norway."
    assert correct_units(said, misnamed_units(said, numeric, units)) == (
        "A kWh emits 30 grams of CO2 in Norway."
    )
    # Time and money are not held to a physical unit: "30 years" is some other number.
    assert misnamed_units("It emits 30 grams, 30 years on.", numeric, units) == []


def test_kilowatt_hours_are_one_unit() -> None:
    unit = unit_in("How many kilowatt-hours an appliance uses in a day.", "energy_used")
    assert unit is not None
    assert unit.word == "kilowatt-hours"
    (call,) = parse_plan('s1: energy_used(appliance="heater")').calls
    numeric = {"s1": (call, 9.0)}
    assert misnamed_units("It uses 9 kWh a day.", numeric, {"energy_used": unit}) == []
    wrong = misnamed_units("It uses 9 kilojoules a day.", numeric, {"energy_used": unit})
    assert correct_units("It uses 9 kilojoules a day.", wrong) == "It uses 9 kilowatt-hours a day."


def test_a_result_counted_in_what_it_is_given_for_one_of_is_put_right() -> None:
    (call,) = parse_plan('s1: caffeine_per_cup(blend="Tamsin")').calls
    description = "Look up how many milligrams of caffeine one cup of a blend contains."
    units = {"caffeine_per_cup": unit_in(description)}
    numeric = {"s1": (call, 115.0)}
    said = "The Tamsin has 115 cups of caffeine."
    (wrong,) = misnamed_units(said, numeric, units)
    assert wrong.truth.endswith("= 115 is in milligrams, not cups")
    assert correct_units(said, [wrong]) == "The Tamsin has 115 milligrams of caffeine."
    for right in ("It has 115 mg per cup.", "It has 115 milligrams a cup.", "115 in 1 cup."):
        assert misnamed_units(right, numeric, units) == []


def test_a_price_written_in_the_unit_it_is_for_one_of_is_put_right() -> None:
    (call,) = parse_plan('s1: bean_price(bean="Ombra")').calls
    description = "Look up what one kilogram of a coffee bean costs, in euros."
    units = {"bean_price": unit_in(description)}
    numeric = {"s1": (call, 24.0)}
    said = "The Ombra is 24 kilograms, the dearest."
    (wrong,) = misnamed_units(said, numeric, units)
    assert wrong.truth.endswith("= 24 is in euros, not kilograms")
    assert correct_units(said, [wrong]) == "The Ombra is 24 euros, the dearest."
    assert misnamed_units("The Ombra costs 24 euros per kilogram.", numeric, units) == []
    # Money written in another kind is otherwise no claim: "open 24 hours".
    assert misnamed_units("The shop is open 24 hours.", numeric, units) == []


def test_a_number_two_tools_give_in_different_units_is_left_alone() -> None:
    numeric = _numeric('s1: hotel_rate(hotel="Marlow")\ns2: hotel_rooms(hotel="Alder")', [145, 145])
    assert misnamed_units("The Marlow costs 145 dollars.", numeric, UNITS) == []


def test_an_amount_the_question_writes_is_no_claim() -> None:
    question = "What do 24 pounds of dog food cost?"
    assert misnamed_units("24 pounds cost 60 euros.", DOG, UNITS, question=question) == []
    assert misnamed_units("24 lbs cost 60 euros.", DOG, UNITS, question=question) == []
    assert misnamed_units("24 pounds cost 60 euros.", DOG, UNITS) != []


def test_a_value_computed_from_one_tool_s_results_is_in_its_unit() -> None:
    fact = Fact('hotel_rate(hotel="Marlow") x 3 = 145 x 3 = 435', 435.0, "hotel_rate")
    (wrong,) = misnamed_units("Three nights cost $435.", MARLOW, UNITS, [fact])
    assert wrong.truth == f"{fact.text} is in euros, not dollars"
    unknown = Fact("145 x 3 = 435", 435.0)  # one arithmetic step: no tool, no unit
    assert misnamed_units("Three nights cost $435.", MARLOW, UNITS, [unknown]) == []


@given(
    value=st.floats(min_value=0.01, max_value=1e6, allow_nan=False).map(lambda v: round(v, 2)),
    stated=st.sampled_from(["pounds", "grams", "tonnes", "ounces", "milligrams", "lbs"]),
)
def test_any_weight_stated_in_another_unit_is_caught_and_put_right(
    value: float, stated: str
) -> None:
    numeric = _numeric('s1: adult_weight(animal="dog")', [value])
    said = f"It weighs {value} {stated} as an adult."
    (wrong,) = misnamed_units(said, numeric, UNITS)
    assert correct_units(said, [wrong]) == f"It weighs {value} kilograms as an adult."
    assert misnamed_units(correct_units(said, [wrong]), numeric, UNITS) == []


def test_units_are_only_read_for_tools_that_say_theirs() -> None:
    assert set(UNITS) == {"adult_weight", "hotel_rate"}
    assert UNITS["hotel_rate"] == Unit("euro", "euros", frozenset({"night", "hotel"}))


# --------------------------------------------------------------------- the joiner


def _run(answers: list[str], **options: Any) -> tuple[str, list[str]]:
    asked: list[str] = []
    replies = iter(answers)

    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) in {"plan", "repair"}:
            return 's1: hotel_rate(hotel="Marlow")'
        asked.append(messages[-1].text)
        return next(replies)

    agent = create_llmorch_agent(
        ScriptedChatModel(script), [hotel_rate], check_plans=False, **options
    )
    out: dict[str, Any] = agent.invoke(
        {"messages": [("user", "What does a night at the Marlow cost?")]}
    )
    return out["messages"][-1].text, asked


def test_a_wrong_unit_is_sent_back_once_with_the_result_s_unit() -> None:
    said, asked = _run(
        ["A night costs $145.", "A night at the Marlow costs 145 euros."], check_answers=True
    )
    assert len(asked) == 2
    assert "145 is in euros, not dollars" in asked[1]
    assert said == "A night at the Marlow costs 145 euros."


def test_a_wrong_unit_said_twice_is_put_right() -> None:
    said, asked = _run(["A night costs $145.", "It is 145 dollars."], check_answers=True)
    assert len(asked) == 2
    assert said == "A night costs 145 euros."


def test_without_the_answer_checks_the_unit_is_not_held() -> None:
    said, asked = _run(["A night costs $145."], check_answers=False, append_results=False)
    assert len(asked) == 1
    assert said == "A night costs $145."


def test_a_copy_of_the_send_back_s_unit_note_is_taken_out() -> None:
    said, asked = _run(
        [
            "A night costs $145.",
            'hotel_rate(hotel="Marlow") = 145 is in euros, not dollars. It costs 145 euros.',
        ],
        check_answers=True,
    )
    assert len(asked) == 2
    assert said == "It costs 145 euros."


@inout
def petrol_cost(depot: str, litres: int) -> float:
    """The price, in euros, of a number of litres of petrol at a depot."""
    return 1.48 * litres


@inout
def tank_volume(depot: str) -> float:
    """Look up how much petrol a depot's tank holds, in litres."""
    return 12000.0


@pytest.mark.parametrize(
    ("call", "value", "said", "wrong"),
    [
        ('s1: petrol_cost(depot="Ardle", litres=250)', 370.0, "It costs 370.0 litres.", True),
        (
            's1: petrol_cost(depot="Ardle", litres=250)',
            370.0,
            "250 litres cost 370.0 euros.",
            False,
        ),
        ('s1: tank_volume(depot="Ardle")', 12000.0, "The tank holds 12000 euros.", True),
        ('s1: petrol_cost(depot="Ardle", litres=24)', 35.52, "Open 24 hours; 35.52 euros.", False),
    ],
)
def test_money_said_in_a_physical_unit_is_a_unit_claim(
    call: str, value: float, said: str, *, wrong: bool
) -> None:
    (planned,) = parse_plan(call).calls
    units = result_units([petrol_cost, tank_volume])
    question = "What do 250 litres of petrol cost at Ardle?"
    found = misnamed_units(said, {"s1": (planned, value)}, units, question=question)
    assert bool(found) is wrong
