# ruff: noqa: INP001 - a script LangGraph server loads by path, not a package
"""An LLMOrch agent for LangGraph server: `langgraph.json` names two graphs of this file.

- `llmorch` (`graph`): plans, runs the calls, answers;
- `llmorch_approval` (`approval_graph`): the same agent, but each plan waits for a human
  (`approve_plan=True`): the run pauses with the plan; resume it with `Command(resume=True)`
  (or `False`, or an edited plan).

Run it with the LangGraph CLI from this directory:

    pip install "langgraph-cli[inmem]" langchain-llmorch
    langgraph dev

The model comes from `LLMORCH_MODEL`:

- `scripted`: a scripted model (no key, no network): it plans `population` calls for the
  cities and `count_primes` calls for the numbers the user's messages name, and answers by
  quoting the results;
- `embedded`: the embedded local model (`langchain_llmorch.local`: llama.cpp on this CPU;
  needs the `local` extra and the weights' packages, see docs/local-model.md);
- unset: the embedded model when its packages are installed, else the scripted one (the
  choice is logged);
- anything else: a model string, `"openai:gpt-4o-mini"`, `"anthropic:claude-sonnet-4-5"`
  (any `init_chat_model` provider; install its package) or a bare OpenAI-compatible name,
  with `LLMORCH_BASE_URL` for an OpenAI-compatible server (vLLM, Ollama, llama.cpp).

The server brings its own checkpointer: the graphs are compiled without one.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys

import cloudpickle
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage

from langchain_llmorch import compute, create_llmorch_agent, inout
from langchain_llmorch.testing import ScriptedChatModel, request_kind, request_text

log = logging.getLogger("llmorch.example")

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
"""The scripted model's plan for a conversation that names no city and no number."""


def scripted_plan(messages: list[BaseMessage]) -> str:
    """The scripted planner: a call per city and per number the user's messages name.

    Every human message of the conversation counts, earlier turns too, so a second turn
    ("And Berlin?") plans the first turn's cities again beside the new one.
    """
    asked = "\n".join(m.text for m in messages if isinstance(m, HumanMessage))
    cities = sorted({c for c in POPULATIONS if c in asked}, key=asked.index)
    limits = list(dict.fromkeys(int(n) for n in re.findall(r"\b\d+\b", asked)))
    calls = [f'population(city="{city}")' for city in cities]
    calls += [f"count_primes(limit={limit})" for limit in limits]
    if not calls:
        return SCRIPTED_PLAN
    return "\n".join(f"s{n}: {call}" for n, call in enumerate(calls, start=1))


def _scripted_answer(request: str) -> str:
    """The scripted joiner: quote the results it is given (`- population(city="Paris") = ...`)."""
    return "; ".join(re.findall(r"^- (\w+\(.*\) = .*)$", request, flags=re.MULTILINE))


def scripted_model() -> BaseChatModel:
    """A model that plans with `scripted_plan` and answers with `_scripted_answer`."""

    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) in {"plan", "repair"}:
            return scripted_plan(messages)
        return _scripted_answer(request_text(messages))

    return ScriptedChatModel(script)


def embedded_model() -> BaseChatModel:
    """The embedded local model (starts llama.cpp's server on 127.0.0.1 once per process)."""
    from langchain_llmorch.local import local_chat_model  # noqa: PLC0415 - the local extra

    return local_chat_model(max_tokens=400, timeout=180)


def make_model() -> BaseChatModel | str:
    """The model `LLMORCH_MODEL` names: `scripted`, `embedded`, unset, or a model string."""
    choice = os.environ.get("LLMORCH_MODEL", "").strip()
    if choice == "scripted":
        return scripted_model()
    if choice == "embedded":
        return embedded_model()
    if choice:
        return choice
    from langchain_llmorch.local import (  # noqa: PLC0415 - the local extra
        LocalModelNotAvailableError,
        check_local_requirements,
    )

    try:
        check_local_requirements()
    except (LocalModelNotAvailableError, ImportError) as err:
        log.warning(
            "LLMORCH_MODEL is not set and the embedded model is missing (%s): "
            "answering with the scripted model",
            err,
        )
        return scripted_model()
    log.info("LLMORCH_MODEL is not set: answering with the embedded local model")
    return embedded_model()


# LangGraph server imports this file under a made-up module name that a worker process
# cannot import: send this module's functions to the compute workers by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

MODEL = make_model()
BASE_URL = os.environ.get("LLMORCH_BASE_URL") or None

graph = create_llmorch_agent(MODEL, TOOLS, base_url=BASE_URL, name="llmorch")
approval_graph = create_llmorch_agent(
    MODEL, TOOLS, base_url=BASE_URL, approve_plan=True, name="llmorch_approval"
)
