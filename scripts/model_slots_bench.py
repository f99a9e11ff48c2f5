"""Does the embedded model holding machine-wide CPU slots help? Both sides in one run.

One llama.cpp server, two chat models of it: `hold` (`hold_cpu_slots=True`) and `off`
(`hold_cpu_slots=False`), each in an agent that streams its plan (`stream_plan=True`, so
compute calls start while the model still writes). Every question is asked of both agents
in turn, the order alternating, for `--rounds` rounds:

- `compute` questions plan two to four CPU-bound calls (pure-Python loops, 0.5-2 s each);
- `lookup` questions plan only I/O-bound look-ups (no compute call, nothing to share).

Per question and side: wall seconds, the load average beside it, the most CPU-bound things
at once from the traces (compute calls' start/end from the agent's trace, model requests
from send to the end of their response) and from samples (threads running or runnable,
every 20 ms, in the llama.cpp server and the worker processes), how often the samples saw
more than P, and the model's decode and prefill tokens/s (llama.cpp's own timings). Then
the cost of one take and give of the slots, alone and through the HTTP transport.

Run from the repository root (an own slot group keeps other users' calls out of the count):
    LLMORCH_SLOT_GROUP=model-slots-bench PYTHONPATH=. .venv/bin/python \\
        scripts/model_slots_bench.py --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil

from langchain_llmorch import create_llmorch_agent
from langchain_llmorch.local import LocalLLMServer
from langchain_llmorch.local.cpu_slots import ModelSlots, SlotTransport
from langchain_llmorch.processes.slots import machine_slots
from langchain_llmorch.tools import compute, inout

POPULATION = {"Lyon": 522_250, "Porto": 231_800, "Graz": 291_072, "Turku": 201_863}
AREA = {"Lyon": 47.87, "Porto": 41.42, "Graz": 127.6, "Turku": 245.7}


@compute
def collatz_total(limit: int) -> int:
    """The total number of Collatz steps of every whole number from 1 to `limit`."""
    total = 0
    for start in range(1, limit + 1):
        n = start
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            total += 1
    return total


@compute
def prime_count(limit: int) -> int:
    """How many prime numbers are below `limit` (counted by trial division)."""
    count = 0
    for n in range(2, limit):
        d = 2
        while d * d <= n and n % d:
            d += 1
        count += d * d > n
    return count


@inout
def population(city: str) -> int:
    """Look up the population of a city."""
    time.sleep(0.3)
    return POPULATION[city.strip().title()]


@inout
def area_km2(city: str) -> float:
    """Look up the area of a city in square kilometres."""
    time.sleep(0.3)
    return AREA[city.strip().title()]


COMPUTE = [
    "How many primes are below 400000, and how many below 600000?",
    "What are the total Collatz steps up to 150000 and up to 200000?",
    "How many primes are below 500000, and what are the total Collatz steps up to 120000 "
    "and up to 180000?",
    "Count the primes below 300000, below 450000 and below 550000.",
]
LOOKUP = [
    "What are the populations of Lyon and Porto?",
    "What is the area of Graz, and the population of Turku?",
]


# --- what the model and the machine do --------------------------------------------------


class TeeTransport(httpx.BaseTransport):
    """Sends to the server and keeps each request's span and llama.cpp's timings."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.spans: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        began = time.time()
        response = self.inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers.multi_items(),
            stream=_TeeStream(response.stream, self.spans, began),
            extensions=response.extensions,
        )


class _TeeStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, spans: list[dict[str, Any]], began: float):
        self.inner, self.spans, self.began, self.body = inner, spans, began, bytearray()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.body.extend(chunk)
            yield chunk

    def close(self) -> None:
        self.inner.close()
        self.spans.append({"start": self.began, "end": time.time(), **_timings(bytes(self.body))})


