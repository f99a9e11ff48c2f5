"""A seventh held-out set for the embedded model: 16 questions in two new domains.

Written at the start of a round, before any change of it, and committed first; run once, at
the round's end, to measure. Two sets of eight, each with its own tools, in domains no earlier
set touches (ferry, operator and blend names invented, so the model cannot answer from memory):

- `ferries`: ferries' crossing times, adult fares, car capacity and operators, operators'
  founding years, and a two-argument vehicle-fare tool (ferry, vehicles);
- `coffee`: coffee blends' caffeine per cup, price per kilogram (in dollars) and origin
  country, countries' farm altitudes, and a two-argument brewing-cost tool (blend, cups).

The questions ask for comparisons (two of them for the smaller: "shorter", "cheaper"),
conversions that need arithmetic (an amount times a looked-up rate, one of them an amount in
grams of a price per kilogram), a sum and a difference of two results, two-step chains and
calls of a two-argument tool. Each question carries the calls that answer it, the numbers a
right answer states and, for a comparison, which subject is the larger.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# ------------------------------------------------------------------- ferries

CROSSING_MIN = {"skarva": 95, "tellin": 40, "moravel": 150, "odrun": 65}
FARE = {"skarva": 38.0, "tellin": 14.5, "moravel": 52.0, "odrun": 21.0}
CAR_SPACES = {"skarva": 180, "tellin": 60, "moravel": 240, "odrun": 95}
OPERATOR = {
    "skarva": "Nordwave",
    "tellin": "Baltix",
    "moravel": "Halvor Lines",
    "odrun": "Seacrest",
}
FOUNDED = {"nordwave": 1968, "baltix": 1991, "halvor lines": 1954, "seacrest": 1979}
VEHICLE_FARE = {"skarva": 75.0, "tellin": 30.0, "moravel": 110.0, "odrun": 45.0}


def ferry_name(ferry: str) -> str:
    """A ferry's key: `"the Skarva ferry"` -> `"skarva"`."""
    return table_key(ferry, FARE, prefixes=("ferry ",), suffixes=(" ferry", " crossing"))


@inout
def crossing_time(ferry: str) -> int:
    """Look up how many minutes a ferry's crossing takes."""
    time.sleep(0.2)  # a timetable service
    return CROSSING_MIN[ferry_name(ferry)]


@inout
def adult_fare(ferry: str) -> float:
    """Look up what one adult's ticket on a ferry costs, in euros."""
    time.sleep(0.2)
    return FARE[ferry_name(ferry)]


@inout
def car_capacity(ferry: str) -> int:
    """Look up how many cars a ferry can carry."""
    time.sleep(0.2)
    return CAR_SPACES[ferry_name(ferry)]


@inout
def ferry_operator(ferry: str) -> str:
    """Look up which company operates a ferry; returns the company's name."""
    time.sleep(0.2)
    return OPERATOR[ferry_name(ferry)]


@inout
def operator_founded(company: str) -> int:
    """Look up the year a ferry company was founded."""
    time.sleep(0.2)
    return FOUNDED[table_key(company, FOUNDED)]


@compute
def vehicle_fare(ferry: str, vehicles: int) -> float:
    """The price, in euros, of taking a number of cars on a ferry."""
    return VEHICLE_FARE[ferry_name(ferry)] * int(vehicles)


FERRY_TOOLS: list[BaseTool] = [
    crossing_time,
    adult_fare,
    car_capacity,
    ferry_operator,
    operator_founded,
    vehicle_fare,
]

# -------------------------------------------------------------------- coffee

CAFFEINE_MG = {"ombra": 95, "velluto": 140, "saffra": 70, "tamsin": 115}
PRICE_KG = {"ombra": 24.0, "velluto": 31.5, "saffra": 17.0, "tamsin": 27.0}
ORIGIN = {"ombra": "Kenya", "velluto": "Colombia", "saffra": "Vietnam", "tamsin": "Peru"}
ALTITUDE_M = {"kenya": 1750, "colombia": 1500, "vietnam": 650, "peru": 1350}
CUP_PRICE = {"ombra": 2.4, "velluto": 3.1, "saffra": 1.9, "tamsin": 2.7}


def blend_name(blend: str) -> str:
    """A blend's key: `"the Ombra blend"` -> `"ombra"`."""
    return table_key(blend, CAFFEINE_MG, prefixes=("blend ",), suffixes=(" blend", " coffee"))


@inout
def caffeine_per_cup(blend: str) -> int:
    """Look up how many milligrams of caffeine one cup of a coffee blend contains."""
    time.sleep(0.2)  # a roaster's catalogue
    return CAFFEINE_MG[blend_name(blend)]


@inout
def price_per_kg(blend: str) -> float:
    """Look up what one kilogram of a coffee blend's beans costs, in dollars."""
    time.sleep(0.2)
    return PRICE_KG[blend_name(blend)]


@inout
def blend_origin(blend: str) -> str:
    """Look up which country a coffee blend's beans come from; returns the country's name."""
    time.sleep(0.2)
    return ORIGIN[blend_name(blend)]


