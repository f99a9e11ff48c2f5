"""Doubted plans: invented numbers, repeated calls and missed names go back for one repair.

What no tool can take (a play for a share-price tool, the 256 of SHA-256) is not asked for.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.checks import doubts_message, plan_doubts
from langchain_llmorch.agent.state import is_embedded_model
from langchain_llmorch.agent.tool_inputs import (
    ToolInputs,
    tool_defaults,
    tool_inputs,
    tool_vocabulary,
)
from langchain_llmorch.self_tool import make_self_tool
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


def test_a_plan_whose_only_fault_is_a_repeat_runs_without_it_and_without_a_repair() -> None:
    script = Script('s1: price(symbol="ACME")\ns2: price(symbol="ACME")')
    agent = create_llmorch_agent(ScriptedChatModel(script), [price], check_plans=True)
    out = agent.invoke({"messages": [("user", "What does ACME cost?")]})
    assert [kind for kind, _ in script.requests] == ["plan", "join"]
    assert out["plan"] == 's1: price(symbol="ACME")'
    assert out["results"] == {"s1": 182.4}


def test_a_repeat_that_a_later_call_uses_is_kept() -> None:
    from langchain_llmorch.agent.checks import without_repeats

    plan = parse_plan('s1: price(symbol="ACME")\ns2: price(symbol="ACME")\ns3: price(symbol=s2)')
    assert without_repeats(plan) is None


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


# -- what the question gives, and what the tools can take ------------------------------


@inout
def lookup(topic: str) -> str:
    """Look a topic up in the encyclopedia."""
    return "..."


@inout
def share_price(ticker: str, days: int = 30) -> float:
    """The share price of a company, averaged over `days`."""
    return 1.0


@inout
def weather(city: str) -> str:
    """The weather in a city."""
    return "fog"


def _doubts(plan: str, question: str, tools: list[Any]) -> list[str]:
    return plan_doubts(
        parse_plan(plan),
        question,
        tool_defaults(tools),
        question=question,
        vocabulary=tool_vocabulary(tools),
        inputs=tool_inputs(tools),
    )


NAMES_WITH_NUMBERS = ["SHA-256", "COVID-19", "ISO 8601", "GPT-4", "H2O", "Windows 11", "MP3"]


@inout
def estimate(count: int) -> float:
    """Hours of work for a count of files."""
    return count / 10


@inout
def digest(text: str) -> str:
    """The SHA-256 digest of a text, in hex."""
    return "2cf24d..."


@pytest.mark.parametrize("name", NAMES_WITH_NUMBERS)
def test_a_number_in_a_name_is_not_a_number_the_plan_must_use(name: str) -> None:
    question = f"How long do 40 files take with {name}?"
    assert _doubts("s1: estimate(count=40)", question, [estimate]) == []


def test_a_name_the_tools_describe_is_not_asked_for() -> None:
    question = "What is the SHA-256 of 'hello'?"
    assert _doubts('s1: digest(text="hello")', question, [digest]) == []


@pytest.mark.parametrize("name", NAMES_WITH_NUMBERS)
def test_a_name_with_a_number_no_call_uses_is_one_name(name: str) -> None:
    question = f"Compare Hamlet and {name}, and tell me the Collatz steps of 97."
    plan = 's1: lookup(topic="Hamlet")\ns2: collatz(n=97)'
    assert _doubts(plan, question, [lookup, collatz]) == [
        f"the question gives {name}, but no call uses it"
    ]


def test_a_tool_word_before_a_number_names_the_tool_not_a_thing() -> None:
    """`Collatz 97`: collatz is a tool's word, so 97 is its argument, still a number."""
    question = "What are the steps of Collatz 27 and Collatz 97?"
    assert _doubts("s1: collatz(n=27)", question, [lookup, collatz]) == [
        "the question gives 97, but no call uses it"
    ]


