"""A tenth held-out set for the embedded model: 16 questions in two new domains.

Written after the round's last change (the ninth holdout's answers had been read and fixed
against) and before any run of it, and committed first; run once, to measure the code as
it is. Two sets of eight, each with its own tools, in domains no earlier set touches (play,
director, orchard and cooperative names invented, so the model cannot answer from memory):

- `theatres`: plays' running times (in minutes), ticket prices, the seats of the theatre
  each is on, directors, directors' play counts, and a two-argument group-booking tool
  (play, tickets);
- `orchards`: orchards' trees, apple prices per kilogram, harvests (in tonnes) and
  cooperatives, cooperatives' farm counts, and a two-argument crate-price tool (orchard,
  crates).

The questions ask for comparisons (two of them for the smaller: "cheaper", "for less"),
conversions that need arithmetic (an amount times a looked-up rate), a sum and a difference
of two results, two-step chains, calls of a two-argument tool, and one question that asks
two things of one subject.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# ------------------------------------------------------------------ theatres

MINUTES = {"night harbour": 135, "copper bell": 95, "saltmarsh": 150, "willowgate": 110}
TICKET = {"night harbour": 42.0, "copper bell": 28.0, "saltmarsh": 36.5, "willowgate": 31.0}
HOUSE_SEATS = {"night harbour": 880, "copper bell": 240, "saltmarsh": 1150, "willowgate": 515}
DIRECTOR = {
    "night harbour": "Ines Marlowe",
    "copper bell": "Tobin Achter",
    "saltmarsh": "Ines Marlowe",
    "willowgate": "Rhea Castellan",
}
DIRECTED = {"ines marlowe": 19, "tobin achter": 6, "rhea castellan": 11}
GROUP_RATE = {"night harbour": 35.0, "copper bell": 22.0, "saltmarsh": 30.0, "willowgate": 26.0}


def play_name(play: str) -> str:
    """A play's key: `"The Copper Bell"` -> `"copper bell"`."""
    return table_key(play, MINUTES, suffixes=(" play",))


@inout
def play_minutes(play: str) -> int:
    """Look up how many minutes a play runs for, intervals included."""
    time.sleep(0.2)  # a box-office service
    return MINUTES[play_name(play)]


@inout
def ticket_price(play: str) -> float:
    """Look up what one ticket for a play costs, in pounds."""
    time.sleep(0.2)
    return TICKET[play_name(play)]


@inout
def theatre_seats(play: str) -> int:
    """Look up how many seats the theatre that shows a play has."""
    time.sleep(0.2)
    return HOUSE_SEATS[play_name(play)]


@inout
def play_director(play: str) -> str:
    """Look up who directs a play; returns the director's name."""
    time.sleep(0.2)
    return DIRECTOR[play_name(play)]


@inout
def director_plays(director: str) -> int:
    """Look up how many plays a director has directed."""
    time.sleep(0.2)
    return DIRECTED[table_key(director, DIRECTED)]


@compute
def group_booking(play: str, tickets: int) -> float:
    """The price, in pounds, of a group booking of a number of tickets for a play."""
    return GROUP_RATE[play_name(play)] * int(tickets)


THEATRE_TOOLS: list[BaseTool] = [
    play_minutes,
    ticket_price,
    theatre_seats,
    play_director,
    director_plays,
    group_booking,
]

# ------------------------------------------------------------------ orchards

TREES = {"brackenfold": 1240, "elmsworth": 860, "harrow hill": 2150, "quillby": 1575}
PRICE_KG = {"brackenfold": 3.2, "elmsworth": 2.6, "harrow hill": 4.1, "quillby": 2.9}
HARVEST_T = {"brackenfold": 48.0, "elmsworth": 31.5, "harrow hill": 77.0, "quillby": 52.5}
COOPERATIVE = {
    "brackenfold": "Vale Growers",
    "elmsworth": "Red Ridge Co-op",
    "harrow hill": "Vale Growers",
    "quillby": "Red Ridge Co-op",
}
FARMS = {"vale growers": 23, "red ridge co-op": 14}
CRATE_PRICE = {"brackenfold": 18.0, "elmsworth": 15.0, "harrow hill": 24.0, "quillby": 16.5}


def orchard_name(orchard: str) -> str:
    """An orchard's key: `"the Quillby orchard"` -> `"quillby"`."""
    return table_key(orchard, TREES, suffixes=(" orchard", " orchards", " farm"))


@inout
def orchard_trees(orchard: str) -> int:
    """Look up how many apple trees an orchard has."""
    time.sleep(0.2)  # a growers' register
    return TREES[orchard_name(orchard)]


@inout
def apple_price(orchard: str) -> float:
    """Look up what one kilogram of an orchard's apples costs, in dollars."""
    time.sleep(0.2)
    return PRICE_KG[orchard_name(orchard)]


@inout
def harvest_tonnes(orchard: str) -> float:
    """Look up how many tonnes of apples an orchard harvested last year."""
    time.sleep(0.2)
    return HARVEST_T[orchard_name(orchard)]


@inout
def orchard_cooperative(orchard: str) -> str:
    """Look up which cooperative an orchard belongs to; returns the cooperative's name."""
    time.sleep(0.2)
    return COOPERATIVE[orchard_name(orchard)]


