"""A development set of kinds no earlier set asks: means, and a result per unit of another.

Written for the mean and per-unit facts (`agent.aggregates`, `agent.ratios`), with the
development sets' hiking and aquarium tools (`bench.local_devsets`); its wording is its
own. A development set: run as often as needed while building.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool

from bench.local_devsets import AQUARIUM_TOOLS, HIKING_TOOLS
from bench.question_sets import Question, ask

MEANS_RATIOS: tuple[Question, ...] = (
    ask(
        "What's the mean length of the Ridge Path and the Lake Loop?",
        {("trail_length", "trail", "ridge path"), ("trail_length", "trail", "lake loop")},
        ((14.5 + 6.2) / 2,),
    ),
    ask(
        "On average, how many fish are in the Reef and Lagoon tanks?",
        {("tank_fish", "tank", "reef"), ("tank_fish", "tank", "lagoon")},
        ((85 + 140) / 2,),
    ),
    ask(
        "How many litres of water per fish does the Kelp tank have?",
        {("tank_volume", "tank", "kelp"), ("tank_fish", "tank", "kelp")},
        (round(2600 / 60, 2),),
    ),
    ask(
        "How much does the Ridge Path climb for each kilometre?",
        {("trail_climb", "trail", "ridge path"), ("trail_length", "trail", "ridge path")},
        (round(820 / 14.5, 2),),
    ),
    ask(
        "Averaged over the Lake Loop and the Pine Trail, how much climb is there?",
        {("trail_climb", "trail", "lake loop"), ("trail_climb", "trail", "pine trail")},
        ((140 + 430) / 2,),
    ),
    ask(
        "How much water does each fish in the Lagoon tank get, in litres?",
        {("tank_volume", "tank", "lagoon"), ("tank_fish", "tank", "lagoon")},
        (round(3400 / 140, 2),),
    ),
    ask(
        "Give me the average climb of the Ridge Path, the Lake Loop and the Pine Trail.",
        {
            ("trail_climb", "trail", "ridge path"),
            ("trail_climb", "trail", "lake loop"),
            ("trail_climb", "trail", "pine trail"),
        },
        (round((820 + 140 + 430) / 3, 2),),
    ),
    ask(
        "For every kilometre of the Pine Trail, how many metres do you climb?",
        {("trail_climb", "trail", "pine trail"), ("trail_length", "trail", "pine trail")},
        (round(430 / 9.8, 2),),
    ),
)

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "means_ratios": ([*HIKING_TOOLS, *AQUARIUM_TOOLS], MEANS_RATIOS),
}
"""The development set of this module (see its docstring)."""
