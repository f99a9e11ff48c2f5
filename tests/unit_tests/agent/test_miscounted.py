"""An amount given to an argument that counts something else (`amount_fit.miscounted`)."""

from __future__ import annotations

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.amount_fit import miscounted
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts


@inout
def night_rate(hotel: str) -> float:
    """Look up what one night for one guest at a hotel costs."""
    return 90.0


@inout
def parking_fee(hotel: str, cars: int) -> float:
    """The price of parking a number of cars at a hotel for a night."""
    return 12.0


@inout
def hotel_rating(hotel: str) -> float:
    """A hotel's rating out of five."""
    return 4.2


@inout
def walk_time(hotel: str, metres: int) -> float:
    """Minutes to walk a number of metres from a hotel."""
    return 3.0


TOOLS = [night_rate, parking_fee, hotel_rating, walk_time]


def test_an_amount_of_what_another_call_prices_is_left_out() -> None:
    plan = parse_plan('s1: night_rate(hotel="Lark")\ns2: parking_fee(hotel="Lark", cars=3)')
    question = "What do 3 guests pay for a night at the Lark?"
    ((call, argument, counted),) = miscounted(plan, question, TOOLS)
    assert (call.id, argument, counted) == ("s2", "cars", "guests")
    assert any("counts guests, not cars" in doubt for doubt in fit_doubts(plan, question, TOOLS))
    fixed = refitted(plan, question, TOOLS)
    assert fixed is not None
    assert fixed.render() == 's1: night_rate(hotel="Lark")'


def test_an_amount_of_what_the_argument_counts_stays() -> None:
    plan = parse_plan('s1: night_rate(hotel="Lark")\ns2: parking_fee(hotel="Lark", cars=3)')
    question = "What does a night at the Lark cost, and parking for 3 cars?"
    assert miscounted(plan, question, TOOLS) == []
    # Words between the number and what it counts: "3 small cars".
    assert miscounted(plan, "Parking 3 small cars at the Lark, and a guest's night?", TOOLS) == []


def test_only_an_amount_another_call_s_tool_names_is_doubted() -> None:
    # Nothing in the plan counts guests: which call the 3 belongs to is not known.
    plan = parse_plan('s1: hotel_rating(hotel="Lark")\ns2: parking_fee(hotel="Lark", cars=3)')
    assert miscounted(plan, "What do 3 guests pay at the Lark?", TOOLS) == []


def test_a_plan_s_only_call_a_used_result_and_a_unit_stay() -> None:
    alone = parse_plan('s1: parking_fee(hotel="Lark", cars=3)')
    assert miscounted(alone, "What do 3 guests pay at the Lark?", TOOLS) == []
    used = parse_plan(
        's1: night_rate(hotel="Lark")\ns2: parking_fee(hotel="Lark", cars=3)\ns3: join(s2)'
    )
    assert miscounted(used, "What do 3 guests pay at the Lark?", TOOLS) == []
    walked = parse_plan('s1: night_rate(hotel="Lark")\ns2: walk_time(hotel="Lark", metres=400)')
    assert miscounted(walked, "How long is 400 m on foot for a guest of the Lark?", TOOLS) == []


@inout
def breakfast(hotel: str, guests: int) -> float:
    """The price of breakfast at a hotel for a number of guests."""
    return 14.0


@inout
def room(hotel: str, nights: int) -> float:
    """The price of a room at a hotel for a number of nights."""
    return 90.0


def test_a_number_the_question_writes_twice_is_no_one_s_to_take() -> None:
    plan = parse_plan('s1: room(hotel="Lark", nights=2)\ns2: breakfast(hotel="Lark", guests=2)')
    question = "What does it cost for 2 guests to stay 2 nights at the Lark, with breakfast?"
    assert miscounted(plan, question, [room, breakfast]) == []
    assert refitted(plan, question, [room, breakfast]) is None


def test_a_number_too_large_for_a_float_is_no_crash() -> None:
    huge = str(2**1024 - 1)
    plan = parse_plan(f'{PLAN_PREFIX}s2: parking_fee(hotel="Lark", cars={huge})')
    assert miscounted(plan, f"What do {huge} guests pay at the Lark?", TOOLS) == []
    assert fit_doubts(plan, "What do 3 guests pay at the Lark?", TOOLS) is not None


PLAN_PREFIX = 's1: night_rate(hotel="Lark")\n'


def test_a_days_argument_takes_the_span_the_question_says() -> None:
    from langchain_llmorch.agent.amount_fit import unspanned_days

    @inout
    def feed_bill(farm: str, days: int) -> float:
        """The cost of feeding a farm's herd for a number of days."""
        return 702.5 * days

    plan = parse_plan('s1: feed_bill(farm="Leys", days=1)')
    question = "What would feeding Leys' herd cost for a fortnight?"
    assert any("span is 14 days" in d for d in fit_doubts(plan, question, [feed_bill]))
    fixed = refitted(plan, question, [feed_bill])
    assert fixed is not None
    assert fixed.render() == 's1: feed_bill(farm="Leys", days=14)'
    right = parse_plan('s1: feed_bill(farm="Leys", days=14)')
    assert unspanned_days(right, question) == []
    assert unspanned_days(plan, "What would 3 days of feed cost, a week from now?") == []
