"""Reading the plan out of a model's reply (`plan/replies.py`), case by case.

Written for the mutants of `plan/replies.py` that the rest of the suite let live: each
test pins one rule of `extract_plan_text` or `plan_text_of` (the fence, the end marker,
a plan said twice, a call looping, the prose around the steps).
"""

from __future__ import annotations

from langchain_core.messages import AIMessage

from langchain_llmorch.plan.replies import END_OF_PLAN, extract_plan_text, plan_text_of


def test_the_end_marker_is_the_documented_line() -> None:
    assert END_OF_PLAN == "<END_OF_PLAN>"
    reply = "s1: a(x=1)\n  <END_OF_PLAN>  \ns2: b(y=2)"
    assert extract_plan_text(reply) == "s1: a(x=1)"


def test_a_fenced_block_is_read_with_or_without_a_language() -> None:
    assert extract_plan_text("Plan:\n```python\ns1: a(x=1)\n```\nDone.") == "s1: a(x=1)"
    assert extract_plan_text("Plan:\n```\ns1: a(x=1)\ns2: b(y=s1)\n```") == (
        "s1: a(x=1)\ns2: b(y=s1)"
    )
    # Only the first fenced block counts, and it may span lines (DOTALL).
    two = "```\ns1: a(x=1)\n\ns2: b(y=2)\n```\n```\ns9: z()\n```"
    assert extract_plan_text(two) == "s1: a(x=1)\n\ns2: b(y=2)"


def test_a_plan_written_twice_is_read_once_by_its_ids() -> None:
    twice = "s1: a(x=1)\ns2: b(y=2)\ns1: a(x=1)\ns2: b(y=2)"
    assert extract_plan_text(twice) == "s1: a(x=1)\ns2: b(y=2)"
    numbered = "1. a(1)\n2) b(2)\n1: a(1)"
    assert extract_plan_text(numbered) == "1. a(1)\n2) b(2)"
    # An id seen once is no repeat: distinct ids are all kept.
    assert extract_plan_text("s1: a(x=1)\ns2: a(x=1)") == "s1: a(x=1)\ns2: a(x=1)"


def test_eight_identical_calls_are_a_plan_the_ninth_is_a_loop() -> None:
    eight = [f"s{i}: f(x=1)" for i in range(1, 9)]
    assert extract_plan_text("\n".join(eight)).splitlines() == eight
    nine = [*eight, "s9: f(x=1)", "s10: g(y=2)"]
    assert extract_plan_text("\n".join(nine)).splitlines() == eight
    # Calls with different bodies are counted apart.
    mixed = [f"s{i}: f(x={i % 2})" for i in range(1, 17)]
    assert extract_plan_text("\n".join(mixed)).splitlines() == mixed


def test_the_body_is_compared_without_surrounding_spaces() -> None:
    lines = [f"s{i}:   f(x=1)  " if i % 2 else f"s{i}: f(x=1)" for i in range(1, 10)]
    kept = extract_plan_text("\n".join(lines)).splitlines()
    assert len(kept) == 8


def test_prose_around_the_steps_is_dropped_between_them_kept() -> None:
    reply = "Here is the plan:\n\ns1: a(x=1)\nand then\nThought: next\ns2: b(y=s1)\nThat is all."
    assert extract_plan_text(reply) == "s1: a(x=1)\nand then\nThought: next\ns2: b(y=s1)"
    # A reply without a step is given back whole (stripped), for the parser to report.
    assert extract_plan_text("  no plan here\nat all  ") == "no plan here\nat all"
    # The first line may be the step: nothing before it is dropped.
    assert extract_plan_text("s1: a(x=1)\nbye") == "s1: a(x=1)"


def test_an_id_may_be_any_identifier_followed_by_a_colon_but_not_walrus() -> None:
    assert extract_plan_text("intro\nfetch: a(x=1)\nbye") == "fetch: a(x=1)"
    assert extract_plan_text("intro\nx := 1\ns1: a()\nbye") == "s1: a()"


def test_plan_text_of_each_kind_of_reply() -> None:
    raw = "Here it is:\ns1: f(x=1)"
    assert plan_text_of(raw) == raw  # a string is the plan text as it is
    assert plan_text_of(AIMessage(raw)) == "s1: f(x=1)"
    structured = {"steps": [{"id": "s1", "tool": "f", "args": {"x": 1}}]}
    assert plan_text_of(structured) == "s1: f(x=1)"
