"""A question of two parts: the words of one part do not move the other part's call."""

from __future__ import annotations

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.misfits import misfits
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.words import word_forms


@inout
def unit_factor(from_unit: str, to_unit: str) -> float:
    """Look up how many `to_unit` make one `from_unit` (a conversion factor)."""
    return 0.3048


@inout
def tower_height(tower: str) -> float:
    """Look up how high a tower is, in metres."""
    return 330.0


@inout
def tower_visitors(tower: str) -> int:
    """Look up how many people visit a tower in a year."""
    return 6_000_000


TOOLS = [unit_factor, tower_height, tower_visitors]
QUESTION = "How many metres are 40 feet, and how high is the Spire?"


def test_the_other_part_s_words_do_not_move_a_call_whose_clause_is_names() -> None:
    plan = parse_plan(
        's1: unit_factor(from_unit="feet", to_unit="metres")\ns2: tower_visitors(tower="Spire")'
    )
    assert [(m.call.id, m.tool.name) for m in misfits(plan, QUESTION, TOOLS)] == [
        ("s2", "tower_height")
    ]
    moved = refitted(plan, QUESTION, TOOLS)
    assert moved is not None
    assert [c.render() for c in moved.calls] == [
        's1: unit_factor(from_unit="feet", to_unit="metres")',
        's2: tower_height(tower="Spire")',
    ]


def test_a_clause_of_names_alone_reads_the_question_when_one_tool_is_called() -> None:
    plan = parse_plan('s1: tower_visitors(tower="Spire")\ns2: tower_visitors(tower="Mast")')
    found = misfits(plan, "Which is higher, Spire or Mast?", TOOLS)
    assert {m.tool.name for m in found} == {"tower_height"}


@inout
def show_minutes(show: str) -> int:
    """Look up how many minutes a show runs for."""
    return 95


@inout
def show_host(show: str) -> str:
    """Look up who hosts a show; returns the host's name."""
    return "Ada Quist"


@inout
def hall_seats(show: str) -> int:
    """Look up how many seats the hall that stages a show has."""
    return 240


@inout
def seat_price(show: str) -> float:
    """Look up what one seat for a show costs, in pounds."""
    return 28.0


@inout
def block_booking(show: str, seats: int) -> float:
    """The price, in pounds, of a block booking of a number of seats for a show."""
    return 22.0


SHOWS = [show_minutes, show_host, hall_seats, seat_price, block_booking]


def test_a_clause_that_says_it_of_the_name_is_read_with_the_name_s() -> None:
    plan = parse_plan('s1: show_host(show="Lantern")\ns2: hall_seats(show="Lantern")')
    question = "Who hosts Lantern, and how many minutes does it run?"
    (found,) = misfits(plan, question, SHOWS)
    assert (found.call.id, found.tool.name) == ("s2", "show_minutes")
    fixed = refitted(plan, question, SHOWS)
    assert fixed is not None
    assert fixed.render() == 's1: show_host(show="Lantern")\ns2: show_minutes(show="Lantern")'
    # Without the pronoun the second clause is about something else: not Lantern's minutes.
    other = misfits(plan, "Who hosts Lantern, and how many minutes is a break?", SHOWS)
    assert "show_minutes" not in {found.tool.name for found in other}


def test_a_tool_the_call_cannot_fill_is_no_candidate() -> None:
    # seat_price and block_booking share the question's words; block_booking needs a
    # number of seats the call does not have, so seat_price is the one tool that fits.
    plan = parse_plan('s1: show_minutes(show="Lantern")\ns2: show_minutes(show="Rook")')
    question = "Which show has the cheaper seat, Lantern or Rook?"
    assert {f.tool.name for f in misfits(plan, question, SHOWS)} == {"seat_price"}


@inout
def loaves_baked(bakery: str) -> int:
    """Look up how many loaves a bakery bakes a day."""
    return 300


@inout
def loaf_price(bakery: str) -> float:
    """Look up what one of a bakery's loaves costs, in euros."""
    return 3.4


@pytest.mark.parametrize("said", ["for less", "for more"])
def test_selling_for_less_asks_the_price(said: str) -> None:
    """ "Sells its loaves for less" asks which is cheaper: the price tool, not the count."""
    plan = parse_plan('s1: loaves_baked(bakery="Arden")\ns2: loaves_baked(bakery="Belhaven")')
    question = f"Which bakery sells its loaves {said}, Arden or Belhaven?"
    fixed = refitted(plan, question, [loaves_baked, loaf_price])
    assert fixed is not None
    assert [c.tool for c in fixed.calls] == ["loaf_price", "loaf_price"]


def test_for_more_of_something_asks_no_price() -> None:
    assert "dearer" not in word_forms("Can I stay for more nights?")
    assert word_forms("Is it sold for less than 5 euros?")["cheaper"] == {"cheaper", "price"}


