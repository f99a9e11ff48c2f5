"""A second held-out set for the embedded model: 16 questions in domains no other set has.

Written before the answer and speed changes of that round and committed first; run only
to measure. Two sets of eight, each with its own five tools:

- `science`: planets, moons, chemical elements, and two CPU-bound counts (divisors,
  binomial coefficients, one with two arguments);
- `travel`: unit conversion factors (two arguments), airports and their runways,
  mountains, food energy.

Unlike the older sets, these ask for comparisons ("which is larger"), conversions that
need arithmetic (an amount times a looked-up rate: the rate alone is a wrong answer), and
two-step chains (a look-up whose result is the next call's argument). Each question
carries the calls that answer it, the numbers a right answer states, and, for a
comparison, which subject is the larger: an answer that calls the other one larger is
wrong whatever numbers it writes.
"""

from __future__ import annotations

import math
import time

from langchain_core.tools import BaseTool

from bench.question_sets import Question, ask
from langchain_llmorch.tools import compute, inout

# ------------------------------------------------------------------- science

GRAVITY = {"Mercury": 3.7, "Venus": 8.87, "Mars": 3.72, "Jupiter": 24.79, "Saturn": 10.44}
MOONS = {"Titan": "Saturn", "Europa": "Jupiter", "Phobos": "Mars", "Io": "Jupiter"}
ATOMIC_MASS = {"Carbon": 12.011, "Iron": 55.845, "Gold": 196.967, "Oxygen": 15.999}


@inout
def planet_gravity(planet: str) -> float:
    """Look up the surface gravity of a planet, in metres per second squared."""
    time.sleep(0.2)  # a web API
    return GRAVITY[planet.strip().title()]


@inout
def moon_planet(moon: str) -> str:
    """Look up which planet a moon orbits; returns the planet's name."""
    time.sleep(0.2)
    return MOONS[moon.strip().title()]


@inout
def atomic_mass(element: str) -> float:
    """Look up the atomic mass of a chemical element by its name, in grams per mole."""
    time.sleep(0.2)
    return ATOMIC_MASS[element.strip().title()]


@compute
def divisor_count(n: int) -> int:
    """Count the positive whole numbers that divide `n` (CPU-bound)."""
    return sum(1 for d in range(1, abs(n) + 1) if n % d == 0)


@compute
def binomial(n: int, k: int) -> int:
    """The number of ways to choose `k` items out of `n` (n choose k)."""
    return math.comb(n, k)


SCIENCE_TOOLS: list[BaseTool] = [planet_gravity, moon_planet, atomic_mass, divisor_count, binomial]

# -------------------------------------------------------------------- travel

# How many of the second unit make one of the first.
FACTORS = {
    ("mile", "kilometre"): 1.609344,
    ("gallon", "litre"): 3.785411784,
    ("pound", "kilogram"): 0.45359237,
    ("inch", "centimetre"): 2.54,
    ("foot", "metre"): 0.3048,
}
_UNIT_NAMES = {
    "mi": "mile",
    "km": "kilometre",
    "kilometer": "kilometre",
    "gal": "gallon",
    "l": "litre",
    "liter": "litre",
    "lb": "pound",
    "kg": "kilogram",
    "in": "inch",
    "cm": "centimetre",
    "centimeter": "centimetre",
    "ft": "foot",
    "feet": "foot",
    "inches": "inch",
    "m": "metre",
    "meter": "metre",
}
AIRPORTS = {"Denver": "DEN", "Madrid": "MAD", "Oslo": "OSL", "Lima": "LIM"}
RUNWAYS = {"DEN": 4877, "MAD": 4349, "OSL": 3600, "LIM": 3507}
HEIGHTS = {"Everest": 8849, "K2": 8611, "Kangchenjunga": 8586, "Denali": 6190, "Kilimanjaro": 5895}
CALORIES = {"Oats": 3.89, "Rice": 1.3, "Lentils": 1.16, "Almonds": 5.79}


def unit_name(unit: str) -> str:
    """A unit's canonical name: `"Miles"`, `"mi"` -> `"mile"`."""
    name = unit.strip().lower().rstrip(".")
    name = _UNIT_NAMES.get(name, name)
    if name not in {u for pair in FACTORS for u in pair} and name.endswith("s"):
        name = _UNIT_NAMES.get(name[:-1], name[:-1])
    return name


@inout
def unit_factor(from_unit: str, to_unit: str) -> float:
    """Look up how many `to_unit` make one `from_unit` (a conversion factor)."""
    time.sleep(0.2)
    pair = (unit_name(from_unit), unit_name(to_unit))
    if pair in FACTORS:
        return FACTORS[pair]
    return 1 / FACTORS[pair[::-1]]


@inout
def airport_code(city: str) -> str:
    """Look up the three-letter code of a city's main airport."""
    time.sleep(0.2)
    return AIRPORTS[city.strip().title()]


