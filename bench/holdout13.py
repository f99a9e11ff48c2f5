"""A thirteenth held-out set for the embedded model: 16 questions in two new domains.

Written after the twelfth holdout's answers had been read and fixed against, and before
any run of it, and committed first; run once, to measure the code as it is. Two sets of
eight, each with its own tools, in domains no earlier set touches (lighthouse, farm,
keeper and co-operative names invented, so the model cannot answer from memory):

- `lighthouses`: lighthouses' tower heights (in metres), the range of their lights (in
  nautical miles), the years they were first lit, and their keepers, keepers' years of
  service, and a two-argument tour-price tool (lighthouse, visitors);
- `dairies`: dairy farms' herds (cows), daily milk yields (in litres), pasture (in
  hectares), butterfat (in per cent) and the co-operatives that buy their milk,
  co-operatives' members, and a two-argument feed-bill tool (farm, days).

The questions are worded loosely again, with kinds no earlier holdout asked: an average
of two results, a ratio of two different results of one subject ("litres per cow"), a sum
said as stacking one thing on another, a comparison said as "carries less far", a count
said in words ("Seven of us"), a month said as "a 30-day month", a difference said as
"outnumber" and as "years passed between", and a two-part question whose second part
hangs on the first's answer ("who keeps ..., and how long have they served?").
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# ------------------------------------------------------------------ lighthouses

HEIGHT_M = {"gullhaven": 38, "marrock point": 44, "ostreby": 27, "skellan head": 31}
RANGE_NM = {"gullhaven": 18, "marrock point": 21, "ostreby": 24, "skellan head": 15}
FIRST_LIT = {"gullhaven": 1846, "marrock point": 1872, "ostreby": 1809, "skellan head": 1891}
KEEPER = {
    "gullhaven": "Ewan Slade",
    "marrock point": "Aled Pryce",
    "ostreby": "Maren Tolle",
    "skellan head": "Ewan Slade",
}
SERVICE_YEARS = {"ewan slade": 17, "aled pryce": 11, "maren tolle": 23}
TOUR_RATE = {"gullhaven": 6.0, "marrock point": 9.5, "ostreby": 7.25, "skellan head": 8.0}


def lighthouse_name(lighthouse: str) -> str:
    """A lighthouse's key: `"the Ostreby lighthouse"` -> `"ostreby"`."""
    return table_key(lighthouse, HEIGHT_M, suffixes=(" lighthouse", " light"))


@inout
def tower_height(lighthouse: str) -> int:
    """Look up how tall a lighthouse's tower is, in metres."""
    time.sleep(0.2)  # a lighthouse board's register
    return HEIGHT_M[lighthouse_name(lighthouse)]


@inout
def light_range(lighthouse: str) -> int:
    """Look up how far out to sea a lighthouse's light can be seen, in nautical miles."""
    time.sleep(0.2)
    return RANGE_NM[lighthouse_name(lighthouse)]


@inout
def year_first_lit(lighthouse: str) -> int:
    """Look up the year a lighthouse's light was first lit."""
    time.sleep(0.2)
    return FIRST_LIT[lighthouse_name(lighthouse)]


@inout
def lighthouse_keeper(lighthouse: str) -> str:
    """Look up who keeps a lighthouse; returns the keeper's name."""
    time.sleep(0.2)
    return KEEPER[lighthouse_name(lighthouse)]


@inout
def keeper_service(keeper: str) -> int:
    """Look up how many years a lighthouse keeper has served."""
    time.sleep(0.2)
    return SERVICE_YEARS[table_key(keeper, SERVICE_YEARS, prefixes=("keeper ",))]


@compute
def tour_price(lighthouse: str, visitors: int) -> float:
    """The price, in dollars, of a guided tour of a lighthouse for a number of visitors."""
    return TOUR_RATE[lighthouse_name(lighthouse)] * int(visitors)


LIGHTHOUSE_TOOLS: list[BaseTool] = [
    tower_height,
    light_range,
    year_first_lit,
    lighthouse_keeper,
    keeper_service,
    tour_price,
]

# ------------------------------------------------------------------ dairies