def test_a_name_no_tool_can_take_is_not_forced_into_a_call() -> None:
    """'Who wrote Hamlet?' with a share-price tool: a ticker is not a play."""
    question = "Who wrote Hamlet?"
    answer_only = 's1: self(prompt="Who wrote Hamlet?")'
    assert _doubts(answer_only, question, [share_price]) == []
    # With no tool inputs given, the check asks for everything, as before.
    assert plan_doubts(parse_plan(answer_only), question, {}, question=question) == [
        "the question gives Hamlet, but no call uses it"
    ]


def test_a_code_the_ticker_tool_takes_is_still_asked_for() -> None:
    question = "Which costs more, ACME or INITECH?"
    plan = 's1: share_price(ticker="ACME")'
    assert _doubts(plan, question, [share_price]) == [
        "the question gives INITECH, but no call uses it"
    ]
    # An answer-only plan misses the prices as well: a tool takes INITECH.
    assert _doubts('s1: self(prompt="ACME or INITECH?")', question, [share_price]) == [
        "the question gives ACME, INITECH, but no call uses it"
    ]


def test_a_name_a_free_text_argument_takes_is_asked_for() -> None:
    question = "Is it colder in Paris or in Oslo?"
    assert _doubts('s1: weather(city="Paris")', question, [weather, share_price]) == [
        "the question gives Oslo, but no call uses it"
    ]


def test_numbers_alone_do_not_ask_an_answer_only_plan_for_calls() -> None:
    """A year or an amount does not say that a tool is needed."""
    question = "What is 17 times 3, and what happened in 1603?"
    assert _doubts('s1: self(prompt="17 * 3?")', question, [collatz]) == []
    # A plan that makes calls still uses every number a tool can take.
    assert _doubts("s1: collatz(n=17)", question, [collatz]) == [
        "the question gives 3, 1603, but no call uses it"
    ]
    # ... and none that no tool can take.
    assert _doubts('s1: lookup(topic="17")', question, [lookup]) == []


@inout
def many(names: list[str], size: int | None = None, mode: Literal["a", "b"] = "a") -> str:
    """Several names."""
    return ""


def test_what_the_tools_can_take() -> None:
    assert tool_inputs([share_price]) == ToolInputs(text=True, free_text=False, numbers=True)
    assert tool_inputs([weather]) == ToolInputs(text=True, free_text=True, numbers=False)
    assert tool_inputs([many]) == ToolInputs(text=True, free_text=True, numbers=True)
    assert tool_inputs([collatz]) == ToolInputs(text=False, free_text=False, numbers=True)
    # The built-in `self` takes any prompt: it does not count.
    self_tool = make_self_tool(FakeListChatModel(responses=["x"]))
    assert tool_inputs([collatz, self_tool]) == tool_inputs([collatz])


def test_the_repair_request_allows_a_plan_without_calls() -> None:
    message = doubts_message(["the question gives INITECH, but no call uses it"])
    assert "Make no call for what no tool fits" in message
    assert "a plan with only a self step is right when no tool fits" in message


def test_a_question_no_tool_fits_is_answered_without_a_repair() -> None:
    script = Script('s1: self(prompt="Who wrote Hamlet?")')
    agent = create_llmorch_agent(ScriptedChatModel(script), [share_price], check_plans=True)
    out = agent.invoke({"messages": [("user", "Who wrote Hamlet?")]})
    kinds = [kind for kind, _ in script.requests]
    assert kinds[0] == "plan"
    assert "repair" not in kinds  # the scripted answer's numbers may be sent back: not a repair
    assert out["doubts"] == []


@inout
def food_per_day(animal: str) -> int:
    """Look up how many grams of food an animal eats a day."""
    return 35


@inout
def lifespan(species: str) -> int:
    """Look up how many years a species usually lives."""
    return 50


@inout
def litres_per_100km(model: str) -> float:
    """Look up how many litres of fuel a car model uses per 100 kilometres."""
    return 4.4


@inout
def fuel_for(model: str, km: float) -> float:
    """Litres of fuel a car model uses on a drive of a number of kilometres."""
    return 11.0


