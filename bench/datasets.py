"""Offline benchmark datasets and LLMCompiler's answer scorer.

The files live in `bench/data/` (see the README there for sources and licenses) and are read
with `importlib.resources`, so they load wherever `bench` is imported from. Every loader is
cached: the first call parses the file, later calls return the same immutable object.

Example:
    ```python
    from bench.datasets import load_parallelqa, score_answer

    item = load_parallelqa()[82]
    assert item.id == "83"
    assert score_answer("488.0", item.answer)
    ```
"""

from __future__ import annotations

import gzip
import json
import re
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "HotpotQAItem",
    "MovieRecItem",
    "Paragraph",
    "ParallelQAItem",
    "load_hotpotqa",
    "load_movierec",
    "load_parallelqa",
    "load_wiki",
    "normalize_answer",
    "score_answer",
]

_DATA = "data"


@dataclass(frozen=True, slots=True)
class ParallelQAItem:
    """One ParallelQA question (LLMCompiler's dataset).

    Attributes:
        id: "1" to "113".
        question: the user query.
        answer: the label, always a string (73 of them numeric).
        branch: how many entities the question looks up in parallel (2 to 5).
    """

    id: str
    question: str
    answer: str
    branch: int


@dataclass(frozen=True, slots=True)
class MovieRecItem:
    """One movie-recommendation question (BIG-bench, as reformatted by LLMCompiler).

    Attributes:
        id: "0" to "499".
        question: 4 liked movies, then "Options:" and 4 candidate titles, one per line.
        answer: the correct option, verbatim.
    """

    id: str
    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One HotpotQA context paragraph.

    Attributes:
        title: the Wikipedia article title.
        text: the article's first paragraph.
        is_supporting: whether the paragraph is one of the question's two gold paragraphs.
    """

    title: str
    text: str
    is_supporting: bool


@dataclass(frozen=True, slots=True)
class HotpotQAItem:
    """One HotpotQA question with its distractor-setting paragraphs.

    Attributes:
        id: the HotpotQA `_id`.
        question: the question.
        answer: the label ("yes", "no", an entity, a year, a short phrase).
        contexts: the paragraphs (usually 10: 2 supporting, 8 distractors).
    """

    id: str
    question: str
    answer: str
    contexts: tuple[Paragraph, ...]


def _read_json(name: str) -> Any:
    raw = resources.files(__package__ or "bench").joinpath(_DATA, name)
    data = raw.read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    return json.loads(data)


@cache
def load_parallelqa() -> tuple[ParallelQAItem, ...]:
    """Load ParallelQA: all 113 questions, in order.

    Returns:
        The questions; `load_parallelqa()[i].id == str(i + 1)`.

    Example:
        ```python
        assert len(load_parallelqa()) == 113
        ```
    """
    return tuple(
        ParallelQAItem(str(r["id"]), r["question"], str(r["answer"]), int(r["branch"]))
        for r in _read_json("parallelqa.json")
    )


@cache
def load_movierec() -> tuple[MovieRecItem, ...]:
    """Load the movie-recommendation benchmark: all 500 questions, in order.

    Returns:
        The questions; `load_movierec()[i].id == str(i)`.

    Example:
        ```python
        item = load_movierec()[0]
        assert item.answer in item.question
        ```
    """
    return tuple(
        MovieRecItem(str(r["id"]), r["question"], r["answer"])
        for r in _read_json("movierec.json.gz")
    )


def load_hotpotqa(
    *, kind: Literal["comparison", "bridge"] = "comparison"
) -> tuple[HotpotQAItem, ...]:
    """Load 250 HotpotQA dev questions of one kind, each with its offline context paragraphs.

    The two kinds split IRCoT's 500-question subsample of the HotpotQA dev set: the 250
    questions that are in LLMCompiler's comparison benchmark, and the other 250 (HotpotQA's
    "bridge" questions, which chain two articles).

    Args:
        kind: `"comparison"` (the benchmark's questions, in the order of LLMCompiler's file)
            or `"bridge"` (in the order of IRCoT's subsample; the answer is its first span).

    Returns:
        The questions.

    Example:
        ```python
        item = load_hotpotqa()[0]
        assert sum(p.is_supporting for p in item.contexts) == 2
        ```
    """
    if kind not in _HOTPOTQA_FILES:
        msg = f"load_hotpotqa: kind must be one of {sorted(_HOTPOTQA_FILES)}, got {kind!r}"
        raise ValueError(msg)
    return _load_hotpotqa(kind)


_HOTPOTQA_FILES = {
    "comparison": "hotpotqa_comparison_250.json.gz",
    "bridge": "hotpotqa_bridge_250.json.gz",
}


@cache
def _load_hotpotqa(kind: str) -> tuple[HotpotQAItem, ...]:
    return tuple(
        HotpotQAItem(
            r["id"],
            r["question"],
            r["answer"],
            tuple(
                Paragraph(c["title"], c["text"], bool(c["is_supporting"])) for c in r["contexts"]
            ),
        )
        for r in _read_json(_HOTPOTQA_FILES[kind])
    )


@cache
def load_wiki() -> Mapping[str, str]:
    """Load every offline Wikipedia paragraph: title -> text.

    The 4,858 distinct paragraphs of the 500 HotpotQA questions (both kinds of
    `load_hotpotqa`; the first one wins when a title repeats, and no repeat differs), plus
    five U.S. states written for ParallelQA #83 (Texas, Florida, California, Michigan,
    New Jersey: 2020 census population and area), which win over a paragraph of the same
    title (there is none).

    Returns:
        A read-only mapping from article title to its paragraph.

    Example:
        ```python
        wiki = load_wiki()
        assert wiki["Ed Wood (film)"].startswith("Ed Wood is a 1994 American")
        assert "9,288,994" in wiki["New Jersey"]
        ```
    """
    pages: dict[str, str] = {}
    for kind in ("comparison", "bridge"):
        for item in load_hotpotqa(kind=kind):
            for para in item.contexts:
                pages.setdefault(para.title, para.text)
    pages.update(_read_json("parallelqa_83_states.json"))
    return MappingProxyType(pages)


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """Normalise an answer the SQuAD/HotpotQA way.

    Lowercase, drop punctuation, drop the articles a/an/the, collapse whitespace.

    Args:
        text: an answer or a label.

    Returns:
        The normalised text.

    Example:
        ```python
        assert normalize_answer("The  Mariana Trench!") == "mariana trench"
        ```
    """
    lowered = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", lowered).split())


def _as_float(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def score_answer(answer: str, label: str) -> bool:
    """Score an answer as LLMCompiler's `compare_answer` does.

    A label that parses as a float needs an answer that parses as a float and lies strictly
    inside `(0.9 * label, 1.1 * label)`. Any other label needs an exact match after
    `normalize_answer`. There is no partial credit.

    Args:
        answer: the technique's final answer (the text inside `Finish(...)`).
        label: the dataset's answer.

    Returns:
        Whether the answer counts as correct.

    Example:
        ```python
        assert score_answer("5400", "5931.80")  # 9% low: inside the band
        assert not score_answer("5300", "5931.80")  # 10.7% low: outside
        assert score_answer("the Mariana Trench", "Mariana Trench")
        ```
    """
    target = _as_float(label)
    if target is not None:
        value = _as_float(answer)
        return value is not None and 0.9 * target < value < 1.1 * target
    return normalize_answer(answer) == normalize_answer(label)
