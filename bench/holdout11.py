"""An eleventh held-out set for the embedded model: 16 questions in two new domains.

Written after the tenth holdout's answers had been read and fixed against, and before any
run of it, and committed first; run once, to measure the code as it is. Two sets of eight,
each with its own tools, in domains no earlier set touches (resort, marina, company and
harbour-master names invented, so the model cannot answer from memory):

- `resorts`: ski resorts' lifts, day-pass prices, top-station heights (in metres), snow
  depths (in centimetres) and the companies that run them, companies' resort counts, and a
  two-argument private-lesson tool (resort, hours);
- `marinas`: marinas' berths, nightly mooring fees, water depths (in metres) and harbour
  masters, harbour masters' years of service, and a two-argument diesel tool (marina,
  litres).

The questions are worded more loosely than the earlier sets: a yes-or-no-shaped
comparison ("Is a day on the slopes dearer at A or at B?"), comparisons for the smaller
("less snow", "cheaper", "shallower"), a request in the imperative ("Price a 3-hour
lesson", "Add up the berths"), an amount times a looked-up rate said as a cost to the
asker, a sum and a difference of two results, two-step chains named by a role ("the
company behind", "harbour master ... in the job"), calls of a two-argument tool, and one
question that asks two things of one subject.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# ------------------------------------------------------------------ resorts

LIFTS = {"frostmere": 14, "kelderpeak": 22, "vallorin": 9, "skarnholm": 17}
DAY_PASS = {"frostmere": 58.0, "kelderpeak": 64.5, "vallorin": 47.0, "skarnholm": 52.0}
SUMMIT_M = {"frostmere": 2480, "kelderpeak": 3120, "vallorin": 2210, "skarnholm": 2765}
SNOW_CM = {"frostmere": 145, "kelderpeak": 210, "vallorin": 88, "skarnholm": 120}
OPERATOR = {
    "frostmere": "Alpenhof Group",
    "kelderpeak": "Nordvik Leisure",
    "vallorin": "Alpenhof Group",
    "skarnholm": "Nordvik Leisure",
}
OPERATED = {"alpenhof group": 7, "nordvik leisure": 12}
LESSON_RATE = {"frostmere": 75.0, "kelderpeak": 90.0, "vallorin": 60.0, "skarnholm": 70.0}


def resort_name(resort: str) -> str:
    """A resort's key: `"the Frostmere ski resort"` -> `"frostmere"`."""
    return table_key(resort, LIFTS, suffixes=(" ski resort", " resort", " ski area"))


@inout
def resort_lifts(resort: str) -> int:
    """Look up how many ski lifts a resort has."""
    time.sleep(0.2)  # a resorts' register
    return LIFTS[resort_name(resort)]


@inout
def day_pass_price(resort: str) -> float:
    """Look up what a one-day lift pass at a resort costs, in euros."""
    time.sleep(0.2)
    return DAY_PASS[resort_name(resort)]


@inout
def summit_height(resort: str) -> int:
    """Look up the height above sea level of a resort's highest lift station, in metres."""
    time.sleep(0.2)
    return SUMMIT_M[resort_name(resort)]


@inout
def snow_depth(resort: str) -> int:
    """Look up how deep the snow lies at a resort today, in centimetres."""
    time.sleep(0.2)
    return SNOW_CM[resort_name(resort)]


@inout
def resort_operator(resort: str) -> str:
    """Look up which company runs a resort; returns the company's name."""
    time.sleep(0.2)
    return OPERATOR[resort_name(resort)]


@inout
def operator_resorts(company: str) -> int:
    """Look up how many ski resorts a company runs."""
    time.sleep(0.2)
    return OPERATED[table_key(company, OPERATED)]


@compute
def lesson_cost(resort: str, hours: int) -> float:
    """The price, in euros, of a private ski lesson of a number of hours at a resort."""
    return LESSON_RATE[resort_name(resort)] * int(hours)


RESORT_TOOLS: list[BaseTool] = [
    resort_lifts,
    day_pass_price,
    summit_height,
    snow_depth,
    resort_operator,
    operator_resorts,
    lesson_cost,
]

# ------------------------------------------------------------------ marinas

BERTHS = {"gullhaven": 320, "port ashby": 185, "tarrow quay": 410, "linsey cove": 96}
MOORING = {"gullhaven": 38.0, "port ashby": 29.5, "tarrow quay": 44.0, "linsey cove": 26.0}
DEPTH_M = {"gullhaven": 6.5, "port ashby": 4.2, "tarrow quay": 8.0, "linsey cove": 3.1}
MASTER = {
    "gullhaven": "Maren Olufsen",
    "port ashby": "Dewi Prothero",
    "tarrow quay": "Maren Olufsen",
    "linsey cove": "Callum Reyne",
}
SERVED = {"maren olufsen": 17, "dewi prothero": 9, "callum reyne": 4}
DIESEL = {"gullhaven": 1.62, "port ashby": 1.48, "tarrow quay": 1.71, "linsey cove": 1.55}


def marina_name(marina: str) -> str:
    """A marina's key: `"the Gullhaven marina"` -> `"gullhaven"`."""
    return table_key(marina, BERTHS, suffixes=(" marina", " harbour"))


@inout
def marina_berths(marina: str) -> int:
    """Look up how many berths (boat places) a marina has."""
    time.sleep(0.2)  # a harbour authority's service
    return BERTHS[marina_name(marina)]


@inout
def mooring_fee(marina: str) -> float:
    """Look up what mooring one boat at a marina costs per night, in pounds."""
    time.sleep(0.2)
    return MOORING[marina_name(marina)]


