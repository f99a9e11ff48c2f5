"""Plan mutations shared by the fuzz test (Hypothesis) and the longer fuzz campaign.

A case is plan text built from valid plans by mutations an LLM (or an attacker
writing through one) could produce: tokens inserted, spans cut, repeated or nested,
lines repeated, huge literals. The contract: `compile_text` either returns an FRG or
raises `PlanSyntaxError` / `PlanValidationError`, and a validated plan's arguments
evaluate to values or fail with `ExpressionError` / `KeyError`.
"""

from __future__ import annotations

import random
from typing import Any

from langchain_llmorch import build_frg, compute, inout, parse_plan
from langchain_llmorch.plan.expressions import ExpressionError, RunBudget, evaluate_args
from langchain_llmorch.plan.frg import FRG


@inout
def echo(x: Any = None) -> Any:
    """Return x."""
    return x


@inout
def search(query: str) -> str:
    """Search."""
    return query


@compute
def work(n: int) -> int:
    """Work."""
    return n


@inout
def add(a: float, b: float = 0.0) -> float:
    """a + b."""
    return a + b


TOOLS = [echo, search, work, add]

SEEDS = [
    's1: search(query="openai.com")\ns2: echo(x=s1)\ns3: work(n=3)\ns4: add(a=s3, b=2)',
    '1. search("population of {x}")\n2. echo(["$1", ${1}])\n3. join()',
    'Thought: both\ns1: echo(x=[1, 2.5, "a{s0}b", {"k": [1, -2]}])\ns2: self(prompt="sum {s1}")',
    "s1: add(a=1, b=2)\ns2: add(a=s1 * 2, b=s1 / 4)\ns3: echo(x=s1 + s2 - 1)",
    's1: echo(x="a" + "b")\ns2: echo(x=s1 + s1)\ns3: echo(x=[s1, s2, s2])\ns4: echo(x="{s3}")',
    "```\ns1: work(\n    n=1,\n)\ns2: echo(\n  x=[\n    s1,\n  ],\n)\n```",
]

TOKENS = [
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    '"',
    "'",
    "\\",
    ",",
    ":",
    "=",
    "+",
    "-",
    "*",
    "/",
    "**",
    "$1",
    "${2}",
    "{s1}",
    "s1",
    "s2",
    "s9",
    "x",
    "self",
    "join",
    "echo",
    "add",
    "work",
    "1",
    "0",
    "1e308",
    "9" * 400,
    "1/0",
    "\n",
    "\n\t",
    " ",
    "#",
    "Thought:",
    "s7: ",
    "3. ",
    "lambda: 0",
    "__import__('os')",
    "x.y",
    "a[0]",
    "f'{1}'",
    "\x00",
    "\ud800",
    "é",
    "…",
    "<END_OF_PLAN>",
    "```",
    "*" * 3,
    "[" * 50,
    "(" * 300,
    "-" * 200,
    "+1" * 300,
]


def mutate(rng: random.Random, text: str) -> str:
    """One random mutation of `text`."""
    kind = rng.randrange(9)
    at = rng.randrange(len(text) + 1)
    end = min(len(text), at + rng.randrange(1, 40))
    if kind == 0:  # insert a token
        return text[:at] + rng.choice(TOKENS) + text[at:]
    if kind == 1:  # cut a span
        return text[:at] + text[end:]
    if kind == 2:  # repeat a span
        return text[:at] + text[at:end] * rng.choice([2, 10, 100, 1000]) + text[end:]
    if kind == 3:  # nest: wrap a span in brackets many times
        depth = rng.choice([5, 40, 200, 2000])
        return text[:at] + "[" * depth + text[at:end] + "]" * depth + text[end:]
    if kind == 4:  # repetition and doubling that would blow up if evaluated
        big = rng.choice(["1000000", "10**9", "999999999999"])
        return text[:at] + rng.choice(["*", "+", "*"]) + big + text[at:]
    if kind == 5:  # repeat whole lines (ids collide or chain)
        lines = text.splitlines() or [""]
        line = rng.choice(lines)
        return text + ("\n" + line) * rng.choice([1, 5, 50])
    if kind == 6:  # a doubling chain of calls
        n = rng.choice([5, 30, 60])
        chain = [f"d0: echo(x={rng.choice(['[1]', chr(34) + 'ab' + chr(34), '99999'])})"]
        chain += [f"d{i}: echo(x=d{i - 1} {rng.choice('+*')} d{i - 1})" for i in range(1, n)]
        return text + "\n" + "\n".join(chain)
    if kind == 7:  # replace a character by a token
        return text[:at] + rng.choice(TOKENS) + text[at + 1 :]
    # a huge literal
    literal = rng.choice(['"' + "a" * 100_000 + '"', "9" * 5000, "[" + "1," * 50_000 + "]"])
    return text[:at] + literal + text[at:]


def case(rng: random.Random) -> str:
    """A seed plan after one to four mutations."""
    text = rng.choice(SEEDS)
    for _ in range(rng.randint(1, 4)):
        text = mutate(rng, text)
    return text


def hostile(rng: random.Random) -> str:
    """A plan that validates but tries to blow up at run time: chains that double
    text, lists or numbers, shared references rendered into text, division by a
    zero result, nesting at the limit, large constants.
    """
    n = rng.choice([5, 20, 40, 80])
    first = rng.choice(['"' + "ab" * rng.choice([1, 1000]) + '"', "[1, 2]", "99999999", "0"])
    lines = [f"h0: echo(x={first})"]
    pure = rng.random() < 0.5  # one operator all along: the value doubles every line
    for i in range(1, n):
        a, b = f"h{rng.randrange(i)}", f"h{i - 1}"
        if pure and i > 1:
            lines.append(lines[-1].replace(f"h{i - 2}", b).replace(f"h{i - 1}:", f"h{i}:", 1))
            continue
        expr = rng.choice(
            [
                f"{b} + {b}",
                f"{a} + {b}",
                f"{b} * {b}",
                f"[{b}, {b}]",
                f'"{{{b}}}{{{b}}}"',
                f"1 / {b}",
                "{" + f'"k": {b}, "j": [{a}, {b}]' + "}",
                f"-{b}",
                f"{b} - 1",
            ]
        )
        lines.append(f"h{i}: echo(x={expr})")
    if rng.random() < 0.3:
        depth = rng.choice([10, 31])
        lines.append(f"z: echo(x={'[' * depth}h{n - 1}{']' * depth})")
    if rng.random() < 0.3:
        lines.append(f'p: self(prompt="summarise {{h{n - 1}}} and $1")')
    return "\n".join(lines)


def compile_text(text: str) -> FRG:
    """Parse and validate against `TOOLS`."""
    return build_frg(parse_plan(text), TOOLS)


def evaluate_all(frg: FRG) -> dict[str, Any]:
    """Fill every call's arguments in plan order, each call returning what it was given
    (its one argument, or all of them), as echo tools would; a call whose arguments
    fail (`ExpressionError`, or `KeyError` after a failed parent) has no result.
    """
    results: dict[str, Any] = {}
    budget = RunBudget()  # as the orchestrator does
    for cid in frg.calls:
        try:
            args = evaluate_args(frg.bound_args[cid], results, run=budget)
        except (ExpressionError, KeyError):
            continue
        results[cid] = next(iter(args.values())) if len(args) == 1 else args
    return results
