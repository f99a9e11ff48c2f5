"""A fourth held-out set for the embedded model: 16 questions in two new domains.

Written before any change of its round and committed first; run only to measure. Two sets
of eight, each with its own tools, in domains no earlier set touches:

- `kitchen`: ingredients' calories, protein and price per kilogram, a dish's main
  ingredient, and a two-argument cooking-time tool (dish, servings);
- `transit`: a city's bus lines (length, daily riders, operator), operators' founding
  years, vehicles' seats, and a two-argument fare tool (line, zones).

Like `holdout2` and `holdout3`, the questions ask for comparisons, conversions that need
arithmetic (an amount times a looked-up rate: the rate alone is a wrong answer), two-step
chains (a look-up whose result is the next call's argument) and calls of a two-argument
tool. Each question carries the calls that answer it, the numbers a right answer states
and, for a comparison, which subject is the larger.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# ------------------------------------------------------------------- kitchen

CALORIES = {"oats": 389, "rice": 130, "lentils": 116, "almonds": 579, "spinach": 23}
CALORIES["salmon"] = 208
PROTEIN = {"oats": 17.0, "rice": 2.7, "lentils": 9.0, "almonds": 21.0, "spinach": 2.9}
PROTEIN["salmon"] = 20.0
PRICE_PER_KG = {"oats": 2.1, "rice": 1.8, "lentils": 3.4, "almonds": 14.5, "spinach": 6.0}
PRICE_PER_KG["salmon"] = 24.0
MAIN_INGREDIENT = {
    "risotto": "rice",
    "porridge": "oats",
    "dal": "lentils",
    "saag": "spinach",
    "gravlax": "salmon",
}
COOK_BASE = {"risotto": 25, "porridge": 8, "dal": 35, "saag": 20, "gravlax": 15}
COOK_PER_SERVING = {"risotto": 3, "porridge": 1, "dal": 2, "saag": 2, "gravlax": 4}


def _ingredient(name: str) -> str:
    key = table_key(name, CALORIES)
    return key if key in CALORIES else key + "s"  # "lentil" -> "lentils", "almond" -> ...


@inout
def calories_per_100g(ingredient: str) -> int:
    """Look up how many kilocalories 100 grams of a food ingredient have."""
    time.sleep(0.2)  # a nutrition database
    return CALORIES[_ingredient(ingredient)]


@inout
def protein_per_100g(ingredient: str) -> float:
    """Look up how many grams of protein 100 grams of a food ingredient have."""
    time.sleep(0.2)
    return PROTEIN[_ingredient(ingredient)]


@inout
def ingredient_price(ingredient: str) -> float:
    """Look up what one kilogram of a food ingredient costs, in euros."""
    time.sleep(0.2)
    return PRICE_PER_KG[_ingredient(ingredient)]


@inout
def main_ingredient(dish: str) -> str:
    """Look up the main ingredient of a dish; returns the ingredient's name."""
    time.sleep(0.2)
    return MAIN_INGREDIENT[table_key(dish, MAIN_INGREDIENT)]


@compute
def cooking_minutes(dish: str, servings: int) -> int:
    """How many minutes it takes to cook a dish for a number of servings."""
    dish_key = table_key(dish, COOK_BASE)
    return COOK_BASE[dish_key] + COOK_PER_SERVING[dish_key] * int(servings)


KITCHEN_TOOLS: list[BaseTool] = [
    calories_per_100g,
    protein_per_100g,
    ingredient_price,
    main_ingredient,
    cooking_minutes,
]

# ------------------------------------------------------------------- transit

LINES = ("harbour", "airport", "university", "ring", "valley")
LENGTH_KM = {"harbour": 7.5, "airport": 18.2, "university": 6.3, "ring": 14.8, "valley": 22.6}
RIDERS = {"harbour": 5400, "airport": 12800, "university": 9100, "ring": 23500, "valley": 2100}
OPERATOR = {
    "harbour": "Bluebus",
    "airport": "Skyrail",
    "university": "Campus Transit",
    "ring": "Metroring",
    "valley": "Dalbus",
}
FOUNDED = {"bluebus": 1962, "skyrail": 1998, "campus transit": 1975, "metroring": 1931}
FOUNDED["dalbus"] = 2004
SEATS = {"minibus": 20, "double-decker": 90, "articulated bus": 140, "coach": 55}
BASE_FARE = {"harbour": 1.5, "airport": 4.0, "university": 1.2, "ring": 1.8, "valley": 2.2}
FARE_PER_ZONE = 0.9


def line_name(line: str) -> str:
    """A line's key: `"the Harbour line"` -> `"harbour"`."""
    return table_key(line, LINES, suffixes=(" line",))


def _vehicle(vehicle: str) -> str:
    key = (
        table_key(vehicle, SEATS).replace("double decker", "double-decker").replace("buses", "bus")
    )
    for suffix in (" bus", "s"):
        if key not in SEATS and key.removesuffix(suffix) in SEATS:
            key = key.removesuffix(suffix)
    return key


@inout
def line_length(line: str) -> float:
    """Look up how many kilometres one trip along a city bus line is."""
    time.sleep(0.2)  # the city's transit API
    return LENGTH_KM[line_name(line)]


@inout
def daily_riders(line: str) -> int:
    """Look up how many passengers ride a city bus line on an average day."""
    time.sleep(0.2)
    return RIDERS[line_name(line)]


@inout
def line_operator(line: str) -> str:
    """Look up which company operates a city bus line; returns the company's name."""
    time.sleep(0.2)
    return OPERATOR[line_name(line)]


