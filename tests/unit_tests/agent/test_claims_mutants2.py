"""What an answer claims (`agent/claims.py`): which numbers it may state, failures in words.

Written for the mutants of `agent/claims.py` the joiner's tests let live: the values one
step of arithmetic on two results supports (and only while the results are few), the
numbers an answer states that nothing supports, how a failed call is named and why it
failed is put in words, and the text of the request that sends an answer back.
"""

from __future__ import annotations

import math

import pytest

from langchain_llmorch import parse_plan
from langchain_llmorch.agent.claims import (
    correction_request,
    reason_in_words,
    results_answer,
    subjects,
    supported_values,
    unavailable_sentence,
    unnamed_failures,
    unsupported_numbers,
)
from langchain_llmorch.plan.language import Call

_MAX_COMBINED = 24  # results past this many are not combined (documented in the module)


def _call(line: str) -> Call:
    (call,) = parse_plan(line).calls
    return call


def test_one_step_of_arithmetic_on_two_results_is_supported() -> None:
    values = supported_values([10, [4]])
    for value in (10, 4, 14, 6, -6, 40, 2.5, 0.4):
        assert value in values, value
    assert supported_values([7]) == [7.0]  # one number: nothing to combine
    assert supported_values([]) == []


def test_the_total_of_all_results_is_supported() -> None:
    assert 60.0 in supported_values([10, 20, 30])
    assert 60.0 not in supported_values([10, 20, 31])


def test_a_zero_result_divides_nothing() -> None:
    values = supported_values([0, 5])
    assert 0.0 in values  # 0 / 5
    assert all(math.isfinite(v) for v in values)  # no 5 / 0


def test_results_are_combined_only_while_they_are_few() -> None:
    few = [1000 + i for i in range(_MAX_COMBINED)]
    assert 2001.0 in supported_values(few)  # 1000 + 1001
    many = [1000 + i for i in range(_MAX_COMBINED + 1)]
    assert supported_values(many) == [float(n) for n in many]


def test_small_whole_numbers_count_things_and_larger_ones_are_claims() -> None:
    said = "The 10 cities, -7 of them, 11 in all, 2.5 on average."
    assert unsupported_numbers(said, [], "") == ["11", "2.5"]


def test_a_number_the_conversation_gave_or_a_result_supports_is_no_claim() -> None:
    said = "Of 1,500 people, 97.1% said yes, about 1,456."
    assert unsupported_numbers(said, [1456.35], "Ask 1,500 people.") == ["97.1"]
    assert unsupported_numbers(said, [1456.35, 97.1], "Ask 1500 people.") == []
    # A number before a comma is written without the comma.
    assert unsupported_numbers("It is 97.1, then 12.", [97.1, 12], "") == []
    assert unsupported_numbers("It is 12, then 13, then 97.1.", [97.1], "") == ["12", "13"]


def test_numbers_inside_names_are_not_claims() -> None:
    said = "s2 took 31 ms in v1.2 of x3y, 40-bit."
    assert unsupported_numbers(said, [], "") == ["31"]


def test_a_number_after_a_hyphen_in_a_name_is_not_a_claim() -> None:
    # Regression: the "256" of "SHA-256" was read as a value the answer states, so an
    # answer naming the hash of a failed call was sent back, then replaced.
    said = "The SHA-256 digest and the COVID-19 count are not available; 3-5 days."
    assert unsupported_numbers(said, [], "") == []
    assert unsupported_numbers("It fell -3.5 to 41.", [], "") == ["-3.5", "41"]


def test_a_failed_call_is_named_by_its_text_arguments_or_else_its_tool() -> None:
    ticker = _call('s1: share_price(ticker="ZZZZ")')
    counted = _call("s2: share_price(day=3)")
    blank = _call('s3: share_price(ticker=" ")')
    assert subjects(ticker) == ["zzzz"]
    assert subjects(counted) == ["share price"]
    assert subjects(blank) == ["share price"]  # a blank text names nothing
    failed = {"s1": ticker, "s2": counted}
    assert unnamed_failures("No price for zzzz.", failed) == ["s2"]
    assert unnamed_failures("The Share Price of ZZZZ is not available.", failed) == []
    assert unnamed_failures("Nothing found.", failed) == ["s1", "s2"]


