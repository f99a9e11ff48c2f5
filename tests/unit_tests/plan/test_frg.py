from itertools import combinations

import pytest

from langchain_llmorch import PlanValidationError, build_frg, parse_plan
from tests.unit_tests.paper_plans import (
    KITTI_PLAN,
    KITTI_TOOLS,
    LLMCOMPILER_PLAN,
    MATH_TOOLS,
    SEO_PLAN,
    SEO_TOOLS,
)


def test_seo_audit_plan_of_figures_1_and_2() -> None:
    frg = build_frg(parse_plan(SEO_PLAN), SEO_TOOLS)
    assert {c: frg.rank(c) for c in frg.calls} == {"s1": 1, "s2": 1, "s3": 2, "s4": 2, "s5": 3}
    assert frg.data_edges == {("s1", "s3"), ("s1", "s4"), ("s2", "s5"), ("s3", "s5"), ("s4", "s5")}
    # s3 and s4 are compute calls of rank 2; s2 (compute, rank 1) has no compute peer.
    assert frg.mutex_pairs == {frozenset({"s3", "s4"})}
    assert frg.parents("s5") == ("s2", "s3", "s4")
    assert frg.children("s1") == ("s3", "s4")
    assert frg.kind("s1") == "inout"
    assert frg.kind("s3") == "compute"


def test_kitti_plan_of_figure_3() -> None:
    frg = build_frg(parse_plan(KITTI_PLAN), KITTI_TOOLS)
    stereo = [f"s{i}" for i in range(1, 9)]
    assert all(frg.rank(c) == 1 for c in stereo)
    assert (frg.rank("s9"), frg.rank("s10"), frg.rank("s11")) == (2, 2, 3)
    assert frg.mutex_pairs == {frozenset(p) for p in combinations(stereo, 2)}
    assert frg.kind("s9") == "inout"  # `self` is a remote model by default


def test_self_can_be_compute_when_the_model_is_local() -> None:
    frg = build_frg(parse_plan(KITTI_PLAN), KITTI_TOOLS, self_kind="compute")
    assert frozenset({"s9", "s10"}) in frg.mutex_pairs


def test_llmcompiler_plan_builds() -> None:
    frg = build_frg(parse_plan(LLMCOMPILER_PLAN), MATH_TOOLS)
    assert frg.rank("4") == 3
    assert frg.bound_args["2"]["question"] == "population of Texas in millions?"
    assert frg.mutex_pairs == set()


def test_every_problem_is_reported_at_once() -> None:
    text = "s1: search(query=s1)\ns2: search(query=s9)\ns3: search(query=s4)\ns4: nosuch(x=1)\ns5: search(q=1)\ns6: python(file=3)\ns6: search(query='x')\ns7: search('a', 'b')"
    with pytest.raises(PlanValidationError) as info:
        build_frg(parse_plan(text), SEO_TOOLS)
    messages = [str(p) for p in info.value.problems]
    expected = [
        "(s1): s1 refers to itself",
        "(s2): 's9' is not the id of any call",
        "(s3): 's4' is defined later",
        "(s4): unknown tool 'nosuch'",
        "(s5): search has no argument 'q'",
        "(s5): search needs argument 'query'",
        "(s6): argument 'file' of python is invalid",
        "(s6): id 's6' is used twice",
        "(s7): search takes 1 argument(s)",
    ]
    for fragment in expected:
        assert any(fragment in m for m in messages), (fragment, messages)
    assert len(messages) == len(expected)


def test_descendants_follow_data_edges() -> None:
    frg = build_frg(parse_plan(SEO_PLAN), SEO_TOOLS)
    assert frg.descendants(["s1"]) == {"s3", "s4", "s5"}


def test_constant_lists_and_dicts_are_checked_as_values() -> None:
    from langchain_llmorch import compute

    @compute
    def run(files: list[str], options: dict[str, int]) -> str:
        """Run on files."""
        return ""

    frg = build_frg(parse_plan('s1: run(files=["a", "b"], options={"n": 2 * 3})'), [run])
    assert frg.calls["s1"].tool == "run"
    with pytest.raises(PlanValidationError, match="files"):
        build_frg(parse_plan('s1: run(files=[{"x": 1}], options={})'), [run])
