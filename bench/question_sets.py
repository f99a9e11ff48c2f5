"""The embedded model's question sets: three sets of eight, each with its own five tools.

`tuned`, the questions the prompts were tuned on (2026-12-01, first session); `fresh`,
written afterwards and used while the planner's checks and examples were improved (second
session); `holdout`, written last, whose plans were never tuned on (one joiner change came
after seeing one of its answers). Each question carries the tool calls that answer it and
the numbers its answer must hold; `benchmarks.local_questions` asks and scores them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from langchain_core.tools import BaseTool

from langchain_llmorch.tools import compute, inout

POPULATION = {"Lyon": 522_250, "Porto": 231_800, "Graz": 291_072, "Turku": 201_863}
TEMPERATURE = {"Oslo": -3.5, "Cairo": 24.1, "Lima": 18.6}


@compute
def prime_count(limit: int) -> int:
    """Count the prime numbers below `limit` (CPU-bound)."""
    if limit < 3:
        return 0
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytearray(len(range(n * n, limit, n)))
    return sum(sieve)


@compute
def fibonacci(n: int) -> int:
    """Return the n-th Fibonacci number (the first two are 1 and 1)."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@inout
def population(city: str) -> int:
    """Look up the population of a city."""
    time.sleep(0.2)  # a web API
    return POPULATION[city.strip().title()]


@inout
def temperature(city: str) -> float:
    """Look up the current temperature of a city, in degrees Celsius."""
    time.sleep(0.2)
    return TEMPERATURE[city.strip().title()]


@inout
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


TOOLS: list[BaseTool] = [prime_count, fibonacci, population, temperature, word_count]

# The `fresh` set: written after the first session's tuning, then used while building the
# plan checks. Other tools (one with two arguments), other wording.
PRICES = {"ACME": 182.4, "GLOBEX": 96.15, "INITECH": 41.7}
RATES = {"EUR": 1.08, "JPY": 0.0067, "GBP": 1.27}
DISTANCES = {("Paris", "Berlin"): 878, ("Rome", "Madrid"): 1365, ("Paris", "Rome"): 1106}


@compute
def collatz_steps(n: int) -> int:
    """How many steps the Collatz sequence starting at `n` takes to reach 1 (CPU-bound)."""
    steps = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@compute
def sum_of_squares(n: int) -> int:
    """The sum 1*1 + 2*2 + ... + n*n (CPU-bound)."""
    return sum(i * i for i in range(1, n + 1))


@inout
def stock_price(symbol: str) -> float:
    """Look up the latest price of a stock, in dollars, by its ticker symbol."""
    time.sleep(0.2)
    return PRICES[symbol.strip().upper()]


@inout
def exchange_rate(currency: str) -> float:
    """Look up how many US dollars one unit of a currency (a code such as CHF) buys."""
    time.sleep(0.2)
    return RATES[currency.strip().upper()]


@inout
def distance_km(origin: str, destination: str) -> int:
    """Look up the road distance between two cities, in kilometres."""
    time.sleep(0.2)
    pair = (origin.strip().title(), destination.strip().title())
    return DISTANCES.get(pair) or DISTANCES[pair[::-1]]


FRESH_TOOLS: list[BaseTool] = [
    collatz_steps,
    sum_of_squares,
    stock_price,
    exchange_rate,
    distance_km,
]


# The held-out set: written last, run only to measure.
HUMIDITY = {"Dublin": 82, "Madrid": 41, "Cairo": 33}
PAGES = {"Dune": 412, "Emma": 474}


@compute
def gcd(a: int, b: int) -> int:
    """The greatest common divisor of two whole numbers (CPU-bound)."""
    while b:
        a, b = b, a % b
    return abs(a)


@compute
def digit_sum(n: int) -> int:
    """The sum of the decimal digits of a whole number."""
    return sum(int(d) for d in str(abs(n)))


@inout
def humidity(city: str) -> int:
    """Look up the current relative humidity of a city, in percent."""
    time.sleep(0.2)
    return HUMIDITY[city.strip().title()]


@inout
def book_pages(title: str) -> int:
    """Look up how many pages a book has, by its title."""
    time.sleep(0.2)
    return PAGES[title.strip().strip("'\"").title()]


@inout
def count_vowels(text: str) -> int:
    """Count the vowels (a, e, i, o, u) in a text."""
    return sum(ch in "aeiou" for ch in text.lower())


