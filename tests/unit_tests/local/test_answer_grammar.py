"""Answers under a llama.cpp grammar made from the run (`local.answer_grammar`).

The tests read the grammar with a small matcher of their own (`_Grammar`) to check which
answers it allows; one slow test asks the embedded model under it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatResult

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.agent.options import AgentOptions
from langchain_llmorch.errors import OptionTypeError, OptionValueError
from langchain_llmorch.local.answer_grammar import (
    MAX_NUMBERS,
    MAX_REQUIRED_TOKENS,
    answer_constraint,
    answer_grammar,
    answer_numbers,
    differences,
    written_number,
)
from langchain_llmorch.local.server import EMBEDDED_MARK
from langchain_llmorch.testing import ScriptedChatModel, request_kind

# ------------------------------------------------------------------ reading the grammar

_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[a-z][a-z0-9-]*|[()|*?+])')


class _Grammar:
    """A matcher for the GBNF subset the answer grammar uses (no left recursion).

    `ends(node, pos)` is the set of positions where `node` can stop when it starts at
    `pos`: literals, character classes, rule names, groups, `|`, `*` and `?`.
    """

    def __init__(self, grammar: str, text: str) -> None:
        self.text = text
        self.rules = {
            name: self._parse(_TOKEN.findall(body))
            for name, body in (
                line.split(" ::= ", 1) for line in grammar.splitlines() if " ::= " in line
            )
        }
        self.memo: dict[tuple[str, int], frozenset[int]] = {}

    def _parse(self, tokens: list[str]) -> Any:
        def alternatives() -> Any:
            options = [sequence()]
            while tokens and tokens[0] == "|":
                tokens.pop(0)
                options.append(sequence())
            return ("alt", options)

        def sequence() -> Any:
            items = []
            while tokens and tokens[0] not in {"|", ")"}:
                part = tokens.pop(0)
                item: Any
                if part == "(":
                    item = alternatives()
                    assert tokens.pop(0) == ")"
                elif part.startswith('"'):
                    item = ("lit", json.loads(part))
                elif part.startswith("["):
                    item = ("class", re.compile(part))
                else:
                    item = ("ref", part)
                if tokens and tokens[0] in {"*", "?"}:
                    item = (tokens.pop(0), item)
                items.append(item)
            return ("seq", items)

        return alternatives()

    def ends(self, node: Any, pos: int) -> frozenset[int]:
        kind = node[0]
        if kind == "lit":
            hit = self.text.startswith(node[1], pos)
            return frozenset({pos + len(node[1])} if hit else ())
        if kind == "class":
            hit = pos < len(self.text) and node[1].fullmatch(self.text[pos])
            return frozenset({pos + 1} if hit else ())
        if kind == "ref":
            key = (node[1], pos)
            if key not in self.memo:
                self.memo[key] = frozenset()
                self.memo[key] = self.ends(self.rules[node[1]], pos)
            return self.memo[key]
        if kind == "alt":
            return frozenset().union(*(self.ends(option, pos) for option in node[1]))
        if kind == "seq":
            now = frozenset({pos})
            for item in node[1]:
                now = frozenset().union(*(self.ends(item, p) for p in now))
            return now
        if kind == "?":
            return frozenset({pos}) | self.ends(node[1], pos)
        assert kind == "*"
        found, todo = {pos}, [pos]
        while todo:
            for end in self.ends(node[1], todo.pop()):
                if end not in found:
                    found.add(end)
                    todo.append(end)
        return frozenset(found)


def _allows(grammar: str, answer: str) -> bool:
    return len(answer) in _Grammar(grammar, answer).ends(("ref", "root"), 0)


GRAMMAR = answer_grammar(answer_numbers(["K2 = 8611", "Denali = 6190", "oats 3.89 x 250"]))


@pytest.mark.parametrize(
    "answer",
    [
        "K2 is 8611 metres high, Denali 6190.",
        "K2 (8,611 m) is higher than Denali (6,190 m)",
        "It is 3.89. So 250 grams hold it",
        "No numbers at all, just words!",
        "8611",
        "",
        "-3.89, then 250,",
    ],
)
def test_answers_with_numbers_of_the_run_are_allowed(answer: str) -> None:
    assert _allows(GRAMMAR, answer)


@pytest.mark.parametrize(
    "answer",
    [
        "K2 is 8612 metres high.",  # invented
        "Denali is 6200 m.",  # rounded to a value nobody gave
        "It is 3.9 per gram.",  # misquoted
        "3250 kilocalories.",  # two allowed numbers run together
        "3.250",
        "250,3",
        "The total is 9724.",
        "8611.5",
    ],
)
def test_answers_with_any_other_number_are_not(answer: str) -> None:
    assert not _allows(GRAMMAR, answer)


def test_no_number_allows_no_digit() -> None:
    grammar = answer_grammar([])
    assert _allows(grammar, "Yes, Paris is in France.")
    assert not _allows(grammar, "Yes, 1 city.")


REQUIRED = answer_grammar(["7", "8611", "6190"], required=[["8611", "8,611"], ["6190"]])


@pytest.mark.parametrize(
    ("answer", "allowed"),
    [
        ("Everest is 8611 m and Denali 6190 m.", True),
        ("Denali: 6190, Everest: 8,611", True),
        ("6190 and 8611 and 7 and 6190 again", True),
        ("Everest is 8611 m.", False),  # Denali's height left out
        ("Denali is 6190 m, Everest 8612 m.", False),
        ("Both are high.", False),
        ("Everest is 86110 m and Denali 6190 m.", False),
    ],
)
def test_required_numbers_must_each_be_written_in_any_order(answer: str, *, allowed: bool) -> None:
    assert _allows(REQUIRED, answer) is allowed


def test_a_required_number_is_allowed_even_if_not_listed() -> None:
    grammar = answer_grammar([], required=[["42.16", "42.1648"]])
    assert _allows(grammar, "It is 42.16 km.")
    assert not _allows(grammar, "It is 42 km.")
    with pytest.raises(OptionValueError, match="requires at most"):
        answer_grammar(["1"], required=[["1"]] * 4)
    with pytest.raises(OptionValueError, match="requires at most"):
        answer_grammar(["1"], required=[[]])


def test_numbers_come_as_written_rounded_and_grouped_each_once() -> None:
    found = answer_numbers(["a = 42.1648128, b = 1,609,344 and 1609344, c = 7"], [972.5, 7.0])
    assert found == [
        "42.1648128",
        "42.16",
        "1",
        "609",
        "344",
        "1609344",
        "1,609,344",
        "7",
        "972.5",
        "7.0",
    ]


@pytest.mark.parametrize(
    ("value", "written"),
    [(972.5, "972.5"), (1735.0, "1735"), (-2, "2"), (float("nan"), None), (1e-7, None)],
)
def test_written_number(value: float, written: str | None) -> None:
    assert written_number(value) == written


def test_differences_of_each_pair_rounded_as_the_results_are_written() -> None:
    assert differences([[8.87, 3.72]]) == [5.15]
    assert differences([[8611, 8586], [1.5]]) == [25]
    assert differences([[1, 2, 3, 4, 5]]) == []  # too many to list every pair


def test_too_many_or_bad_numbers_are_a_clear_error() -> None:
    with pytest.raises(OptionValueError, match="at most"):
        answer_grammar([str(n) for n in range(MAX_NUMBERS + 1)])
    with pytest.raises(ValueError, match="not numbers"):
        answer_grammar(["12", '1" | "x'])


def test_the_constraint_skips_the_instructions_and_gives_up_on_long_results() -> None:
    sent = answer_constraint([SystemMessage("Say it in 2 words."), HumanMessage("x = 14")])
    assert sent is not None
    grammar = sent["extra_body"]["grammar"]
    assert _allows(grammar, "x is 14")
    assert not _allows(grammar, "x is 2")
    many = HumanMessage(", ".join(str(n) for n in range(1000, 1000 + MAX_NUMBERS)))
    assert answer_constraint([many]) is None


# ------------------------------------------------------------------ in the agent

SENT: list[tuple[str, dict[str, Any]]] = []


@inout
def height(mountain: str) -> int:
    """The height of a mountain, in metres."""
    return {"K2": 8611, "Denali": 6190}[mountain]


class Recording(ScriptedChatModel):
    """Records each request's kind and keyword arguments; refuses grammars if told to."""

    refuse: bool = False

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        kind = (run_manager.metadata if run_manager else {}).get("llmorch_request", "?")
        SENT.append((kind, kwargs))
        if self.refuse and kind == "join" and "extra_body" in kwargs:
            msg = "failed to parse grammar"
            raise ValueError(msg)
        return super()._generate(messages, stop, run_manager, **kwargs)


