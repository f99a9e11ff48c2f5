"""A sixth held-out set for the embedded model: 16 questions in two new domains.

Written after the round's last change and before any run of it, and committed first; run
once, to measure the code as it is. Two sets of eight, each with its own tools, in domains no
earlier set touches (hotel and breed names invented, so the model cannot answer from memory):

- `hotels`: hotels' rooms, nightly rates, ratings and cities, cities' nightly tax, and a
  two-argument breakfast-cost tool (hotel, guests);
- `pets`: animals' daily food and adult weight, breeds' species, species' lifespans, and a
  two-argument vaccine-cost tool (animal, doses).

The questions ask for comparisons (two of them for the smaller: "lower", "lighter"),
conversions that need arithmetic (an amount times a looked-up rate), a sum and a difference
of two results, two-step chains and calls of a two-argument tool. Each question carries the
calls that answer it, the numbers a right answer states and, for a comparison, which subject
is the larger.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# -------------------------------------------------------------------- hotels

ROOMS = {"marlow": 84, "brisa": 132, "kestrel": 46, "alder": 210}
RATE = {"marlow": 145.0, "brisa": 98.0, "kestrel": 176.0, "alder": 112.0}
RATING = {"marlow": 8.6, "brisa": 7.9, "kestrel": 9.1, "alder": 8.2}
HOTEL_CITY = {"marlow": "Ostend", "brisa": "Faro", "kestrel": "Bergen", "alder": "Graz"}
CITY_TAX = {"ostend": 3.5, "faro": 2.0, "bergen": 4.25, "graz": 1.5}
BREAKFAST = {"marlow": 16.0, "brisa": 12.5, "kestrel": 21.0, "alder": 14.0}


def hotel_name(hotel: str) -> str:
    """A hotel's key: `"the Marlow hotel"` -> `"marlow"`."""
    return table_key(hotel, ROOMS, prefixes=("hotel ",), suffixes=(" hotel",))


@inout
def hotel_rooms(hotel: str) -> int:
    """Look up how many rooms a hotel has."""
    time.sleep(0.2)  # a booking site
    return ROOMS[hotel_name(hotel)]


@inout
def hotel_rate(hotel: str) -> float:
    """Look up what one night in a double room of a hotel costs, in euros."""
    time.sleep(0.2)
    return RATE[hotel_name(hotel)]


@inout
def hotel_rating(hotel: str) -> float:
    """Look up a hotel's guest rating, out of 10."""
    time.sleep(0.2)
    return RATING[hotel_name(hotel)]


@inout
def hotel_city(hotel: str) -> str:
    """Look up the city a hotel is in; returns the city's name."""
    time.sleep(0.2)
    return HOTEL_CITY[hotel_name(hotel)]


@inout
def city_tax(city: str) -> float:
    """Look up the tourist tax a city charges per guest per night, in euros."""
    time.sleep(0.2)
    return CITY_TAX[table_key(city, CITY_TAX)]


@compute
def breakfast_cost(hotel: str, guests: int) -> float:
    """The price, in euros, of breakfast at a hotel for a number of guests."""
    return BREAKFAST[hotel_name(hotel)] * int(guests)


HOTEL_TOOLS: list[BaseTool] = [
    hotel_rooms,
    hotel_rate,
    hotel_rating,
    hotel_city,
    city_tax,
    breakfast_cost,
]

# ---------------------------------------------------------------------- pets

FOOD_G = {"dog": 420, "cat": 70, "rabbit": 150, "ferret": 55, "parrot": 35}
WEIGHT_KG = {"dog": 24.0, "cat": 4.5, "rabbit": 2.2, "ferret": 1.1, "parrot": 0.4}
SPECIES = {"tovar": "dog", "kelpin": "cat", "bramble lop": "rabbit", "sable rex": "ferret"}
LIFESPAN = {"dog": 12, "cat": 15, "rabbit": 9, "ferret": 7, "parrot": 40}
VACCINE = {"dog": 28.0, "cat": 22.0, "rabbit": 18.0, "ferret": 25.0, "parrot": 30.0}


def animal_name(animal: str) -> str:
    """An animal's key: `"an adult Cat"` -> `"cat"`."""
    return table_key(animal, FOOD_G, prefixes=("adult ",))


@inout
def daily_food(animal: str) -> int:
    """Look up how many grams of food an adult animal of a species eats a day."""
    time.sleep(0.2)  # a veterinary database
    return FOOD_G[animal_name(animal)]


@inout
def adult_weight(animal: str) -> float:
    """Look up what an adult animal of a species weighs, in kilograms."""
    time.sleep(0.2)
    return WEIGHT_KG[animal_name(animal)]


@inout
def breed_species(breed: str) -> str:
    """Look up which species a breed belongs to; returns the species' name."""
    time.sleep(0.2)
    return SPECIES[table_key(breed, SPECIES, suffixes=(" breed",))]


