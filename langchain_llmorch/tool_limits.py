"""What a tool declares beyond its kind: a concurrency limit, resources it holds, call order.

`inout(...)` and `compute(...)` write these into the tool's `metadata`, so a tool keeps them
when it is copied and LangChain callbacks see them:

- `llmorch_max_concurrency`: at most this many calls of the tool run at once, in every run
  of this process (the limiter is keyed by the tool's name);
- `llmorch_resources`: named amounts (`{"gpu": 1, "mem_gb": 4}`) a call holds while it
  runs; the `Orchestrator(resources=...)` gives the capacities;
- `llmorch_ordered`: calls of the tool run one at a time, in plan order.

`tool_limits(tool)` reads them back, checked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.tools import BaseTool

from langchain_llmorch.errors import OptionTypeError, OptionValueError

MAX_CONCURRENCY = "llmorch_max_concurrency"
"""Tool metadata key: the most calls of the tool allowed at once (an int >= 1)."""
RESOURCES = "llmorch_resources"
"""Tool metadata key: resource name -> amount a call holds while it runs."""
ORDERED = "llmorch_ordered"
"""Tool metadata key: `True` when the tool's calls must run one at a time in plan order."""
TOOL_PREFIX = "tool:"
"""Per-tool limits count as the resource `tool:<name>` (reserved: not a resource name)."""
ORDER_PREFIX = "order:"
"""What a call waits for while an earlier ordered call runs: `order:<id>`."""
PROCESSOR = "processor"
"""What a compute call waits for while every processor is taken."""


@dataclass(frozen=True)
class ToolLimits:
    """A tool's declared limits (all empty for a tool that declares none).

    Example:
        ```python
        from langchain_llmorch import compute
        from langchain_llmorch.tool_limits import tool_limits

        @compute(resources={"gpu": 1}, max_concurrency=2)
        def embed(text: str) -> list[float]:
            \"\"\"Embed a text on the GPU.\"\"\"
            return [0.0]

        limits = tool_limits(embed)
        assert limits.demand(embed.name) == {"gpu": 1, "tool:embed": 1}
        ```
    """

    max_concurrency: int | None = None
    """At most this many calls at once (`None`: no limit)."""
    resources: Mapping[str, float] = field(default_factory=dict)
    """Resource name -> amount one call holds while it runs."""
    ordered: bool = False
    """Calls run one at a time, in plan order."""

    @property
    def empty(self) -> bool:
        """True when the tool declares nothing."""
        return self.max_concurrency is None and not self.resources and not self.ordered

    def demand(self, tool_name: str) -> dict[str, float]:
        """What one call holds while it runs: its resources, and `tool:<name>` when limited."""
        out = dict(self.resources)
        if self.max_concurrency is not None:
            out[TOOL_PREFIX + tool_name] = 1
        return out


def check_max_concurrency(value: Any, *, what: str = "max_concurrency") -> int:
    """`value` as a concurrency limit: an int of at least 1, else a typed error."""
    if not isinstance(value, int) or isinstance(value, bool):
        msg = f"{what} must be an int, not {value!r}"
        raise OptionTypeError(msg)
    if value < 1:
        msg = f"{what} must be at least 1, not {value}"
        raise OptionValueError(msg)
    return value


def check_amounts(value: Any, *, what: str) -> dict[str, float]:
    """`value` as resource amounts: a mapping of names to positive finite numbers."""
    if not isinstance(value, Mapping):
        msg = f"{what} must be a dict of resource name -> amount, not {value!r}"
        raise OptionTypeError(msg)
    out: dict[str, float] = {}
    for name, amount in value.items():
        if not isinstance(name, str) or not name.strip():
            msg = f"{what}: a resource name must be a non-empty string, not {name!r}"
            raise OptionTypeError(msg)
        if name.startswith((TOOL_PREFIX, ORDER_PREFIX)) or name == PROCESSOR:
            msg = (
                f"{what}: {name!r} is reserved (per-tool limits are max_concurrency=, "
                "processors are max_processors=); choose another resource name"
            )
            raise OptionValueError(msg)
        if not isinstance(amount, int | float) or isinstance(amount, bool):
            msg = f"{what}[{name!r}] must be a number, not {amount!r}"
            raise OptionTypeError(msg)
        if not math.isfinite(amount) or amount <= 0:
            msg = f"{what}[{name!r}] must be a positive number, not {amount!r}"
            raise OptionValueError(msg)
        out[name] = amount
    return out


def limits_metadata(
    *, max_concurrency: Any = None, resources: Any = None, ordered: Any = None
) -> dict[str, Any]:
    """The metadata entries for the given declarations (checked; `None` leaves one out)."""
    out: dict[str, Any] = {}
    if max_concurrency is not None:
        out[MAX_CONCURRENCY] = check_max_concurrency(max_concurrency)
    if resources is not None:
        out[RESOURCES] = check_amounts(resources, what="resources")
    if ordered is not None:
        if not isinstance(ordered, bool):
            msg = f"ordered must be True or False, not {ordered!r}"
            raise OptionTypeError(msg)
        out[ORDERED] = ordered
    return out


def tool_limits(tool: BaseTool) -> ToolLimits:
    """The limits a tool declares in its metadata (see the module docstring).

    Raises:
        OptionTypeError: a declared value has the wrong type.
        OptionValueError: a declared value is out of range.

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.tool_limits import tool_limits

        @inout(ordered=True)
        def append(line: str) -> str:
            \"\"\"Append a line to the log.\"\"\"
            return line

        assert tool_limits(append).ordered
        ```
    """
    meta = tool.metadata or {}
    if not any(key in meta for key in (MAX_CONCURRENCY, RESOURCES, ORDERED)):
        return _NONE
    found = limits_metadata(
        max_concurrency=meta.get(MAX_CONCURRENCY),
        resources=meta.get(RESOURCES),
        ordered=meta.get(ORDERED),
    )
    return ToolLimits(
        max_concurrency=found.get(MAX_CONCURRENCY),
        resources=found.get(RESOURCES, {}),
        ordered=found.get(ORDERED, False),
    )


_NONE = ToolLimits()

__all__ = [
    "MAX_CONCURRENCY",
    "ORDERED",
    "ORDER_PREFIX",
    "PROCESSOR",
    "RESOURCES",
    "TOOL_PREFIX",
    "ToolLimits",
    "check_amounts",
    "check_max_concurrency",
    "limits_metadata",
    "tool_limits",
]