def _timings(body: bytes) -> dict[str, float]:
    """llama.cpp's `timings` object: the last one in a body or a stream of events."""
    text = body.decode("utf-8", "replace")
    at = text.rfind('"timings":')
    if at < 0:
        return {}
    with contextlib.suppress(ValueError):
        found, _ = json.JSONDecoder().raw_decode(text, at + len('"timings":'))
        if isinstance(found, dict):
            return {k: float(v) for k, v in found.items() if isinstance(v, int | float)}
    return {}


class Sampler:
    """Counts running or runnable threads of the server and the workers every 20 ms."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _pids(self) -> list[int]:
        me = os.getpid()
        children = [p.pid for p in psutil.Process(me).children(recursive=True)]
        return sorted(set(children) | {self.server_pid})

    def _run(self) -> None:
        pids = self._pids()
        refreshed = time.monotonic()
        while not self._stop.wait(0.02):
            if time.monotonic() - refreshed > 1.0:
                pids, refreshed = self._pids(), time.monotonic()
            running = 0
            for pid in pids:
                with contextlib.suppress(OSError):
                    for tid in os.listdir(f"/proc/{pid}/task"):
                        with contextlib.suppress(OSError):
                            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
                            running += stat.rsplit(") ", 1)[1][:1] == "R"
            self.samples.append((time.time(), running))

    def between(self, start: float, end: float) -> list[int]:
        return [n for t, n in self.samples if start <= t <= end]


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """The most spans open at one instant."""
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    best = now = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


# --- the run ------------------------------------------------------------------------------


def ask(agent: Any, tee: TeeTransport, sampler: Sampler, question: str, p: int) -> dict[str, Any]:
    load = os.getloadavg()[0]
    first = len(tee.spans)
    began = time.time()
    state = agent.invoke({"messages": [("user", question)]})
    ended = time.time()
    requests = tee.spans[first:]
    calls = [r for r in state.get("trace", []) if r.get("kind") == "compute"]
    compute_spans = [(r["started_at"], r["ended_at"]) for r in calls if r.get("ended_at")]
    model_spans = [(r["start"], r["end"]) for r in requests]
    samples = sampler.between(began, ended)
    predicted = sum(r.get("predicted_n", 0) for r in requests)
    decode_ms = sum(r.get("predicted_ms", 0) for r in requests)
    prompt = sum(r.get("prompt_n", 0) for r in requests)
    prefill_ms = sum(r.get("prompt_ms", 0) for r in requests)
    return {
        "wall": ended - began,
        "load": load,
        "model_s": sum(e - s for s, e in model_spans),
        "calls_end": max((e for _, e in compute_spans), default=began) - began,
        "calls": len(calls),
        "plan": " | ".join(line.strip() for line in state.get("plan", "").splitlines()),
        "trace_max": most_at_once(compute_spans + model_spans),
        "overlap_compute_model": _overlap(compute_spans, model_spans),
        "sample_max": max(samples, default=0),
        "over_p": sum(n > p for n in samples) / max(len(samples), 1),
        "decode_tps": predicted / (decode_ms / 1000) if decode_ms else 0.0,
        "prefill_tps": prompt / (prefill_ms / 1000) if prefill_ms else 0.0,
        "answer": str(state["messages"][-1].content)[:160],
    }


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Seconds during which a compute call and a model request were both in flight."""
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


