"""A ninth held-out set for the embedded model: 16 questions in two new domains.

Written after the round's last change (the eighth holdout's answers had been read and fixed
against) and before any run of it, and committed first; run once, to measure the code as
it is. Two sets of eight, each with its own tools, in domains no earlier set touches (train,
operator, gym and owner names invented, so the model cannot answer from memory):

- `trains`: trains' trip times (in hours), seats, fares and operators, operators' fleet
  sizes, and a two-argument luggage-fee tool (train, bags);
- `gyms`: gyms' monthly fees, members, pool lengths and owners, owners' gym counts, and a
  two-argument class-pass tool (gym, classes).

The questions ask for comparisons (two of them for the smaller: "shorter", "cheaper"),
conversions that need arithmetic (an amount times a looked-up rate), a sum and a difference
of two results, two-step chains and calls of a two-argument tool.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# -------------------------------------------------------------------- trains

TRIP_HOURS = {"aldora": 3.5, "brightwater": 1.75, "coldfell": 5.25, "dunmere": 2.5}
SEATS = {"aldora": 420, "brightwater": 260, "coldfell": 610, "dunmere": 350}
FARE = {"aldora": 48.0, "brightwater": 22.5, "coldfell": 71.0, "dunmere": 35.0}
OPERATOR = {
    "aldora": "Nordbahn",
    "brightwater": "Westrail",
    "coldfell": "Highland Lines",
    "dunmere": "Westrail",
}
FLEET = {"nordbahn": 140, "westrail": 62, "highland lines": 31}
BAG_FEE = {"aldora": 8.0, "brightwater": 5.0, "coldfell": 12.0, "dunmere": 6.5}


def train_name(train: str) -> str:
    """A train's key: `"the Aldora train"` -> `"aldora"`."""
    return table_key(train, FARE, suffixes=(" train", " express"))


@inout
def trip_hours(train: str) -> float:
    """Look up how many hours a train's trip from end to end takes."""
    time.sleep(0.2)  # a timetable service
    return TRIP_HOURS[train_name(train)]


@inout
def train_seats(train: str) -> int:
    """Look up how many seats a train has."""
    time.sleep(0.2)
    return SEATS[train_name(train)]


@inout
def train_fare(train: str) -> float:
    """Look up what one adult's ticket for a train's whole trip costs, in euros."""
    time.sleep(0.2)
    return FARE[train_name(train)]


@inout
def train_operator(train: str) -> str:
    """Look up which company runs a train; returns the company's name."""
    time.sleep(0.2)
    return OPERATOR[train_name(train)]


@inout
def operator_fleet(company: str) -> int:
    """Look up how many trains a rail company owns."""
    time.sleep(0.2)
    return FLEET[table_key(company, FLEET)]


@compute
def luggage_fee(train: str, bags: int) -> float:
    """The price, in euros, of taking a number of large bags on a train."""
    return BAG_FEE[train_name(train)] * int(bags)


TRAIN_TOOLS: list[BaseTool] = [
    trip_hours,
    train_seats,
    train_fare,
    train_operator,
    operator_fleet,
    luggage_fee,
]

# ---------------------------------------------------------------------- gyms

MONTHLY = {"forge": 39.0, "pulse yard": 25.0, "ironleaf": 54.0, "summit club": 45.0}
MEMBERS = {"forge": 1800, "pulse yard": 950, "ironleaf": 2600, "summit club": 1400}
POOL_M = {"forge": 25.0, "pulse yard": 20.0, "ironleaf": 50.0, "summit club": 33.0}
OWNER = {
    "forge": "Kara Voss",
    "pulse yard": "Deniz Arlo",
    "ironleaf": "Kara Voss",
    "summit club": "Piet Hollen",
}
OWNER_GYMS = {"kara voss": 7, "deniz arlo": 3, "piet hollen": 12}
CLASS_PRICE = {"forge": 9.0, "pulse yard": 7.5, "ironleaf": 12.0, "summit club": 10.0}


def gym_name(gym: str) -> str:
    """A gym's key: `"the Forge gym"` -> `"forge"`."""
    return table_key(gym, MONTHLY, suffixes=(" gym", " fitness"))


@inout
def monthly_fee(gym: str) -> float:
    """Look up what one month's membership of a gym costs, in euros."""
    time.sleep(0.2)  # a gyms directory
    return MONTHLY[gym_name(gym)]


@inout
def gym_members(gym: str) -> int:
    """Look up how many members a gym has."""
    time.sleep(0.2)
    return MEMBERS[gym_name(gym)]


@inout
def pool_length(gym: str) -> float:
    """Look up how many metres long a gym's swimming pool is."""
    time.sleep(0.2)
    return POOL_M[gym_name(gym)]


@inout
def gym_owner(gym: str) -> str:
    """Look up who owns a gym; returns the owner's name."""
    time.sleep(0.2)
    return OWNER[gym_name(gym)]


