"""Development sets that ask spent holdouts' tools in other words.

The eleventh holdout's tools (`bench.holdout11`: resorts and marinas) and the tenth's
(`bench.holdout10`: theatres and orchards), each with eight new questions, worded the
ways users write and no set had yet: a comparison after a colon or as "A vs B", a
yes-or-no comparison with "than", "how many more", "combined", "put together", an
amount said in words ("a couple of", "three", "five kilos"), a request that ends in a
question mark after a semicolon, a role said as "in charge" or "behind", and a
two-part question that asks for a comparison and its size. Development sets: used while
changing the code, not a holdout.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.holdout10 import ORCHARD_TOOLS, THEATRE_TOOLS
from bench.holdout11 import MARINA_TOOLS, RESORT_TOOLS
from bench.question_sets import Question, ask

RESORT_REWORDED: tuple[Question, ...] = (
    ask(
        "Lifts: which has more, Vallorin or Frostmere?",
        {("resort_lifts", "resort", "vallorin"), ("resort_lifts", "resort", "frostmere")},
        (9, 14),
        larger=("frostmere", "vallorin"),
    ),
    ask(
        "Does Skarnholm have more snow than Frostmere?",
        {("snow_depth", "resort", "skarnholm"), ("snow_depth", "resort", "frostmere")},
        (120, 145),
        larger=("frostmere", "skarnholm"),
    ),
    ask(
        "How many more lifts does Kelderpeak have than Vallorin?",
        {("resort_lifts", "resort", "kelderpeak"), ("resort_lifts", "resort", "vallorin")},
        (22 - 9,),
    ),
    ask(
        "What do three days of lift passes at Skarnholm come to?",
        {("day_pass_price", "resort", "skarnholm")},
        (3 * 52.0,),
    ),
    ask(
        "Who operates Vallorin?",
        {("resort_operator", "resort", "vallorin")},
        (),
    ),
    ask(
        "How tall is the top station at Frostmere and at Vallorin combined?",
        {("summit_height", "resort", "frostmere"), ("summit_height", "resort", "vallorin")},
        (2480 + 2210,),
    ),
    ask(
        "I'd like a 2-hour lesson at Kelderpeak; how much?",
        {("lesson_cost", "resort", "kelderpeak"), ("lesson_cost", "hours", 2)},
        (2 * 90.0,),
    ),
    ask(
        "How many resorts are run by whoever operates Skarnholm?",
        {
            ("resort_operator", "resort", "skarnholm"),
            ("operator_resorts", "company", chained("resort_operator")),
        },
        (12,),
    ),
)

MARINA_REWORDED: tuple[Question, ...] = (
    ask(
        "Port Ashby vs Tarrow Quay: which charges more per night?",
        {("mooring_fee", "marina", "port ashby"), ("mooring_fee", "marina", "tarrow quay")},
        (29.5, 44.0),
        larger=("tarrow quay", "port ashby"),
    ),
    ask(
        "Is the water at Gullhaven deeper than at Tarrow Quay, and by how much?",
        {("water_depth", "marina", "gullhaven"), ("water_depth", "marina", "tarrow quay")},
        (8.0 - 6.5,),
    ),
    ask(
        "Who's in charge at Linsey Cove?",
        {("harbour_master", "marina", "linsey cove")},
        (),
    ),
    ask(
        "Mooring for a couple of nights at Gullhaven: what's the damage?",
        {("mooring_fee", "marina", "gullhaven")},
        (2 * 38.0,),
    ),
    ask(
        "What's the berth count at Port Ashby and Gullhaven combined?",
        {("marina_berths", "marina", "port ashby"), ("marina_berths", "marina", "gullhaven")},
        (185 + 320,),
    ),
    ask(
        "I need 80 litres of diesel at Linsey Cove. Cost?",
        {("diesel_cost", "marina", "linsey cove"), ("diesel_cost", "litres", 80)},
        (80 * 1.55,),
    ),
    ask(
        "How many years has the person in charge at Port Ashby served?",
        {
            ("harbour_master", "marina", "port ashby"),
            ("master_years", "master", chained("harbour_master")),
        },
        (9,),
    ),
    ask(
        "Which is shallower: Port Ashby or Tarrow Quay?",
        {("water_depth", "marina", "port ashby"), ("water_depth", "marina", "tarrow quay")},
        (4.2, 8.0),
        larger=("tarrow quay", "port ashby"),
    ),
)

THEATRE_REWORDED: tuple[Question, ...] = (
    ask(
        "Saltmarsh or Willowgate: which runs longer?",
        {("play_minutes", "play", "saltmarsh"), ("play_minutes", "play", "willowgate")},
        (150, 110),
        larger=("saltmarsh", "willowgate"),
    ),
    ask(
        "Is a seat at Night Harbour pricier than one at Saltmarsh?",
        {("ticket_price", "play", "night harbour"), ("ticket_price", "play", "saltmarsh")},
        (42.0, 36.5),
        larger=("night harbour", "saltmarsh"),
    ),
    ask(
        "Two tickets for Willowgate, how much altogether?",
        {("ticket_price", "play", "willowgate")},
        (2 * 31.0,),
    ),
    ask(
        "What's the seat count for Copper Bell and Saltmarsh put together?",
        {("theatre_seats", "play", "copper bell"), ("theatre_seats", "play", "saltmarsh")},
        (240 + 1150,),
    ),
    ask(
        "Who's the director behind Willowgate?",
        {("play_director", "play", "willowgate")},
        (),
    ),
    ask(
        "How many plays has the person who directed Copper Bell made?",
        {
            ("play_director", "play", "copper bell"),
            ("director_plays", "director", chained("play_director")),
        },
        (6,),
    ),
    ask(
        "Get me a group booking of 12 tickets for Saltmarsh. Price?",
        {("group_booking", "play", "saltmarsh"), ("group_booking", "tickets", 12)},
        (12 * 30.0,),
    ),
    ask(
        "By how many minutes does Night Harbour outlast Copper Bell?",
        {("play_minutes", "play", "night harbour"), ("play_minutes", "play", "copper bell")},
        (135 - 95,),
    ),
)

ORCHARD_REWORDED: tuple[Question, ...] = (
    ask(
        "Quillby vs Elmsworth: which has fewer trees?",
        {("orchard_trees", "orchard", "quillby"), ("orchard_trees", "orchard", "elmsworth")},
        (1575, 860),
        larger=("quillby", "elmsworth"),
    ),
    ask(
        "What would five kilos of Harrow Hill apples cost?",
        {("apple_price", "orchard", "harrow hill")},
        (5 * 4.1,),
    ),
    ask(
        "Which co-op is Brackenfold part of?",
        {("orchard_cooperative", "orchard", "brackenfold")},
        (),
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
        "Harvest last year at Quillby and Harrow Hill, in total?",
        {("harvest_tonnes", "orchard", "quillby"), ("harvest_tonnes", "orchard", "harrow hill")},
        (52.5 + 77.0,),
    ),
    ask(
        "I'm after 7 crates from Elmsworth; what's that going to cost?",
        {("crate_cost", "orchard", "elmsworth"), ("crate_cost", "crates", 7)},
        (7 * 15.0,),
    ),
    ask(
        "Did Brackenfold harvest more than Elmsworth?",
        {("harvest_tonnes", "orchard", "brackenfold"), ("harvest_tonnes", "orchard", "elmsworth")},
        (48.0, 31.5),
        larger=("brackenfold", "elmsworth"),
    ),
    ask(
        "How much more does a kilo of Harrow Hill apples cost than Quillby's?",
        {("apple_price", "orchard", "harrow hill"), ("apple_price", "orchard", "quillby")},
        (4.1 - 2.9,),
    ),
)

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "resorts_reworded": (RESORT_TOOLS, RESORT_REWORDED),
    "marinas_reworded": (MARINA_TOOLS, MARINA_REWORDED),
    "theatres_reworded": (THEATRE_TOOLS, THEATRE_REWORDED),
    "orchards_reworded": (ORCHARD_TOOLS, ORCHARD_REWORDED),
}
"""The development sets of this module (see its docstring)."""
