"""The limits on what plan expressions may build, and measuring values against them.

Every limit is checked before the value is allocated; going over one is an
`ExpressionError` naming what would have been built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_llmorch.errors import LLMOrchError

MAX_DEPTH = 32
"""Deepest nesting of an argument: brackets, operators, and results put into text."""
MAX_VALUE_SIZE = 4_000_000
"""Characters plus items one call's arguments may build with `+`, lists and `{id}` text."""
MAX_RUN_VALUE_SIZE = 20_000_000
"""Characters plus items all the calls of one run may build together."""
MAX_INT_BITS = 1024
"""Largest integer (in bits, about 308 digits) a plan may write or compute."""


class ExpressionError(LLMOrchError, ValueError):
    """A call's arguments cannot be built: over a limit, or operands that do not combine.

    Also a `ValueError`, so code that caught what `evaluate` raised before keeps working.
    """


def text_size(value: Any, limit: int, memo: dict[int, tuple[Any, int]] | None = None) -> int:
    """About how many characters `result_text(value)` makes, counting at most past `limit`.

    Walks the value without building text. Shared references count every time they
    are met (as JSON writes them out), yet each distinct object is walked once, so
    a small value that expands into a huge text is measured quickly and caught
    before it is rendered. A cycle counts as over the limit.

    Args:
        value: the value to measure.
        limit: stop counting past this size.
        memo: sizes of objects already measured (kept alive with them, so no id is
            reused), shared by calls whose `limit` never grows (one evaluation).

    Raises:
        ExpressionError: when the value is nested deeper than `MAX_DEPTH`.
    """
    return _size(value, 1, limit, {} if memo is None else memo, set())


def _size(
    item: Any, depth: int, limit: int, memo: dict[int, tuple[Any, int]], active: set[int]
) -> int:
    if isinstance(item, str | bytes):
        return len(item) + 2
    if isinstance(item, int) and not isinstance(item, bool):
        return item.bit_length() // 3 + 2
    if not isinstance(item, Mapping | list | tuple | set | frozenset):
        return 24
    key = id(item)
    if key in memo:
        return memo[key][1]
    if key in active:  # a cycle: endless as text
        return limit + 1
    if depth > MAX_DEPTH:
        msg = f"a result nested deeper than {MAX_DEPTH} levels cannot be put into text"
        raise ExpressionError(msg)
    active.add(key)
    children = (c for kv in item.items() for c in kv) if isinstance(item, Mapping) else item
    total = 2
    for child in children:
        kind = type(child)
        if kind is str:  # the common leaves inline: a long list is one loop, not many calls
            total += len(child) + 4
        elif kind is int:
            total += child.bit_length() // 3 + 4
        elif kind is float or kind is bool or child is None:
            total += 26
        else:
            total += _size(child, depth + 1, limit, memo, active) + 2
        if total > limit:
            break
    active.discard(key)
    total = min(total, limit + 1)
    memo[key] = (item, total)
    return total


@dataclass
class RunBudget:
    """What all the calls of one run may still build together (see `MAX_RUN_VALUE_SIZE`)."""

    remaining: int = MAX_RUN_VALUE_SIZE