@inout
def operator_founded(operator: str) -> int:
    """Look up the year a transport company was founded."""
    time.sleep(0.2)
    return FOUNDED[table_key(operator, FOUNDED)]


@inout
def vehicle_seats(vehicle: str) -> int:
    """Look up how many passengers one vehicle of a type (e.g. a minibus) can carry."""
    time.sleep(0.2)
    return SEATS[_vehicle(vehicle)]


@compute
def fare(line: str, zones: int) -> float:
    """The ticket price, in euros, of a ride across a number of zones on a bus line."""
    return round(BASE_FARE[line_name(line)] + FARE_PER_ZONE * int(zones), 2)


TRANSIT_TOOLS: list[BaseTool] = [
    line_length,
    daily_riders,
    line_operator,
    operator_founded,
    vehicle_seats,
    fare,
]


KITCHEN_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which has more calories per 100 g, almonds or salmon?",
        {
            ("calories_per_100g", "ingredient", "almonds"),
            ("calories_per_100g", "ingredient", "salmon"),
        },
        (579, 208),
        larger=("almonds", "salmon"),
    ),
    ask(
        "What do 3 kg of almonds cost?",
        {("ingredient_price", "ingredient", "almonds")},
        (3 * 14.5,),
    ),
    ask(
        "How many calories do 100 g of the main ingredient of porridge have?",
        {
            ("main_ingredient", "dish", "porridge"),
            ("calories_per_100g", "ingredient", chained("main_ingredient")),
        },
        (389,),
    ),
    ask(
        "How many minutes does it take to cook risotto for 4 servings?",
        {("cooking_minutes", "dish", "risotto"), ("cooking_minutes", "servings", 4)},
        (25 + 3 * 4,),
    ),
    ask(
        "Which takes longer to cook, dal for 6 servings or risotto for 2 servings?",
        {
            ("cooking_minutes", "dish", "dal"),
            ("cooking_minutes", "servings", 6),
            ("cooking_minutes", "dish", "risotto"),
            ("cooking_minutes", "servings", 2),
        },
        (35 + 2 * 6, 25 + 3 * 2),
        larger=("dal", "risotto"),
    ),
    ask(
        "How much protein per 100 g do spinach and rice have?",
        {
            ("protein_per_100g", "ingredient", "spinach"),
            ("protein_per_100g", "ingredient", "rice"),
        },
        (2.9, 2.7),
    ),
    ask(
        "How many calories and how many grams of protein do 100 g of oats have?",
        {("calories_per_100g", "ingredient", "oats"), ("protein_per_100g", "ingredient", "oats")},
        (389, 17.0),
    ),
    ask(
        "Which costs more per kilogram, salmon or almonds?",
        {
            ("ingredient_price", "ingredient", "salmon"),
            ("ingredient_price", "ingredient", "almonds"),
        },
        (24.0, 14.5),
        larger=("salmon", "almonds"),
    ),
)


TRANSIT_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which line has more daily riders, the airport line or the university line?",
        {("daily_riders", "line", "airport"), ("daily_riders", "line", "university")},
        (12800, 9100),
        larger=("airport", "university"),
    ),
    ask(
        "How many passengers can 6 double-decker buses carry?",
        {("vehicle_seats", "vehicle", "double-decker")},
        (6 * 90,),
    ),
    ask(
        "In which year was the operator of the harbour line founded?",
        {
            ("line_operator", "line", "harbour"),
            ("operator_founded", "operator", chained("line_operator")),
        },
        (1962,),
    ),
    ask(
        "What is the fare for a ride across 3 zones on the valley line?",
        {("fare", "line", "valley"), ("fare", "zones", 3)},
        (round(2.2 + 0.9 * 3, 2),),
    ),
    ask(
        "Which costs more, a ride across 2 zones on the ring line or across 4 zones on the "
        "harbour line?",
        {
            ("fare", "line", "ring"),
            ("fare", "zones", 2),
            ("fare", "line", "harbour"),
            ("fare", "zones", 4),
        },
        (round(1.8 + 0.9 * 2, 2), round(1.5 + 0.9 * 4, 2)),
        larger=("harbour", "ring"),
    ),
    ask(
        "How long are the ring line and the valley line?",
        {("line_length", "line", "ring"), ("line_length", "line", "valley")},
        (14.8, 22.6),
    ),
    ask(
        "How many passengers can a coach carry, and how many daily riders does the ring line have?",
        {("vehicle_seats", "vehicle", "coach"), ("daily_riders", "line", "ring")},
        (55, 23500),
    ),
    ask(
        "How many kilometres does a bus drive on 5 trips along the airport line?",
        {("line_length", "line", "airport")},
        (5 * 18.2,),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("calories_per_100g", "ingredient"): _ingredient,
    ("protein_per_100g", "ingredient"): _ingredient,
    ("ingredient_price", "ingredient"): _ingredient,
    ("main_ingredient", "dish"): keyed(MAIN_INGREDIENT),
    ("cooking_minutes", "dish"): keyed(COOK_BASE),
    ("line_length", "line"): line_name,
    ("daily_riders", "line"): line_name,
    ("line_operator", "line"): line_name,
    ("operator_founded", "operator"): keyed(FOUNDED),
    ("vehicle_seats", "vehicle"): _vehicle,
    ("fare", "line"): line_name,
}
"""How the scorer compares an argument's value where spellings differ (`"Almond"`, `"the
Ring line"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "kitchen": (KITCHEN_TOOLS, KITCHEN_QUESTIONS),
    "transit": (TRANSIT_TOOLS, TRANSIT_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
