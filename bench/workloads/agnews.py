"""AGNews*: the paper's text-mining benchmark (RQ2), offline.

Each query reads 1,000 labelled short documents, then runs t-SNE and LDA on them (two
concurrent compute calls) while the LLM writes a guide, and writes the results: five calls in
the shape of the paper's Figure 1. Every numeric step runs on one thread (`n_jobs=1`).

AG News itself is not shipped. The documents are the 4,858 Wikipedia paragraphs of the 500
bundled HotpotQA questions (`datasets.load_hotpotqa`, both kinds; 540 characters on average,
about AG News' length). Their label is the question they were gathered for: HotpotQA picked each
question's 8 distractors by TF-IDF similarity to it, so a question's ~10 paragraphs share a
subject. That makes ~100 small groups per 1,000 documents instead of AG News' 4 coarse classes:
the t-SNE silhouette says whether a question's paragraphs land together, not whether news
topics separate. The questions are shuffled (seeded) and their paragraphs kept together, so a
batch of 1,000 holds whole groups (but for the two at its ends).

Timings on a 2-core AMD EPYC VM, 1,000 documents (measured on the earlier corpus of
Wikipedia lead paragraphs, 10% shorter on average): `tsne` ~4.3-4.8 s, `lda` ~4 s, `read_docs`
~0.15 s (first call in a process), `write` ~10 ms. With `TINY` sizes each call takes < 0.3 s.
Two LDA calls: one after the other 8.4 s, in 2 threads 10-11 s (the GIL, plus contention), in 2
spawned processes 3.8-4.5 s: why these calls belong on the worker processes.

Example:
    ```python
    from bench.workloads import agnews

    docs = agnews.read_docs(n=agnews.TINY["n"])
    print(agnews.lda(docs, max_iter=agnews.TINY["lda_iter"])["topics"][0])
    ```
"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.datasets import load_hotpotqa
from bench.workloads import describe_tool

if TYPE_CHECKING:
    from bench.workloads import Registry

__all__ = ["DEFAULT", "TINY", "TOOLS", "lda", "plan", "query", "read_docs", "tsne", "write"]

Docs = dict[str, Any]

DEFAULT: dict[str, int] = {"n": 1000, "tsne_iter": 1000, "lda_iter": 50}
"""The paper's size: 1,000 documents per query; ~4.5 s t-SNE and ~4 s LDA on one core."""
TINY: dict[str, int] = {"n": 80, "tsne_iter": 250, "lda_iter": 5}
"""For CI: every call well under a second."""

_SEED = 0
_TOP_WORDS = 8


@cache
def _corpus() -> tuple[tuple[str, str, str], ...]:
    """Every (title, text, question id) once, questions shuffled, their paragraphs together."""
    items = [*load_hotpotqa(kind="comparison"), *load_hotpotqa(kind="bridge")]
    random.Random(_SEED).shuffle(items)
    seen: set[str] = set()
    corpus = []
    for item in items:
        for para in item.contexts:
            if para.title not in seen:
                seen.add(para.title)
                corpus.append((para.title, para.text, item.id))
    return tuple(corpus)


def read_docs(n: int = 1000, start: int = 0) -> Docs:
    """Read n labelled news-like documents (short Wikipedia paragraphs) from the dataset.

    Returns a small handle on the batch (dataset, start, n and a few titles), the way a
    data-loading tool hands a dataset to analysis scripts: every technique can pass it
    through an LLM's tool calls, and the miners load the texts themselves.

    Args:
        n: how many documents.
        start: where to start in the (fixed, shuffled) dataset; wraps around.
    """
    corpus = _corpus()
    if not 1 <= n <= len(corpus):
        msg = f"read_docs: n must be in [1, {len(corpus)}], got {n}"
        raise ValueError(msg)
    titles = [corpus[(start + i) % len(corpus)][0] for i in range(min(n, 3))]
    return {"dataset": "hotpotqa-paragraphs", "start": start, "n": n, "first_titles": titles}


def _load(docs: Docs) -> Docs:
    """The documents of a handle from read_docs (a dict with texts passes through)."""
    if isinstance(docs, dict) and "texts" not in docs and "n" in docs:
        corpus = _corpus()
        start, n = int(docs.get("start", 0)), int(docs["n"])
        rows = [corpus[(start + i) % len(corpus)] for i in range(n)]
        return {
            "titles": [title for title, _, _ in rows],
            "texts": [text for _, text, _ in rows],
            "labels": [label for _, _, label in rows],
        }
    return docs


def _texts(docs: Docs) -> list[str]:
    texts = docs.get("texts") if isinstance(docs, dict) else None
    if not texts or not all(isinstance(t, str) for t in texts):
        msg = "docs must be the result of read_docs: a dict with a non-empty 'texts' list"
        raise ValueError(msg)
    return list(texts)