@inout
def runway_length(code: str) -> int:
    """Look up the length of the longest runway of an airport, in metres, by its code."""
    time.sleep(0.2)
    return RUNWAYS[code.strip().upper()]


@inout
def mountain_height(mountain: str) -> int:
    """Look up the height of a mountain above sea level, in metres."""
    time.sleep(0.2)
    return HEIGHTS[mountain.strip().title()]


@inout
def calories_per_gram(food: str) -> float:
    """Look up the food energy of one gram of a food, in kilocalories."""
    time.sleep(0.2)
    return CALORIES[food.strip().title()]


TRAVEL_TOOLS: list[BaseTool] = [
    unit_factor,
    airport_code,
    runway_length,
    mountain_height,
    calories_per_gram,
]


def chained(tool: str) -> str:
    """The expected value of an argument that must be an earlier `tool` call's result."""
    return f"<result of {tool}>"


SCIENCE_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which planet has the stronger surface gravity, Mars or Venus?",
        {("planet_gravity", "planet", "Mars"), ("planet_gravity", "planet", "Venus")},
        (3.72, 8.87),
        larger=("Venus", "Mars"),
    ),
    ask(
        "A probe has a mass of 70 kg. What does it weigh on Jupiter, in newtons "
        "(mass times surface gravity)?",
        {("planet_gravity", "planet", "Jupiter")},
        (70 * 24.79,),
    ),
    ask(
        "What is the surface gravity of the planet that Titan orbits?",
        {("moon_planet", "moon", "Titan"), ("planet_gravity", "planet", chained("moon_planet"))},
        (10.44,),
    ),
    ask(
        "What are the atomic masses of carbon and of gold?",
        {("atomic_mass", "element", "Carbon"), ("atomic_mass", "element", "Gold")},
        (12.011, 196.967),
    ),
    ask(
        "How many divisors do 360 and 1001 have?",
        {("divisor_count", "n", 360), ("divisor_count", "n", 1001)},
        (24, 8),
    ),
    ask(
        "How many ways are there to choose 3 items out of 10, and what is the atomic mass of iron?",
        {("binomial", "n", 10), ("binomial", "k", 3), ("atomic_mass", "element", "Iron")},
        (120, 55.845),
    ),
    ask(
        "How many grams do 4 moles of iron weigh?",
        {("atomic_mass", "element", "Iron")},
        (4 * 55.845,),
    ),
    ask(
        "Which number has more divisors, 360 or 840?",
        {("divisor_count", "n", 360), ("divisor_count", "n", 840)},
        (24, 32),
        larger=("840", "360"),
    ),
)


TRAVEL_QUESTIONS: tuple[Question, ...] = (
    ask(
        "How many kilometres are 26.2 miles?",
        {("unit_factor", "from_unit", "mile"), ("unit_factor", "to_unit", "kilometre")},
        (26.2 * 1.609344,),
    ),
    ask(
        "Which mountain is higher, K2 or Kangchenjunga?",
        {("mountain_height", "mountain", "K2"), ("mountain_height", "mountain", "Kangchenjunga")},
        (8611, 8586),
        larger=("K2", "Kangchenjunga"),
    ),
    ask(
        "How long is the longest runway of the main airport of Denver?",
        {("airport_code", "city", "Denver"), ("runway_length", "code", chained("airport_code"))},
        (4877,),
    ),
    ask(
        "How many kilocalories are in 250 grams of oats?",
        {("calories_per_gram", "food", "Oats")},
        (250 * 3.89,),
    ),
    ask(
        "How high are Everest and Denali?",
        {("mountain_height", "mountain", "Everest"), ("mountain_height", "mountain", "Denali")},
        (8849, 6190),
    ),
    ask(
        "How many litres are 15 gallons, and how high is Kilimanjaro?",
        {
            ("unit_factor", "from_unit", "gallon"),
            ("unit_factor", "to_unit", "litre"),
            ("mountain_height", "mountain", "Kilimanjaro"),
        },
        (15 * 3.785411784, 5895),
    ),
    ask(
        "Which has more kilocalories per gram, almonds or lentils?",
        {("calories_per_gram", "food", "Almonds"), ("calories_per_gram", "food", "Lentils")},
        (5.79, 1.16),
        larger=("almonds", "lentils"),
    ),
    ask(
        "What is the runway length of the main airport of Oslo?",
        {("airport_code", "city", "Oslo"), ("runway_length", "code", chained("airport_code"))},
        (3600,),
    ),
)


CANONICAL = {("unit_factor", "from_unit"): unit_name, ("unit_factor", "to_unit"): unit_name}
"""How the scorer compares an argument's value where spellings differ (`"miles"`, `"km"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "science": (SCIENCE_TOOLS, SCIENCE_QUESTIONS),
    "travel": (TRAVEL_TOOLS, TRAVEL_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
