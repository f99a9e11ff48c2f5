"""AGNews*: labelled documents, real t-SNE and LDA at a tiny size, results written."""

import itertools
import json
from pathlib import Path

import pytest

from bench.datasets import load_hotpotqa
from bench.workloads import agnews


@pytest.fixture(scope="module")
def docs() -> dict[str, list[str]]:
    return agnews.read_docs(agnews.TINY["n"])


def test_read_docs_returns_a_small_handle_on_labelled_texts(docs: dict[str, list[str]]) -> None:
    assert len(str(docs)) < 300  # small enough to pass through an LLM's tool calls
    loaded = agnews._load(docs)
    assert len(loaded["texts"]) == len(loaded["labels"]) == agnews.TINY["n"]
    assert len(set(loaded["labels"])) > 5
    second = agnews._load(agnews.read_docs(3, start=1))["titles"]
    assert second[:2] == agnews._load(agnews.read_docs(4))["titles"][1:3]
    last = len(agnews._corpus()) - 1
    assert len(agnews._load(agnews.read_docs(5, start=last))["texts"]) == 5  # wraps around
    with pytest.raises(ValueError, match="n must be"):
        agnews.read_docs(0)


def test_documents_are_hotpotqa_paragraphs_labelled_by_their_question() -> None:
    corpus = agnews._corpus()
    assert len(corpus) == len({title for title, _, _ in corpus}) == 4_858
    questions = {
        item.id: {p.title for p in item.contexts}
        for kind in ("comparison", "bridge")
        for item in load_hotpotqa(kind=kind)
    }
    assert len({label for _, _, label in corpus}) == 500
    assert all(title in questions[label] for title, _, label in corpus)
    loaded = agnews._load(agnews.read_docs(1000))
    runs = sum(a != b for a, b in itertools.pairwise(loaded["labels"])) + 1
    assert runs == len(set(loaded["labels"]))  # a question's paragraphs come together
    assert 90 <= runs <= 110  # ~10 paragraphs a question


def test_tsne_and_lda_return_one_result_per_document(
    docs: dict[str, list[str]], tmp_path: Path
) -> None:
    embedding = agnews.tsne(docs, max_iter=agnews.TINY["tsne_iter"])
    assert embedding["n"] == agnews.TINY["n"]
    assert all(len(p) == 2 for p in embedding["points_sample"])
    topics = agnews.lda(docs, n_topics=4, max_iter=agnews.TINY["lda_iter"])
    assert len(topics["topics"]) == 4
    assert sum(topics["topic_sizes"]) == agnews.TINY["n"]
    message = agnews.write(str(tmp_path / "out"), embedding, topics, guide="a guide")
    assert "README.txt" in message
    assert json.loads((tmp_path / "out" / "lda.json").read_text())["topics"] == topics["topics"]
    assert "a guide" in (tmp_path / "out" / "README.txt").read_text()


def test_miners_reject_what_read_docs_did_not_make() -> None:
    with pytest.raises(ValueError, match="read_docs"):
        agnews.lda({"texts": []})


def test_plan_reads_then_mines_in_parallel_then_writes() -> None:
    lines = agnews.plan(3, outdir="res", sizes=agnews.TINY).splitlines()
    assert lines[1] == "s2: read_docs(n=80, start=240)"
    assert lines[2].startswith("s3: tsne(docs=s2")
    assert lines[3].startswith("s4: lda(docs=s2")
    assert lines[4] == 's5: write(path="res/query-3", tsne=s3, lda=s4, guide=s1)'
    assert {kind for _, kind, _ in agnews.TOOLS.values()} == {"compute"}
    assert agnews.TOOLS["lda"][2].startswith("lda(docs: Docs, n_topics: int = 12")
