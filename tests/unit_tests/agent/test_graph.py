from collections import Counter
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langgraph.checkpoint.memory import InMemorySaver

from langchain_llmorch import PlanValidationError, inout
from langchain_llmorch.agent.graph import create_llmorch_agent
from langchain_llmorch.agent.nodes import NO_PLAN
from langchain_llmorch.agent.transcript import conversation
from langchain_llmorch.errors import RecoveryExhaustedError

CALLS: Counter[str] = Counter()


@inout
def search(query: str, k: int = 5) -> str:
    """Search an encyclopedia; returns the first k words."""
    CALLS[f"search:{query}:{k}"] += 1
    if query == "Florida" and k < 1000:
        return "Florida is a state."
    return f"{query} has population 20 and area 10"


@inout
def density(text: str) -> float:
    """Population density from a text that gives population and area."""
    CALLS[f"density:{text[:20]}"] += 1
    words = text.split()
    if "population" not in words:
        msg = "can't extract the population/area"
        raise ValueError(msg)
    return float(words[words.index("population") + 1]) / float(words[-1])


def agent(responses: list[str], **kwargs: Any) -> Any:
    CALLS.clear()
    model = FakeListChatModel(responses=responses)
    return create_llmorch_agent(model, [search, density], **kwargs)


def ask(graph: Any, question: str = "Densities of Texas and Florida?", **kw: Any) -> dict[str, Any]:
    return graph.invoke({"messages": [("user", question)]}, **kw)


PLAN = """\
s1: search(query="Texas")
s2: search(query="Florida")
s3: density(text=s1)
s4: density(text=s2)
s5: self(prompt="Compare {s3} and {s4}")"""
GOOD_PLAN = PLAN.replace('query="Florida"', 'query="Florida", k=1000')


def test_clean_run_answers_with_the_final_self_call() -> None:
    out = ask(agent([GOOD_PLAN, "Texas: 2.0, Florida: 2.0"]))
    assert out["messages"][-1].content == "Texas: 2.0, Florida: 2.0"
    assert out["results"]["s3"] == 2.0
    assert CALLS["search:Texas:5"] == 1


async def test_async_run_is_the_same() -> None:
    graph = agent([GOOD_PLAN, "same: 2.0"])
    out = await graph.ainvoke({"messages": [("user", "q")]})
    assert out["messages"][-1].content == "same: 2.0"


def test_joiner_asks_the_model_when_the_plan_has_no_final_self() -> None:
    plan = 's1: search(query="Texas")\ns2: density(text=s1)'
    out = ask(agent([plan, "The density is 2."]))
    assert out["messages"][-1].content == "The density is 2."


def test_compile_time_repair_then_success() -> None:
    broken = 's1: search(query="Texas")\ns2: density(text=s7)'
    out = ask(agent([broken, GOOD_PLAN, "ok: 2.0"]))
    assert out["repairs"] == 1
    assert out["messages"][-1].content == "ok: 2.0"


def test_hotter_replan_after_the_repairs() -> None:
    broken = "s1: nosuch(x=1)"
    out = ask(agent([broken, broken, GOOD_PLAN, "ok: 2.0"], max_repairs=1))
    assert (out["repairs"], out["replans"]) == (1, 1)
    assert out["messages"][-1].content == "ok: 2.0"


def test_giving_up_answers_with_a_clear_message() -> None:
    out = ask(agent(["s1: nosuch(x=1)"] * 3, max_repairs=1, max_replans=1))
    answer = out["messages"][-1].content
    # A sentence for the user; the details for the developer are in the state.
    assert answer == NO_PLAN
    assert "unknown tool 'nosuch'" in out["failure"]


def test_giving_up_raises_when_asked() -> None:
    with pytest.raises(PlanValidationError):
        ask(agent(["s1: nosuch(x=1)"] * 3, max_repairs=1, max_replans=1, raise_on_failure=True))


def test_runtime_recovery_rewrites_the_parent_and_keeps_finished_results() -> None:
    # s4 fails: Florida's search returned too little. The recovery point is s2.
    graph = agent([PLAN, 's2: search(query="Florida", k=1000)', "done: 2.0"])
    out = ask(graph)
    assert out["messages"][-1].content == "done: 2.0"
    assert out["recoveries"] == 1
    assert CALLS["search:Texas:5"] == 1  # kept, not run again
    assert CALLS["search:Florida:5"] == 1
    assert CALLS["search:Florida:1000"] == 1
    assert out["attempts"]["s2"] == 2
    assert out["attempts"]["s3"] == 1
    assert out["results"]["s4"] == 2.0


def test_exhausted_recovery_gives_a_clear_message() -> None:
    unchanged = 's2: search(query="Florida")'
    out = ask(agent([PLAN, unchanged, unchanged, "Texas: 2.0."], max_recoveries=2))
    answer = out["messages"][-1].content
    # The answer still comes from the calls that finished, and names the one that failed.
    assert answer.startswith("Texas: 2.0.")
    assert "I could not get the density" in answer
    assert "after 2 recovery attempt(s)" in out["failure"]
    assert "s4" in out["failure"]


def test_a_rewrite_that_breaks_the_plan_is_not_applied() -> None:
    # The rewrite refers to an id that does not exist: the call is kept as it was.
    out = ask(agent([PLAN, "s2: search(query=s9)"], max_recoveries=1))
    assert "after 1 recovery attempt(s)" in out["failure"]
    assert out["plan"] == PLAN


