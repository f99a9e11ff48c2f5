# ruff: noqa: INP001 - a script LangGraph server loads by path, not a package
"""An LLMOrch agent for LangGraph server: `langgraph.json` names `./agent.py:graph`.

Run it with the LangGraph CLI from this directory:

    pip install "langgraph-cli[inmem]" langchain-llmorch
    langgraph dev

The model comes from the environment:

- `LLMORCH_MODEL`: a model string, `"openai:gpt-4o-mini"`, `"anthropic:claude-sonnet-4-5"`
  (any `init_chat_model` provider; install its package) or a bare OpenAI-compatible name;
- `LLMORCH_BASE_URL`: an OpenAI-compatible server for it (vLLM, Ollama, llama.cpp).

Without `LLMORCH_MODEL` the graph runs on a scripted model (no key, no network), so the
server starts and answers at once. The server brings its own checkpointer: the graph is
compiled without one.
"""

from __future__ import annotations

import math
import os
import re
import sys

import cloudpickle
from langchain_core.language_models import BaseChatModel

from langchain_llmorch import compute, create_llmorch_agent, inout
from langchain_llmorch.testing import planner_or

POPULATIONS = {"Paris": 2_102_650, "Rome": 2_748_109, "Madrid": 3_332_035, "Berlin": 3_596_999}
"""Offline figures (2023 estimates) standing in for a remote service."""


@inout
def population(city: str) -> int:
    """The population of a European capital (Paris, Rome, Madrid or Berlin)."""
    try:
        return POPULATIONS[city]
    except KeyError:
        msg = f"unknown city {city!r}; known: {', '.join(POPULATIONS)}"
        raise ValueError(msg) from None


@compute
def count_primes(limit: int) -> int:
    """How many primes are below `limit` (CPU work: runs in a worker process)."""
    if limit < 3:  # noqa: PLR2004 - the first prime is 2
        return 0
    sieve = bytearray([1]) * limit
    sieve[0] = sieve[1] = 0
    for n in range(2, math.isqrt(limit - 1) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return sum(sieve)


TOOLS = [population, count_primes]

SCRIPTED_PLAN = """\
s1: population(city="Paris")
s2: population(city="Rome")
s3: count_primes(limit=100000)
s4: count_primes(limit=200000)"""


def _scripted_answer(request: str) -> str:
    """The scripted joiner: quote the results it is given (`- population(city="Paris") = ...`)."""
    return "; ".join(re.findall(r"^- (\w+\(.*\) = .*)$", request, flags=re.MULTILINE))


def make_model() -> BaseChatModel | str:
    """The model string from `LLMORCH_MODEL`, else a scripted model."""
    return os.environ.get("LLMORCH_MODEL") or planner_or(SCRIPTED_PLAN, answer=_scripted_answer)


# LangGraph server imports this file under a made-up module name that a worker process
# cannot import: send this module's functions to the compute workers by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

graph = create_llmorch_agent(
    make_model(),
    TOOLS,
    base_url=os.environ.get("LLMORCH_BASE_URL") or None,
    name="llmorch",
)