def _script(messages: list[BaseMessage]) -> str:
    if request_kind() == "plan":
        return 's1: height(mountain="K2")\ns2: height(mountain="Denali")\n'
    return "K2 is 8611 metres high and Denali 6190."


def _ask(
    question: str = "How high are K2 and Denali?",
    *,
    embedded: bool,
    refuse: bool = False,
    **options: Any,
) -> str:
    SENT.clear()
    metadata = {EMBEDDED_MARK: "qwen"} if embedded else {}
    model = Recording(_script, metadata=metadata, refuse=refuse)
    agent = create_llmorch_agent(model, [height], planning="text", **options)
    out = agent.invoke({"messages": [("user", question)]})
    return str(out["messages"][-1].text)


@pytest.mark.parametrize(
    ("embedded", "option", "sent"),
    [(True, None, True), (False, None, False), (True, False, False), (False, True, True)],
)
def test_the_answer_carries_the_grammar_for_the_embedded_model_or_when_asked(
    *, embedded: bool, option: bool | None, sent: bool
) -> None:
    answer = _ask(embedded=embedded, answer_grammar=option)
    assert answer.startswith("K2 is 8611 metres high and Denali 6190.")
    joins = [kwargs for kind, kwargs in SENT if kind == "join"]
    assert joins
    for kwargs in joins:
        assert ("extra_body" in kwargs) is sent
    if sent:
        grammar = joins[0]["extra_body"]["grammar"]
        assert _allows(grammar, "K2 (8611) is higher than Denali (6190).")
        assert not _allows(grammar, "K2 is 8610 metres high.")
        assert not _allows(grammar, "K2 is 2421 m higher.")
        # with the answer checks (the embedded model's default) every result must be said
        assert _allows(grammar, "K2 is 8611 m high.") is not embedded


