"""Prompts for small models: examples from the agent's own tools, one plan read once."""

from __future__ import annotations

import json
import re

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_llmorch import PlanSyntaxError, build_frg, compute, inout, parse_plan
from langchain_llmorch.agent import prompts
from langchain_llmorch.plan.replies import extract_plan_text
from langchain_llmorch.plan.schema import structured_plan_text


@compute
def steering_angle(scene: int) -> float:
    """Detect the steering angle (degrees) of the stereo scene with this number."""
    return scene / 10


@inout
def word_count(text: str, lower: bool = False) -> int:
    """Count the words of a text."""
    return len(text.split())


TOOLS = [steering_angle, word_count]


def _tool_names(text: str) -> set[str]:
    return set(re.findall(r"^s\d+: (\w+)\(", text, re.MULTILINE))


def test_examples_use_only_the_agents_tools_and_their_arguments() -> None:
    text = prompts.example_plans(TOOLS)
    assert _tool_names(text) == {"steering_angle", "word_count", "self"}
    assert "search" not in text
    for block in text.split("\n\n"):
        plan = block.split("Plan:\n", 1)[1]
        assert plan.endswith(prompts.END_OF_PLAN)
        build_frg(parse_plan(plan.removesuffix(prompts.END_OF_PLAN)), TOOLS)  # valid plans


def test_structured_examples_are_valid_plans_too() -> None:
    text = prompts.example_plans(TOOLS, structured=True)
    for block in text.split("\n\n"):
        steps = json.loads(block.split("Plan:\n", 1)[1])
        build_frg(parse_plan(structured_plan_text(steps)), TOOLS)


def test_every_tool_gets_an_example_and_two_tools_one_more_that_mixes_them() -> None:
    assert prompts.example_plans([steering_angle]).count("Example") == 1
    text = prompts.example_plans(TOOLS)
    assert text.count("Example") == 3
    mixed = text.split("Example 3\n", 1)[1]
    assert _tool_names(mixed) == {"steering_angle", "word_count", "self"}
    assert prompts.example_plans([]) == ""


def test_planner_prompt_asks_the_question_in_the_examples_form() -> None:
    messages = prompts.planner_messages([HumanMessage("Angle of scene 3?")], TOOLS)
    assert isinstance(messages[0], SystemMessage)
    assert prompts.TOOLS_HEADER in messages[0].text
    assert "- steering_angle(scene: integer)" in messages[0].text
    assert messages[-1].text == "Question: Angle of scene 3?\nPlan:"


def test_repair_shows_the_tool_list_and_no_foreign_tool() -> None:
    """The parser's own message names no tool, and the repair lists the agent's tools."""
    planner = prompts.planner_messages([HumanMessage("q")], TOOLS)
    with pytest.raises(PlanSyntaxError) as caught:
        parse_plan("s1: bad(\nsome prose")
    request = prompts.repair_messages(planner, "s1: bad(", str(caught.value), TOOLS)[-1].text
    assert request.startswith("This plan has an error")
    assert "The only tools you can call:\n- steering_angle(scene: integer)" in request
    assert "search" not in request


def test_recovery_shows_the_tool_list_and_no_foreign_tool() -> None:
    system, human = prompts.recovery_messages(
        question="Angle of scene 3?",
        tools=TOOLS,
        recovery_call="s1: steering_angle(scene=30)",
        failed_calls={"s1: steering_angle(scene=30)": "KeyError: 30"},
        results={},
    )
    assert "- steering_angle(scene: integer)" in system.text
    assert "`s1: tool_name(argument_name=value, ...)`" in system.text
    assert "search" not in system.text + human.text


def test_a_plan_written_twice_is_read_once() -> None:
    twice = "s1: a(x=1)\ns2: b(y=2)\ns1: a(x=1)\ns2: b(y=2)"
    assert extract_plan_text(twice) == "s1: a(x=1)\ns2: b(y=2)"


def test_the_plan_ends_at_the_marker() -> None:
    reply = f"s1: a(x=1)\n{prompts.END_OF_PLAN}\ns2: b(y=2)"
    assert extract_plan_text(reply) == "s1: a(x=1)"


def test_a_call_repeated_again_and_again_is_cut_after_eight() -> None:
    reply = "\n".join(f's{i}: search(query="t")' for i in range(1, 40))
    kept = extract_plan_text(reply).splitlines()
    assert kept == [f's{i}: search(query="t")' for i in range(1, 9)]


def test_a_few_identical_calls_are_a_real_plan() -> None:
    reply = "\n".join(f"s{i}: cpu_work(loops=1000)" for i in range(1, 7))
    assert extract_plan_text(reply) == reply


def test_joiner_request_holds_question_results_failures_and_folded_steps() -> None:
    messages = prompts.joiner_messages(
        [HumanMessage("Angles of scenes 3 and 4?")],
        {"steering_angle(scene=3)": 0.3},
        steps=["Which angle is larger? 0.3 or ?"],
        failed={"steering_angle(scene=4)": "TimeoutError: ran out"},
    )
    assert messages[0].text == prompts.JOINER_RULES
    request = messages[-1].text
    assert request.startswith("Question: Angles of scenes 3 and 4?")
    assert "- steering_angle(scene=3) = 0.3" in request
    assert "- steering_angle(scene=4): TimeoutError: ran out" in request
    assert "- Which angle is larger? 0.3 or ?" in request


def test_a_copy_of_the_examples_answer_step_adds_nothing_to_the_joiners_request() -> None:
    copied = prompts.EXAMPLE_ANSWER_PROMPT.format(s1="0.3", s2="0.4")
    request = prompts.joiner_messages(
        [HumanMessage("Angles of scenes 3 and 4?")],
        {"steering_angle(scene=3)": 0.3, "steering_angle(scene=4)": 0.4},
        steps=[copied],
    )[-1].text
    assert "also do this" not in request
    assert copied not in request


def test_the_joiner_is_told_the_largest_and_smallest_of_one_tools_numbers() -> None:
    results = {
        "steering_angle(scene=1)": 30.71,
        "steering_angle(scene=2)": 25.32,
        "steering_angle(scene=5)": 25.36,
        'word_count(text="a b")': 2,
    }
    request = prompts.joiner_messages([HumanMessage("Which is the largest?")], results)[-1].text
    assert (
        "Largest: steering_angle(scene=1) = 30.71. Smallest: steering_angle(scene=2) = 25.32."
        in request
    )
    assert "word_count" not in request.split("Largest:", 1)[1]  # one result: nothing to compare
    alone = prompts.joiner_messages([HumanMessage("q")], {'word_count(text="a")': 1})[-1].text
    assert "Largest" not in alone