HOLDOUT_TOOLS: list[BaseTool] = [gcd, digit_sum, humidity, book_pages, count_vowels]


@dataclass(frozen=True)
class Question:
    """A question, the tool calls that answer it, and the numbers the answer must hold."""

    text: str
    calls: frozenset[tuple[str, str, Any]]
    """(tool, argument, value) of every expected call."""
    numbers: tuple[float, ...]
    larger: tuple[str, str] | None = None
    """For a comparison: (the larger subject, the smaller one), as the question names them.
    An answer that calls the smaller one larger (or the larger one smaller) is wrong."""


def ask(
    text: str,
    calls: set[tuple[str, str, object]],
    numbers: tuple[float, ...],
    larger: tuple[str, str] | None = None,
) -> Question:
    """A question of a held-out or development set, with the calls and numbers it expects."""
    return Question(text, frozenset(calls), numbers, larger=larger)


ARTICLES = ("the ", "a ", "an ", "one ")


def table_key(
    name: str,
    known: Collection[str],
    *,
    prefixes: Collection[str] = (),
    suffixes: Collection[str] = (),
) -> str:
    """`name` as a set's tables spell it: lower case, no quotes, article or kind word, singular.

    A kind word is one of `prefixes` (`"album "`) or `suffixes` (`" line"`); a trailing
    `s` goes only where the singular is one of the `known` keys.
    """
    key = name.strip().strip("'\"").lower()
    for article in ARTICLES:
        key = key.removeprefix(article)
    for prefix in prefixes:
        key = key.removeprefix(prefix)
    for suffix in suffixes:
        key = key.removesuffix(suffix)
    key = key.strip()
    if key not in known and key.endswith("s") and key[:-1] in known:
        key = key[:-1]
    return key


def keyed(known: Collection[str]) -> Callable[[str], str]:
    """The scorer's spelling of an argument whose values are `known`'s keys."""
    return lambda value: table_key(value, known)


def _q(text: str, *calls: tuple[str, str, Any]) -> Question:
    values = {
        "prime_count": prime_count.func,  # type: ignore[attr-defined]
        "fibonacci": fibonacci.func,  # type: ignore[attr-defined]
        "population": lambda v: POPULATION[v],
        "temperature": lambda v: TEMPERATURE[v],
        "word_count": lambda v: len(v.split()),
        "collatz_steps": collatz_steps.func,  # type: ignore[attr-defined]
        "sum_of_squares": sum_of_squares.func,  # type: ignore[attr-defined]
        "stock_price": lambda v: PRICES[v],
        "exchange_rate": lambda v: RATES[v],
        "digit_sum": digit_sum.func,  # type: ignore[attr-defined]
        "humidity": lambda v: HUMIDITY[v],
        "book_pages": lambda v: PAGES[v],
        "count_vowels": count_vowels.func,  # type: ignore[attr-defined]
    }
    numbers = tuple(float(values[tool](value)) for tool, _, value in calls)
    return Question(text, frozenset(calls), numbers)


def _trip(
    text: str, *pairs: tuple[str, str], extra: tuple[str, str, Any] | None = None
) -> Question:
    """A question whose calls include `distance_km` (two arguments per call)."""
    calls = {(("distance_km", "origin", a), ("distance_km", "destination", b)) for a, b in pairs}
    numbers = [float(DISTANCES[pair]) for pair in pairs]
    flat = {part for call in calls for part in call}
    if extra is not None:
        flat.add(extra)
        numbers += _q("", extra).numbers
    return Question(text, frozenset(flat), tuple(numbers))


QUESTIONS: tuple[Question, ...] = (
    _q(
        "How many primes are there below 10000, and how many below 20000?",
        ("prime_count", "limit", 10000),
        ("prime_count", "limit", 20000),
    ),
    _q(
        "What are the populations of Lyon and Porto, and which city is larger?",
        ("population", "city", "Lyon"),
        ("population", "city", "Porto"),
    ),
    _q(
        "Give me the 30th and the 35th Fibonacci numbers.",
        ("fibonacci", "n", 30),
        ("fibonacci", "n", 35),
    ),
    _q(
        "What is the temperature in Oslo, in Cairo and in Lima right now?",
        ("temperature", "city", "Oslo"),
        ("temperature", "city", "Cairo"),
        ("temperature", "city", "Lima"),
    ),
    _q(
        "Count the primes below 5000, and look up the population of Graz.",
        ("prime_count", "limit", 5000),
        ("population", "city", "Graz"),
    ),
    _q(
        "How many words are in 'the quick brown fox jumps' and in "
        "'plans run in parallel on two cores'?",
        ("word_count", "text", "the quick brown fox jumps"),
        ("word_count", "text", "plans run in parallel on two cores"),
    ),
    _q(
        "Which is warmer right now, Cairo or Oslo?",
        ("temperature", "city", "Cairo"),
        ("temperature", "city", "Oslo"),
    ),
    _q(
        "What is the 25th Fibonacci number, and how many primes are below 1000?",
        ("fibonacci", "n", 25),
        ("prime_count", "limit", 1000),
    ),
)