@inout
def farm_altitude(country: str) -> int:
    """Look up at what altitude, in metres above sea level, a country's coffee farms lie."""
    time.sleep(0.2)
    return ALTITUDE_M[table_key(country, ALTITUDE_M)]


@compute
def brewing_cost(blend: str, cups: int) -> float:
    """The price, in dollars, of brewing a number of cups of a coffee blend."""
    return round(CUP_PRICE[blend_name(blend)] * int(cups), 2)


COFFEE_TOOLS: list[BaseTool] = [
    caffeine_per_cup,
    price_per_kg,
    blend_origin,
    farm_altitude,
    brewing_cost,
]


FERRY_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which crossing is shorter, the Skarva ferry or the Odrun ferry?",
        {("crossing_time", "ferry", "skarva"), ("crossing_time", "ferry", "odrun")},
        (95, 65),
        larger=("skarva", "odrun"),
    ),
    ask(
        "What do tickets for 5 adults on the Tellin ferry cost?",
        {("adult_fare", "ferry", "tellin")},
        (5 * 14.5,),
    ),
    ask(
        "In which year was the company that operates the Moravel ferry founded?",
        {
            ("ferry_operator", "ferry", "moravel"),
            ("operator_founded", "company", chained("ferry_operator")),
        },
        (1954,),
    ),
    ask(
        "What does it cost to take 3 cars on the Odrun ferry?",
        {("vehicle_fare", "ferry", "odrun"), ("vehicle_fare", "vehicles", 3)},
        (3 * 45.0,),
    ),
    ask(
        "How many cars can the Skarva and the Moravel ferries carry together?",
        {("car_capacity", "ferry", "skarva"), ("car_capacity", "ferry", "moravel")},
        (180 + 240,),
    ),
    ask(
        "How many minutes longer is the Moravel crossing than the Tellin crossing?",
        {("crossing_time", "ferry", "moravel"), ("crossing_time", "ferry", "tellin")},
        (150 - 40,),
    ),
    ask(
        "Which ferry can carry more cars, the Tellin or the Odrun?",
        {("car_capacity", "ferry", "tellin"), ("car_capacity", "ferry", "odrun")},
        (60, 95),
        larger=("odrun", "tellin"),
    ),
    ask(
        "What are the adult fares on the Skarva and the Moravel ferries?",
        {("adult_fare", "ferry", "skarva"), ("adult_fare", "ferry", "moravel")},
        (38.0, 52.0),
    ),
)


COFFEE_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which blend has more caffeine per cup, the Saffra or the Tamsin?",
        {("caffeine_per_cup", "blend", "saffra"), ("caffeine_per_cup", "blend", "tamsin")},
        (70, 115),
        larger=("tamsin", "saffra"),
    ),
    ask(
        "How many milligrams of caffeine are in 4 cups of the Velluto blend?",
        {("caffeine_per_cup", "blend", "velluto")},
        (4 * 140,),
    ),
    ask(
        "At what altitude are the coffee farms of the country the Ombra blend comes from?",
        {("blend_origin", "blend", "ombra"), ("farm_altitude", "country", chained("blend_origin"))},
        (1750,),
    ),
    ask(
        "What does brewing 6 cups of the Saffra blend cost?",
        {("brewing_cost", "blend", "saffra"), ("brewing_cost", "cups", 6)},
        (round(6 * 1.9, 2),),
    ),
    ask(
        "Which blend is cheaper per kilogram, the Velluto or the Ombra?",
        {("price_per_kg", "blend", "velluto"), ("price_per_kg", "blend", "ombra")},
        (31.5, 24.0),
        larger=("velluto", "ombra"),
    ),
    ask(
        "What do 500 grams of the Tamsin blend cost?",
        {("price_per_kg", "blend", "tamsin")},
        (27.0 * 500 / 1000,),
    ),
    ask(
        "How much caffeine do a cup of Ombra and a cup of Velluto contain together?",
        {("caffeine_per_cup", "blend", "ombra"), ("caffeine_per_cup", "blend", "velluto")},
        (95 + 140,),
    ),
    ask(
        "How much more does a kilogram of the Velluto blend cost than a kilogram of Saffra?",
        {("price_per_kg", "blend", "velluto"), ("price_per_kg", "blend", "saffra")},
        (31.5 - 17.0,),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("crossing_time", "ferry"): ferry_name,
    ("adult_fare", "ferry"): ferry_name,
    ("car_capacity", "ferry"): ferry_name,
    ("ferry_operator", "ferry"): ferry_name,
    ("operator_founded", "company"): keyed(FOUNDED),
    ("vehicle_fare", "ferry"): ferry_name,
    ("caffeine_per_cup", "blend"): blend_name,
    ("price_per_kg", "blend"): blend_name,
    ("blend_origin", "blend"): blend_name,
    ("farm_altitude", "country"): keyed(ALTITUDE_M),
    ("brewing_cost", "blend"): blend_name,
}
"""How the scorer compares an argument's value where spellings differ (`"the Skarva
ferry"`, `"Ombra coffee"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "ferries": (FERRY_TOOLS, FERRY_QUESTIONS),
    "coffee": (COFFEE_TOOLS, COFFEE_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