@inout
def owner_gyms(owner: str) -> int:
    """Look up how many gyms a person owns."""
    time.sleep(0.2)
    return OWNER_GYMS[table_key(owner, OWNER_GYMS)]


@compute
def class_pass(gym: str, classes: int) -> float:
    """The price, in euros, of a pass for a number of group classes at a gym."""
    return CLASS_PRICE[gym_name(gym)] * int(classes)


GYM_TOOLS: list[BaseTool] = [
    monthly_fee,
    gym_members,
    pool_length,
    gym_owner,
    owner_gyms,
    class_pass,
]


TRAIN_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which train has the shorter trip, the Aldora or the Dunmere?",
        {("trip_hours", "train", "aldora"), ("trip_hours", "train", "dunmere")},
        (3.5, 2.5),
        larger=("aldora", "dunmere"),
    ),
    ask(
        "What do tickets for 4 adults on the Coldfell cost?",
        {("train_fare", "train", "coldfell")},
        (4 * 71.0,),
    ),
    ask(
        "How many trains does the company that runs the Brightwater own?",
        {
            ("train_operator", "train", "brightwater"),
            ("operator_fleet", "company", chained("train_operator")),
        },
        (62,),
    ),
    ask(
        "What does it cost to take 3 large bags on the Aldora?",
        {("luggage_fee", "train", "aldora"), ("luggage_fee", "bags", 3)},
        (3 * 8.0,),
    ),
    ask(
        "How many seats do the Coldfell and the Dunmere have together?",
        {("train_seats", "train", "coldfell"), ("train_seats", "train", "dunmere")},
        (610 + 350,),
    ),
    ask(
        "How many hours longer is the Coldfell's trip than the Brightwater's?",
        {("trip_hours", "train", "coldfell"), ("trip_hours", "train", "brightwater")},
        (5.25 - 1.75,),
    ),
    ask(
        "Which train has more seats, the Brightwater or the Aldora?",
        {("train_seats", "train", "brightwater"), ("train_seats", "train", "aldora")},
        (260, 420),
        larger=("aldora", "brightwater"),
    ),
    ask(
        "What are the fares of the Dunmere and the Brightwater?",
        {("train_fare", "train", "dunmere"), ("train_fare", "train", "brightwater")},
        (35.0, 22.5),
    ),
)


GYM_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which gym is cheaper per month, the Ironleaf or the Summit Club?",
        {("monthly_fee", "gym", "ironleaf"), ("monthly_fee", "gym", "summit club")},
        (54.0, 45.0),
        larger=("ironleaf", "summit club"),
    ),
    ask(
        "What do 6 months of membership at the Forge cost?",
        {("monthly_fee", "gym", "forge")},
        (6 * 39.0,),
    ),
    ask(
        "How many gyms does the person who owns the Summit Club own?",
        {("gym_owner", "gym", "summit club"), ("owner_gyms", "owner", chained("gym_owner"))},
        (12,),
    ),
    ask(
        "What does a pass for 10 group classes at the Pulse Yard cost?",
        {("class_pass", "gym", "pulse yard"), ("class_pass", "classes", 10)},
        (10 * 7.5,),
    ),
    ask(
        "How many members do the Forge and the Ironleaf have in total?",
        {("gym_members", "gym", "forge"), ("gym_members", "gym", "ironleaf")},
        (1800 + 2600,),
    ),
    ask(
        "How much longer is the Ironleaf's pool than the Forge's?",
        {("pool_length", "gym", "ironleaf"), ("pool_length", "gym", "forge")},
        (50.0 - 25.0,),
    ),
    ask(
        "How many metres do 4 lengths of the Summit Club's pool make?",
        {("pool_length", "gym", "summit club")},
        (4 * 33.0,),
    ),
    ask(
        "Which gym has more members, the Pulse Yard or the Summit Club?",
        {("gym_members", "gym", "pulse yard"), ("gym_members", "gym", "summit club")},
        (950, 1400),
        larger=("summit club", "pulse yard"),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("trip_hours", "train"): train_name,
    ("train_seats", "train"): train_name,
    ("train_fare", "train"): train_name,
    ("train_operator", "train"): train_name,
    ("operator_fleet", "company"): keyed(FLEET),
    ("luggage_fee", "train"): train_name,
    ("monthly_fee", "gym"): gym_name,
    ("gym_members", "gym"): gym_name,
    ("pool_length", "gym"): gym_name,
    ("gym_owner", "gym"): gym_name,
    ("owner_gyms", "owner"): keyed(OWNER_GYMS),
    ("class_pass", "gym"): gym_name,
}
"""How the scorer compares an argument's value where spellings differ (`"the Aldora
train"`, `"the Forge gym"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "trains": (TRAIN_TOOLS, TRAIN_QUESTIONS),
    "gyms": (GYM_TOOLS, GYM_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
