"""A fifth held-out set for the embedded model: 16 questions in two new domains.

Written before any change of its round and committed first; run only to measure. Two sets
of eight, each with its own tools, in domains no earlier set touches (all names invented,
so the model cannot answer from memory):

- `cinema`: films' running times and directors, directors' birth years, cinemas' ticket
  prices and main-hall seats, and a two-argument screenings tool (film, days);
- `cars`: car models' fuel use per 100 km and tank sizes, their makers, the makers'
  staff, petrol prices by country, and a two-argument trip-cost tool (model, km).

Like the earlier held-out sets, the questions ask for comparisons (one of them phrased as
"cheaper"), conversions that need arithmetic (an amount times a looked-up rate, a per-100 km
figure scaled to a distance, a sum of two results: the looked-up figure alone is a wrong
answer), two-step chains (a look-up whose result is the next call's argument) and calls of
a two-argument tool. Each question carries the calls that answer it, the numbers a right
answer states and, for a comparison, which subject is the larger.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# -------------------------------------------------------------------- cinema

RUNTIME = {
    "silver tide": 128,
    "quiet orchard": 94,
    "iron meadow": 141,
    "northern glass": 112,
    "salt road": 87,
}
DIRECTOR = {
    "silver tide": "Ana Kovac",
    "quiet orchard": "Tomas Reyes",
    "iron meadow": "Lena Holt",
    "northern glass": "Yuki Sato",
    "salt road": "Omar Haddad",
}
BORN = {"ana kovac": 1971, "tomas reyes": 1984, "lena holt": 1966, "yuki sato": 1979}
BORN["omar haddad"] = 1990
TICKET = {"lumiere": 11.5, "astra": 9.0, "palace": 13.0, "rialto": 8.5, "orbit": 10.0}
SEATS = {"lumiere": 320, "astra": 180, "palace": 450, "rialto": 140, "orbit": 260}
PER_DAY = {
    "silver tide": 4,
    "quiet orchard": 6,
    "iron meadow": 3,
    "northern glass": 5,
    "salt road": 7,
}


def film_name(film: str) -> str:
    """A film's key: `"The Quiet Orchard"` -> `"quiet orchard"`."""
    return table_key(film, RUNTIME, prefixes=("film ",), suffixes=(" film",))


def cinema_name(cinema: str) -> str:
    """A cinema's key: `"the Palace cinema"` -> `"palace"`."""
    return table_key(cinema, TICKET, suffixes=(" cinema",))


@inout
def film_runtime(film: str) -> int:
    """Look up how long a film runs, in minutes."""
    time.sleep(0.2)  # a film database
    return RUNTIME[film_name(film)]


@inout
def film_director(film: str) -> str:
    """Look up who directed a film; returns the director's name."""
    time.sleep(0.2)
    return DIRECTOR[film_name(film)]


@inout
def director_birth_year(director: str) -> int:
    """Look up the year a film director was born."""
    time.sleep(0.2)
    return BORN[table_key(director, BORN)]


@inout
def ticket_price(cinema: str) -> float:
    """Look up what one adult ticket costs at a cinema, in euros."""
    time.sleep(0.2)  # the cinema's booking site
    return TICKET[cinema_name(cinema)]


@inout
def hall_seats(cinema: str) -> int:
    """Look up how many seats the main hall of a cinema has."""
    time.sleep(0.2)
    return SEATS[cinema_name(cinema)]


@compute
def screenings(film: str, days: int) -> int:
    """How many times a film is screened over a number of days."""
    return PER_DAY[film_name(film)] * int(days)


CINEMA_TOOLS: list[BaseTool] = [
    film_runtime,
    film_director,
    director_birth_year,
    ticket_price,
    hall_seats,
    screenings,
]

# ---------------------------------------------------------------------- cars

FUEL_PER_100KM = {"vento": 5.2, "cresta": 7.8, "pixa": 4.4, "marlin": 9.5, "sorel": 6.1}
TANK_LITRES = {"vento": 45, "cresta": 60, "pixa": 38, "marlin": 70, "sorel": 50}
MAKER = {
    "vento": "Aurelia Motors",
    "cresta": "Hartwell",
    "pixa": "Kobo Cars",
    "marlin": "Hartwell",
    "sorel": "Nordvik",
}
STAFF = {"aurelia motors": 42000, "hartwell": 18500, "kobo cars": 7600, "nordvik": 12300}
PETROL = {"norway": 2.1, "spain": 1.6, "poland": 1.45, "italy": 1.85, "japan": 1.2}
TRIP_PRICE_PER_LITRE = 1.8


def model_name(model: str) -> str:
    """A car model's key: `"the Cresta"` -> `"cresta"`."""
    return table_key(model, FUEL_PER_100KM, suffixes=(" car",))


@inout
def fuel_use(model: str) -> float:
    """Look up how many litres of fuel a car model uses per 100 kilometres."""
    time.sleep(0.2)  # a car catalogue
    return FUEL_PER_100KM[model_name(model)]


@inout
def tank_size(model: str) -> int:
    """Look up how many litres the fuel tank of a car model holds."""
    time.sleep(0.2)
    return TANK_LITRES[model_name(model)]


@inout
def car_maker(model: str) -> str:
    """Look up which company makes a car model; returns the company's name."""
    time.sleep(0.2)
    return MAKER[model_name(model)]