@pytest.mark.parametrize(
    ("why", "words"),
    [
        ("KeyError: 'ZZZZ'", "it was not found (ZZZZ)"),
        ('KeyError: "ZZZZ"', "it was not found (ZZZZ)"),
        ("KeyError: 'XYZ1'", "it was not found (XYZ1)"),
        ("KeyError", "it was not found"),
        ("KeyError: ''", "it was not found"),
        ("CallTimeoutError: s2 ran over 30 s", "it took too long"),
        ("TimeoutError", "it took too long"),
        ("WorkerCrashedError: exit -9", "the process running it crashed"),
        ("DependencyFailedError: s1 failed", "a call it needed failed"),
        ("ValueError: bad unit", "ValueError: bad unit"),
        ("ValueError: bad unit: km", "ValueError: bad unit: km"),
        ("ValueError", "ValueError"),
        ("ValueError:  ", "ValueError"),
        ("", "it failed"),
    ],
)
def test_an_error_is_put_in_words_for_a_user(why: str, words: str) -> None:
    assert reason_in_words(why) == words


def test_a_long_error_detail_is_cut_short() -> None:
    said = reason_in_words("ValueError: " + "x" * 300)
    assert said == "ValueError: " + "x" * 120
    assert reason_in_words("KeyError: " + "k" * 300) == f"it was not found ({'k' * 120})"


def test_a_call_that_could_not_be_made_is_said_in_one_sentence() -> None:
    call = _call('s1: share_price(ticker="ZZZZ", market="NYSE")')
    assert unavailable_sentence(call, "TimeoutError") == (
        "I could not get the share price for ZZZZ, NYSE: it took too long."
    )
    assert unavailable_sentence(_call("s2: market_index()"), "ValueError: closed") == (
        "I could not get the market index: ValueError: closed."
    )


def test_the_request_that_sends_an_answer_back_says_everything_wrong() -> None:
    failed = {"s2": _call('s2: price(ticker="ZZZZ", market="NYSE")'), "s3": _call("s3: index()")}
    said = correction_request(
        ["97.1", "12"],
        ["s2", "s3"],
        failed,
        contradicted=["the results say A is larger than B"],
        unstated=["x = 2 x 3 = 6"],
        left_out=["f(a=1) = 4", "f(a=2) = 5"],
        unanswered=["the results say C is larger than D"],
    )
    assert said == (
        "Your answer gets a comparison wrong: the results say A is larger than B. "
        "Your answer does not make the comparison asked: the results say C is larger than D. "
        "Your answer does not state the computed value: x = 2 x 3 = 6. "
        "Your answer leaves out f(a=1) = 4; f(a=2) = 5: keep what it says and write each "
        "number. "
        "Your answer states 97.1, 12, which no result gives: state only values from the "
        "results. "
        "It does not say that the result for zzzz, nyse; index is not available. "
        "Answer again. For every call that failed, say that its result is not available "
        "and give no value for it."
    )


def test_without_failed_calls_the_request_asks_for_the_numbers_as_given() -> None:
    assert correction_request(["97.1"], [], {}) == (
        "Your answer states 97.1, which no result gives: state only values from the "
        "results. Answer again in one or two full sentences, with the numbers as given."
    )


def test_an_answer_from_the_results_alone_lists_them_and_the_failures() -> None:
    failed = {"s2": (_call('s2: price(ticker="ZZZZ")'), "KeyError: 'ZZZZ'")}
    finished = {'price(ticker="ACME")': 182.4, "note()": "n" * 300}
    assert results_answer(finished, failed) == (
        f'Here is what I found: price(ticker="ACME") = 182.4; note() = {"n" * 200}. '
        "I could not get the price for ZZZZ: it was not found (ZZZZ)."
    )
    assert results_answer({}, failed) == (
        "I could not get the price for ZZZZ: it was not found (ZZZZ)."
    )
    assert results_answer({"f()": 1}, {}) == "Here is what I found: f() = 1."
    two = {**failed, "s3": (_call('s3: price(ticker="QQ", market="NYSE")'), "TimeoutError")}
    assert results_answer({}, two) == (
        "I could not get the price for ZZZZ: it was not found (ZZZZ). "
        "I could not get the price for QQ, NYSE: it took too long."
    )
    assert results_answer({}, {}) == ""
