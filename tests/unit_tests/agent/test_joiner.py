"""The joiner: folded answer steps, answers that hold the results, answers despite failures.

Also the agent's defaults that make a small model safe: `planning="auto"` (visible in the
state and logged once) and a call time limit.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI

from langchain_llmorch import Orchestrator, compute, create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.answer import answer_steps, holds_results, mentions, numbers_in
from langchain_llmorch.agent.options import DEFAULT_CALL_TIMEOUT, split_options
from langchain_llmorch.agent.state import choose_planning
from langchain_llmorch.errors import RecoveryExhaustedError
from langchain_llmorch.testing import ScriptedChatModel, request_kind


@inout
def lookup(city: str) -> float:
    """Look up a city's temperature."""
    if city == "Atlantis":
        msg = "no such city"
        raise KeyError(msg)
    if city == "Slowtown":
        time.sleep(5)
    return {"Oslo": -3.5, "Cairo": 24.1}.get(city, 10.0)


@compute
def double(x: float) -> float:
    """Twice x."""
    return 2 * x


class Recorder:
    """A script that answers plans with `plan` and records every other request."""

    def __init__(self, plan: str, answer: str, rewrite: str | None = None) -> None:
        self.plan, self.answer, self.rewrite = plan, answer, rewrite
        self.requests: list[tuple[str, str]] = []

    def __call__(self, messages: list[BaseMessage]) -> str:
        kind = request_kind(messages)
        self.requests.append((kind, messages[-1].text))
        if kind in {"plan", "repair"}:
            return self.plan
        if kind == "recover":
            return self.rewrite or messages[-1].text.split("rewrite:\n", 1)[1].split("\n", 1)[0]
        return self.answer


def _ask(agent: Any, question: str = "Oslo and Cairo?") -> dict[str, Any]:
    return agent.invoke({"messages": [("user", question)]})


# --------------------------------------------------------------------------- folding


def test_answer_steps_are_the_self_steps_that_feed_only_the_answer() -> None:
    plan = parse_plan(
        's1: lookup(city="Oslo")\ns2: self(prompt="half of {s1}")\ns3: double(x=s2)\n'
        's4: self(prompt="say {s3}")\ns5: self(prompt="{s4} and {s1}")\ns6: join()'
    )
    assert answer_steps(plan) == ("s4", "s5", "s6")


def test_trailing_self_steps_fold_into_the_joiners_single_request() -> None:
    plan = (
        's1: lookup(city="Oslo")\ns2: lookup(city="Cairo")\n'
        's3: self(prompt="Which is warmer, {s1} or {s2}?")\ns4: self(prompt="Say: {s3}")'
    )
    script = Recorder(plan, "Cairo is warmer: 24.1 against -3.5.")
    out = _ask(create_llmorch_agent(ScriptedChatModel(script), [lookup]))
    assert {r["id"] for r in out["trace"]} == {"s1", "s2"}  # s3, s4 never ran as calls
    assert [kind for kind, _ in script.requests] == ["plan", "join"]  # plan + one joiner
    joiner = script.requests[1][1]
    assert '- lookup(city="Oslo") = -3.5' in joiner
    assert "Which is warmer, -3.5 or 24.1?" in joiner  # the folded step, results filled in
    assert out["messages"][-1].text == "Cairo is warmer: 24.1 against -3.5."


def test_a_self_step_that_feeds_a_tool_stays_a_call() -> None:
    plan = 's1: lookup(city="Oslo")\ns2: self(prompt="Only the number: {s1}")\ns3: double(x=s2)'
    script = Recorder(plan, "-3.5")
    out = _ask(create_llmorch_agent(ScriptedChatModel(script), [lookup, double]))
    assert {r["id"] for r in out["trace"]} == {"s1", "s2", "s3"}
    assert out["results"]["s3"] == -7.0


# --------------------------------------------------------------------------- trusting answers


def test_an_answer_without_the_numbers_gets_them_added_when_asked() -> None:
    plan = 's1: lookup(city="Oslo")\ns2: lookup(city="Cairo")'
    model = ScriptedChatModel(Recorder(plan, "Cairo is warmer."))
    out = _ask(create_llmorch_agent(model, [lookup], append_results=True))
    answer = out["messages"][-1].text
    assert answer.startswith("Cairo is warmer.")
    assert 'lookup(city="Oslo") = -3.5' in answer
    assert 'lookup(city="Cairo") = 24.1' in answer


def test_an_answer_with_the_numbers_is_left_alone() -> None:
    plan = 's1: lookup(city="Oslo")\ns2: lookup(city="Cairo")'
    script = Recorder(plan, "Cairo (24.1 degrees) is warmer than Oslo (-3.5).")
    out = _ask(create_llmorch_agent(ScriptedChatModel(script), [lookup]))
    assert out["messages"][-1].text == "Cairo (24.1 degrees) is warmer than Oslo (-3.5)."


def test_an_answer_that_leaves_a_result_out_gets_that_one_added() -> None:
    plan = 's1: lookup(city="Oslo")\ns2: lookup(city="Cairo")'
    script = Recorder(plan, "Cairo (24.1 degrees) is warmer than Oslo.")
    out = _ask(create_llmorch_agent(ScriptedChatModel(script), [lookup], append_results=True))
    assert out["messages"][-1].text == (
        'Cairo (24.1 degrees) is warmer than Oslo.\n\n(Results: lookup(city="Oslo") = -3.5.)'
    )


def test_the_answer_is_the_models_words_unless_results_are_asked_for() -> None:
    """Other models than the embedded one: nothing is appended by default."""
    plan = 's1: lookup(city="Oslo")\ns2: lookup(city="Cairo")'
    out = _ask(
        create_llmorch_agent(ScriptedChatModel(Recorder(plan, "Cairo is warmer.")), [lookup])
    )
    assert out["messages"][-1].text == "Cairo is warmer."