@inout
def maker_staff(maker: str) -> int:
    """Look up how many people a car company employs."""
    time.sleep(0.2)
    return STAFF[table_key(maker, STAFF)]


@inout
def petrol_price(country: str) -> float:
    """Look up what one litre of petrol costs in a country, in euros."""
    time.sleep(0.2)
    return PETROL[table_key(country, PETROL)]


@compute
def trip_cost(model: str, km: float) -> float:
    """The fuel cost, in euros, of driving a car model a number of kilometres."""
    litres = FUEL_PER_100KM[model_name(model)] * float(km) / 100
    return round(litres * TRIP_PRICE_PER_LITRE, 2)


CARS_TOOLS: list[BaseTool] = [
    fuel_use,
    tank_size,
    car_maker,
    maker_staff,
    petrol_price,
    trip_cost,
]


CINEMA_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which film is longer, Iron Meadow or Silver Tide?",
        {("film_runtime", "film", "iron meadow"), ("film_runtime", "film", "silver tide")},
        (141, 128),
        larger=("iron meadow", "silver tide"),
    ),
    ask(
        "How much do 4 adult tickets at the Palace cinema cost?",
        {("ticket_price", "cinema", "palace")},
        (4 * 13.0,),
    ),
    ask(
        "In which year was the director of Salt Road born?",
        {
            ("film_director", "film", "salt road"),
            ("director_birth_year", "director", chained("film_director")),
        },
        (1990,),
    ),
    ask(
        "How many screenings of Northern Glass are there over 3 days?",
        {("screenings", "film", "northern glass"), ("screenings", "days", 3)},
        (5 * 3,),
    ),
    ask(
        "Which cinema has more seats in its main hall, the Astra or the Rialto?",
        {("hall_seats", "cinema", "astra"), ("hall_seats", "cinema", "rialto")},
        (180, 140),
        larger=("astra", "rialto"),
    ),
    ask(
        "How many seats do the main halls of the Lumiere and the Orbit have together?",
        {("hall_seats", "cinema", "lumiere"), ("hall_seats", "cinema", "orbit")},
        (320 + 260,),
    ),
    ask(
        "Which film has more screenings over 2 days, Salt Road or The Quiet Orchard?",
        {
            ("screenings", "film", "salt road"),
            ("screenings", "days", 2),
            ("screenings", "film", "quiet orchard"),
        },
        (7 * 2, 6 * 2),
        larger=("salt road", "quiet orchard"),
    ),
    ask(
        "How many minutes do 3 showings of Silver Tide take back to back?",
        {("film_runtime", "film", "silver tide")},
        (3 * 128,),
    ),
)


CARS_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which uses more fuel per 100 km, the Cresta or the Sorel?",
        {("fuel_use", "model", "cresta"), ("fuel_use", "model", "sorel")},
        (7.8, 6.1),
        larger=("cresta", "sorel"),
    ),
    ask(
        "How many litres of fuel does the Pixa use on a 250 km drive?",
        {("fuel_use", "model", "pixa")},
        (4.4 * 250 / 100,),
    ),
    ask(
        "How many people work for the company that makes the Marlin?",
        {("car_maker", "model", "marlin"), ("maker_staff", "maker", chained("car_maker"))},
        (18500,),
    ),
    ask(
        "What do 40 litres of petrol cost in Norway?",
        {("petrol_price", "country", "norway")},
        (40 * 2.1,),
    ),
    ask(
        "What does a 300 km trip in the Vento cost in fuel?",
        {("trip_cost", "model", "vento"), ("trip_cost", "km", 300)},
        (round(5.2 * 300 / 100 * TRIP_PRICE_PER_LITRE, 2),),
    ),
    ask(
        "Which car has the bigger fuel tank, the Marlin or the Cresta?",
        {("tank_size", "model", "marlin"), ("tank_size", "model", "cresta")},
        (70, 60),
        larger=("marlin", "cresta"),
    ),
    ask(
        "Is petrol cheaper in Spain or in Poland?",
        {("petrol_price", "country", "spain"), ("petrol_price", "country", "poland")},
        (1.6, 1.45),
        larger=("spain", "poland"),
    ),
    ask(
        "How many litres do the fuel tanks of the Sorel and the Pixa hold?",
        {("tank_size", "model", "sorel"), ("tank_size", "model", "pixa")},
        (50, 38),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("film_runtime", "film"): film_name,
    ("film_director", "film"): film_name,
    ("director_birth_year", "director"): keyed(BORN),
    ("ticket_price", "cinema"): cinema_name,
    ("hall_seats", "cinema"): cinema_name,
    ("screenings", "film"): film_name,
    ("fuel_use", "model"): model_name,
    ("tank_size", "model"): model_name,
    ("car_maker", "model"): model_name,
    ("maker_staff", "maker"): keyed(STAFF),
    ("petrol_price", "country"): keyed(PETROL),
    ("trip_cost", "model"): model_name,
}
"""How the scorer compares an argument's value where spellings differ (`"The Quiet
Orchard"`, `"the Palace cinema"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "cinema": (CINEMA_TOOLS, CINEMA_QUESTIONS),
    "cars": (CARS_TOOLS, CARS_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
