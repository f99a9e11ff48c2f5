"""Doubted plans: invented numbers and repeated calls go back for one repair."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.checks import plan_doubts, tool_defaults, tool_vocabulary
from langchain_llmorch.agent.state import is_embedded_model
from langchain_llmorch.testing import ScriptedChatModel, request_kind


@inout
def price(symbol: str, days: int = 30) -> float:
    """The price of a stock, averaged over `days`."""
    return {"ACME": 182.4, "INITECH": 41.7}[symbol] + days * 0


@inout
def collatz(n: int) -> int:
    """Collatz steps of n."""
    return {27: 111, 97: 118}.get(n, 0)


DEFAULTS = tool_defaults([price, collatz])


def test_numbers_the_question_never_gave_are_doubted() -> None:
    plan = parse_plan("s1: collatz(n=27)\ns2: collatz(n=12)\ns3: collatz(n=[100000, -97])")
    doubts = plan_doubts(plan, "How many steps do 27 and 97 take?", DEFAULTS)
    assert doubts == [
        "s2 uses 12, a number the question does not give",
        "s3 uses 100000, a number the question does not give",
    ]


def test_given_numbers_defaults_and_strings_are_not_doubted() -> None:
    plan = parse_plan(
        's1: price(symbol="ACME", days=30)\ns2: price(symbol="INITECH 12", days=1)\n'
        's3: collatz(n=1234)\ns4: self(prompt="compare {s1} and {s2} over 99 days")'
    )
    # 30 is the default, 1 is always allowed, "12" sits inside a string, 1234 is written
    # "1,234" in the question, and `self` prompts are the model's own words.
    assert plan_doubts(plan, "Compare ACME and INITECH, and collatz of 1,234.", DEFAULTS) == []


def test_a_repeated_call_is_doubted() -> None:
    plan = parse_plan('s1: price(symbol="ACME")\ns2: price(symbol="ACME")\ns3: price(symbol="X")')
    assert plan_doubts(plan, "ACME or INITECH?", DEFAULTS) == ["s2 repeats s1 exactly"]


class Script:
    """Plans `first`, answers repairs with `repairs` in turn, records the requests."""

    def __init__(self, first: str, *repairs: str) -> None:
        self.first, self.repairs = first, iter(repairs)
        self.requests: list[tuple[str, str]] = []

    def __call__(self, messages: list[BaseMessage]) -> str:
        kind = request_kind(messages)
        self.requests.append((kind, messages[-1].text))
        if kind == "plan":
            return self.first
        if kind == "repair":
            return next(self.repairs)
        return "ACME costs 182.4, INITECH 41.7."


def _ask(script: Script, **options: Any) -> dict[str, Any]:
    agent = create_llmorch_agent(ScriptedChatModel(script), [price], **options)
    return agent.invoke({"messages": [("user", "Which costs more, ACME or INITECH?")]})


def test_a_doubted_plan_is_repaired_once_and_the_repair_is_kept() -> None:
    doubted = 's1: price(symbol="ACME")\ns2: price(symbol="ACME")'
    fixed = 's1: price(symbol="ACME")\ns2: price(symbol="INITECH")'
    script = Script(doubted, fixed)
    out = _ask(script, check_plans=True)
    assert [kind for kind, _ in script.requests] == ["plan", "repair", "join"]
    assert "s2 repeats s1 exactly" in script.requests[1][1]
    assert out["doubts"] == [
        "the question gives INITECH, but no call uses it",
        "s2 repeats s1 exactly",
    ]
    assert out["results"] == {"s1": 182.4, "s2": 41.7}


def test_a_plan_that_stays_doubted_after_its_repair_runs() -> None:
    doubted = 's1: price(symbol="ACME", days=12)\ns2: price(symbol="INITECH")'
    script = Script(doubted, doubted)  # the model says the plan is right: it runs
    out = _ask(script, check_plans=True)
    assert [kind for kind, _ in script.requests] == ["plan", "repair", "join"]
    assert out["results"] == {"s1": 182.4, "s2": 41.7}


def test_checks_are_off_for_other_models_unless_asked() -> None:
    script = Script('s1: price(symbol="ACME")\ns2: price(symbol="ACME")')
    out = _ask(script)
    assert [kind for kind, _ in script.requests] == ["plan", "join"]
    assert out["doubts"] == []


def test_the_embedded_model_is_recognised_by_its_metadata() -> None:
    from langchain_openai import ChatOpenAI

    from langchain_llmorch.local.server import EMBEDDED_MARK

    marked = ChatOpenAI(model="m", api_key="x", metadata={EMBEDDED_MARK: "qwen"})  # type: ignore[arg-type]
    assert is_embedded_model(marked)
    assert not is_embedded_model(ChatOpenAI(model="m", api_key="x"))  # type: ignore[arg-type]


def test_the_first_plan_that_compiles_is_the_one_checked() -> None:
    faulty = 's1: price(symbol="ACME"'  # does not parse: a compile repair first
    doubted = 's1: price(symbol="ACME")\ns2: price(symbol="ACME")'
    fixed = 's1: price(symbol="ACME")\ns2: price(symbol="INITECH")'
    script = Script(faulty, doubted, fixed)
    out = _ask(script, check_plans=True)
    assert [kind for kind, _ in script.requests] == ["plan", "repair", "repair", "join"]
    assert out["doubts"] == [
        "the question gives INITECH, but no call uses it",
        "s2 repeats s1 exactly",
    ]
    assert out["results"] == {"s1": 182.4, "s2": 41.7}


def test_what_the_question_gives_and_no_call_uses_is_doubted() -> None:
    vocabulary = tool_vocabulary([price, collatz])
    one_call = parse_plan('s1: price(symbol="ACME")')
    question = "Compare ACME and INITECH over 30 days, and the Collatz steps of 'twenty-seven'."
    assert plan_doubts(one_call, question, DEFAULTS, question=question, vocabulary=vocabulary) == [
        "the question gives 'twenty-seven', 30, INITECH, but no call uses it"
    ]


def test_a_plan_that_uses_everything_the_question_gives_is_not_doubted() -> None:
    vocabulary = tool_vocabulary([price, collatz])
    question = "Compare ACME and INITECH over 30 days, and the Collatz steps of 27."
    full = parse_plan(
        's1: price(symbol="ACME", days=30)\ns2: price(symbol="INITECH")\ns3: collatz(n=27)'
    )
    # "Compare" starts the sentence and "Collatz" is a word of a tool's description.
    assert plan_doubts(full, question, DEFAULTS, question=question, vocabulary=vocabulary) == []


def test_under_structured_planning_a_doubted_plan_is_planned_again_in_the_plan_language() -> None:
    import json

    from bench.llm_server import ScriptedLLMServer
    from bench.workloads.latency import LatencyModel
    from langchain_llmorch.agent.prompts import PLAN_RULES, STRUCTURED_RULES
    from langchain_llmorch.agent.prompts import TOOLS_HEADER as PLANNER_MARK

    def script(messages: list[dict[str, Any]]) -> str:
        system = messages[0]["content"]
        if PLANNER_MARK not in system:
            return "ACME costs 182.4, INITECH 41.7."
        if STRUCTURED_RULES in system:  # one call: INITECH is missed
            step = {"id": "s1", "tool": "price", "args": {"symbol": "ACME", "days": None}}
            return json.dumps({"steps": [step]})
        assert PLAN_RULES in system
        return 's1: price(symbol="ACME")\ns2: price(symbol="INITECH")'

    with ScriptedLLMServer(script, LatencyModel(scale=0.0)) as server:
        agent = create_llmorch_agent(_openai(server.base_url), [price], check_plans=True)
        out = agent.invoke({"messages": [("user", "Which costs more, ACME or INITECH?")]})
        served = server.requests
    assert out["planning"] == "structured"
    assert out["doubts"] == ["the question gives INITECH, but no call uses it"]
    assert [r.response_format is not None for r in served] == [True, False, False]
    # A fresh plan in the plan language (shown its faulty plan, the model copied it).
    assert (
        served[1].messages[-1]["content"] == "Question: Which costs more, ACME or INITECH?\nPlan:"
    )
    assert out["results"] == {"s1": 182.4, "s2": 41.7}


def _openai(base_url: str) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model="scripted", base_url=base_url, api_key="x", max_retries=0)  # type: ignore[arg-type]
