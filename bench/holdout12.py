"""A twelfth held-out set for the embedded model: 16 questions in two new domains.

Written after the eleventh holdout's answers had been read and fixed against, and before
any run of it, and committed first; run once, to measure the code as it is. Two sets of
eight, each with its own tools, in domains no earlier set touches (observatory, mine,
director and company names invented, so the model cannot answer from memory):

- `observatories`: observatories' telescope apertures (in centimetres), altitudes (in
  metres), clear nights a year, and directors, directors' published papers, and a
  two-argument observing-time tool (observatory, hours);
- `mines`: mines' daily output (in tonnes), shaft depths (in metres), workforces, ore
  grades (in per cent) and owning companies, companies' founding years, and a two-argument
  haulage tool (mine, tonnes).

The questions are worded more loosely again: a comparison said through what the quantity
does ("gathers more light", "digs deeper", "poorer ore"), a yes-or-no comparison ("Is
Caldwick lower than Aldmoor?"), a sum said as "combined" and "in total", an amount with a
thousands separator ("1,200 tonnes"), a daily rate kept up for a week, a chain named by a
role ("the firm that owns", "whoever directs"), a difference said as a "gap", a request
to "quote", and one question that asks two things of one subject.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# ------------------------------------------------------------------ observatories

APERTURE_CM = {"aldmoor": 152, "ferrow ridge": 244, "sennet hill": 98, "caldwick": 183}
ALTITUDE_M = {"aldmoor": 1840, "ferrow ridge": 2615, "sennet hill": 930, "caldwick": 1275}
CLEAR_NIGHTS = {"aldmoor": 211, "ferrow ridge": 268, "sennet hill": 143, "caldwick": 176}
DIRECTOR = {
    "aldmoor": "Ines Varga",
    "ferrow ridge": "Tomasz Wielgus",
    "sennet hill": "Ines Varga",
    "caldwick": "Odile Brasseur",
}
PAPERS = {"ines varga": 86, "tomasz wielgus": 142, "odile brasseur": 57}
TIME_RATE = {"aldmoor": 120.0, "ferrow ridge": 310.0, "sennet hill": 65.0, "caldwick": 180.0}


def observatory_name(observatory: str) -> str:
    """An observatory's key: `"the Aldmoor Observatory"` -> `"aldmoor"`."""
    return table_key(observatory, APERTURE_CM, suffixes=(" observatory",))


@inout
def telescope_aperture(observatory: str) -> int:
    """Look up the diameter of an observatory's main telescope mirror, in centimetres."""
    time.sleep(0.2)  # an astronomy society's register
    return APERTURE_CM[observatory_name(observatory)]


@inout
def observatory_altitude(observatory: str) -> int:
    """Look up how high above sea level an observatory stands, in metres."""
    time.sleep(0.2)
    return ALTITUDE_M[observatory_name(observatory)]


@inout
def clear_nights(observatory: str) -> int:
    """Look up how many clear nights a year an observatory gets."""
    time.sleep(0.2)
    return CLEAR_NIGHTS[observatory_name(observatory)]


@inout
def observatory_director(observatory: str) -> str:
    """Look up who directs an observatory; returns the director's name."""
    time.sleep(0.2)
    return DIRECTOR[observatory_name(observatory)]


@inout
def published_papers(astronomer: str) -> int:
    """Look up how many research papers an astronomer has published."""
    time.sleep(0.2)
    return PAPERS[table_key(astronomer, PAPERS, prefixes=("dr ", "dr. ", "professor "))]


@compute
def observing_time_cost(observatory: str, hours: int) -> float:
    """The fee, in dollars, for a number of hours of time on an observatory's telescope."""
    return TIME_RATE[observatory_name(observatory)] * int(hours)


OBSERVATORY_TOOLS: list[BaseTool] = [
    telescope_aperture,
    observatory_altitude,
    clear_nights,
    observatory_director,
    published_papers,
    observing_time_cost,
]

# ------------------------------------------------------------------ mines

