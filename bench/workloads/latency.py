"""A seeded latency model for the remote services of the benchmarks (the LLM, web search).

Remote calls are simulated: each one sleeps a latency drawn from this model instead of
crossing a network. A draw depends only on `(seed, kind, key)`, hashed with BLAKE2b, never on
the order of calls, the process or the thread. So every technique in a benchmark, run in any
order, waits exactly as long for the same search or the same LLM reply, and a run can be
replayed. Every draw is also appended to `LatencyModel.draws`, the record the benchmark
reports.

Example:
    ```python
    from bench.workloads.latency import LatencyModel

    model = LatencyModel(seed=7)
    assert model.search_latency("Texas") == LatencyModel(seed=7).search_latency("Texas")
    print(model.llm_latency("planner:q1", output_tokens=120))
    ```
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["LatencyDraw", "LatencyModel"]

DrawKind = Literal["llm", "search"]

# Defaults in the range of a hosted GPT-3.5-class API and a Wikipedia round trip, so the
# I/O-bound part of a query is seconds, as in the paper's Table II, not minutes.
DEFAULT_TTFT = 0.5  # seconds to the first token
DEFAULT_PER_TOKEN = 0.01  # seconds per output token (~100 tokens/s)
DEFAULT_SEARCH_MEAN = 0.6  # seconds per search
DEFAULT_JITTER = 0.3  # +-30% uniform spread around the mean


@dataclass(frozen=True, slots=True)
class LatencyDraw:
    """One recorded latency draw.

    Attributes:
        kind: "llm" or "search".
        key: the key the draw was made for.
        seconds: the latency drawn.
        at: when it was drawn (`time.time()`).
    """

    kind: DrawKind
    key: str
    seconds: float
    at: float


@dataclass
class LatencyModel:
    """Deterministic per-key latencies for simulated LLM and search calls.

    Attributes:
        seed: changes every draw; two models with the same seed and settings agree.
        ttft: mean time to the first token of an LLM reply, seconds.
        per_token: time per output token of an LLM reply, seconds.
        llm_jitter: relative spread of the time to the first token (0.3 = +-30%).
        search_mean: mean search latency, seconds.
        search_jitter: relative spread of a search latency (0.3 = +-30%).
        scale: multiplies every latency; 0 turns the model off (tests), 0.1 speeds a run up.
        draws: every draw made, in order (thread-safe appends under the GIL).

    Example:
        ```python
        fast = LatencyModel(seed=0, scale=0.0)
        assert fast.llm_latency("k", 500) == 0.0
        ```
    """

    seed: int = 0
    ttft: float = DEFAULT_TTFT
    per_token: float = DEFAULT_PER_TOKEN
    llm_jitter: float = DEFAULT_JITTER
    search_mean: float = DEFAULT_SEARCH_MEAN
    search_jitter: float = DEFAULT_JITTER
    scale: float = 1.0
    draws: list[LatencyDraw] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Reject settings that would give negative latencies."""
        values = (self.ttft, self.per_token, self.search_mean, self.scale)
        if min(values) < 0:
            msg = f"latencies must be >= 0, got {self!r}"
            raise ValueError(msg)
        if not (0 <= self.llm_jitter <= 1 and 0 <= self.search_jitter <= 1):
            msg = f"jitter is relative and must be in [0, 1], got {self!r}"
            raise ValueError(msg)

    def uniform(self, kind: str, key: str) -> float:
        """Draw a number in [0, 1) that depends only on the seed, `kind` and `key`.

        Args:
            kind: a namespace ("llm", "search", or anything else).
            key: the call's key.

        Returns:
            A deterministic pseudo-random number in [0, 1).

        Example:
            ```python
            assert 0 <= LatencyModel().uniform("search", "x") < 1
            ```
        """
        digest = hashlib.blake2b(f"{self.seed}\x00{kind}\x00{key}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def llm_latency(self, key: str, output_tokens: int) -> float:
        """Latency of one LLM reply: jittered time to first token plus time per output token.

        Args:
            key: identifies the reply (for example the reply text, or "planner:<query id>").
            output_tokens: tokens in the reply.

        Returns:
            Seconds to wait before the whole reply is available.

        Example:
            ```python
            model = LatencyModel(ttft=0.5, per_token=0.01, llm_jitter=0.0)
            assert abs(model.llm_latency("k", 100) - 1.5) < 1e-9
            ```
        """
        spread = 1.0 + self.llm_jitter * (2.0 * self.uniform("llm", key) - 1.0)
        seconds = self.scale * (self.ttft * spread + self.per_token * max(0, output_tokens))
        self._record("llm", key, seconds)
        return seconds

    def search_latency(self, key: str) -> float:
        """Latency of one search: the mean, spread uniformly by the jitter.

        Args:
            key: identifies the search (for example "search:Texas").

        Returns:
            Seconds the search takes.

        Example:
            ```python
            model = LatencyModel(search_mean=1.0, search_jitter=0.5)
            assert 0.5 <= model.search_latency("Texas") <= 1.5
            ```
        """
        spread = 1.0 + self.search_jitter * (2.0 * self.uniform("search", key) - 1.0)
        seconds = self.scale * self.search_mean * spread
        self._record("search", key, seconds)
        return seconds

    def first_token_latency(self, key: str) -> float:
        """Time to the first token alone (for streamed replies); not recorded.

        Args:
            key: the same key as for `llm_latency`.

        Returns:
            The time-to-first-token part of `llm_latency(key, n)`.

        Example:
            ```python
            model = LatencyModel()
            assert model.first_token_latency("k") <= model.llm_latency("k", 10)
            ```
        """
        spread = 1.0 + self.llm_jitter * (2.0 * self.uniform("llm", key) - 1.0)
        return self.scale * self.ttft * spread

    async def asleep_search(self, key: str) -> float:
        """Sleep a search's latency on the event loop (I/O-bound: frees the loop).

        Args:
            key: identifies the search.

        Returns:
            The seconds slept.

        Example:
            ```python
            import asyncio
            asyncio.run(LatencyModel(scale=0.0).asleep_search("x"))
            ```
        """
        seconds = self.search_latency(key)
        await asyncio.sleep(seconds)
        return seconds

    def sleep_search(self, key: str) -> float:
        """Sleep a search's latency in this thread (for synchronous callers).

        Args:
            key: identifies the search.

        Returns:
            The seconds slept.

        Example:
            ```python
            LatencyModel(scale=0.0).sleep_search("x")
            ```
        """
        seconds = self.search_latency(key)
        time.sleep(seconds)
        return seconds

    def total(self, kind: DrawKind | None = None) -> float:
        """Sum the recorded draws, of one kind or all.

        Args:
            kind: "llm", "search", or None for both.

        Returns:
            Seconds drawn so far.

        Example:
            ```python
            model = LatencyModel(search_mean=1.0, search_jitter=0.0)
            model.search_latency("a")
            assert model.total("search") == 1.0
            ```
        """
        return sum(d.seconds for d in self.draws if kind is None or d.kind == kind)

    def _record(self, kind: DrawKind, key: str, seconds: float) -> None:
        self.draws.append(LatencyDraw(kind, key, seconds, time.time()))