FRESH_QUESTIONS: tuple[Question, ...] = (
    _q(
        "What are the stock prices of ACME and GLOBEX?",
        ("stock_price", "symbol", "ACME"),
        ("stock_price", "symbol", "GLOBEX"),
    ),
    _q(
        "How many Collatz steps do 27 and 97 take?",
        ("collatz_steps", "n", 27),
        ("collatz_steps", "n", 97),
    ),
    _q(
        "What is the sum of squares up to 100, and up to 250?",
        ("sum_of_squares", "n", 100),
        ("sum_of_squares", "n", 250),
    ),
    _q(
        "How many dollars do one EUR and one JPY buy?",
        ("exchange_rate", "currency", "EUR"),
        ("exchange_rate", "currency", "JPY"),
    ),
    _trip(
        "How far is Paris from Berlin, and Rome from Madrid?",
        ("Paris", "Berlin"),
        ("Rome", "Madrid"),
    ),
    _q(
        "Give me the price of INITECH stock and the number of Collatz steps of 871.",
        ("stock_price", "symbol", "INITECH"),
        ("collatz_steps", "n", 871),
    ),
    _q(
        "Which stock costs more right now, ACME or INITECH?",
        ("stock_price", "symbol", "ACME"),
        ("stock_price", "symbol", "INITECH"),
    ),
    _trip(
        "What does one GBP buy in dollars, and how far is it from Paris to Rome?",
        ("Paris", "Rome"),
        extra=("exchange_rate", "currency", "GBP"),
    ),
)


def _gcd(text: str, a: int, b: int, *others: tuple[str, str, Any]) -> Question:
    """A question whose calls include `gcd(a, b)` (two arguments)."""
    rest = _q("", *others)
    calls = {("gcd", "a", a), ("gcd", "b", b), *others}
    return Question(text, frozenset(calls), (float(gcd.func(a, b)), *rest.numbers))  # type: ignore[attr-defined]


HOLDOUT_QUESTIONS: tuple[Question, ...] = (
    _q(
        "What is the humidity in Dublin and in Madrid?",
        ("humidity", "city", "Dublin"),
        ("humidity", "city", "Madrid"),
    ),
    _q(
        "How many pages do 'Dune' and 'Emma' have?",
        ("book_pages", "title", "Dune"),
        ("book_pages", "title", "Emma"),
    ),
    _q(
        "What is the digit sum of 987654 and of 123456789?",
        ("digit_sum", "n", 987654),
        ("digit_sum", "n", 123456789),
    ),
    _gcd("Find the greatest common divisor of 84 and 126.", 84, 126),
    _q(
        "Which city is more humid right now, Dublin or Cairo?",
        ("humidity", "city", "Dublin"),
        ("humidity", "city", "Cairo"),
    ),
    _q(
        "How many vowels are in 'parallel plans' and in 'orchestration'?",
        ("count_vowels", "text", "parallel plans"),
        ("count_vowels", "text", "orchestration"),
    ),
    _q(
        "How many pages does 'Emma' have, and what is the digit sum of 2024?",
        ("book_pages", "title", "Emma"),
        ("digit_sum", "n", 2024),
    ),
    _gcd(
        "What is the gcd of 48 and 180, and the humidity in Madrid?",
        48,
        180,
        ("humidity", "city", "Madrid"),
    ),
)

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "tuned": (TOOLS, QUESTIONS),
    "fresh": (FRESH_TOOLS, FRESH_QUESTIONS),
    "holdout": (HOLDOUT_TOOLS, HOLDOUT_QUESTIONS),
}
"""The question sets by name (see the module's docstring)."""