OUTPUT_T = {"brackenhollow": 640, "orrin gap": 1150, "tessaly": 415, "wenlow": 890}
SHAFT_M = {"brackenhollow": 780, "orrin gap": 1320, "tessaly": 560, "wenlow": 945}
WORKERS = {"brackenhollow": 212, "orrin gap": 388, "tessaly": 147, "wenlow": 263}
GRADE_PCT = {"brackenhollow": 2.4, "orrin gap": 1.1, "tessaly": 3.6, "wenlow": 1.8}
OWNER = {
    "brackenhollow": "Carrow Minerals",
    "orrin gap": "Halden & Pike",
    "tessaly": "Carrow Minerals",
    "wenlow": "Halden & Pike",
}
FOUNDED = {"carrow minerals": 1897, "halden & pike": 1952}
HAUL_RATE = {"brackenhollow": 14.5, "orrin gap": 11.0, "tessaly": 18.25, "wenlow": 12.75}


def mine_name(mine: str) -> str:
    """A mine's key: `"the Tessaly mine"` -> `"tessaly"`."""
    return table_key(mine, OUTPUT_T, suffixes=(" mine", " pit", " colliery"))


def company_name(company: str) -> str:
    """A company's key: `"Halden and Pike"` -> `"halden & pike"`."""
    return table_key(company.replace(" and ", " & "), FOUNDED)


@inout
def daily_output(mine: str) -> int:
    """Look up how many tonnes of ore a mine produces per day."""
    time.sleep(0.2)  # a mining authority's returns
    return OUTPUT_T[mine_name(mine)]


@inout
def shaft_depth(mine: str) -> int:
    """Look up how deep a mine's main shaft goes, in metres."""
    time.sleep(0.2)
    return SHAFT_M[mine_name(mine)]


@inout
def mine_workforce(mine: str) -> int:
    """Look up how many people work at a mine."""
    time.sleep(0.2)
    return WORKERS[mine_name(mine)]


@inout
def ore_grade(mine: str) -> float:
    """Look up the metal content of a mine's ore, in per cent."""
    time.sleep(0.2)
    return GRADE_PCT[mine_name(mine)]


@inout
def mine_owner(mine: str) -> str:
    """Look up which company owns a mine; returns the company's name."""
    time.sleep(0.2)
    return OWNER[mine_name(mine)]


@inout
def company_founded(company: str) -> int:
    """Look up the year a company was founded."""
    time.sleep(0.2)
    return FOUNDED[company_name(company)]


@compute
def haulage_cost(mine: str, tonnes: int) -> float:
    """The price, in dollars, of hauling a number of tonnes of ore from a mine to the port."""
    return round(HAUL_RATE[mine_name(mine)] * int(tonnes), 2)


MINE_TOOLS: list[BaseTool] = [
    daily_output,
    shaft_depth,
    mine_workforce,
    ore_grade,
    mine_owner,
    company_founded,
    haulage_cost,
]