@inout
def lifespan(species: str) -> int:
    """Look up how many years an animal of a species usually lives."""
    time.sleep(0.2)
    return LIFESPAN[animal_name(species)]


@compute
def vaccine_cost(animal: str, doses: int) -> float:
    """The price, in euros, of a number of vaccine doses for an animal of a species."""
    return VACCINE[animal_name(animal)] * int(doses)


PET_TOOLS: list[BaseTool] = [daily_food, adult_weight, breed_species, lifespan, vaccine_cost]


HOTEL_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which hotel has more rooms, the Marlow or the Brisa?",
        {("hotel_rooms", "hotel", "marlow"), ("hotel_rooms", "hotel", "brisa")},
        (84, 132),
        larger=("brisa", "marlow"),
    ),
    ask(
        "What do 3 nights at the Kestrel cost?",
        {("hotel_rate", "hotel", "kestrel")},
        (3 * 176.0,),
    ),
    ask(
        "How much tourist tax per night does the city that the Brisa is in charge?",
        {("hotel_city", "hotel", "brisa"), ("city_tax", "city", chained("hotel_city"))},
        (2.0,),
    ),
    ask(
        "What does breakfast for 4 guests at the Marlow cost?",
        {("breakfast_cost", "hotel", "marlow"), ("breakfast_cost", "guests", 4)},
        (4 * 16.0,),
    ),
    ask(
        "Which hotel has the lower guest rating, the Kestrel or the Alder?",
        {("hotel_rating", "hotel", "kestrel"), ("hotel_rating", "hotel", "alder")},
        (9.1, 8.2),
        larger=("kestrel", "alder"),
    ),
    ask(
        "How many rooms do the Alder and the Brisa have in total?",
        {("hotel_rooms", "hotel", "alder"), ("hotel_rooms", "hotel", "brisa")},
        (210 + 132,),
    ),
    ask(
        "How much more does a night at the Marlow cost than a night at the Alder?",
        {("hotel_rate", "hotel", "marlow"), ("hotel_rate", "hotel", "alder")},
        (145.0 - 112.0,),
    ),
    ask(
        "What are the guest ratings of the Brisa and the Kestrel?",
        {("hotel_rating", "hotel", "brisa"), ("hotel_rating", "hotel", "kestrel")},
        (7.9, 9.1),
    ),
)


PET_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which eats more food a day, a ferret or a rabbit?",
        {("daily_food", "animal", "ferret"), ("daily_food", "animal", "rabbit")},
        (55, 150),
        larger=("rabbit", "ferret"),
    ),
    ask(
        "How many grams of food does a parrot eat in 7 days?",
        {("daily_food", "animal", "parrot")},
        (7 * 35,),
    ),
    ask(
        "How many years does the species of the Tovar breed usually live?",
        {("breed_species", "breed", "tovar"), ("lifespan", "species", chained("breed_species"))},
        (12,),
    ),
    ask(
        "What do 3 vaccine doses for a cat cost?",
        {("vaccine_cost", "animal", "cat"), ("vaccine_cost", "doses", 3)},
        (3 * 22.0,),
    ),
    ask(
        "Which is lighter as an adult, a cat or a ferret?",
        {("adult_weight", "animal", "cat"), ("adult_weight", "animal", "ferret")},
        (4.5, 1.1),
        larger=("cat", "ferret"),
    ),
    ask(
        "How many kilograms do an adult dog and an adult rabbit weigh together?",
        {("adult_weight", "animal", "dog"), ("adult_weight", "animal", "rabbit")},
        (24.0 + 2.2,),
    ),
    ask(
        "How much heavier is an adult dog than an adult cat?",
        {("adult_weight", "animal", "dog"), ("adult_weight", "animal", "cat")},
        (24.0 - 4.5,),
    ),
    ask(
        "How many grams of food do a cat and a dog eat a day?",
        {("daily_food", "animal", "cat"), ("daily_food", "animal", "dog")},
        (70, 420),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("hotel_rooms", "hotel"): hotel_name,
    ("hotel_rate", "hotel"): hotel_name,
    ("hotel_rating", "hotel"): hotel_name,
    ("hotel_city", "hotel"): hotel_name,
    ("city_tax", "city"): keyed(CITY_TAX),
    ("breakfast_cost", "hotel"): hotel_name,
    ("daily_food", "animal"): animal_name,
    ("adult_weight", "animal"): animal_name,
    ("breed_species", "breed"): keyed(SPECIES),
    ("lifespan", "species"): animal_name,
    ("vaccine_cost", "animal"): animal_name,
}
"""How the scorer compares an argument's value where spellings differ (`"the Marlow
hotel"`, `"an adult Cat"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "hotels": (HOTEL_TOOLS, HOTEL_QUESTIONS),
    "pets": (PET_TOOLS, PET_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
