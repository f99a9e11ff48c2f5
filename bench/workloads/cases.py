"""The paper's first RQ5 case study, offline: purchase-intent analysis (and the local chatbot).

The user asks for a judgement of a user's intent to buy Apple products: `search` the shop page
(inout), `chatbot` writes a tutorial on user portraits, `python` runs three analysis scripts,
`analyze.py` on a generated purchase history (gradient boosting on a synthetic user population),
`content.py` (NMF with restarts) and `user.py` (Monte-Carlo visitor journeys) on the page; then
`chatbot` builds a portrait and judges: 7 calls, the left FRG of the paper's Figure 7.

The paper ran LLaMA3-8B on the CPU as the chatbot, a compute function. `chatbot` here is a
stand-in that does a local model's kind of work, greedy decoding of a seeded recurrent network
one token at a time (~0.6 ms a token), and answers from templates that read the numbers in its
prompt: deterministic, and no model file needed. `encryption` reuses it.

Timings on one core of a 2-core AMD EPYC VM: `chatbot` ~0.9 s at 1,500 tokens, each script
~1 s at scale 1 (0.05 for CI: tens of milliseconds).

Example:
    ```python
    from bench.workloads import cases

    plan = cases.purchase_case("/tmp/purchase", scale=0.05)
    print(plan)
    ```
"""

from __future__ import annotations

import hashlib
import re
import warnings
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bench.datasets import load_wiki
from bench.workloads import describe_tool
from bench.workloads.search import get_latency

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from bench.workloads import Registry

__all__ = [
    "PURCHASE_QUERY",
    "PURCHASE_TOOLS",
    "chatbot",
    "purchase_case",
    "python",
    "search",
]

_SEED = 5
_CATEGORIES = ("phone", "laptop", "tablet", "watch", "audio", "accessory", "book", "grocery")
_BRANDS = ("Apple", "Samsung", "Google", "Sony", "Lenovo", "Anker", "Penguin", "FreshCo")
_PRICES = (6.5, 7.0, 6.0, 5.5, 5.0, 3.5, 2.8, 3.0)  # log of a typical price per category
SHOP_PAGE = """Apple. Store: shop the latest products.
iPhone 16 Pro, phone, $999: titanium design, A18 Pro chip, the best camera system yet.
iPhone 16, phone, $799: a powerful camera and a battery that lasts all day.
MacBook Air 13, laptop, $1099: M3 chip, 18 hours of battery, light and silent.
MacBook Pro 14, laptop, $1599: M4 Pro chip for demanding creative work.
iPad Air, tablet, $599: M2 chip, Apple Pencil support, four colours.
Apple Watch Series 10, watch, $399: the thinnest Apple Watch, health sensors and sleep tracking.
AirPods Pro 2, audio, $249: active noise cancellation and hearing health features.
Trade in your current device and get credit toward a new one. Free delivery and returns.
Buy now with monthly payments at 0% APR. Compare models. Visit an Apple Store."""
"""The offline stand-in for https://www.apple.com/ (written for this benchmark)."""
_TUTORIAL = (
    "Tutorial: 1. collect purchases, views and ratings; 2. compute recency, frequency and "
    "spend per category; 3. measure brand affinity; 4. cluster users by these features; "
    "5. describe the user's segment, needs and budget."
)
_PORTRAIT = "Build a user portrait based on the historical record analysis and the tutorial"
_JUDGE = (
    "Judge the user purchasing behavior based on the product analysis, user experience "
    "analysis, historical record analysis and user portrait"
)
_EXAMPLE = (
    "Example: good encryption leaves about 8.0 bits of entropy per byte (plain text is about "
    "4.5), a size ratio near 1.0, and a throughput of hundreds of MB/s."
)


async def search(query: str) -> str:
    """Search query through search engines and obtain the results.

    Args:
        query: a URL or search terms.
    """
    await get_latency().asleep_search(f"web:{query}")
    if "apple.com" in query.casefold():
        return SHOP_PAGE
    text = load_wiki().get(query.strip())
    return text if text is not None else f"No results for {query}."


@cache
def _weights(d: int = 1024, vocab: int = 4096) -> tuple[NDArray[np.float32], ...]:
    rng = np.random.default_rng(_SEED)
    shapes = (((d, d), 1 / np.sqrt(d)), ((vocab, d), 1 / np.sqrt(d)), ((vocab, d), 1.0))
    return tuple(
        rng.standard_normal(shape, dtype=np.float32) * np.float32(s) for shape, s in shapes
    )