def cost_of_take_and_give(model: ModelSlots, n: int) -> dict[str, float]:
    """Microseconds per take-and-give: alone, with `async with`, and through the transport."""
    began = time.perf_counter()
    for _ in range(n):
        with model.holding():
            pass
    sync_us = (time.perf_counter() - began) / n * 1e6

    async def holds() -> float:
        began = time.perf_counter()
        for _ in range(n):
            async with model.holding():
                pass
        return (time.perf_counter() - began) / n * 1e6

    async_us = asyncio.run(holds())
    mock = httpx.MockTransport(lambda request: httpx.Response(200, text="{}"))
    per_request = {}
    for name, transport in (("plain", mock), ("slots", SlotTransport(model, mock))):
        with httpx.Client(transport=transport) as client:
            began = time.perf_counter()
            for _ in range(n):
                client.post("http://model/v1/chat/completions", json={})
            per_request[name] = (time.perf_counter() - began) / n * 1e6
    return {
        "sync_us": sync_us,
        "async_us": async_us,
        "request_plain_us": per_request["plain"],
        "request_slots_us": per_request["slots"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-lookup", action="store_true")
    args = parser.parse_args()
    slots = machine_slots()
    assert slots is not None, "slots are off: unset LLMORCH_SLOT_GROUP=off"
    p = slots.size
    print(f"slot group {slots.directory}, P={p}, cpus={os.cpu_count()}", flush=True)
    tools = [collatz_total, prime_count, population, area_km2]
    with LocalLLMServer(n_ctx=4096) as server:
        assert server.pid is not None
        tee = TeeTransport()
        sampler = Sampler(server.pid)
        agents = {}
        for side, hold in (("hold", True), ("off", False)):
            model = server.chat_model(
                max_tokens=400,
                timeout=300,
                hold_cpu_slots=hold,
                http_client=httpx.Client(transport=tee, timeout=300),
            )
            agents[side] = create_llmorch_agent(model, tools, stream_plan=True)
        agents["hold"].invoke({"messages": [("user", COMPUTE[0])]})  # warm: pool, prompt cache
        agents["off"].invoke({"messages": [("user", LOOKUP[0])]})
        sampler.start()
        rows: list[dict[str, Any]] = []
        sets = [("compute", COMPUTE)] + ([] if args.skip_lookup else [("lookup", LOOKUP)])
        turn = 0
        for round_ in range(args.rounds):
            for kind, questions in sets:
                for index, question in enumerate(questions):
                    order = ["hold", "off"] if turn % 2 == 0 else ["off", "hold"]
                    turn += 1
                    for side in order:
                        row = ask(agents[side], tee, sampler, question, p)
                        row |= {"side": side, "kind": kind, "q": index, "round": round_}
                        rows.append(row)
                        print(json.dumps(row), flush=True)
        sampler.stop()
        model_slots = server.model_slots()
        assert model_slots is not None
        cost = cost_of_take_and_give(model_slots, 2000)
    print("\nside  kind     n  wall s (mean, median)  load    trace max  sample max  >P  decode t/s")
    for kind, _ in sets:
        for side in ("hold", "off"):
            got = [r for r in rows if r["side"] == side and r["kind"] == kind]
            if not got:
                continue
            walls = [r["wall"] for r in got]
            loads = [r["load"] for r in got]
            print(
                f"{side:5} {kind:8} {len(got):2}  {statistics.mean(walls):6.2f} "
                f"{statistics.median(walls):6.2f}         {min(loads):.1f}-{max(loads):.1f}"
                f"    {max(r['trace_max'] for r in got)} "
                f"(mean {statistics.mean(r['trace_max'] for r in got):.1f})"
                f"  {max(r['sample_max'] for r in got)}"
                f" (mean {statistics.mean(r['sample_max'] for r in got):.1f})"
                f"  {statistics.mean(r['over_p'] for r in got):.0%}"
                f"  {statistics.mean(r['decode_tps'] for r in got):.1f}"
            )
    pairs = {}
    for r in rows:
        pairs.setdefault((r["kind"], r["q"], r["round"]), {})[r["side"]] = r["wall"]
    for kind, _ in sets:
        ratios = [v["hold"] / v["off"] for (k, _, _), v in pairs.items() if k == kind]
        print(f"{kind}: hold/off wall ratio per pair: median {statistics.median(ratios):.3f}")
    print(
        "take+give: {sync_us:.1f} us (with), {async_us:.1f} us (async with); a POST through "
        "the transport {request_slots_us:.1f} us against {request_plain_us:.1f} us".format(**cost)
    )
    print(f"uptime at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
