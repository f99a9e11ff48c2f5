"""Text plans under a llama.cpp grammar made from the tools (`local.grammar`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult

from langchain_llmorch import compute, create_llmorch_agent, inout
from langchain_llmorch.agent.prompts import GRAMMAR_PLAN_RULES, PLAN_RULES
from langchain_llmorch.errors import OptionValueError
from langchain_llmorch.local.grammar import plan_grammar
from langchain_llmorch.local.server import EMBEDDED_MARK
from langchain_llmorch.testing import ScriptedChatModel, request_kind
from tests.unit_tests.local.test_answer_grammar import _allows


@inout
def height(mountain: str) -> int:
    """The height of a mountain, in metres."""
    return {"K2": 8611, "Denali": 6190}[mountain]


@compute
def energy(appliance: str, hours: float, rounded: bool = False) -> float:
    """Kilowatt-hours an appliance uses in some hours."""
    return 1.5 * hours if not rounded else round(1.5 * hours)


def _rules(grammar: str) -> dict[str, str]:
    return dict(line.split(" ::= ", 1) for line in grammar.splitlines() if " ::= " in line)


def test_each_tool_is_called_with_its_own_arguments_in_order() -> None:
    rules = _rules(plan_grammar([height, energy], max_steps=3))
    assert rules["t0-1"] == '"height(" "mountain=" txt1 ")"'
    # required first, the optional one may follow; step 1 may refer to nothing
    assert rules["t1-1"] == '"energy(" "appliance=" txt1 ", hours=" num (", rounded=" bool)? ")"'
    assert rules["t1-3"].count("ref3") == 3


def test_ids_come_in_order_and_refer_only_to_earlier_ones() -> None:
    rules = _rules(plan_grammar([height], max_steps=3))
    assert rules["root"] == "step1"
    assert rules["step1"] == '"s1: " call1 "\\n" (step2 | end)'
    assert rules["step3"] == '"s3: " call3 "\\n" end'
    assert rules["ref3"] == '"s1" | "s2"'
    assert "ref1" not in rules
    assert rules["end"] == '"<END_OF_PLAN>"'


def test_every_rule_used_is_defined() -> None:
    grammar = plan_grammar([height, energy])
    rules = _rules(grammar)
    bare = re.sub(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[0-9,]*\}', " ", " ".join(rules.values()))
    used = set(re.findall(r"[a-z][a-z0-9-]*", bare))
    assert used <= set(rules), used - set(rules)


@pytest.mark.parametrize(("tools", "steps"), [([], 8), ([height], 0)])
def test_no_tool_or_no_step_is_a_clear_error(tools: list[Any], steps: int) -> None:
    with pytest.raises(OptionValueError, match="at least"):
        plan_grammar(tools, max_steps=steps)


SENT: list[tuple[str, dict[str, Any], str]] = []


class Recording(ScriptedChatModel):
    """Records each request's kind, keyword arguments and first message."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        kind = (run_manager.metadata if run_manager else {}).get("llmorch_request", "?")
        SENT.append((kind, {"stop": stop, **kwargs}, messages[0].text))
        return super()._generate(messages, stop, run_manager, **kwargs)


def _script(messages: list[BaseMessage]) -> str:
    if request_kind(messages) == "plan":
        return 's1: height(mountain="K2")\ns2: height(mountain="Denali")\n'
    return "K2 is 8611 metres high and Denali 6190."


@pytest.mark.parametrize(
    ("embedded", "option", "sent"),
    [(True, None, True), (False, None, False), (True, False, False), (False, True, True)],
)
def test_text_plans_carry_the_grammar_for_the_embedded_model_or_when_asked(
    *, embedded: bool, option: bool | None, sent: bool
) -> None:
    SENT.clear()
    metadata = {EMBEDDED_MARK: "qwen"} if embedded else {}
    model = Recording(_script, metadata=metadata)
    agent = create_llmorch_agent(model, [height], planning="text", plan_grammar=option)
    agent.invoke({"messages": [("user", "How high are K2 and Denali?")]})
    kinds = [kind for kind, _, _ in SENT]
    assert kinds == ["plan", "join"]
    (_, plan, system), (_, join, _) = SENT
    assert plan["stop"] == ["<END_OF_PLAN>"]
    assert ("extra_body" in plan) is sent
    # the answer goes under its own grammar (`answer_grammar`), never the plan's
    assert "call1" not in join.get("extra_body", {}).get("grammar", "")
    if sent:  # the grammar, and a prompt that asks for the calls only
        assert '"height(" "mountain="' in plan["extra_body"]["grammar"]
        assert GRAMMAR_PLAN_RULES in system
        assert "self(" not in system.split("Example 1", 1)[1]
    else:
        assert PLAN_RULES in system