OBSERVATORY_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Of Aldmoor and Caldwick, whose telescope gathers more light?",
        {
            ("telescope_aperture", "observatory", "aldmoor"),
            ("telescope_aperture", "observatory", "caldwick"),
        },
        (152, 183),
        larger=("caldwick", "aldmoor"),
    ),
    ask(
        "How many clear nights a year do Ferrow Ridge and Sennet Hill get combined?",
        {
            ("clear_nights", "observatory", "ferrow ridge"),
            ("clear_nights", "observatory", "sennet hill"),
        },
        (268 + 143,),
    ),
    ask(
        "I'd like 5 hours on the Caldwick telescope. What's the bill?",
        {
            ("observing_time_cost", "observatory", "caldwick"),
            ("observing_time_cost", "hours", 5),
        },
        (5 * 180.0,),
    ),
    ask(
        "How many papers has whoever directs Ferrow Ridge published?",
        {
            ("observatory_director", "observatory", "ferrow ridge"),
            ("published_papers", "astronomer", chained("observatory_director")),
        },
        (142,),
    ),
    ask(
        "How much further above sea level is Aldmoor than Sennet Hill?",
        {
            ("observatory_altitude", "observatory", "aldmoor"),
            ("observatory_altitude", "observatory", "sennet hill"),
        },
        (1840 - 930,),
    ),
    ask(
        "Is Caldwick lower than Ferrow Ridge?",
        {
            ("observatory_altitude", "observatory", "caldwick"),
            ("observatory_altitude", "observatory", "ferrow ridge"),
        },
        (1275, 2615),
        larger=("ferrow ridge", "caldwick"),
    ),
    ask(
        "Which sees fewer clear nights, Aldmoor or Caldwick?",
        {
            ("clear_nights", "observatory", "aldmoor"),
            ("clear_nights", "observatory", "caldwick"),
        },
        (211, 176),
        larger=("aldmoor", "caldwick"),
    ),
    ask(
        "Who is the director at Sennet Hill, and how big is its telescope's mirror?",
        {
            ("observatory_director", "observatory", "sennet hill"),
            ("telescope_aperture", "observatory", "sennet hill"),
        },
        (98,),
    ),
)


MINE_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which mine digs deeper, Brackenhollow or Orrin Gap?",
        {("shaft_depth", "mine", "brackenhollow"), ("shaft_depth", "mine", "orrin gap")},
        (780, 1320),
        larger=("orrin gap", "brackenhollow"),
    ),
    ask(
        "If Tessaly keeps up its daily output for a week, how many tonnes is that?",
        {("daily_output", "mine", "tessaly")},
        (7 * 415,),
    ),
    ask(
        "In what year was the firm that owns Orrin Gap founded?",
        {
            ("mine_owner", "mine", "orrin gap"),
            ("company_founded", "company", chained("mine_owner")),
        },
        (1952,),
    ),
    ask(
        "Quote me the haulage for 1,200 tonnes from Brackenhollow.",
        {("haulage_cost", "mine", "brackenhollow"), ("haulage_cost", "tonnes", 1200)},
        (1200 * 14.5,),
    ),
    ask(
        "Brackenhollow and Tessaly: how many workers in total?",
        {("mine_workforce", "mine", "brackenhollow"), ("mine_workforce", "mine", "tessaly")},
        (212 + 147,),
    ),
    ask(
        "What's the gap in daily output between Orrin Gap and Wenlow?",
        {("daily_output", "mine", "orrin gap"), ("daily_output", "mine", "wenlow")},
        (1150 - 890,),
    ),
    ask(
        "Which has the poorer ore, Wenlow or Tessaly?",
        {("ore_grade", "mine", "wenlow"), ("ore_grade", "mine", "tessaly")},
        (1.8, 3.6),
        larger=("tessaly", "wenlow"),
    ),
    ask(
        "Tell me how deep Wenlow's shaft is and how many people work there.",
        {("shaft_depth", "mine", "wenlow"), ("mine_workforce", "mine", "wenlow")},
        (945, 263),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("telescope_aperture", "observatory"): observatory_name,
    ("observatory_altitude", "observatory"): observatory_name,
    ("clear_nights", "observatory"): observatory_name,
    ("observatory_director", "observatory"): observatory_name,
    ("published_papers", "astronomer"): keyed(PAPERS),
    ("observing_time_cost", "observatory"): observatory_name,
    ("daily_output", "mine"): mine_name,
    ("shaft_depth", "mine"): mine_name,
    ("mine_workforce", "mine"): mine_name,
    ("ore_grade", "mine"): mine_name,
    ("mine_owner", "mine"): mine_name,
    ("company_founded", "company"): company_name,
    ("haulage_cost", "mine"): mine_name,
}
"""How the scorer compares an argument's value where spellings differ (`"the Aldmoor
Observatory"`, `"Tessaly mine"`, `"Halden and Pike"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "observatories": (OBSERVATORY_TOOLS, OBSERVATORY_QUESTIONS),
    "mines": (MINE_TOOLS, MINE_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