@inout
def cooperative_farms(cooperative: str) -> int:
    """Look up how many farms belong to a cooperative."""
    time.sleep(0.2)
    return FARMS[table_key(cooperative, FARMS)]


@compute
def crate_cost(orchard: str, crates: int) -> float:
    """The price, in dollars, of a number of crates of an orchard's apples."""
    return CRATE_PRICE[orchard_name(orchard)] * int(crates)


ORCHARD_TOOLS: list[BaseTool] = [
    orchard_trees,
    apple_price,
    harvest_tonnes,
    orchard_cooperative,
    cooperative_farms,
    crate_cost,
]


THEATRE_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which play runs longer, Night Harbour or Saltmarsh?",
        {("play_minutes", "play", "night harbour"), ("play_minutes", "play", "saltmarsh")},
        (135, 150),
        larger=("saltmarsh", "night harbour"),
    ),
    ask(
        "What do 5 tickets for The Copper Bell cost?",
        {("ticket_price", "play", "copper bell")},
        (5 * 28.0,),
    ),
    ask(
        "How many plays has the director of Willowgate directed?",
        {
            ("play_director", "play", "willowgate"),
            ("director_plays", "director", chained("play_director")),
        },
        (11,),
    ),
    ask(
        "What does a group booking of 12 tickets for Saltmarsh cost?",
        {("group_booking", "play", "saltmarsh"), ("group_booking", "tickets", 12)},
        (12 * 30.0,),
    ),
    ask(
        "How many seats do the theatres showing Night Harbour and Willowgate have altogether?",
        {("theatre_seats", "play", "night harbour"), ("theatre_seats", "play", "willowgate")},
        (880 + 515,),
    ),
    ask(
        "How many minutes shorter is The Copper Bell than Willowgate?",
        {("play_minutes", "play", "copper bell"), ("play_minutes", "play", "willowgate")},
        (110 - 95,),
    ),
    ask(
        "Which play has the cheaper ticket, Saltmarsh or Night Harbour?",
        {("ticket_price", "play", "saltmarsh"), ("ticket_price", "play", "night harbour")},
        (36.5, 42.0),
        larger=("night harbour", "saltmarsh"),
    ),
    ask(
        "Who directs The Copper Bell, and how many minutes does it run?",
        {("play_director", "play", "copper bell"), ("play_minutes", "play", "copper bell")},
        (95,),
    ),
)


ORCHARD_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which orchard has more trees, Brackenfold or Quillby?",
        {("orchard_trees", "orchard", "brackenfold"), ("orchard_trees", "orchard", "quillby")},
        (1240, 1575),
        larger=("quillby", "brackenfold"),
    ),
    ask(
        "What do 3 kilograms of apples from Harrow Hill cost?",
        {("apple_price", "orchard", "harrow hill")},
        (3 * 4.1,),
    ),
    ask(
        "How many farms are in the cooperative that Elmsworth belongs to?",
        {
            ("orchard_cooperative", "orchard", "elmsworth"),
            ("cooperative_farms", "cooperative", chained("orchard_cooperative")),
        },
        (14,),
    ),
    ask(
        "What do 8 crates of apples from Brackenfold cost?",
        {("crate_cost", "orchard", "brackenfold"), ("crate_cost", "crates", 8)},
        (8 * 18.0,),
    ),
    ask(
        "How many tonnes did Elmsworth and Quillby harvest together last year?",
        {("harvest_tonnes", "orchard", "elmsworth"), ("harvest_tonnes", "orchard", "quillby")},
        (31.5 + 52.5,),
    ),
    ask(
        "How many more trees does Harrow Hill have than Elmsworth?",
        {("orchard_trees", "orchard", "harrow hill"), ("orchard_trees", "orchard", "elmsworth")},
        (2150 - 860,),
    ),
    ask(
        "Which orchard sells its apples for less, Quillby or Brackenfold?",
        {("apple_price", "orchard", "quillby"), ("apple_price", "orchard", "brackenfold")},
        (2.9, 3.2),
        larger=("brackenfold", "quillby"),
    ),
    ask(
        "What were last year's harvests of Brackenfold and Harrow Hill?",
        {
            ("harvest_tonnes", "orchard", "brackenfold"),
            ("harvest_tonnes", "orchard", "harrow hill"),
        },
        (48.0, 77.0),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("play_minutes", "play"): play_name,
    ("ticket_price", "play"): play_name,
    ("theatre_seats", "play"): play_name,
    ("play_director", "play"): play_name,
    ("director_plays", "director"): keyed(DIRECTED),
    ("group_booking", "play"): play_name,
    ("orchard_trees", "orchard"): orchard_name,
    ("apple_price", "orchard"): orchard_name,
    ("harvest_tonnes", "orchard"): orchard_name,
    ("orchard_cooperative", "orchard"): orchard_name,
    ("cooperative_farms", "cooperative"): keyed(FARMS),
    ("crate_cost", "orchard"): orchard_name,
}
"""How the scorer compares an argument's value where spellings differ (`"The Copper
Bell"`, `"the Quillby orchard"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "theatres": (THEATRE_TOOLS, THEATRE_QUESTIONS),
    "orchards": (ORCHARD_TOOLS, ORCHARD_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
