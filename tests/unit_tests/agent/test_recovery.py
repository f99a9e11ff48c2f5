"""Recovery points and rewrites (DESIGN.md section 6, paper section III-D).

The recovery points of a failed call are its closest parents that share the smallest
rank (the call itself when it has no parents); a changed rewrite drops its own result
and its descendants', every other result is kept.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_llmorch import build_frg, parse_plan
from langchain_llmorch.agent.recovery import (
    Rewrite,
    apply_rewrites,
    parse_rewrite,
    recovery_points,
    replaced_subjects,
)
from langchain_llmorch.errors import PlanSyntaxError
from tests.unit_tests._prop_tools import TOOLS, Spec, descendants, plan_text, plans


def frg_of(text: str):
    return build_frg(parse_plan(text), TOOLS)


# s1 -> s2 -> s3 (ranks 1, 2, 3), s4 (rank 1), s5 <- s1 (rank 2)
RANKED = """s1: cpu(tag=1, inputs=[])
s2: cpu(tag=2, inputs=[s1])
s3: aio(tag=3, inputs=[s2])
s4: sio(tag=4, inputs=[])
s5: cpu(tag=5, inputs=[s1])
s6: cpu(tag=6, inputs=[s3, s2, s4])
s7: cpu(tag=7, inputs=[s3, s5, s2])
s8: cpu(tag=8, inputs=[s2, s5])"""


def test_the_ranks_of_the_example_plan() -> None:
    frg = frg_of(RANKED)
    assert [frg.rank(c) for c in frg.calls] == [1, 2, 3, 1, 2, 4, 4, 3]


def test_the_parent_of_smallest_rank_is_the_recovery_point() -> None:
    # s6's parents: s3 (rank 3), s2 (rank 2), s4 (rank 1): only s4 is rewritten.
    assert recovery_points(frg_of(RANKED), ["s6"]) == ["s4"]


def test_the_smallest_rank_wins_whatever_the_parents_order() -> None:
    # s7's parents in argument order: s3 (rank 3), s5 (rank 2), s2 (rank 2).
    assert recovery_points(frg_of(RANKED), ["s7"]) == ["s2", "s5"]


def test_parents_sharing_the_smallest_rank_are_all_recovery_points() -> None:
    assert recovery_points(frg_of(RANKED), ["s8"]) == ["s2", "s5"]


def test_a_failed_call_without_parents_is_its_own_recovery_point() -> None:
    assert recovery_points(frg_of(RANKED), ["s4"]) == ["s4"]
    assert recovery_points(frg_of(RANKED), ["s1"]) == ["s1"]


def test_several_failed_calls_give_their_points_once_in_plan_order() -> None:
    assert recovery_points(frg_of(RANKED), ["s7", "s4", "s3", "s8"]) == ["s2", "s4", "s5"]


def test_no_failed_call_no_recovery_point() -> None:
    assert recovery_points(frg_of(RANKED), []) == []


def test_the_docstring_example() -> None:
    frg = frg_of(
        "s1: cpu(tag=1, inputs=[])\ns2: cpu(tag=2, inputs=[s1])\n"
        "s3: cpu(tag=3, inputs=[])\ns4: cpu(tag=4, inputs=[s2, s3])"
    )
    assert recovery_points(frg, ["s4"]) == ["s3"]


@settings(max_examples=100, derandomize=True, database=None, deadline=None)
@given(specs=plans(max_calls=10), data=st.data())
def test_recovery_points_are_the_smallest_rank_parents(
    specs: list[Spec], data: st.DataObject
) -> None:
    frg = frg_of(plan_text(specs))
    rank: dict[str, int] = {}
    for spec in specs:
        rank[spec.id] = 1 + max((rank[p] for p in spec.parents), default=0)
    failed = data.draw(st.lists(st.sampled_from([s.id for s in specs]), unique=True))
    expected: set[str] = set()
    for spec in specs:
        if spec.id in failed:
            if not spec.parents:
                expected.add(spec.id)
            else:
                low = min(rank[p] for p in spec.parents)
                expected |= {p for p in spec.parents if rank[p] == low}
    assert recovery_points(frg, failed) == [s.id for s in specs if s.id in expected]


def rewrite(text: str, call_id: str, reply: str) -> Rewrite:
    plan = parse_plan(text)
    original = next(c for c in plan.calls if c.id == call_id)
    return parse_rewrite(original, reply)


def test_a_changed_rewrite_drops_its_result_and_its_descendants_results_only() -> None:
    plan, frg = parse_plan(RANKED), frg_of(RANKED)
    results = {f"s{i}": i * 10 for i in range(1, 9)}
    fixed = rewrite(RANKED, "s2", "s2: cpu(tag=20, inputs=[s1])")
    assert fixed.changed
    new_plan, kept = apply_rewrites(plan, frg, [fixed], results)
    # s2 and everything downstream of it (s3, s6, s7, s8) run again; s1, s4, s5 are kept.
    assert kept == {"s1": 10, "s4": 40, "s5": 50}
    assert new_plan.calls[1].render() == "s2: cpu(tag=20, inputs=[s1])"
    assert [c.render() for i, c in enumerate(new_plan.calls) if i != 1] == [
        c.render() for i, c in enumerate(plan.calls) if i != 1
    ]
    assert parse_plan(new_plan.source).calls[1].render() == new_plan.calls[1].render()


def test_an_unchanged_rewrite_keeps_every_result() -> None:
    plan, frg = parse_plan(RANKED), frg_of(RANKED)
    results = {"s1": 1, "s2": 2, "s4": 4}
    same = rewrite(RANKED, "s2", "Here it is:\ns2: cpu(tag=2, inputs=[s1])")
    assert not same.changed
    new_plan, kept = apply_rewrites(plan, frg, [same], results)
    assert kept == results
    assert [c.render() for c in new_plan.calls] == [c.render() for c in plan.calls]


def test_a_rewrite_keeps_the_id_thought_and_line_of_the_original() -> None:
    text = "s1: cpu(tag=1, inputs=[])\nThought: then this\ns2: cpu(tag=2, inputs=[s1])"
    fixed = rewrite(text, "s2", "s9: aio(tag=5, inputs=[s1])")
    assert (fixed.call.id, fixed.call.tool) == ("s2", "aio")
    assert fixed.call.line == fixed.original.line
    assert fixed.call.thought == fixed.original.thought == "then this"
    assert fixed.changed


def test_a_reply_without_a_call_is_a_plan_syntax_error() -> None:
    plan = parse_plan(RANKED)
    with pytest.raises(PlanSyntaxError, match=r"s1: tool\(\.\.\.\)"):
        parse_rewrite(plan.calls[0], "I cannot fix this call.")


@settings(max_examples=100, derandomize=True, database=None, deadline=None)
@given(specs=plans(max_calls=10), data=st.data())
def test_apply_rewrites_keeps_every_result_outside_the_changed_part(
    specs: list[Spec], data: st.DataObject
) -> None:
    text = plan_text(specs)
    plan, frg = parse_plan(text), frg_of(text)
    ids = [s.id for s in specs]
    results = {cid: i for i, cid in enumerate(ids) if data.draw(st.booleans())}
    points = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
    changed = set(data.draw(st.lists(st.sampled_from(points), unique=True))) if points else set()
    rewrites = []
    for cid in points:
        original = plan.calls[ids.index(cid)]
        spec = specs[ids.index(cid)]
        tag = spec.tag + 100 if cid in changed else spec.tag
        line = f"{cid}: {spec.tool}(tag={tag}, inputs=[{', '.join(spec.parents)}], ms={spec.ms}, fail={spec.fail})"
        rewrites.append(parse_rewrite(original, line))
    new_plan, kept = apply_rewrites(plan, frg, rewrites, results)
    stale = changed | descendants(specs, changed)
    assert kept == {k: v for k, v in results.items() if k not in stale}
    assert [c.id for c in new_plan.calls] == ids
    for call, spec in zip(new_plan.calls, specs, strict=True):
        assert ("tag=" + str(spec.tag + 100) in call.render()) == (spec.id in changed)


def test_the_first_parsable_line_for_the_call_is_the_rewrite() -> None:
    reply = "s2: cpu(tag=, inputs=[s1])\nor rather:\ns2: cpu(tag=22, inputs=[s1])\ns2: aio(tag=1, inputs=[])"
    fixed = rewrite(RANKED, "s2", reply)
    assert fixed.call.render() == "s2: cpu(tag=22, inputs=[s1])"
    assert fixed.call.source == "cpu(tag=22, inputs=[s1])"


def test_a_rewrite_may_pass_arguments_by_position() -> None:
    fixed = rewrite(RANKED, "s2", "s2: cpu(20, [s1])")
    assert fixed.call.args == (20, fixed.call.args[1])
    assert fixed.call.render() == "s2: cpu(20, [s1])"
    assert fixed.call.references() == ["s1"]


def test_an_unusable_reply_is_quoted_in_the_error() -> None:
    reply = "x" * 300
    with pytest.raises(PlanSyntaxError) as err:
        parse_rewrite(parse_plan(RANKED).calls[0], reply)
    assert str(err.value).endswith(f"got {'x' * 200!r}")


def test_a_rewrite_keeps_the_subject_a_misspelt_value_stood_for() -> None:
    old, other, spelt = parse_plan(
        's2: aperture(site="Ferrrow Ridge")\ns2: aperture(site="Caldwick")\n'
        's2: aperture(site="Ferrow Ridge")'
    ).calls
    question = "Is Caldwick lower than Ferrow Ridge?"
    assert replaced_subjects(old, other, question) == ["'Ferrrow Ridge' -> 'Caldwick'"]
    assert replaced_subjects(old, spelt, question) == []


def test_a_value_longer_than_the_question_s_name_may_be_rewritten() -> None:
    # "Copper Bell Theatre" is no misspelling of "The Copper Bell": the question did not
    # give it, and recovery may write the name as the tool knows it.
    old, new = parse_plan(
        's2: seats(play="Copper Bell Theatre")\ns2: seats(play="Copper Bell")'
    ).calls
    assert replaced_subjects(old, new, "How many seats has The Copper Bell?") == []


@pytest.mark.parametrize(
    ("value", "question", "bare"),
    [
        ("Gullhaven's", "Whose beam reaches further, Gullhaven's or Ostreby's?", "Gullhaven"),
        ("Dunmore Leys's herd", "Is Hollinsby's herd bigger than Dunmore Leys'?", "Dunmore Leys"),
        ("McDonald's", "How many staff has McDonald's?", "McDonald"),
    ],
)
def test_a_failed_call_s_possessive_name_is_given_bare(
    value: str, question: str, bare: str
) -> None:
    from langchain_llmorch.agent.recovery import without_possessive
    from langchain_llmorch.plan.language import Call

    rewrite = without_possessive(Call("s1", "look", kwargs={"name": value}), question)
    assert rewrite is not None
    assert rewrite.call.kwargs == {"name": bare}


def test_a_name_the_question_writes_without_a_possessive_is_left() -> None:
    from langchain_llmorch.agent.recovery import without_possessive
    from langchain_llmorch.plan.language import Call

    call = Call("s1", "look", kwargs={"name": "St John's Wood"})
    assert without_possessive(call, "How far is St Johns Wood?") is None


def test_the_agent_gives_a_possessive_name_bare_without_a_recovery_request() -> None:
    from langchain_core.messages import BaseMessage

    from langchain_llmorch import create_llmorch_agent, inout
    from langchain_llmorch.testing import ScriptedChatModel, request_kind

    beams = {"gullhaven": 18, "ostreby": 24}

    @inout
    def light_range(lighthouse: str) -> int:
        """How far out to sea a lighthouse's light can be seen, in nautical miles."""
        return beams[lighthouse.lower()]

    asked: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        asked.append(request_kind())
        if request_kind() == "plan":
            return (
                's1: light_range(lighthouse="Gullhaven\'s")\n'
                's2: light_range(lighthouse="Ostreby\'s")'
            )
        return "Ostreby's light reaches further (24 against 18)."

    agent = create_llmorch_agent(ScriptedChatModel(script), [light_range])
    question = "Whose beam reaches further out to sea, Gullhaven's or Ostreby's?"
    state = agent.invoke({"messages": [("user", question)]})
    assert "recover" not in asked
    assert sorted(state["results"].values()) == [18, 24]


def test_a_failed_name_that_took_the_opening_verb_is_given_without_it() -> None:
    from langchain_llmorch.agent.recovery import without_opening_word
    from langchain_llmorch.plan.language import Call

    call = Call("s1", "height", kwargs={"site": "Add Kells Quay"})
    question = "Add Kells Quay's depth to Orla's. What is it?"
    rewrite = without_opening_word(call, question)
    assert rewrite is not None
    assert rewrite.call.kwargs == {"site": "Kells Quay"}
    # Written inside the sentence, the first word is the name's.
    assert without_opening_word(call, "What is Add Kells Quay's depth?") is None
    assert without_opening_word(Call("s1", "h", kwargs={"site": "Orla"}), "Orla? Deep?") is None
