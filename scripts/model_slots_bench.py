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
import subprocess
import sys
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


# Every ask gets its own numbers (k: the ask's number, a few units apart): the same text twice
# would find the first ask's prompts in llama.cpp's prompt cache and favour whichever side
# asked second. The work differs by a few parts in 100,000.
COMPUTE = [
    "How many primes are below {0}, and how many below {1}?",
    "What are the total Collatz steps up to {2} and up to {3}?",
    "How many primes are below {4}, and what are the total Collatz steps up to {5} and up to {6}?",
    "Count the primes below {7}, below {8} and below {9}.",
]
_BASES = (400000, 600000, 150000, 200000, 500000, 120000, 180000, 300000, 450000, 550000)
LOOKUP = [
    "What are the populations of Lyon and Porto{0}?",
    "What is the area of Graz, and the population of Turku{0}?",
]
_PLACES = ("", " (as of now)", " (today)", " (at present)", " (this year)", " (currently)")


def question(kind: str, index: int, k: int) -> str:
    """The `index`-th question of `kind` with the numbers of ask `k`."""
    if kind == "compute":
        return COMPUTE[index].format(*(base + 7 * k for base in _BASES))
    return LOOKUP[index].format(_PLACES[k % len(_PLACES)])


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


def child(args: argparse.Namespace) -> None:
    """The second agent of `--pair`: asks `side<TAB>question` lines, answers JSON lines."""
    tools = [collatz_total, prime_count, population, area_km2]
    with LocalLLMServer(
        n_ctx=4096, n_threads=args.threads, n_threads_batch=args.threads_batch
    ) as server:
        agents = {
            side: create_llmorch_agent(
                server.chat_model(max_tokens=400, timeout=300, hold_cpu_slots=hold),
                tools,
                stream_plan=True,
            )
            for side, hold in (("hold", True), ("off", False))
        }
        agents["hold"].invoke({"messages": [("user", question("compute", 0, 9999))]})
        print("ready", flush=True)
        for line in iter(input, "end"):
            side, text = line.split("\t", 1)
            began = time.time()
            agents[side].invoke({"messages": [("user", text)]})
            print(json.dumps({"wall": time.time() - began}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-lookup", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="the server's n_threads")
    parser.add_argument("--threads-batch", type=int, default=None, help="its n_threads_batch")
    parser.add_argument(
        "--pair", action="store_true", help="a second agent (own process, own server) asks too"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    slots = machine_slots()
    assert slots is not None, "slots are off: unset LLMORCH_SLOT_GROUP=off"
    p = slots.size
    print(f"slot group {slots.directory}, P={p}, cpus={os.cpu_count()}", flush=True)
    tools = [collatz_total, prime_count, population, area_km2]
    partner = None
    if args.pair:
        command = [sys.executable, __file__, "--child", "--threads", str(args.threads)]
        if args.threads_batch:
            command += ["--threads-batch", str(args.threads_batch)]
        partner = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert partner.stdout is not None
        assert partner.stdout.readline().strip() == "ready"
    print(
        f"threads {args.threads}, threads_batch {args.threads_batch}, pair {args.pair}", flush=True
    )
    with LocalLLMServer(
        n_ctx=4096, n_threads=args.threads, n_threads_batch=args.threads_batch
    ) as server:
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
        # Warm: the pool, and the planner's and joiner's prompt prefixes in the cache.
        agents["hold"].invoke({"messages": [("user", question("compute", 0, 9999))]})
        agents["off"].invoke({"messages": [("user", question("lookup", 0, 5))]})
        sampler.start()
        rows: list[dict[str, Any]] = []
        sets = [("compute", COMPUTE)] + ([] if args.skip_lookup else [("lookup", LOOKUP)])
        turn = k = 0
        for round_ in range(args.rounds):
            for kind, questions in sets:
                for index in range(len(questions)):
                    order = ["hold", "off"] if turn % 2 == 0 else ["off", "hold"]
                    turn += 1
                    for side in order:
                        k += 1
                        if partner is not None:  # the other agent asks the next question
                            assert partner.stdin is not None
                            other = question(kind, (index + 1) % len(questions), k + 500)
                            partner.stdin.write(f"{side}\t{other}\n")
                            partner.stdin.flush()
                        row = ask(agents[side], tee, sampler, question(kind, index, k), p)
                        if partner is not None:
                            assert partner.stdout is not None
                            theirs = json.loads(partner.stdout.readline())["wall"]
                            row |= {"partner_wall": theirs, "both_wall": max(theirs, row["wall"])}
                        row |= {"side": side, "kind": kind, "q": index, "round": round_}
                        rows.append(row)
                        print(json.dumps(row), flush=True)
        sampler.stop()
        model_slots = server.model_slots()
        assert model_slots is not None
        cost = cost_of_take_and_give(model_slots, 2000)
    if partner is not None:
        assert partner.stdin is not None
        partner.stdin.write("end\n")
        partner.stdin.close()
        partner.wait(60)
    print(
        "\nside  kind     n  wall s (mean, median)  load    trace max  sample max  >P  decode t/s"
    )
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
        print(
            f"{kind}: hold/off wall ratio per pair: median {statistics.median(ratios):.3f}, "
            f"geometric mean {statistics.geometric_mean(ratios):.3f} ({len(ratios)} pairs)"
        )
        if kind == "compute":  # the part the slots can change: until the last call ends
            ends = {}
            for r in rows:
                if r["kind"] == kind:
                    ends.setdefault((r["q"], r["round"]), {})[r["side"]] = r["calls_end"]
            parts = [v["hold"] / v["off"] for v in ends.values() if v.get("off")]
            means = {
                side: statistics.mean(
                    r["calls_end"] for r in rows if r["side"] == side and r["kind"] == kind
                )
                for side in ("hold", "off")
            }
            print(
                f"  until the last compute call ends: hold {means['hold']:.2f} s, off "
                f"{means['off']:.2f} s; ratio per pair median {statistics.median(parts):.3f}, "
                f"geometric mean {statistics.geometric_mean(parts):.3f}"
            )
        if args.pair:
            for side in ("hold", "off"):
                got = [r for r in rows if r["side"] == side and r["kind"] == kind]
                print(
                    f"  {side}: the other agent {statistics.mean(r['partner_wall'] for r in got):.2f}"
                    f" s, both done {statistics.mean(r['both_wall'] for r in got):.2f} s"
                )
    print(
        "take+give: {sync_us:.1f} us (with), {async_us:.1f} us (async with); a POST through "
        "the transport {request_slots_us:.1f} us against {request_plain_us:.1f} us".format(**cost)
    )
    print(f"uptime at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