def tsne(docs: Docs, max_iter: int = 1000, perplexity: float = 30.0) -> dict[str, Any]:
    """Embed documents in 2-D for a scatter plot: TF-IDF, truncated SVD to 50-D, then t-SNE.

    Args:
        docs: the result of read_docs.
        max_iter: t-SNE iterations (at least 250).
        perplexity: t-SNE perplexity (lowered automatically for few documents).
    """
    from sklearn.decomposition import TruncatedSVD  # noqa: PLC0415 - heavy, optional
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.manifold import TSNE  # noqa: PLC0415
    from sklearn.metrics import silhouette_score  # noqa: PLC0415

    docs = _load(docs)
    texts = _texts(docs)
    matrix = TfidfVectorizer(stop_words="english", max_features=5000, sublinear_tf=True)
    features = matrix.fit_transform(texts)
    dims = max(2, min(50, features.shape[1] - 1, len(texts) - 1))
    reduced = TruncatedSVD(dims, random_state=_SEED).fit_transform(features)
    model = TSNE(
        2,
        perplexity=min(perplexity, (len(texts) - 1) / 3),
        max_iter=max(250, max_iter),
        init="pca",
        random_state=_SEED,
        n_jobs=1,
    )
    points = model.fit_transform(reduced)
    labels = docs.get("labels") or ["?"] * len(texts)
    separation = (
        float(silhouette_score(points, labels)) if 1 < len(set(labels)) < len(texts) else 0.0
    )
    return {
        "n": len(texts),
        "points_sample": [[round(float(x), 3), round(float(y), 3)] for x, y in points[:5]],
        "kl_divergence": round(float(model.kl_divergence_), 4),
        "silhouette": round(separation, 4),
    }


def lda(docs: Docs, n_topics: int = 12, max_iter: int = 50) -> dict[str, Any]:
    """Model the topics of documents with Latent Dirichlet Allocation (batch variational Bayes).

    Args:
        docs: the result of read_docs.
        n_topics: how many topics.
        max_iter: passes over the documents.
    """
    from sklearn.decomposition import LatentDirichletAllocation  # noqa: PLC0415 - heavy
    from sklearn.feature_extraction.text import CountVectorizer  # noqa: PLC0415

    texts = _texts(_load(docs))
    vectorizer = CountVectorizer(stop_words="english", max_features=5000, min_df=2)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # too few documents for min_df=2
        vectorizer = CountVectorizer(stop_words="english", max_features=5000)
        counts = vectorizer.fit_transform(texts)
    model = LatentDirichletAllocation(
        n_components=n_topics,
        max_iter=max_iter,
        learning_method="batch",
        random_state=_SEED,
        n_jobs=1,
    )
    weights = model.fit_transform(counts)
    vocabulary = vectorizer.get_feature_names_out()
    topics = [
        [str(vocabulary[i]) for i in row.argsort()[::-1][:_TOP_WORDS]] for row in model.components_
    ]
    return {
        "topics": topics,
        "topic_sizes": [int(c) for c in np.bincount(weights.argmax(axis=1), minlength=n_topics)],
        "perplexity": round(float(model.perplexity(counts)), 2),
    }


def write(path: str, tsne: dict[str, Any], lda: dict[str, Any], guide: str = "") -> str:
    """Save t-SNE and LDA results, and the analysis guide, into the folder at path.

    Args:
        path: the output folder (created if missing).
        tsne: the result of tsne.
        lda: the result of lda.
        guide: a text to save beside the results (e.g. the procedure the LLM wrote).
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tsne.json").write_text(json.dumps(tsne), encoding="utf-8")
    (folder / "lda.json").write_text(json.dumps(lda), encoding="utf-8")
    topics = "\n".join(f"topic {i}: {' '.join(words)}" for i, words in enumerate(lda["topics"]))
    summary = (
        f"{tsne.get('n', '?')} documents; t-SNE KL divergence {tsne['kl_divergence']}, "
        f"question-group silhouette {tsne['silhouette']}; LDA perplexity {lda['perplexity']}.\n"
        f"{topics}\n\n{guide}\n"
    )
    (folder / "README.txt").write_text(summary, encoding="utf-8")
    return f"Saved tsne.json, lda.json and README.txt to {folder}."


def query(q: int) -> str:
    """The user query of AGNews* query q, after the paper's example.

    Args:
        q: the query number, from 0.

    Returns:
        The query text.

    Example:
        ```python
        assert "t-SNE" in query(0)
        ```
    """
    return (
        f"I want to visualize the collected news data, batch {q}. Read the {DEFAULT['n']} "
        f"documents of the batch (starting at {q * DEFAULT['n']}). Then use tsne to visualize "
        "the distribution of the texts and lda to model their topics. Meanwhile, I need a "
        "brief sample procedure for t-SNE and LDA analysis on NLP tasks from the chatbot. "
        f"Finally, save all outputs in a folder called result/query-{q}."
    )


def plan(q: int, *, outdir: str = "result", sizes: dict[str, int] | None = None) -> str:
    """The plan of query q: self, read_docs, then tsne and lda in parallel, then write.

    Args:
        q: the query number, from 0.
        outdir: the folder the results go under (`<outdir>/query-<q>`).
        sizes: `DEFAULT`, `TINY`, or your own dict with keys n, tsne_iter, lda_iter.

    Returns:
        Plan-language text, one call per line.

    Example:
        ```python
        assert plan(0).splitlines()[2] == "s3: tsne(docs=s2, max_iter=1000)"
        ```
    """
    size = {**DEFAULT, **(sizes or {})}
    guide = "Write a brief sample procedure for t-SNE and LDA analysis on NLP tasks."
    return "\n".join(
        [
            f's1: self(prompt="{guide}")',
            f"s2: read_docs(n={size['n']}, start={q * size['n']})",
            f"s3: tsne(docs=s2, max_iter={size['tsne_iter']})",
            f"s4: lda(docs=s2, max_iter={size['lda_iter']})",
            f's5: write(path="{outdir}/query-{q}", tsne=s3, lda=s4, guide=s1)',
        ]
    )


TOOLS: Registry = {
    func.__name__: (func, "compute", describe_tool(func)) for func in (read_docs, tsne, lda, write)
}
"""AGNews*: read, write and the two miners are compute functions, as in the paper."""