HERD = {"hollinsby": 210, "brea vale": 155, "thackley": 96, "dunmore leys": 178}
YIELD_L = {"hollinsby": 5460, "brea vale": 3720, "thackley": 2112, "dunmore leys": 4094}
PASTURE_HA = {"hollinsby": 140, "brea vale": 118, "thackley": 72, "dunmore leys": 131}
BUTTERFAT_PCT = {"hollinsby": 4.1, "brea vale": 3.7, "thackley": 4.6, "dunmore leys": 3.9}
COOPERATIVE = {
    "hollinsby": "Vale Dairy Co-operative",
    "brea vale": "Westmoor Milk",
    "thackley": "Westmoor Milk",
    "dunmore leys": "Vale Dairy Co-operative",
}
MEMBERS = {"vale dairy co-operative": 412, "westmoor milk": 268}
FEED_RATE = {"hollinsby": 820.0, "brea vale": 610.0, "thackley": 385.0, "dunmore leys": 702.5}


def farm_name(farm: str) -> str:
    """A farm's key: `"Thackley Farm"` -> `"thackley"`."""
    return table_key(farm, HERD, suffixes=(" farm", " dairy"))


def cooperative_name(cooperative: str) -> str:
    """A co-operative's key: `"Vale Dairy Cooperative"` -> `"vale dairy co-operative"`."""
    key = cooperative.lower().replace("cooperative", "co-operative").replace("co-op ", "")
    return table_key(key.replace(" co-op", " co-operative"), MEMBERS)


@inout
def herd_size(farm: str) -> int:
    """Look up how many cows a dairy farm milks."""
    time.sleep(0.2)  # a milk board's returns
    return HERD[farm_name(farm)]


@inout
def milk_yield(farm: str) -> int:
    """Look up how many litres of milk a dairy farm produces per day."""
    time.sleep(0.2)
    return YIELD_L[farm_name(farm)]


@inout
def pasture_area(farm: str) -> int:
    """Look up how much pasture a dairy farm grazes, in hectares."""
    time.sleep(0.2)
    return PASTURE_HA[farm_name(farm)]


@inout
def butterfat(farm: str) -> float:
    """Look up the butterfat content of a dairy farm's milk, in per cent."""
    time.sleep(0.2)
    return BUTTERFAT_PCT[farm_name(farm)]


@inout
def buying_cooperative(farm: str) -> str:
    """Look up which co-operative buys a dairy farm's milk; returns its name."""
    time.sleep(0.2)
    return COOPERATIVE[farm_name(farm)]


@inout
def cooperative_members(cooperative: str) -> int:
    """Look up how many farms are members of a dairy co-operative."""
    time.sleep(0.2)
    return MEMBERS[cooperative_name(cooperative)]


@compute
def feed_bill(farm: str, days: int) -> float:
    """The cost, in dollars, of feeding a dairy farm's herd for a number of days."""
    return FEED_RATE[farm_name(farm)] * int(days)


DAIRY_TOOLS: list[BaseTool] = [
    herd_size,
    milk_yield,
    pasture_area,
    butterfat,
    buying_cooperative,
    cooperative_members,
    feed_bill,
]


