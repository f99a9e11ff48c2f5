"""Seeded fuzzing of the plan language: the contract holds for any text.

`parse_plan` + `build_frg` either succeed or raise `PlanSyntaxError` /
`PlanValidationError`; a validated plan's arguments evaluate or fail with
`ExpressionError` / `KeyError`. Nothing else escapes (no RecursionError,
MemoryError, TypeError...). The longer campaign is `fuzz_campaign.py`.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from langchain_llmorch import PlanSyntaxError, PlanValidationError
from tests.unit_tests.plan._fuzz import TOKENS, case, compile_text, evaluate_all

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _holds(text: str) -> None:
    error: Exception | None = None
    try:
        frg = compile_text(text)
    except (PlanSyntaxError, PlanValidationError) as err:
        error = err
    if error is not None:
        assert str(error)  # a message the LLM can read
        return
    evaluate_all(frg)


@seed(20261201)
@SETTINGS
@given(st.randoms(use_true_random=False))
def test_mutated_plans_keep_the_contract(rng: random.Random) -> None:
    _holds(case(rng))


@seed(20261202)
@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_token_soup_keeps_the_contract(text: str) -> None:
    _holds("s1: echo(x=" + text)
    _holds(text)


@seed(20261203)
@SETTINGS
@given(st.text(max_size=200))
def test_any_text_keeps_the_contract(text: str) -> None:
    _holds(text)
    _holds(f"s1: echo(x={text})")
