"""Sentences of the prompts' own instructions copied into an answer are taken out."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.agent.claims import correction_request
from langchain_llmorch.agent.echoes import is_echo, without_echoes
from langchain_llmorch.agent.prompts import ANSWER_INSTRUCTIONS
from langchain_llmorch.testing import ScriptedChatModel, request_kind


@inout
def bridge_length(bridge: str) -> float:
    """Look up a bridge's length in metres."""
    return {"Tower": 244.0, "Forth": 2529.0}[bridge]


def test_a_joiner_instruction_echoed_in_the_middle_is_removed() -> None:
    said = (
        "Forth is longer. The question asks which is larger or smaller: say it, with both "
        "numbers. Forth (2529) is larger than Tower (244)."
    )
    assert without_echoes(said) == "Forth is longer. Forth (2529) is larger than Tower (244)."


def test_every_sentence_of_the_fixed_instructions_counts_as_an_echo() -> None:
    request = correction_request(["12"], [], {}, unstated=["a x 2 = 4"])
    texts = [*ANSWER_INSTRUCTIONS, request]
    sentences = [s for text in texts for s in text.replace("\n", " ").split(". ") if s]
    long_ones = [s for s in sentences if len(s.split()) >= 5]
    assert long_ones
    assert all(is_echo(s) for s in long_ones), [s for s in long_ones if not is_echo(s)]


def test_answers_that_only_share_words_are_kept() -> None:
    said = "Tower Bridge is 244 metres long. Its result is not available yet, sadly, today."
    assert without_echoes(said) == said
    assert not is_echo("Answer again.")


def test_the_joiner_removes_an_echo_from_the_models_answer() -> None:
    answer = (
        "The Forth bridge is 2529 metres long. Write the number of every result exactly "
        "as it is given. The Tower bridge is 244 metres long."
    )

    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) in {"plan", "repair"}:
            return 's1: bridge_length(bridge="Forth")\ns2: bridge_length(bridge="Tower")'
        return answer

    agent = create_llmorch_agent(ScriptedChatModel(script), [bridge_length])
    out: dict[str, Any] = agent.invoke({"messages": [("user", "How long are Forth and Tower?")]})
    assert out["messages"][-1].text == (
        "The Forth bridge is 2529 metres long. The Tower bridge is 244 metres long."
    )


def test_a_loop_is_said_once_and_numbers_said_again_stay() -> None:
    from langchain_llmorch.agent.echoes import without_echoes, without_loops

    looped = "It failed." + " (no value for it)" * 30
    assert without_echoes(looped) == "It failed. (no value for it)"
    assert without_loops("Depths: 3.1, 3.1, 3.1 m.") == "Depths: 3.1, 3.1, 3.1 m."


@pytest.mark.parametrize(
    ("sentence", "echo"),
    [
        ("The number of every result exactly as it is given is", True),
        ("So: write the number of every result exactly as it is given.", True),
        ("The tower of Skellan Head is 31 metres high.", False),
        # The model's answer after a copied opening stays: most of the sentence is its own.
        ("The question asks which is larger or smaller, so the answer is Caldwick.", False),
    ],
)
def test_a_sentence_mostly_copied_from_the_instructions_is_an_echo(
    sentence: str, echo: bool
) -> None:
    assert is_echo(sentence) is echo