@pytest.mark.parametrize(
    ("embedded", "option", "planning"),
    [
        (True, None, "text"),
        (True, False, "structured"),
        (False, None, "structured"),
        (False, True, "text"),
    ],
)
def test_auto_planning_is_text_when_plans_go_under_the_grammar(
    *, embedded: bool, option: bool | None, planning: str
) -> None:
    from langchain_openai import ChatOpenAI

    from langchain_llmorch import Orchestrator
    from langchain_llmorch.agent.options import AgentOptions
    from langchain_llmorch.agent.state import AgentContext

    metadata = {EMBEDDED_MARK: "qwen"} if embedded else {}
    model = ChatOpenAI(model="m", api_key="x", metadata=metadata)  # type: ignore[arg-type]
    options = AgentOptions(plan_grammar=option)
    assert AgentContext.build(model, [height], Orchestrator(), options).planning == planning


def _text_grammar(grammar: str, step: int) -> str:
    """Step `step`'s text rule and its references, `{0,N}` read as `*`, as the root."""
    rules = _rules(grammar)
    body = re.sub(r"\{0,\d+\}", "*", rules[f"txt{step}"])
    refs = [f"ref{step} ::= {rules[f'ref{step}']}"] if f"ref{step}" in rules else []
    return "\n".join([f"root ::= {body}", *refs])


@pytest.mark.parametrize(
    ("step", "text", "allowed"),
    [
        (1, '"Average of 6 and 2"', True),
        (1, '"Average of {s1} and {s2}"', False),  # itself and a later call: never valid
        (2, '"Average of {s1}"', True),
        (2, '"Average of {s2}"', False),
        (3, '"{s1} and {s2}"', True),
        (3, '"a {name} template"', False),  # the embedded model's texts hold no other braces
    ],
)
def test_a_text_holds_braces_only_around_an_earlier_id(
    step: int, text: str, *, allowed: bool
) -> None:
    grammar = plan_grammar([height], max_steps=3)
    assert _allows(_text_grammar(grammar, step), text) is allowed


@inout
def cooking_minutes(dish: str, servings: int) -> int:
    """How many minutes it takes to cook a dish for a number of servings."""
    return {"dal": 47, "risotto": 31}[dish]


def _self_then_tools(messages: list[BaseMessage]) -> str:
    kind = request_kind(messages)
    if kind == "plan":
        return 's1: self(prompt="Which takes longer?")\n'
    if kind == "repair":
        return 's1: cooking_minutes(dish="dal", servings=6)\n'
    return "Dal takes 47 minutes."


def test_a_repair_that_must_call_a_tool_may_call_only_those_that_fit() -> None:
    SENT.clear()
    model = Recording(_self_then_tools, metadata={EMBEDDED_MARK: "qwen"})
    agent = create_llmorch_agent(model, [height, cooking_minutes], planning="text")
    out: Any = agent.invoke(
        {"messages": [("user", "How long does dal for 6 servings take to cook?")]}
    )
    (plan_kind, plan, _), (repair_kind, repair, _), *_ = SENT
    assert (plan_kind, repair_kind) == ("plan", "repair")
    assert "self(" in plan["extra_body"]["grammar"]
    assert '"height("' in plan["extra_body"]["grammar"]
    grammar = repair["extra_body"]["grammar"]
    assert '"cooking_minutes("' in grammar
    assert "self(" not in grammar
    assert '"height("' not in grammar
    assert out["messages"][-1].text.startswith("Dal takes 47 minutes")
