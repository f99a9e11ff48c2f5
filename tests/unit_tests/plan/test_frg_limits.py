"""Tool declarations (limits, resources, order) and what the FRG makes of them."""

from __future__ import annotations

import pytest
from langchain_core.tools import BaseTool

from langchain_llmorch import build_frg, compute, inout, parse_plan
from langchain_llmorch.errors import LLMOrchError, OptionTypeError, OptionValueError
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.tool_limits import ToolLimits, tool_limits


@inout(ordered=True)
def write(text: str) -> str:
    """Append a line to the log."""
    return text


@inout(ordered=True)
def update(key: str, value: str = "") -> str:
    """Update a record."""
    return key + value


@inout(max_concurrency=2)
def search(query: str) -> str:
    """Search an API that allows 2 requests at once."""
    return query


@compute(resources={"gpu": 1, "mem_gb": 4})
def render(scene: str) -> str:
    """Render a scene on the GPU."""
    return scene


@inout
def plain(x: str = "") -> str:
    """No declarations."""
    return x


TOOLS: list[BaseTool] = [write, update, search, render, plain]


def frg_of(text: str) -> FRG:
    return build_frg(parse_plan(text), TOOLS)


def test_order_edges_chain_consecutive_calls_of_each_ordered_tool_in_plan_order() -> None:
    frg = frg_of(
        's1: write(text="a")\n'
        's2: update(key="k")\n'
        "s3: plain()\n"
        's4: write(text="b")\n'
        's5: update(key="k", value=s4)\n'
        's6: write(text="c")'
    )
    assert frg.order_edges == {("s1", "s4"), ("s4", "s6"), ("s2", "s5")}
    assert frg.order_predecessor("s6") == "s4"
    assert frg.order_successor("s1") == "s4"
    assert frg.order_predecessor("s1") is None
    assert frg.order_predecessor("s3") is None
    # Order edges are control edges: not data edges, no effect on ranks.
    assert frg.data_edges == {("s4", "s5")}
    assert frg.rank("s4") == 1


def test_demands_and_limits_come_from_the_tools() -> None:
    frg = frg_of('s1: search(query="a")\ns2: render(scene=s1)\ns3: search(query="b")\ns4: plain()')
    assert frg.demands == {
        "s1": {"tool:search": 1},
        "s2": {"gpu": 1, "mem_gb": 4},
        "s3": {"tool:search": 1},
    }
    assert frg.limits == {"tool:search": 2}
    assert frg.resource_groups == {
        "tool:search": ("s1", "s3"),
        "gpu": ("s2",),
        "mem_gb": ("s2",),
    }
    assert frg.demand("s4") == {}
    assert frg.constrained


def test_a_plan_of_undeclared_tools_is_unconstrained() -> None:
    frg = frg_of("s1: plain()\ns2: plain(x=s1)")
    assert not frg.constrained
    assert frg.order_edges == frozenset()
    assert frg.demands == {}
    assert frg.limits == {}


def test_dependents_follow_order_edges_but_descendants_do_not() -> None:
    frg = frg_of('s1: write(text="a")\ns2: write(text="b")\ns3: plain(x=s2)\ns4: plain(x=s1)')
    assert frg.descendants(["s1"]) == {"s4"}
    assert frg.dependents(["s1"]) == {"s2", "s3", "s4"}


def test_the_drawing_shows_data_and_order_edges_and_what_calls_hold() -> None:
    text = frg_of('s1: write(text="a")\ns2: render(scene=s1)\ns3: write(text=s2)').to_mermaid()
    assert text.startswith("flowchart TD\n")
    assert "    s1 --> s2\n" in text
    assert "    s1 -. order .-> s3\n" in text
    assert "gpu=1, mem_gb=4" in text
    assert 's3["s3: write<br/>inout<br/>ordered"]' in text


def test_declarations_live_in_metadata_and_survive_retagging() -> None:
    assert tool_limits(search) == ToolLimits(max_concurrency=2)
    assert tool_limits(plain).empty
    moved = compute(write)  # a kind change keeps what the tool declared
    assert moved.tags == ["compute"]
    assert tool_limits(moved).ordered
    wider = inout(search, max_concurrency=5)
    assert tool_limits(wider).max_concurrency == 5
    assert tool_limits(search).max_concurrency == 2  # the original is not changed


def test_the_decorator_form_and_the_call_form_agree() -> None:
    def fetch(url: str) -> str:
        """Fetch a page."""
        return url

    assert tool_limits(inout(max_concurrency=3)(fetch)) == tool_limits(
        inout(fetch, max_concurrency=3)
    )


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"max_concurrency": 0}, OptionValueError, "at least 1"),
        ({"max_concurrency": "2"}, OptionTypeError, "must be an int"),
        ({"max_concurrency": True}, OptionTypeError, "must be an int"),
        ({"resources": {"gpu": 0}}, OptionValueError, "positive"),
        ({"resources": {"gpu": float("nan")}}, OptionValueError, "positive"),
        ({"resources": {"gpu": "1"}}, OptionTypeError, "must be a number"),
        ({"resources": ["gpu"]}, OptionTypeError, "dict of resource name"),
        ({"resources": {"": 1}}, OptionTypeError, "non-empty string"),
        ({"resources": {"tool:x": 1}}, OptionValueError, "reserved"),
        ({"resources": {"processor": 1}}, OptionValueError, "reserved"),
        ({"ordered": "yes"}, OptionTypeError, "True or False"),
    ],
)
def test_bad_declarations_are_typed_errors(
    options: dict[str, object], error: type[LLMOrchError], words: str
) -> None:
    with pytest.raises(error, match=words):
        inout(plain, **options)  # type: ignore[arg-type]
    with pytest.raises(error, match=words):
        compute(**options)  # type: ignore[call-overload]


def test_bad_metadata_written_by_hand_is_caught_when_the_plan_is_built() -> None:
    broken = plain.model_copy(update={"metadata": {"llmorch_max_concurrency": -1}})
    with pytest.raises(OptionValueError, match="at least 1"):
        build_frg(parse_plan("s1: plain()"), [broken])