def test_exhausted_recovery_raises_when_asked() -> None:
    unchanged = 's2: search(query="Florida")'
    with pytest.raises(RecoveryExhaustedError):
        ask(agent([PLAN, unchanged], max_recoveries=1, raise_on_failure=True))


def test_stream_events_for_every_call_transition() -> None:
    graph = agent([PLAN, 's2: search(query="Florida", k=1000)', "done"])
    events = list(graph.stream({"messages": [("user", "q")]}, stream_mode="custom"))
    names = [(e["event"], e["id"]) for e in events]
    assert names.count(("started", "s2")) == 2  # ran twice: before and after the repair
    assert names.count(("started", "s1")) == 1  # kept
    assert ("failed", "s4") in names
    assert ("repaired", "s2") in names
    repaired = next(e for e in events if e["event"] == "repaired")
    assert repaired["call"] == 's2: search(query="Florida", k=1000)'
    assert repaired["changed"] is True
    for e in events:
        assert {"event", "id", "tool", "kind", "attempt"} <= e.keys()
    first_s4 = names.index(("scheduled", "s4"))
    assert names.index(("finished", "s2")) < first_s4


def test_checkpointer_keeps_the_state_of_a_thread() -> None:
    graph = agent([GOOD_PLAN, "first 2.0", GOOD_PLAN, "second 2.0"], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t1"}}
    ask(graph, config=config)
    out = ask(graph, "again", config=config)
    assert [m.content for m in out["messages"]][-1] == "second 2.0"
    said = conversation(out["messages"])  # without the tool-use messages of each run
    assert [m.type for m in said] == ["human", "ai", "human", "ai"]
    assert len(out["messages"]) > len(said)
    snapshot = graph.get_state(config)
    assert snapshot.values["results"]["s3"] == 2.0


def test_graph_drawing_pins_the_topology() -> None:
    mermaid = agent([PLAN]).get_graph().draw_mermaid()
    edges = sorted(line.strip() for line in mermaid.splitlines() if "-->" in line or "-.->" in line)
    assert edges == [
        "__start__ --> planner;",
        "coordinator -.-> joiner;",
        "coordinator -.-> repair;",
        "joiner --> __end__;",
        "planner -.-> __end__;",
        "planner -.-> coordinator;",
        "planner -.-> repair;",
        "repair -.-> __end__;",
        "repair -.-> coordinator;",
        "repair -.-> repair;",
    ]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_compute_calls_stream_their_start_inside_the_graph(mode: str) -> None:
    from tests.unit_tests._work import add

    model = FakeListChatModel(responses=["s1: add(a=1, b=2)\ns2: add(a=s1, b=1)", "4"])
    graph = create_llmorch_agent(model, [add], max_processors=2)
    inputs = {"messages": [("user", "q")]}
    if mode == "sync":
        events = list(graph.stream(inputs, stream_mode="custom"))
    else:
        events = [e async for e in graph.astream(inputs, stream_mode="custom")]
    started = [e for e in events if e["event"] == "started"]
    assert [e["id"] for e in started] == ["s1", "s2"]
    assert all(e["kind"] == "compute" and e["processor"] is not None for e in started)
    names = [(e["event"], e["id"]) for e in events]
    assert names.index(("started", "s1")) < names.index(("finished", "s1"))


def test_prose_around_a_plan_is_dropped_but_prose_inside_is_reported() -> None:
    from langchain_llmorch.plan.replies import extract_plan_text

    reply = "Sure! Here is my plan:\n\ns1: search(query='x')\ns2: density(text=s1)\nHope it helps."
    assert extract_plan_text(reply) == "s1: search(query='x')\ns2: density(text=s1)"
    inside = "s1: search(query='x')\nthen I will compute\ns2: density(text=s1)"
    assert "then I will compute" in extract_plan_text(inside)
    fenced = "Plan:\n```\n1. search('x')\n2. join()\n```\nDone."
    assert extract_plan_text(fenced) == "1. search('x')\n2. join()"


def test_self_as_a_compute_call_runs_here_and_holds_a_processor() -> None:
    from tests.unit_tests._work import busy

    # s3 feeds a tool, so it runs as a call (answer-only `self` steps fold into the joiner).
    plan = (
        's1: busy(seconds=0.3)\ns2: busy(seconds=0.3)\ns3: self(prompt="go")\n'
        "s4: busy(seconds=0.01, tag=s3)"
    )
    model = FakeListChatModel(responses=[plan, "a", "b: busy 0.3"])
    graph = create_llmorch_agent(model, [busy], max_processors=2, self_kind="compute")
    out = graph.invoke({"messages": [("user", "q")]})
    by_id = {r["id"]: r for r in out["trace"]}
    assert by_id["s3"]["kind"] == "compute"
    assert by_id["s3"]["processor"] is None  # in this process, not on the pool
    # s1, s2 and s3 are mutually exclusive: never all three at once on P=2.
    first, second, third = (by_id[c] for c in ("s1", "s2", "s3"))
    together = max(r["started_at"] for r in (first, second, third)) < min(
        r["ended_at"] for r in (first, second, third)
    )
    assert not together
    assert out["messages"][-1].content == "b: busy 0.3"
