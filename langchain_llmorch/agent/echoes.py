"""Sentences of our own instructions that a model copied into its answer, taken out.

A small model sometimes repeats a line of the joiner's prompt or of a send-back request
("The question asks which is larger or smaller: say it, with both numbers.") as if it
were part of the answer. `without_echoes` removes each sentence of an answer that is a
piece of that fixed instruction text (or opens as a send-back sentence does), and keeps
the rest as written.

Example:
    ```python
    from langchain_llmorch.agent.echoes import without_echoes

    said = "Astra has more seats. Answer again in one or two full sentences. Rex has 140."
    assert without_echoes(said) == "Astra has more seats. Rex has 140."
    ```
"""

from __future__ import annotations

import re

from langchain_llmorch.agent.claims import CORRECTION_INSTRUCTIONS, CORRECTION_OPENINGS
from langchain_llmorch.agent.prompts import ANSWER_INSTRUCTIONS

# A sentence this short ("Answer again.") may be the model's own; a longer one that is a
# run of the instruction's words is an echo.
_MIN_WORDS = 5
_WORD = re.compile(r"[a-z0-9]+")
# A sentence and the space after it (a point before a space or the end; a line break).
_SENTENCE = re.compile(r".*?(?:[.!?](?=\s|$)|\n|$)\s*", re.DOTALL)


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


_INSTRUCTIONS = tuple(
    f" {_words(text)} " for text in (*ANSWER_INSTRUCTIONS, *CORRECTION_INSTRUCTIONS)
)
_OPENINGS = tuple(_words(text) + " " for text in CORRECTION_OPENINGS)


def is_echo(sentence: str) -> bool:
    """Whether `sentence` repeats our fixed instruction text rather than answering.

    Example:
        ```python
        from langchain_llmorch.agent.echoes import is_echo

        assert is_echo("The question asks which is larger or smaller: say it.")
        assert is_echo("The number of every result exactly as it is given is")
        assert not is_echo("The Astra has 180 seats.")
        ```
    """
    words = _words(sentence)
    if not words:
        return False
    if any(words.startswith(opening) for opening in _OPENINGS):
        return True
    if len(words.split()) >= _MIN_WORDS and any(f" {words} " in t for t in _INSTRUCTIONS):
        return True
    return _mostly_copied(words.split())


# A run this long of the instructions' words, making up this much of a sentence, is an
# echo with a word or two of the model's around it ("The number of every result exactly
# as it is given is").
_LONG_RUN = 6
_COPIED_SHARE = 0.7


def _mostly_copied(words: list[str]) -> bool:
    """Whether a long run of `words` is the instructions' and most of the sentence."""
    for size in range(len(words), _LONG_RUN - 1, -1):
        if size < _COPIED_SHARE * len(words):
            return False
        for start in range(len(words) - size + 1):
            run = " " + " ".join(words[start : start + size]) + " "
            if any(run in text for text in _INSTRUCTIONS):
                return True
    return False


def sentences(text: str) -> list[str]:
    """`text`'s sentences, each with the space after it: joined, they are `text` again.

    A sentence ends at a point before a space or the end ("2.35" is one number), or at a
    line break.

    Example:
        ```python
        from langchain_llmorch.agent.echoes import sentences

        said = "It is 2.35 euros. Done.\\nNext"
        assert sentences(said) == ["It is 2.35 euros. ", "Done.\\n", "Next"]
        ```
    """
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each of `text`'s sentences (`sentences`) starts and ends.

    Example:
        ```python
        from langchain_llmorch.agent.echoes import sentence_spans

        assert sentence_spans("It is 2.35 euros. Done.") == [(0, 18), (18, 23)]
        ```
    """
    return [m.span() for m in _SENTENCE.finditer(text) if m.group(0)]


# A piece of text said three or more times in a row: a small model's loop.
_LOOP = re.compile(r"(\S.{2,79}?)(?:\s*\1){2,}", re.DOTALL)
_A_WORD = re.compile(r"[A-Za-z]{2,}")


def without_loops(answer: str) -> str:
    """`answer` with a piece it says three or more times in a row said once.

    Example:
        ```python
        from langchain_llmorch.agent.echoes import without_loops

        said = "It failed (no value for it) (no value for it) (no value for it) (no"
        assert without_loops(said) == "It failed (no value for it) (no"
        assert without_loops("It is 111 metres.") == "It is 111 metres."
        assert without_loops("They hold 1, 1, 1, 2 boats.") == "They hold 1, 1, 1, 2 boats."
        ```
    """
    # A piece with a word only: numbers said again ("1, 1, 1") may be the values.
    return _LOOP.sub(lambda m: m.group(1) if _A_WORD.search(m.group(1)) else m.group(0), answer)


def without_echoes(answer: str) -> str:
    """`answer` without loops (`without_loops`) nor sentences echoing our instructions."""
    answer = without_loops(answer)
    pieces = sentences(answer)
    kept = [piece for piece in pieces if not is_echo(piece)]
    return answer if len(kept) == len(pieces) else "".join(kept).strip()


def once_each(answer: str) -> str:
    """`answer` with a sentence it repeats word for word written once.

    Example:
        ```python
        from langchain_llmorch.agent.echoes import once_each

        said = "Paradiso holds more. Paradiso holds more. Roxy holds 500."
        assert once_each(said) == "Paradiso holds more. Roxy holds 500."
        ```
    """
    pieces = sentences(answer)
    seen: set[str] = set()
    kept = []
    for piece in pieces:
        key = _words(piece)
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(piece)
    return answer if len(kept) == len(pieces) else "".join(kept).strip()


__all__ = [
    "is_echo",
    "once_each",
    "sentence_spans",
    "sentences",
    "without_echoes",
    "without_loops",
]
