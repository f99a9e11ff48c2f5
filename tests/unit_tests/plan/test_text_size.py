"""`text_size`: the size a result would have as text, measured before it is rendered.

The value budget rests on it: it must never count less than `result_text` writes for
plain JSON data, and it counts one separator per entry (so a little more).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_llmorch.plan.expressions import ExpressionError, result_text
from langchain_llmorch.plan.limits import MAX_DEPTH, text_size

BIG = 10**9

# Text without characters JSON escapes: its JSON form is the text and two quotes.
plain_text = st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"\\'))
texts_and_containers = st.recursive(
    plain_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(plain_text, inner, max_size=4),
    max_leaves=12,
)


def containers(value: Any) -> int:
    """Non-empty lists and dicts in `value`: each counts one separator more than JSON."""
    if isinstance(value, dict):
        return bool(value) + sum(containers(v) for v in value.values())
    if isinstance(value, list):
        return bool(value) + sum(containers(v) for v in value)
    return 0


@settings(max_examples=80, derandomize=True, database=None)
@given(texts_and_containers)
def test_text_and_containers_count_their_json_and_one_separator_more_each(value: Any) -> None:
    assert result_text(value) == value or result_text(value) == json.dumps(value)
    written = len(value) if isinstance(value, str) else len(json.dumps(value))
    expected = written + 2 if isinstance(value, str) else written + 2 * containers(value)
    assert text_size(value, BIG) == expected


@settings(max_examples=200, derandomize=True, database=None)
@given(st.integers(min_value=-(2**1024), max_value=2**1024))
def test_an_integer_counts_at_least_its_digits(n: int) -> None:
    size = text_size(n, BIG)
    assert size == abs(n).bit_length() // 3 + 2
    assert len(str(n)) <= size <= len(str(n)) * 1.2 + 3
    assert text_size([n], BIG) == 2 + size + 2  # inside a list: one separator more


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("", 2),
        ("abc", 5),
        (0, 2),
        (3, 2),
        (7, 3),
        (2**30, 12),
        (1.5, 24),
        (None, 24),
        (True, 24),
        (object(), 24),
        ([], 2),
        ({}, 2),
        ([1.5], 28),
        ([None, True, False], 2 + 3 * 26),
        (["ab", 7, [1.5]], 2 + 6 + 5 + (2 + 26) + 2),
        ({"k": [None]}, 2 + 5 + (2 + 26) + 2),
        ((1, "a"), 2 + 4 + 5),
        ({"a", "b"}, 2 + 5 + 5),
        (b"xyz", 5),
    ],
)
def test_sizes_of_each_kind_of_value(value: Any, size: int) -> None:
    assert text_size(value, BIG) == size
    assert isinstance(text_size(value, BIG), int)


def test_counting_stops_one_past_the_limit() -> None:
    value = ["a" * 10] * 100  # 14 per entry
    assert text_size(value, BIG) == 2 + 100 * 14
    for limit in (0, 1, 15, 16, 17, 700, 1401):
        assert text_size(value, limit) == limit + 1
    assert text_size(value, 1402) == 1402  # exactly the limit is not over it
    # The entry that reaches the limit exactly is not yet over it: counting goes on.
    assert text_size(["a" * 10, "b"], 16) == 16 + 1


def test_a_cycle_counts_as_over_the_limit() -> None:
    loop: list[Any] = ["a"]
    loop.append(loop)
    assert text_size(loop, 1000) == 1001
    table: dict[str, Any] = {}
    table["self"] = [table]
    assert text_size(table, 50) == 51


def test_shared_references_count_every_time_yet_are_walked_once() -> None:
    inner = ["x" * 100]
    value = [inner, inner, inner]
    each = 2 + 104
    assert text_size(value, BIG) == 2 + 3 * (each + 2)
    memo: dict[int, tuple[Any, int]] = {}
    assert text_size(value, BIG, memo) == 2 + 3 * (each + 2)
    assert memo[id(inner)][1] == each


def test_depth_is_checked_on_the_value_not_on_its_text() -> None:
    value: Any = "leaf"
    for _ in range(MAX_DEPTH):
        value = [value]
    assert text_size(value, BIG) == 6 + 4 * MAX_DEPTH
    with pytest.raises(ExpressionError, match="nested deeper than 32 levels"):
        text_size([value], BIG)
