"""An eighth held-out set for the embedded model: 16 questions in two new domains.

Written after the round's last change and before any run of it, and committed first; run
once, to measure the code as it is (the seventh holdout's answers were read and fixed
against, so it no longer measures the round's last changes). Two sets of eight, each with
its own tools, in domains no earlier set touches (museum, architect, bicycle and maker
names invented, so the model cannot answer from memory):

- `museums`: museums' rooms, ticket prices, daily visitors and architects, architects'
  birth years, and a two-argument guided-tour tool (museum, people);
- `bikes`: bicycle models' weights, prices (in dollars), battery ranges and makers, makers'
  staff, and a two-argument rental tool (model, hours).

The questions ask for comparisons (two of them for the smaller: "fewer", "lighter"),
conversions that need arithmetic (an amount times a looked-up rate, or per charge), a sum
and a difference of two results, two-step chains and calls of a two-argument tool (one of
them given minutes where the tool takes hours).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# ------------------------------------------------------------------- museums

ROOMS = {"varrow": 42, "quillon": 18, "estemar": 67, "brandt hall": 25}
TICKET = {"varrow": 16.0, "quillon": 9.5, "estemar": 22.0, "brandt hall": 12.0}
VISITORS = {"varrow": 2300, "quillon": 640, "estemar": 4100, "brandt hall": 980}
ARCHITECT = {
    "varrow": "Ilse Marten",
    "quillon": "Tomas Reyl",
    "estemar": "Ada Vinter",
    "brandt hall": "Oskar Lind",
}
BORN = {"ilse marten": 1931, "tomas reyl": 1958, "ada vinter": 1944, "oskar lind": 1902}
TOUR_EACH = {"varrow": 7.0, "quillon": 5.0, "estemar": 9.0, "brandt hall": 6.0}


def museum_name(museum: str) -> str:
    """A museum's key: `"the Varrow Museum"` -> `"varrow"`."""
    return table_key(museum, ROOMS, prefixes=("museum ",), suffixes=(" museum",))


@inout
def exhibit_rooms(museum: str) -> int:
    """Look up how many exhibition rooms a museum has."""
    time.sleep(0.2)  # a museums register
    return ROOMS[museum_name(museum)]


@inout
def museum_ticket(museum: str) -> float:
    """Look up what one adult's entry ticket to a museum costs, in euros."""
    time.sleep(0.2)
    return TICKET[museum_name(museum)]


@inout
def daily_visitors(museum: str) -> int:
    """Look up how many people visit a museum on an average day."""
    time.sleep(0.2)
    return VISITORS[museum_name(museum)]


@inout
def museum_architect(museum: str) -> str:
    """Look up which architect designed a museum's building; returns the architect's name."""
    time.sleep(0.2)
    return ARCHITECT[museum_name(museum)]


@inout
def architect_born(architect: str) -> int:
    """Look up the year an architect was born."""
    time.sleep(0.2)
    return BORN[table_key(architect, BORN)]


@compute
def tour_cost(museum: str, people: int) -> float:
    """The price, in euros, of a guided tour of a museum for a number of people."""
    return TOUR_EACH[museum_name(museum)] * int(people)


MUSEUM_TOOLS: list[BaseTool] = [
    exhibit_rooms,
    museum_ticket,
    daily_visitors,
    museum_architect,
    architect_born,
    tour_cost,
]

# --------------------------------------------------------------------- bikes

WEIGHT_KG = {"corvo": 9.2, "lumen": 14.8, "trask": 22.5, "pelliq": 11.6}
PRICE_USD = {"corvo": 1850.0, "lumen": 1290.0, "trask": 3400.0, "pelliq": 960.0}
RANGE_KM = {"corvo": 0.0, "lumen": 0.0, "trask": 95.0, "pelliq": 0.0}
MAKER = {"corvo": "Halden Cycles", "lumen": "Brisk", "trask": "Volta Works", "pelliq": "Brisk"}
STAFF = {"halden cycles": 340, "brisk": 1200, "volta works": 85}
RENT_HOUR = {"corvo": 12.0, "lumen": 8.0, "trask": 15.0, "pelliq": 6.0}


def bike_name(model: str) -> str:
    """A bicycle model's key: `"the Corvo bike"` -> `"corvo"`."""
    return table_key(model, WEIGHT_KG, suffixes=(" bike", " bicycle", " e-bike"))


@inout
def bike_weight(model: str) -> float:
    """Look up what a bicycle model weighs, in kilograms."""
    time.sleep(0.2)  # a bike shop's catalogue
    return WEIGHT_KG[bike_name(model)]


@inout
def bike_price(model: str) -> float:
    """Look up what a new bicycle of a model costs, in dollars."""
    time.sleep(0.2)
    return PRICE_USD[bike_name(model)]


@inout
def battery_range(model: str) -> float:
    """Look up how many kilometres an electric bicycle model rides on one charge."""
    time.sleep(0.2)
    return RANGE_KM[bike_name(model)]


