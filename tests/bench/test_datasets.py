"""The packaged datasets load offline and LLMCompiler's scorer behaves as documented."""

from importlib import resources

import pytest

from bench.datasets import (
    load_hotpotqa,
    load_movierec,
    load_parallelqa,
    load_wiki,
    normalize_answer,
    score_answer,
)


def test_every_dataset_has_its_documented_size() -> None:
    assert len(load_parallelqa()) == 113
    assert len(load_movierec()) == 500
    assert len(load_hotpotqa()) == 250
    assert len(load_hotpotqa(kind="bridge")) == 250
    assert len(load_wiki()) == 4_863  # the HotpotQA paragraphs plus the five states of #83


def test_items_are_typed_and_ordered() -> None:
    parallel = load_parallelqa()
    assert [item.id for item in parallel[:3]] == ["1", "2", "3"]
    assert {item.branch for item in parallel} == {2, 3, 4, 5}
    assert parallel[82].answer == "488.19"
    movie = load_movierec()[0]
    assert movie.answer in movie.question.splitlines()
    hotpot = load_hotpotqa()[0]
    assert sum(p.is_supporting for p in hotpot.contexts) == 2


def test_loaders_are_cached_and_read_only() -> None:
    assert load_parallelqa() is load_parallelqa()
    with pytest.raises(TypeError):
        load_wiki()["Texas"] = "changed"  # type: ignore[index]


def test_wiki_holds_every_hotpotqa_paragraph_and_the_83_states() -> None:
    wiki = load_wiki()
    for kind in ("comparison", "bridge"):
        for item in load_hotpotqa(kind=kind):
            assert all(wiki[p.title] == p.text for p in item.contexts)
    assert "9,288,994" in wiki["New Jersey"]
    for state in ("Texas", "Florida", "California", "Michigan", "New Jersey"):
        assert wiki[state].startswith(f"{state} is a state")


def test_the_two_hotpotqa_kinds_split_the_500_questions() -> None:
    comparison, bridge = load_hotpotqa(), load_hotpotqa(kind="bridge")
    assert load_hotpotqa(kind="comparison") is comparison
    assert not {i.id for i in comparison} & {i.id for i in bridge}
    first = bridge[0]
    assert first.answer == "Chief of Protocol"
    assert sum(p.is_supporting for p in first.contexts) == 2
    with pytest.raises(ValueError, match="kind must be one of"):
        load_hotpotqa(kind="yes-no")  # type: ignore[arg-type]


def test_every_bundled_data_file_states_its_source_and_license() -> None:
    folder = resources.files("bench").joinpath("data")
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    files = [f.name for f in folder.iterdir() if f.name not in {"README.md", "NOTICE.md"}]
    assert len(files) >= 5
    for name in files:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}` |")), "")
        assert row, f"{name} has no row in data/README.md"
        assert ("CC BY-SA 4.0" in row) or ("MIT" in row), f"{name}: no license in data/README.md"


@pytest.mark.parametrize(
    ("answer", "label", "expected"),
    [
        ("5400", "5931.80", True),  # 9% low: inside the band
        ("6500", "5931.80", True),
        ("5300", "5931.80", False),  # 10.7% low
        ("6600", "5931.80", False),
        ("5338.62", "5931.80", False),  # exactly 0.9x: the band is strict
        ("about 5931", "5931.80", False),  # a numeric label needs a numeric answer
        ("488.0", "488.19", True),
        ("the Mariana Trench", "Mariana Trench", True),
        ("Mariana Trench!", "mariana  trench", True),
        ("Puerto Rico Trench", "Mariana Trench", False),
        ("yes", "Yes.", True),
        ("no", "yes", False),
        ("An Apple", "apple", True),
        ("1964", "1964", True),
    ],
)
def test_score_answer_matches_llmcompiler(answer: str, label: str, expected: bool) -> None:
    assert score_answer(answer, label) is expected


def test_normalize_answer_drops_case_punctuation_articles_and_spaces() -> None:
    assert normalize_answer("  The  Quick, brown fox! ") == "quick brown fox"
    assert normalize_answer("A theatre") == "theatre"