def test_a_comparison_may_say_by_how_much() -> None:
    _ask("Which is higher, K2 or Denali?", embedded=True)
    grammar = next(kwargs for kind, kwargs in SENT if kind == "join")["extra_body"]["grammar"]
    assert _allows(grammar, "K2 (8611) is 2421 m higher than Denali (6190).")


@inout
def factor(unit: str) -> float:
    """Kilometres in one of a unit."""
    return {"mile": 1.609344}[unit]


def test_an_amount_is_required_and_the_other_results_but_not_the_rate() -> None:
    SENT.clear()

    def script(messages: list[BaseMessage]) -> str:
        if request_kind() == "plan":
            return 's1: factor(unit="mile")\ns2: height(mountain="K2")\n'
        return "26.2 miles are 42.16 km, and K2 is 8611 m high."

    model = Recording(script, metadata={EMBEDDED_MARK: "qwen"})
    agent = create_llmorch_agent(model, [height, factor], planning="text")
    question = "How many kilometres are 26.2 miles, and how high is K2?"
    agent.invoke({"messages": [("user", question)]})
    grammar = next(kwargs for kind, kwargs in SENT if kind == "join")["extra_body"]["grammar"]
    assert _allows(grammar, "K2 is 8611 m; 26.2 miles are 42.16 km.")
    assert _allows(grammar, "26.2 miles are 42.1648128 km and K2 8,611 m.")
    assert not _allows(grammar, "26.2 miles are 42.16 km.")  # K2 left out
    assert not _allows(grammar, "K2 is 8611 m and a mile 1.609344 km.")  # no amount


def test_a_whole_float_result_may_be_written_as_the_results_write_it() -> None:
    SENT.clear()

    @inout
    def energy(hours: int) -> float:
        """Kilowatt-hours a heater uses."""
        return 1.5 * hours

    def script(messages: list[BaseMessage]) -> str:
        if request_kind() == "plan":
            return "s1: energy(hours=6)\n"
        return "It uses 9.0 kWh."

    model = Recording(script, metadata={EMBEDDED_MARK: "qwen"})
    agent = create_llmorch_agent(model, [energy], planning="text")
    agent.invoke({"messages": [("user", "How many kWh does a heater use in 6 hours?")]})
    sent = next(kwargs for kind, kwargs in SENT if kind == "join")
    grammar = sent["extra_body"]["grammar"]
    assert _allows(grammar, "It uses 9.0 kWh in 6 hours.")
    assert _allows(grammar, "It uses 9 kWh.")
    assert not _allows(grammar, "It uses a lot in 6 hours.")
    assert sent["max_tokens"] == MAX_REQUIRED_TOKENS  # required numbers: a short answer


def test_a_grammar_the_server_refuses_is_dropped_for_that_answer() -> None:
    answer = _ask(embedded=True, refuse=True)
    assert answer.startswith("K2 is 8611 metres high and Denali 6190.")
    joins = [("extra_body" in kwargs) for kind, kwargs in SENT if kind == "join"]
    assert joins == [True, False]


def test_the_option_is_checked() -> None:
    assert AgentOptions().answer_grammar is None
    with pytest.raises(OptionTypeError, match="answer_grammar"):
        AgentOptions(answer_grammar="yes")  # type: ignore[arg-type]


# ------------------------------------------------------------------ the embedded model


@pytest.mark.slow
def test_the_embedded_model_writes_only_numbers_of_the_run() -> None:
    from langchain_llmorch.local import LocalModelNotAvailableError, local_chat_model

    try:
        model = local_chat_model(max_tokens=60)
    except LocalModelNotAvailableError as err:
        pytest.skip(f"local model not available: {err}")
    request = [HumanMessage("Results: speed = 17.3. What is the speed? Add 5 to it.")]
    sent = answer_constraint(request)
    assert sent is not None
    text = str(model.bind(**sent).invoke(request).content)
    assert set(re.findall(r"\d+(?:\.\d+)?", text)) <= {"17.3", "5"}, text