LIGHTHOUSE_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Whose beam reaches further out to sea, Gullhaven's or Ostreby's?",
        {
            ("light_range", "lighthouse", "gullhaven"),
            ("light_range", "lighthouse", "ostreby"),
        },
        (18, 24),
        larger=("ostreby", "gullhaven"),
    ),
    ask(
        "Stack Marrock Point's tower on top of Skellan Head's: how high would that reach?",
        {
            ("tower_height", "lighthouse", "marrock point"),
            ("tower_height", "lighthouse", "skellan head"),
        },
        (44 + 31,),
    ),
    ask(
        "How many years passed between Gullhaven being first lit and Skellan Head?",
        {
            ("year_first_lit", "lighthouse", "gullhaven"),
            ("year_first_lit", "lighthouse", "skellan head"),
        },
        (1891 - 1846,),
    ),
    ask(
        "Who keeps the Ostreby light, and how long have they served?",
        {
            ("lighthouse_keeper", "lighthouse", "ostreby"),
            ("keeper_service", "keeper", chained("lighthouse_keeper")),
        },
        (23,),
    ),
    ask(
        "Seven of us would like a tour of Marrock Point. How much?",
        {("tour_price", "lighthouse", "marrock point"), ("tour_price", "visitors", 7)},
        (7 * 9.5,),
    ),
    ask(
        "Is Skellan Head's tower shorter than Gullhaven's?",
        {
            ("tower_height", "lighthouse", "skellan head"),
            ("tower_height", "lighthouse", "gullhaven"),
        },
        (31, 38),
        larger=("gullhaven", "skellan head"),
    ),
    ask(
        "What's the average tower height of Gullhaven and Ostreby?",
        {
            ("tower_height", "lighthouse", "gullhaven"),
            ("tower_height", "lighthouse", "ostreby"),
        },
        ((38 + 27) / 2,),
    ),
    ask(
        "Between Marrock Point and Skellan Head, which light carries less far?",
        {
            ("light_range", "lighthouse", "marrock point"),
            ("light_range", "lighthouse", "skellan head"),
        },
        (21, 15),
        larger=("marrock point", "skellan head"),
    ),
)


DAIRY_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which farm runs the bigger herd, Thackley or Brea Vale?",
        {("herd_size", "farm", "thackley"), ("herd_size", "farm", "brea vale")},
        (96, 155),
        larger=("brea vale", "thackley"),
    ),
    ask(
        "Over a 30-day month at its current daily yield, how many litres would Hollinsby produce?",
        {("milk_yield", "farm", "hollinsby")},
        (30 * 5460,),
    ),
    ask(
        "How much grazing do Dunmore Leys and Thackley have between them?",
        {("pasture_area", "farm", "dunmore leys"), ("pasture_area", "farm", "thackley")},
        (131 + 72,),
    ),
    ask(
        "Which of Brea Vale and Hollinsby produces the richer milk?",
        {("butterfat", "farm", "brea vale"), ("butterfat", "farm", "hollinsby")},
        (3.7, 4.1),
        larger=("hollinsby", "brea vale"),
    ),
    ask(
        "How many members does the co-op that buys Thackley's milk have?",
        {
            ("buying_cooperative", "farm", "thackley"),
            ("cooperative_members", "cooperative", chained("buying_cooperative")),
        },
        (268,),
    ),
    ask(
        "What would feeding Dunmore Leys' herd cost for a fortnight?",
        {("feed_bill", "farm", "dunmore leys"), ("feed_bill", "days", 14)},
        (14 * 702.5,),
    ),
    ask(
        "By how many cows does Hollinsby's herd outnumber Dunmore Leys'?",
        {("herd_size", "farm", "hollinsby"), ("herd_size", "farm", "dunmore leys")},
        (210 - 178,),
    ),
    ask(
        "On average, how many litres does each cow at Brea Vale give a day?",
        {("milk_yield", "farm", "brea vale"), ("herd_size", "farm", "brea vale")},
        (3720 / 155,),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("tower_height", "lighthouse"): lighthouse_name,
    ("light_range", "lighthouse"): lighthouse_name,
    ("year_first_lit", "lighthouse"): lighthouse_name,
    ("lighthouse_keeper", "lighthouse"): lighthouse_name,
    ("keeper_service", "keeper"): keyed(SERVICE_YEARS),
    ("tour_price", "lighthouse"): lighthouse_name,
    ("herd_size", "farm"): farm_name,
    ("milk_yield", "farm"): farm_name,
    ("pasture_area", "farm"): farm_name,
    ("butterfat", "farm"): farm_name,
    ("buying_cooperative", "farm"): farm_name,
    ("cooperative_members", "cooperative"): cooperative_name,
    ("feed_bill", "farm"): farm_name,
}
"""How the scorer compares an argument's value where spellings differ (`"the Ostreby
Lighthouse"`, `"Thackley Farm"`, `"Westmoor Milk Co-op"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "lighthouses": (LIGHTHOUSE_TOOLS, LIGHTHOUSE_QUESTIONS),
    "dairies": (DAIRY_TOOLS, DAIRY_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
