"""Plans under the grammar may give calls only the numbers the user gave (`given_numbers`)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatResult

from langchain_llmorch import compute, create_llmorch_agent
from langchain_llmorch.agent.prompts import REPAIR_HEAD
from langchain_llmorch.local.grammar import (
    MAX_NUMBERS,
    given_numbers,
    numbers_given,
    plan_grammar,
)
from langchain_llmorch.local.server import EMBEDDED_MARK
from langchain_llmorch.testing import ScriptedChatModel, request_kind
from tests.unit_tests.local.test_answer_grammar import _allows


@compute
def energy(appliance: str, hours: float, days: int = 30) -> float:
    """Kilowatt-hours an appliance uses running for `hours` hours a day."""
    return {"kettle": 2.2}[appliance] * hours


def _number_grammar(grammar: str, rule: str) -> str:
    """Only the number rules of a plan grammar, with `rule` as the root."""
    lines = [line for line in grammar.splitlines() if line.startswith(("int ::=", "num ::="))]
    return "\n".join([f"root ::= {rule}", *lines])


@pytest.mark.parametrize(
    ("written", "rule", "allowed"),
    [
        ("2", "num", True),
        ("26.2", "num", True),
        ("-2", "num", True),
        ("0", "int", True),
        ("2.5", "num", False),  # the examples' sample value, never given
        ("3.0", "num", False),
        ("26.2", "int", False),  # not a whole number
        ("262", "num", False),
    ],
)
def test_only_the_given_numbers_can_be_written(written: str, rule: str, *, allowed: bool) -> None:
    grammar = plan_grammar([energy], numbers={2.0, 26.2})
    assert _allows(_number_grammar(grammar, rule), written) is allowed


def test_without_numbers_or_with_too_many_any_number_goes() -> None:
    for numbers in (None, set(map(float, range(MAX_NUMBERS + 1)))):
        grammar = plan_grammar([energy], numbers=numbers)
        assert 'num ::= "-"? [0-9]{1,15}' in grammar


def test_numbers_are_read_in_digits_in_names_and_in_words() -> None:
    found = numbers_given("Run it for two hours, 1,500.5 times, a dozen K2 trips, half a day")
    assert {2.0, 1500.5, 12.0, 0.5} <= found
    assert 3.0 not in found
    assert numbers_given("Add 3/4 cup at 20% more, 1/0 of it") == {3, 4, 0.75, 20, 0.2, 1, 0}


def test_given_numbers_are_the_users_the_defaults_and_one_not_a_repair_requests() -> None:
    messages = [
        SystemMessage("Example: s1: energy(appliance='x', hours=2.5)"),
        HumanMessage("How much does a kettle use in 2 hours?"),
        AIMessage("It uses 4.4 kWh, 7 times"),
        HumanMessage(f"{REPAIR_HEAD}\n\ns1: energy(appliance='kettle', hours=2.5)"),
    ]
    assert given_numbers(messages, [energy]) == {1.0, 2.0, 30.0}


SENT: list[tuple[str, dict[str, Any]]] = []


class Recording(ScriptedChatModel):
    """Records each request's kind and keyword arguments."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        kind = (run_manager.metadata if run_manager else {}).get("llmorch_request", "?")
        SENT.append((kind, kwargs))
        return super()._generate(messages, stop, run_manager, **kwargs)


def _script(messages: list[BaseMessage]) -> str:
    if request_kind(messages) == "plan":
        return 's1: energy(appliance="kettle", hours=2)\n'
    return "A kettle uses 4.4 kWh in 2 hours."


def test_the_embedded_models_plan_request_carries_the_questions_numbers() -> None:
    SENT.clear()
    model = Recording(_script, metadata={EMBEDDED_MARK: "qwen"})
    agent = create_llmorch_agent(model, [energy], planning="text")
    agent.invoke({"messages": [("user", "How much does a kettle use in 2 hours?")]})
    (kind, sent), *_ = SENT
    assert kind == "plan"
    grammar = sent["extra_body"]["grammar"]
    assert 'num ::= "-"? ("0" | "1" | "2" | "30")' in grammar
    assert _allows(_number_grammar(grammar, "num"), "2")
    assert not _allows(_number_grammar(grammar, "num"), "2.5")