def _decode(prompt: str, tokens: int) -> None:
    w, out, emb = _weights()
    h = np.zeros(w.shape[0], dtype=np.float32)
    token = int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:2], "big") % emb.shape[0]
    for _ in range(tokens):
        h = np.tanh(w @ h + emb[token])
        token = int(np.argmax(out @ h))


def _last(text: str, label: str) -> float:
    found = re.findall(rf"{label}\W+(-?\d+(?:\.\d+)?)", text, re.IGNORECASE)
    return float(found[-1]) if found else 0.0


def chatbot(prompt: str, max_tokens: int = 1500) -> str:
    """Ask an LLM running on this CPU for an answer or a completion towards prompt.

    Args:
        prompt: the request.
        max_tokens: how many tokens the model decodes (~0.6 ms each on one core).
    """
    _decode(prompt, max_tokens)
    head = prompt.partition(":")[0].partition("\n")[0].casefold()  # the instruction
    if "judge" in head:
        score = _last(prompt, "intent score")
        verdict = "likely" if score >= 0.5 else "unlikely"
        return f"The user is {verdict} to buy Apple products soon (intent score {score:.2f})."
    if "build" in head and "portrait" in head:
        share, spend = _last(prompt, "apple share"), _last(prompt, "spend")
        kind = "brand-loyal" if share >= 0.3 else "price-driven"
        return f"User portrait: a {kind} buyer, Apple share {share:.2f}, total spend ${spend:.0f}."
    if "tutorial" in head:
        return _TUTORIAL
    if "key" in head:
        return f"AES-256 key (hex): {hashlib.sha256(prompt.encode()).hexdigest()}"
    if "analy" in head and "encrypt" in head:
        found = re.findall(r"entropy_out\W+(\d+(?:\.\d+)?)", prompt)
        entropies = [float(x) for x in found]
        verdict = "effective" if entropies and min(entropies) > 7.9 else "doubtful"
        return f"Encrypted {len(entropies)} files, output entropy {entropies}: {verdict}."
    if "example" in head:
        return _EXAMPLE
    return "Answer: " + prompt.partition(".")[0].strip()


def python(file: str, arguments: list[str]) -> str:
    """Execute the python code in file with the given arguments.

    Args:
        file: analyze.py (a purchase history), content.py or user.py (a page's text).
        arguments: the script's arguments; "--scale=X" scales its work (default 1).
    """
    # The paper calls the parameter `args`, which LangChain's tool schemas rename to `v__args`.
    scales = [float(a.split("=", 1)[1]) for a in arguments if a.startswith("--scale=")]
    rest = [a for a in arguments if not a.startswith("--scale=")]
    scripts = {"analyze.py": _analyze, "content.py": _content, "user.py": _user}
    if Path(file).name not in scripts or not rest:
        msg = f"python: unknown script {file!r} or no argument; scripts: {sorted(scripts)}"
        raise ValueError(msg)
    return scripts[Path(file).name](rest[0], scales[-1] if scales else 1.0)


def _analyze(history: str, scale: float) -> str:
    from sklearn.ensemble import GradientBoostingClassifier  # noqa: PLC0415 - heavy

    rows = [line.split(",") for line in Path(history).read_text().splitlines()[1:]]
    days, price = (np.array([float(r[i]) for r in rows]) for i in (0, 4))
    apple = np.array([r[2] == "Apple" for r in rows])
    user = np.array([apple.mean(), days.min() / 365, len(rows) / 500, price.sum() / 1e5])
    rng = np.random.default_rng(_SEED)  # a population of users with a hidden buying rule
    features = rng.random((max(200, int(9000 * scale)), 4)) * [1.0, 2.0, 1.0, 1.0]
    logit = 6 * features[:, 0] - 2 * features[:, 1] + features[:, 2] + features[:, 3] - 2
    labels = rng.random(len(features)) < 1 / (1 + np.exp(-logit))
    model = GradientBoostingClassifier(n_estimators=100, random_state=_SEED)
    score = model.fit(features, labels).predict_proba(user[None, :])[0, 1]
    return (
        f"purchases: {len(rows)}\nspend: {price.sum():.2f}\napple share: {apple.mean():.3f}\n"
        f"recency days: {days.min():.0f}\nintent score: {score:.3f}"
    )