def test_a_call_moved_onto_one_the_plan_has_runs_once_without_a_repair() -> None:
    script = Script('s1: food_per_day(animal="parrot")\ns2: lifespan(species="parrot")')
    agent = create_llmorch_agent(
        ScriptedChatModel(script), [food_per_day, lifespan], check_plans=True
    )
    out = agent.invoke({"messages": [("user", "How many grams of food does a parrot eat?")]})
    assert [kind for kind, _ in script.requests] == ["plan", "join"]
    assert out["plan"] == 's1: food_per_day(animal="parrot")'


@pytest.mark.parametrize(
    "question",
    [
        "Which uses more fuel per 100 km, the Pixa or the Cresta?",  # a rate's base
        "How many litres does the Pixa use on a 250 km drive? And the Cresta?",  # scaled
    ],
)
def test_a_rate_s_base_and_an_amount_in_its_unit_are_no_unused_numbers(question: str) -> None:
    tools = [litres_per_100km, fuel_for]  # a tool that takes a number: numbers are asked
    plan = parse_plan('s1: litres_per_100km(model="Pixa")\ns2: litres_per_100km(model="Cresta")')
    doubts = plan_doubts(
        plan,
        question,
        tool_defaults(tools),
        question=question,
        vocabulary=tool_vocabulary(tools),
        inputs=tool_inputs(tools),
        tools=tools,
    )
    assert [d for d in doubts if d.startswith("the question gives")] == []
    # A number in no rate's unit is still asked for.
    other = "How many litres does the Pixa use on a 3 hour drive? And the Cresta?"
    doubts = plan_doubts(plan, other, {}, question=other, inputs=tool_inputs(tools), tools=tools)
    assert "the question gives 3, but no call uses it" in doubts


@inout
def rating(model: str) -> float:
    """A car model's efficiency rating."""
    return 7.0


def test_a_rate_s_base_is_no_amount_whatever_the_tools_say() -> None:
    tools = [rating, fuel_for]
    plan = parse_plan('s1: rating(model="Pixa")\ns2: rating(model="Cresta")')
    question = "Which has the better rating per 100 km, the Pixa or the Cresta?"
    doubts = plan_doubts(plan, question, {}, question=question, inputs=tool_inputs(tools))
    assert doubts == []
    asked = "Which has the better rating over 100 km, the Pixa or the Cresta?"
    assert plan_doubts(plan, asked, {}, question=asked, inputs=tool_inputs(tools)) == [
        "the question gives 100, but no call uses it"
    ]


def test_a_repaired_plan_is_put_right_without_another_request() -> None:

    from langchain_llmorch import create_llmorch_agent
    from langchain_llmorch.local.server import EMBEDDED_MARK
    from langchain_llmorch.testing import ScriptedChatModel, request_kind

    @inout
    def tree_count(orchard: str) -> int:
        """Look up how many trees an orchard has."""
        return {"Quillby": 1575, "Harrow Hill": 2150}[orchard]

    @inout
    def apple_price(orchard: str) -> float:
        """Look up what one kilogram of an orchard's apples costs."""
        return {"Quillby": 2.9, "Harrow Hill": 4.1}[orchard]

    kinds: list[str] = []

    def script(messages: Any) -> str:
        kinds.append(request_kind(messages))
        if kinds[-1] == "plan":
            return 's1: self(prompt="How much more?")'  # no call: doubted, repaired
        if kinds[-1] == "repair":  # worse: both trees
            return 's1: tree_count(orchard="Quillby")\ns2: tree_count(orchard="Harrow Hill")'
        return "A kilo costs 1.2 more at Harrow Hill."

    model = ScriptedChatModel(script, metadata={EMBEDDED_MARK: "qwen"})
    agent = create_llmorch_agent(model, [tree_count, apple_price], append_results=False)
    question = "How much more does a kilo of Harrow Hill apples cost than Quillby's?"
    out: Any = agent.invoke({"messages": [("user", question)]})
    assert kinds.count("repair") == 1
    assert out["plan"] == (
        's1: apple_price(orchard="Quillby")\ns2: apple_price(orchard="Harrow Hill")'
    )