@inout
def kiln_owner(kiln: str) -> str:
    """Look up who owns a kiln; returns the owner's name."""
    return "Mara Voll"


@inout
def kiln_chambers(kiln: str) -> int:
    """Look up how many chambers a kiln has."""
    return 3


@inout
def kiln_heat(kiln: str) -> int:
    """Look up the highest temperature a kiln reaches, in degrees Celsius."""
    return 1280


KILNS = [kiln_owner, kiln_chambers, kiln_heat]


@pytest.mark.parametrize(
    ("plan", "question", "fixed"),
    [
        (
            's1: kiln_chambers(kiln="Ashby")',
            "Who owns Ashby?",
            's1: kiln_owner(kiln="Ashby")',
        ),
        (
            's1: kiln_chambers(kiln="Ashby")\ns2: kiln_heat(kiln="Ashby")',
            "Who has the Ashby kiln, and how hot does it get?",
            's1: kiln_owner(kiln="Ashby")\ns2: kiln_heat(kiln="Ashby")',
        ),
    ],
)
def test_who_asked_of_a_count_goes_to_the_tool_that_names(
    plan: str, question: str, fixed: str
) -> None:
    refit = refitted(parse_plan(plan), question, KILNS)
    assert refit is not None
    assert refit.render() == fixed


@pytest.mark.parametrize(
    "question",
    ["Who has more chambers, Ashby or Penn?", "Who owns Ashby, and how many chambers has it?"],
)
def test_who_asking_a_comparison_or_already_answered_moves_nothing(question: str) -> None:
    plan = 's1: kiln_chambers(kiln="Ashby")\ns2: kiln_chambers(kiln="Penn")'
    if "owns" in question:
        plan = 's1: kiln_owner(kiln="Ashby")\ns2: kiln_chambers(kiln="Ashby")'
    assert misfits(parse_plan(plan), question, KILNS) == []


def test_a_comparison_by_a_measure_goes_to_the_tool_that_gives_it() -> None:
    from langchain_llmorch.agent.refit import refitted

    @inout
    def hall_seats(play: str) -> int:
        """Look up how many seats the theatre that shows a play has."""
        return 880

    @inout
    def ticket_price(play: str) -> float:
        """Look up what one ticket for a play costs."""
        return 42.0

    tools = [hall_seats, ticket_price]
    plan = parse_plan('s1: hall_seats(play="Orla")\ns2: hall_seats(play="Pim")')
    question = "Is a seat at Orla pricier than one at Pim?"
    fixed = refitted(plan, question, tools)
    assert fixed is not None
    assert fixed.render() == 's1: ticket_price(play="Orla")\ns2: ticket_price(play="Pim")'
    assert refitted(plan, "Does Orla have more seats than Pim?", tools) is None


def test_a_compared_pair_is_measured_by_one_tool() -> None:
    from langchain_llmorch.agent.refit import refitted

    @inout
    def tree_count(orchard: str) -> int:
        """Look up how many apple trees an orchard has."""
        return 1575

    @inout
    def apple_price(orchard: str) -> float:
        """Look up what one kilogram of an orchard's apples costs."""
        return 2.9

    tools = [tree_count, apple_price]
    plan = parse_plan('s1: tree_count(orchard="Harrow")\ns2: apple_price(orchard="Quill")')
    fixed = refitted(plan, "How much more does a kilo of Harrow apples cost than Quill's?", tools)
    assert fixed is not None
    assert fixed.render() == 's1: apple_price(orchard="Harrow")\ns2: apple_price(orchard="Quill")'
    asked_both = "How many trees has Harrow, and what do Quill's apples cost?"
    assert refitted(plan, asked_both, tools) is None


@pytest.mark.parametrize(
    ("question", "word", "forms"),
    [
        ("What's the bill for 5 hours?", "bill", {"bill", "price"}),
        ("What are the fares?", "fares", {"fares", "price"}),
        ("Who's in charge at Linsey Cove?", "charge", {"charge"}),  # no price
        ("Which has the poorer ore?", "poorer", {"poorer", "content"}),
        ("Which star is brighter?", "brighter", {"brighter", "brightness"}),
    ],
)
def test_words_for_a_price_and_graded_qualities_name_their_measure(
    question: str, word: str, forms: set[str]
) -> None:
    assert word_forms(question)[word] == forms


def test_in_charge_asks_who_and_no_price() -> None:
    @inout
    def kiln_fee(kiln: str) -> float:
        """Look up what a firing at a kiln costs, in pounds."""
        return 26.0

    plan = parse_plan('s1: kiln_fee(kiln="Ashby")')
    refit = refitted(plan, "Who's in charge at Ashby?", [*KILNS, kiln_fee])
    assert refit is not None
    assert refit.render() == 's1: kiln_owner(kiln="Ashby")'