def _content(page: str, scale: float) -> str:
    from sklearn.decomposition import NMF  # noqa: PLC0415 - heavy
    from sklearn.exceptions import ConvergenceWarning  # noqa: PLC0415
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415

    lines = [line for line in page.splitlines() if line.strip()]
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit_transform(lines)
    restarts = range(max(1, int(100 * scale)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a restart that stops early is fine
        fits = [NMF(3, init="random", random_state=i, max_iter=400).fit(matrix) for i in restarts]
    error = min(m.reconstruction_err_ for m in fits)
    prices = [float(p) for p in re.findall(r"\$(\d+)", page)] or [0.0]
    return (
        f"products: {len(prices)}\nprice range: ${min(prices):.0f}-${max(prices):.0f}\n"
        f"content topics: 3 (reconstruction error {error:.3f})"
    )


def _user(page: str, scale: float) -> str:
    n = max(3, len([line for line in page.splitlines() if line.strip()]))
    rng = np.random.default_rng(_SEED)
    move = rng.random((n, n)) + np.eye(n, k=1) * 3  # visitors mostly read on
    move /= move.sum(axis=1, keepdims=True)
    visitors = max(1000, int(400_000 * scale))
    state, bought = np.zeros(visitors, dtype=np.int64), np.zeros(visitors, dtype=bool)
    for _ in range(20):  # 20 clicks a visit; reaching the last section ("Buy now") converts
        step = (rng.random((visitors, 1)) > move[state].cumsum(axis=1)).sum(axis=1)
        state = step.clip(0, n - 1)
        bought |= state == n - 1
    return f"visitors simulated: {visitors}\nconversion: {bought.mean():.3f}"


PURCHASE_QUERY = (
    "Treat yourself as a personalized user recommendation system to analyze users' purchase "
    "intentions towards some products. First, search Apple products via https://www.apple.com/. "
    "Use chatbot to generate a tutorial for analyzing user portraits. Then analyze the user's "
    "purchase history (history.txt) by the script analyze.py. Then use the content analysis "
    "script content.py and the user experience analysis script user.py I provided to analyze "
    "the product homepage. Let chatbot build a user portrait based on the historical analysis "
    "and the obtained tutorial. Finally, judge the user's purchasing behavior based on the "
    "product analysis, the user experience analysis, and user portrait."
)


def purchase_case(workdir: str | Path, *, scale: float = 1.0, n_purchases: int = 400) -> str:
    """Write a seeded purchase history (`history.txt`) into workdir; return the 7-call plan.

    Args:
        workdir: the case's folder (created if missing).
        scale: the scripts' work, passed as "--scale=X" (0.05 for CI).
        n_purchases: rows of the history.

    Returns:
        Plan-language text: 1 inout search, then 6 compute calls.

    Example:
        ```python
        assert len(purchase_case("/tmp/purchase").splitlines()) == 7
        ```
    """
    rng, folder = np.random.default_rng(_SEED), Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["days_ago,category,brand,product,price,rating"]
    for _ in range(n_purchases):
        i = int(rng.integers(len(_CATEGORIES)))
        brand = _BRANDS[0] if i < 6 and rng.random() < 0.35 else _BRANDS[i]
        price, days, rating = (
            rng.lognormal(_PRICES[i], 0.4),
            rng.integers(1, 730),
            rng.integers(1, 6),
        )
        lines.append(
            f"{days},{_CATEGORIES[i]},{brand},{brand} {_CATEGORIES[i]},{price:.2f},{rating}"
        )
    history = folder / "history.txt"
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    opt = f', "--scale={scale}"'
    return "\n".join(
        [
            's1: search(query="https://www.apple.com/")',
            's2: chatbot(prompt="Generate a tutorial for analyzing user portraits.")',
            f's3: python(file="analyze.py", arguments=["{history}"{opt}])',
            f's4: python(file="content.py", arguments=[s1{opt}])',
            f's5: python(file="user.py", arguments=[s1{opt}])',
            f's6: chatbot(prompt="{_PORTRAIT}: {{s3}} {{s2}}")',
            f's7: chatbot(prompt="{_JUDGE}: {{s4}} {{s5}} {{s3}} {{s6}}")',
        ]
    )


PURCHASE_TOOLS: Registry = {
    "search": (search, "inout", describe_tool(search)),
    "chatbot": (chatbot, "compute", describe_tool(chatbot)),
    "python": (python, "compute", describe_tool(python)),
}
"""Purchase intent: the paper's three functions (the chatbot is local, so compute)."""