def test_past_eight_numeric_results_one_in_the_answer_is_enough() -> None:
    from langchain_llmorch.agent.answer import missing_results

    results = {f"r{i}": i + 10 for i in range(9)}
    assert missing_results("The largest is 18.", results) == {}
    assert missing_results("No numbers here.", results) == results
    few = dict(list(results.items())[:8])
    assert set(missing_results("The largest is 17.", few)) == {f"r{i}" for i in range(7)}


def test_numbers_are_recognised_as_people_write_them() -> None:
    assert numbers_in("1,234.5 and -3 or 7.") == [1234.5, -3.0, 7.0]
    assert mentions("about 24 degrees", 24.1) is False
    assert mentions("about 24.1 degrees", 24.1)
    assert mentions("minus 3.5", -3.5)
    assert mentions("522,250 people", 522250)
    assert holds_results("no numbers", {"s1": "text only"})
    assert holds_results("no numbers", {"s1": 10**400})  # beyond float range: ignored
    assert not holds_results("no numbers", {"s1": 2.5})


# --------------------------------------------------------------------------- failures


def test_exhausted_recovery_still_answers_from_the_finished_calls() -> None:
    plan = 's1: lookup(city="Oslo")\ns2: lookup(city="Atlantis")\ns3: self(prompt="{s1} {s2}")'
    script = Recorder(plan, "Oslo is at -3.5 degrees.")
    agent = create_llmorch_agent(ScriptedChatModel(script), [lookup], max_recoveries=1)
    out = _ask(agent)
    answer = out["messages"][-1].text
    assert answer.startswith("Oslo is at -3.5 degrees.")
    assert "I could not get the lookup for Atlantis" in answer
    assert "no such city" in answer
    assert "s2" in out["failure"]
    joiner = script.requests[-1][1]
    assert '- lookup(city="Oslo") = -3.5' in joiner
    assert "These calls failed" in joiner


def test_exhausted_recovery_still_raises_when_asked() -> None:
    plan = 's1: lookup(city="Oslo")\ns2: lookup(city="Atlantis")'
    agent = create_llmorch_agent(
        ScriptedChatModel(Recorder(plan, "x")), [lookup], max_recoveries=1, raise_on_failure=True
    )
    with pytest.raises(RecoveryExhaustedError):
        _ask(agent)


def test_a_call_that_runs_out_of_time_is_named_in_the_answer() -> None:
    plan = 's1: lookup(city="Oslo")\ns2: lookup(city="Slowtown")'
    script = Recorder(plan, "Oslo: -3.5.")
    agent = create_llmorch_agent(
        ScriptedChatModel(script), [lookup], call_timeout=0.2, max_recoveries=0
    )
    out = _ask(agent)
    answer = out["messages"][-1].text
    assert answer.startswith("Oslo: -3.5.")
    assert "lookup for Slowtown: it took too long" in answer
    assert "CallTimeoutError" in out["errors"]["s2"]


def test_planned_calls_have_a_default_time_limit() -> None:
    """The orchestrator an agent builds for itself limits every call; one given is kept."""
    _, engine = split_options({}, None)
    assert engine.call_timeout == DEFAULT_CALL_TIMEOUT
    assert 0 < DEFAULT_CALL_TIMEOUT <= 600
    _, given = split_options({}, Orchestrator(call_timeout=None))
    assert given.call_timeout is None


# --------------------------------------------------------------------------- planning="auto"


def test_auto_planning_is_structured_for_openai_compatible_models() -> None:
    model = ChatOpenAI(model="m", api_key="not-used", base_url="http://127.0.0.1:9/v1")
    assert choose_planning(model)[0] == "structured"
    assert choose_planning(FakeListChatModel(responses=["x"]))[0] == "text"


def test_auto_planning_is_logged_once_and_kept_in_the_state(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan = 's1: lookup(city="Oslo")'
    with caplog.at_level(logging.INFO, logger="langchain_llmorch.agent"):
        agent = create_llmorch_agent(ScriptedChatModel(Recorder(plan, "-3.5")), [lookup])
        first = _ask(agent)
        _ask(agent)
    chose = [r for r in caplog.records if "planning='auto' chose" in r.getMessage()]
    assert len(chose) == 1
    assert "text" in chose[0].getMessage()
    assert first["planning"] == "text"


def test_text_planning_stops_at_the_end_marker() -> None:
    seen: list[list[str] | None] = []

    class StopRecorder(FakeListChatModel):
        def _call(self, messages: Any, stop: list[str] | None = None, **kwargs: Any) -> str:
            seen.append(stop)
            return super()._call(messages, stop=stop, **kwargs)

    model = StopRecorder(responses=['s1: lookup(city="Oslo")\n<END_OF_PLAN>', "-3.5"])
    _ask(create_llmorch_agent(model, [lookup], planning="text"))
    assert seen[0] == ["<END_OF_PLAN>"]


def test_model_words_leave_out_the_results_the_joiner_added() -> None:
    from langchain_llmorch.agent.answer import model_words

    plan = 's1: lookup(city="Oslo")\ns2: lookup(city="Cairo")'
    model = ScriptedChatModel(Recorder(plan, "Cairo is warmer."))
    out = _ask(create_llmorch_agent(model, [lookup], append_results=True))
    answer = out["messages"][-1].text
    assert "24.1" in answer
    assert model_words(answer) == "Cairo is warmer."
    assert model_words("Cairo (24.1) is warmer.") == "Cairo (24.1) is warmer."
    assert model_words('Results: lookup(city="Oslo") = -3.5.') == ""