@inout
def water_depth(marina: str) -> float:
    """Look up how deep the water in a marina is at low tide, in metres."""
    time.sleep(0.2)
    return DEPTH_M[marina_name(marina)]


@inout
def harbour_master(marina: str) -> str:
    """Look up who the harbour master of a marina is; returns the harbour master's name."""
    time.sleep(0.2)
    return MASTER[marina_name(marina)]


@inout
def master_years(master: str) -> int:
    """Look up how many years a harbour master has served."""
    time.sleep(0.2)
    return SERVED[table_key(master, SERVED)]


@compute
def diesel_cost(marina: str, litres: int) -> float:
    """The price, in pounds, of a number of litres of diesel at a marina's fuel dock."""
    return round(DIESEL[marina_name(marina)] * int(litres), 2)


MARINA_TOOLS: list[BaseTool] = [
    marina_berths,
    mooring_fee,
    water_depth,
    harbour_master,
    master_years,
    diesel_cost,
]


RESORT_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Is a day on the slopes dearer at Frostmere or at Kelderpeak?",
        {("day_pass_price", "resort", "frostmere"), ("day_pass_price", "resort", "kelderpeak")},
        (58.0, 64.5),
        larger=("kelderpeak", "frostmere"),
    ),
    ask(
        "I want lift passes for 4 days at Vallorin. What will that set me back?",
        {("day_pass_price", "resort", "vallorin")},
        (4 * 47.0,),
    ),
    ask(
        "How many resorts does the company behind Kelderpeak run?",
        {
            ("resort_operator", "resort", "kelderpeak"),
            ("operator_resorts", "company", chained("resort_operator")),
        },
        (12,),
    ),
    ask(
        "Price a 3-hour private lesson at Frostmere.",
        {("lesson_cost", "resort", "frostmere"), ("lesson_cost", "hours", 3)},
        (3 * 75.0,),
    ),
    ask(
        "Between them, how many lifts do Vallorin and Skarnholm have?",
        {("resort_lifts", "resort", "vallorin"), ("resort_lifts", "resort", "skarnholm")},
        (9 + 17,),
    ),
    ask(
        "How much higher does Kelderpeak's top station sit than Skarnholm's?",
        {("summit_height", "resort", "kelderpeak"), ("summit_height", "resort", "skarnholm")},
        (3120 - 2765,),
    ),
    ask(
        "Which resort has less snow right now, Skarnholm or Vallorin?",
        {("snow_depth", "resort", "skarnholm"), ("snow_depth", "resort", "vallorin")},
        (120, 88),
        larger=("skarnholm", "vallorin"),
    ),
    ask(
        "Who runs Frostmere, and how deep is the snow there?",
        {("resort_operator", "resort", "frostmere"), ("snow_depth", "resort", "frostmere")},
        (145,),
    ),
)


MARINA_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which marina can take more boats, Gullhaven or Port Ashby?",
        {("marina_berths", "marina", "gullhaven"), ("marina_berths", "marina", "port ashby")},
        (320, 185),
        larger=("gullhaven", "port ashby"),
    ),
    ask(
        "What would 6 nights' mooring at Tarrow Quay cost me?",
        {("mooring_fee", "marina", "tarrow quay")},
        (6 * 44.0,),
    ),
    ask(
        "How long has Gullhaven's harbour master been in the job?",
        {
            ("harbour_master", "marina", "gullhaven"),
            ("master_years", "master", chained("harbour_master")),
        },
        (17,),
    ),
    ask(
        "What do 250 litres of diesel cost at Port Ashby?",
        {("diesel_cost", "marina", "port ashby"), ("diesel_cost", "litres", 250)},
        (250 * 1.48,),
    ),
    ask(
        "Add up the berths at Tarrow Quay and Linsey Cove.",
        {("marina_berths", "marina", "tarrow quay"), ("marina_berths", "marina", "linsey cove")},
        (410 + 96,),
    ),
    ask(
        "By how many metres is Linsey Cove shallower than Gullhaven?",
        {("water_depth", "marina", "linsey cove"), ("water_depth", "marina", "gullhaven")},
        (6.5 - 3.1,),
    ),
    ask(
        "Where is a night's mooring cheaper, Linsey Cove or Tarrow Quay?",
        {("mooring_fee", "marina", "linsey cove"), ("mooring_fee", "marina", "tarrow quay")},
        (26.0, 44.0),
        larger=("tarrow quay", "linsey cove"),
    ),
    ask(
        "What's the water depth at Port Ashby and at Linsey Cove?",
        {("water_depth", "marina", "port ashby"), ("water_depth", "marina", "linsey cove")},
        (4.2, 3.1),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("resort_lifts", "resort"): resort_name,
    ("day_pass_price", "resort"): resort_name,
    ("summit_height", "resort"): resort_name,
    ("snow_depth", "resort"): resort_name,
    ("resort_operator", "resort"): resort_name,
    ("operator_resorts", "company"): keyed(OPERATED),
    ("lesson_cost", "resort"): resort_name,
    ("marina_berths", "marina"): marina_name,
    ("mooring_fee", "marina"): marina_name,
    ("water_depth", "marina"): marina_name,
    ("harbour_master", "marina"): marina_name,
    ("master_years", "master"): keyed(SERVED),
    ("diesel_cost", "marina"): marina_name,
}
"""How the scorer compares an argument's value where spellings differ (`"the Frostmere
ski resort"`, `"Gullhaven marina"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "resorts": (RESORT_TOOLS, RESORT_QUESTIONS),
    "marinas": (MARINA_TOOLS, MARINA_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
