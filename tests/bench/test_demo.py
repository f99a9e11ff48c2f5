"""The demo's own check of the local model's answers: a wrong answer is never shown as right."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from bench.demo import LOCAL_QUESTIONS, check_answer

LARGEST = LOCAL_QUESTIONS[1]  # scenes 1, 2 and 5, then which one is the largest
PLAN = (
    "s1: steering_angle(scene=1)\ns2: steering_angle(scene=2)\ns3: steering_angle(scene=5)\n"
    's4: self(prompt="Which is the largest?")'
)
RESULTS = {"s1": 30.71, "s2": 25.32, "s3": 25.36}


def _state(answer: str, plan: str = PLAN, results: dict[str, Any] = RESULTS) -> dict[str, Any]:
    return {"plan": plan, "results": results, "messages": [AIMessage(answer)]}


def test_the_largest_named_by_its_scene_or_its_value_is_right() -> None:
    listed = "The angles of scenes 1, 2 and 5 are 30.71, 25.32 and 25.36."
    assert check_answer(LARGEST, _state(f"{listed} The largest is scene 1.")) is None
    assert check_answer(LARGEST, _state(f"{listed} The largest angle is 30.71.")) is None


def test_a_wrong_largest_is_caught_even_when_every_number_is_written() -> None:
    listed = "The angles of scenes 1, 2 and 5 are 30.71, 25.32 and 25.36 respectively."
    problem = check_answer(LARGEST, _state(f"{listed} The scene with the largest is scene 5."))
    assert problem is not None
    assert problem.startswith("scene 1 (30.71) is the one meant by")
    assert check_answer(LARGEST, _state(listed)) == "the answer does not say which is the largest"


def test_a_wrong_claim_about_the_smallest_or_second_largest_is_caught_too() -> None:
    # What the 0.5B model once wrote: right about the largest, wrong about the other two.
    answer = (
        "The steering angle of scene 1 is 30.71 degrees, which is the largest. The steering "
        "angle of scene 2 is 25.32 degrees, which is the second largest. The steering angle "
        "of scene 5 is 25.36 degrees, which is the smallest. The scene with the largest "
        "steering angle is scene 1."
    )
    problem = check_answer(LARGEST, _state(answer))
    assert problem is not None
    assert problem.startswith("scene 5 (25.36) is the one meant by")
    fixed = answer.replace("scene 2 is 25.32", "scene 5 is 25.36", 1)
    fixed = fixed.replace(
        "of scene 5 is 25.36 degrees, which is the smallest",
        "of scene 2 is 25.32 degrees, which is the smallest",
    )
    assert check_answer(LARGEST, _state(fixed)) is None


def test_results_the_joiner_added_do_not_make_an_answer_right() -> None:
    question = LOCAL_QUESTIONS[0]  # scenes 3 and 4
    plan = "s1: steering_angle(scene=3)\ns2: steering_angle(scene=4)"
    added = (
        "Two angles.\n\n(Results: steering_angle(scene=3) = 0.79; steering_angle(scene=4) = -1.4.)"
    )
    problem = check_answer(question, _state(added, plan, {"s1": 0.79, "s2": -1.4}))
    assert problem == "the answer lacks [0.79, -1.4]"
    right = "Scene 3 has 0.79 degrees and scene 4 has -1.4 degrees."
    assert check_answer(question, _state(right, plan, {"s1": 0.79, "s2": -1.4})) is None


def test_wrong_calls_are_wrong_whatever_the_answer_says() -> None:
    plan = "s1: steering_angle(scene=30)"
    problem = check_answer(LOCAL_QUESTIONS[0], _state("0.79 and -1.4", plan, {"s1": 0.79}))
    assert problem is not None
    assert problem.startswith("wrong calls")
