"""Answers under a llama.cpp grammar made from the run (`local.answer_grammar`).

The grammar is regular, so the tests read it as a regular expression (`_as_regex`) to
check which answers it allows; one slow test asks the embedded model under it.
"""

from __future__ import annotations

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
    answer_constraint,
    answer_grammar,
    answer_numbers,
    differences,
    written_number,
)
from langchain_llmorch.local.server import EMBEDDED_MARK
from langchain_llmorch.testing import ScriptedChatModel, request_kind

# ------------------------------------------------------------------ the grammar as a regex

_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[a-z][a-z0-9-]*|[()|*?+])')


def _as_regex(grammar: str) -> re.Pattern[str]:
    """The (regular, non-recursive) GBNF `grammar` as a Python regular expression."""
    rules = dict(line.split(" ::= ", 1) for line in grammar.splitlines() if " ::= " in line)

    def expand(name: str, depth: int = 0) -> str:
        assert depth < 10, "a recursive rule"
        out = []
        for part in _TOKEN.findall(rules[name]):
            if part.startswith('"'):
                out.append(re.escape(json_unquote(part)))
            elif part.startswith("["):
                out.append(part)
            elif part[0].isalpha():
                out.append(f"(?:{expand(part, depth + 1)})")
            else:
                out.append("(?:" if part == "(" else part)
        return "".join(out)

    return re.compile(expand("root"), re.DOTALL)


def json_unquote(literal: str) -> str:
    import json

    text = json.loads(literal)
    assert isinstance(text, str)
    return text


def _allows(grammar: str, answer: str) -> bool:
    return _as_regex(grammar).fullmatch(answer) is not None


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


def test_a_comparison_may_say_by_how_much() -> None:
    _ask("Which is higher, K2 or Denali?", embedded=True)
    grammar = next(kwargs for kind, kwargs in SENT if kind == "join")["extra_body"]["grammar"]
    assert _allows(grammar, "K2 (8611) is 2421 m higher than Denali (6190).")


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