@inout
def bike_maker(model: str) -> str:
    """Look up which company makes a bicycle model; returns the company's name."""
    time.sleep(0.2)
    return MAKER[bike_name(model)]


@inout
def maker_staff(company: str) -> int:
    """Look up how many people a bicycle company employs."""
    time.sleep(0.2)
    return STAFF[table_key(company, STAFF)]


@compute
def rental_cost(model: str, hours: float) -> float:
    """The price, in dollars, of renting a bicycle of a model for a number of hours."""
    return round(RENT_HOUR[bike_name(model)] * float(hours), 2)


BIKE_TOOLS: list[BaseTool] = [
    bike_weight,
    bike_price,
    battery_range,
    bike_maker,
    maker_staff,
    rental_cost,
]


MUSEUM_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which museum has fewer exhibition rooms, the Varrow or the Quillon?",
        {("exhibit_rooms", "museum", "varrow"), ("exhibit_rooms", "museum", "quillon")},
        (42, 18),
        larger=("varrow", "quillon"),
    ),
    ask(
        "What do entry tickets for 6 adults at the Estemar museum cost?",
        {("museum_ticket", "museum", "estemar")},
        (6 * 22.0,),
    ),
    ask(
        "In which year was the architect who designed the Brandt Hall museum born?",
        {
            ("museum_architect", "museum", "brandt hall"),
            ("architect_born", "architect", chained("museum_architect")),
        },
        (1902,),
    ),
    ask(
        "What does a guided tour of the Varrow for 8 people cost?",
        {("tour_cost", "museum", "varrow"), ("tour_cost", "people", 8)},
        (8 * 7.0,),
    ),
    ask(
        "How many people visit the Quillon and the Estemar on an average day altogether?",
        {("daily_visitors", "museum", "quillon"), ("daily_visitors", "museum", "estemar")},
        (640 + 4100,),
    ),
    ask(
        "How much more does a ticket to the Varrow cost than a ticket to the Brandt Hall?",
        {("museum_ticket", "museum", "varrow"), ("museum_ticket", "museum", "brandt hall")},
        (16.0 - 12.0,),
    ),
    ask(
        "Which museum gets more visitors a day, the Brandt Hall or the Varrow?",
        {("daily_visitors", "museum", "brandt hall"), ("daily_visitors", "museum", "varrow")},
        (980, 2300),
        larger=("varrow", "brandt hall"),
    ),
    ask(
        "How many exhibition rooms do the Estemar and the Quillon have?",
        {("exhibit_rooms", "museum", "estemar"), ("exhibit_rooms", "museum", "quillon")},
        (67, 18),
    ),
)


BIKE_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which bike is lighter, the Lumen or the Pelliq?",
        {("bike_weight", "model", "lumen"), ("bike_weight", "model", "pelliq")},
        (14.8, 11.6),
        larger=("lumen", "pelliq"),
    ),
    ask(
        "What do 3 new Corvo bikes cost?",
        {("bike_price", "model", "corvo")},
        (3 * 1850.0,),
    ),
    ask(
        "How many people work for the company that makes the Trask?",
        {("bike_maker", "model", "trask"), ("maker_staff", "company", chained("bike_maker"))},
        (85,),
    ),
    ask(
        "What does renting a Pelliq for 90 minutes cost?",
        {("rental_cost", "model", "pelliq"), ("rental_cost", "hours", 1.5)},
        (1.5 * 6.0,),
    ),
    ask(
        "How many kilometres does the Trask ride on 2 charges?",
        {("battery_range", "model", "trask")},
        (2 * 95.0,),
    ),
    ask(
        "How much do a Corvo and a Trask weigh together?",
        {("bike_weight", "model", "corvo"), ("bike_weight", "model", "trask")},
        (9.2 + 22.5,),
    ),
    ask(
        "How much more does a Trask cost than a Lumen?",
        {("bike_price", "model", "trask"), ("bike_price", "model", "lumen")},
        (3400.0 - 1290.0,),
    ),
    ask(
        "Which costs more, a new Pelliq or a new Lumen?",
        {("bike_price", "model", "pelliq"), ("bike_price", "model", "lumen")},
        (960.0, 1290.0),
        larger=("lumen", "pelliq"),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("exhibit_rooms", "museum"): museum_name,
    ("museum_ticket", "museum"): museum_name,
    ("daily_visitors", "museum"): museum_name,
    ("museum_architect", "museum"): museum_name,
    ("architect_born", "architect"): keyed(BORN),
    ("tour_cost", "museum"): museum_name,
    ("bike_weight", "model"): bike_name,
    ("bike_price", "model"): bike_name,
    ("battery_range", "model"): bike_name,
    ("bike_maker", "model"): bike_name,
    ("maker_staff", "company"): keyed(STAFF),
    ("rental_cost", "model"): bike_name,
}
"""How the scorer compares an argument's value where spellings differ (`"the Varrow
Museum"`, `"the Corvo bike"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "museums": (MUSEUM_TOOLS, MUSEUM_QUESTIONS),
    "bikes": (BIKE_TOOLS, BIKE_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
