"""The offline search imitates LLMCompiler's, and math evaluates arithmetic safely."""

from collections.abc import Iterator

import pytest

from bench.datasets import score_answer
from bench.workloads import search as ws
from bench.workloads.latency import LatencyModel


@pytest.fixture(autouse=True)
def no_latency() -> Iterator[LatencyModel]:
    before = ws.get_latency()
    model = LatencyModel(scale=0.0)
    ws.set_latency(model)
    yield model
    ws.set_latency(before)


async def test_search_returns_the_first_five_sentences_of_a_hotpotqa_paragraph() -> None:
    text = await ws.search("Ed Wood (film)")
    assert text.startswith("Ed Wood is a 1994 American biographical period comedy-drama film")
    assert text.count(". ") <= 4


async def test_search_matches_titles_case_folded_and_quoted() -> None:
    assert await ws.search("ed wood (FILM)") == await ws.search("Ed Wood (film)")
    assert (await ws.search('"new jersey"')).startswith("New Jersey is a state")
    bridge_title = "Meet Corliss Archer"  # a paragraph of a HotpotQA bridge question
    assert (await ws.search(bridge_title)).startswith("Meet Corliss Archer, a program")


async def test_search_misses_say_could_not_find(no_latency: LatencyModel) -> None:
    assert (
        await ws.search("Atlantis Underwater Casino")
        == "Could not find Atlantis Underwater Casino."
    )
    assert [d.key for d in no_latency.draws] == ["search:Atlantis Underwater Casino"]


async def test_search_words_returns_the_first_k_words() -> None:
    text = await ws.search_words("Florida", k=12)
    assert len(text.split()) == 12
    assert text.startswith("Florida is a state")
    assert await ws.search_words("Puerto Rico Trench") == "Could not find Puerto Rico Trench."


def test_math_evaluates_arithmetic() -> None:
    assert ws.math("-(2 + 3) * 4 ** 0.5 / 2 + max(1, 7)") == pytest.approx(2.0)
    assert ws.math(" round(10 / 3, 2) ") == pytest.approx(3.33)
    assert ws.math("1e3 - 1") == 999.0


def test_num_reads_the_number_nearest_the_word_with_its_scale() -> None:
    texas = (
        "Covering 268,596 square miles (695,660 km2) and with an estimated population of over "
        "31.7 million residents in 2025, it is the second-largest U.S. state."
    )
    assert ws.math("num('population')", context=texas) == pytest.approx(31.7e6)
    assert ws.math("num('km2')", context=texas) == 695_660
    assert ws.math("num('km2', 2) * 2", context=["nothing", texas]) == 1_391_320


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os')",
        "__import__('os').system('echo hacked')",
        "open('/etc/passwd')",
        "().__class__.__bases__[0].__subclasses__()",
        "(lambda: 1)()",
        "x + 1",
        "'a' * 3",
        "True + 1",
        "[1, 2]",
        "1 if 2 else 3",
        "max(key=abs)",
        "abs(1, 2)",
    ],
)
def test_math_rejects_anything_but_arithmetic(expression: str) -> None:
    with pytest.raises(ValueError, match="math: "):
        ws.math(expression)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1,000 + 1", "thousands separators"),
        ("2 ** 99999", "too large"),
        ("1 / 0", "cannot be computed"),
        ("(-8) ** 0.5", "no real value"),
        ("Question: total population?", "not an arithmetic expression"),
        ("num('population')", "needs a context"),
        ("num('population', 3)", "numbered from 1"),
    ],
)
def test_math_errors_say_what_to_fix(expression: str, message: str) -> None:
    context = None if "3)" not in expression else ["a 1", "b 2"]
    with pytest.raises(ValueError, match=message):
        ws.math(expression, context=context)


async def test_parallelqa_83_fails_with_small_k_and_recovers_with_a_larger_one() -> None:
    """The paper's RQ3 example: s2's k is too small, so s3 fails; k=1000 fixes it."""
    texas = await ws.search_words("Texas")
    short = await ws.search_words("Florida", k=40)
    with pytest.raises(ValueError, match="search again with a larger k"):
        ws.math("num('population', 1) + num('population', 2)", context=[texas, short])
    florida = await ws.search_words("Florida", k=1000)
    s3 = ws.math("num('population', 1) + num('population', 2)", context=[texas, florida])
    s4 = ws.math("num('km2', 1) + num('km2', 2)", context=[texas, florida])
    california, michigan = await ws.search_words("California"), await ws.search_words("Michigan")
    s8 = ws.math("num('residents', 1) + num('population', 2)", context=[california, michigan])
    s9 = ws.math("num('km2', 1) + num('km2', 2)", context=[california, michigan])
    jersey = [await ws.search_words("New Jersey")]
    s12 = ws.math("num('population', 1) / num('km2', 1)", context=jersey)
    s13 = ws.math(f"max({s3} / {s4}, {s8} / {s9}, {s12})")
    assert score_answer(str(s13), "488.19")


def test_plan_83_and_registries_use_the_documented_kinds() -> None:
    assert ws.PARALLELQA_83_PLAN.splitlines()[1] == 's2: search(term="Florida", k=40)'
    assert ws.PARALLELQA_83_REPAIR.startswith("s2: search(")
    assert {n: kind for n, (_, kind, _) in ws.PARALLELQA_TOOLS.items()} == {
        "search": "inout",
        "math": "compute",
    }
    assert ws.HOTPOTQA_TOOLS["search"][2].startswith("search(entity: str) -> str: Executes")
