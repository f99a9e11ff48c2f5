"""Development sets for the embedded model, in domains no other set has: music, garden, library.

Written to try the plan checks of `agent.tool_fit` and the plan grammar's numbers on
tools nobody tuned them on (they are development sets: used while changing the code,
not a holdout; `library` was written last, with other phrasings: "the author of X",
"X' author", "less per day"). Like `holdout3`, the questions ask for comparisons, amounts times a
looked-up rate, two-step chains (a look-up whose text result is the next call's
argument) and a two-argument tool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, table_key
from langchain_llmorch.tools import compute, inout

_KINDS = ("album ", "song ", "venue ", "plant ")


def _devkey(name: str, known: Collection[str]) -> str:
    """`name` as the tables spell it, without the kind words these sets' questions use."""
    return table_key(name, known, prefixes=_KINDS, suffixes=(" plant", " plants"))


def _devkeyed(known: Collection[str]) -> Callable[[str], str]:
    return lambda value: _devkey(value, known)


# --------------------------------------------------------------------- music

ARTISTS = {"blue harbor": "Mira Vale", "paper moons": "The Lanterns", "red static": "Okapi"}
FOLLOWERS = {"mira vale": 48200, "lanterns": 131500, "okapi": 9700}
SONGS = {"nightfall": 4.2, "glass rain": 3.55, "undertow": 5.1}
TICKETS = {"roxy": 38.0, "paradiso": 45.5, "fillmore": 52.0}
CAPACITY = {"roxy": 500, "paradiso": 1500, "fillmore": 1150}


@inout
def album_artist(album: str) -> str:
    """Look up which artist recorded an album; returns the artist's name."""
    time.sleep(0.2)  # a web API
    return ARTISTS[_devkey(album, ARTISTS)]


@inout
def artist_followers(artist: str) -> int:
    """Look up how many followers an artist has on a streaming service."""
    time.sleep(0.2)
    return FOLLOWERS[_devkey(artist, FOLLOWERS)]


@inout
def song_length(song: str) -> float:
    """Look up how long a song lasts, in minutes."""
    time.sleep(0.2)
    return SONGS[_devkey(song, SONGS)]


@inout
def ticket_price(venue: str) -> float:
    """Look up the price of one concert ticket at a venue, in euros."""
    time.sleep(0.2)
    return TICKETS[_devkey(venue, TICKETS)]


@inout
def venue_capacity(venue: str) -> int:
    """Look up how many people a concert venue holds."""
    time.sleep(0.2)
    return CAPACITY[_devkey(venue, CAPACITY)]


MUSIC_TOOLS: list[BaseTool] = [
    album_artist,
    artist_followers,
    song_length,
    ticket_price,
    venue_capacity,
]

# -------------------------------------------------------------------- garden

WATER = {"tomato": 3.5, "basil": 1.2, "lavender": 0.8, "mint": 2.1}
FAMILY = {"tomato": "Solanaceae", "basil": "Lamiaceae", "lavender": "Lamiaceae"}
FAMILY["mint"] = "Lamiaceae"
PESTS = {"solanaceae": 14, "lamiaceae": 6}
SEEDS = {"tomato": 2.9, "basil": 1.75, "lavender": 3.4, "mint": 1.5}


@inout
def plant_water(plant: str) -> float:
    """Look up how many litres of water one plant needs per week."""
    time.sleep(0.2)
    return WATER[_devkey(plant, WATER)]


@inout
def plant_family(plant: str) -> str:
    """Look up which botanical family a plant belongs to; returns the family's name."""
    time.sleep(0.2)
    return FAMILY[_devkey(plant, FAMILY)]


@inout
def family_pests(family: str) -> int:
    """Look up how many common pests attack the plants of a botanical family."""
    time.sleep(0.2)
    return PESTS[_devkey(family, PESTS)]


@inout
def seed_price(plant: str) -> float:
    """Look up the price of one seed packet of a plant, in euros."""
    time.sleep(0.2)
    return SEEDS[_devkey(plant, SEEDS)]


@compute
def bed_area(length: float, width: float) -> float:
    """The area of a rectangular garden bed, in square metres."""
    return round(length * width, 6)


GARDEN_TOOLS: list[BaseTool] = [plant_water, plant_family, family_pests, seed_price, bed_area]


# ------------------------------------------------------------------- library

AUTHORS = {"the quiet shore": "Ines Marlow", "iron lanterns": "Tobias Crane"}
AUTHORS["salt and cedar"] = "Ines Marlow"
BORN = {"ines marlow": 1961, "tobias crane": 1978}
PAGES = {"the quiet shore": 312, "iron lanterns": 488, "salt and cedar": 264}
LOAN_FEE = {"central": 0.35, "riverside": 0.5}


@inout
def book_author(book: str) -> str:
    """Look up who wrote a book; returns the author's name."""
    time.sleep(0.2)
    return AUTHORS[_book(book)]


@inout
def author_birth_year(author: str) -> int:
    """Look up the year an author was born."""
    time.sleep(0.2)
    return BORN[author.strip().lower()]


@inout
def book_pages(book: str) -> int:
    """Look up how many pages a book has."""
    time.sleep(0.2)
    return PAGES[_book(book)]


@inout
def daily_loan_fee(library: str) -> float:
    """Look up what a library charges to lend a book for one day, in euros."""
    time.sleep(0.2)
    return LOAN_FEE[_library(library)]


def _book(name: str) -> str:
    key = name.strip().strip("'\"").lower()
    return key if key in PAGES else "the " + key


def _library(name: str) -> str:
    return name.strip().lower().removeprefix("the ").removesuffix(" library").strip()


LIBRARY_TOOLS: list[BaseTool] = [book_author, author_birth_year, book_pages, daily_loan_fee]


MUSIC_QUESTIONS: tuple[Question, ...] = (
    ask(
        "How many followers does the artist of Blue Harbor have?",
        {
            ("album_artist", "album", "blue harbor"),
            ("artist_followers", "artist", chained("album_artist")),
        },
        (48200,),
    ),
    ask(
        "What do 4 tickets at the Roxy cost?",
        {("ticket_price", "venue", "roxy")},
        (4 * 38.0,),
    ),
    ask(
        "Which venue holds more people, the Roxy or the Paradiso?",
        {("venue_capacity", "venue", "roxy"), ("venue_capacity", "venue", "paradiso")},
        (500, 1500),
        larger=("Paradiso", "Roxy"),
    ),
    ask(
        "How long do the songs Nightfall and Glass Rain last?",
        {("song_length", "song", "nightfall"), ("song_length", "song", "glass rain")},
        (4.2, 3.55),
    ),
    ask(
        "How many people does the Fillmore hold, and what does a ticket at the Paradiso cost?",
        {("venue_capacity", "venue", "fillmore"), ("ticket_price", "venue", "paradiso")},
        (1150, 45.5),
    ),
    ask(
        "Which artist has more followers, Mira Vale or Okapi?",
        {("artist_followers", "artist", "mira vale"), ("artist_followers", "artist", "okapi")},
        (48200, 9700),
        larger=("Mira Vale", "Okapi"),
    ),
    ask(
        "How many followers does the artist of the album Paper Moons have?",
        {
            ("album_artist", "album", "paper moons"),
            ("artist_followers", "artist", chained("album_artist")),
        },
        (131500,),
    ),
    ask(
        "How many minutes do 3 plays of Undertow take?",
        {("song_length", "song", "undertow")},
        (3 * 5.1,),
    ),
)

GARDEN_QUESTIONS: tuple[Question, ...] = (
    ask(
        "How much water do a tomato and a basil plant need per week?",
        {("plant_water", "plant", "tomato"), ("plant_water", "plant", "basil")},
        (3.5, 1.2),
    ),
    ask(
        "How many common pests attack the family that the tomato belongs to?",
        {
            ("plant_family", "plant", "tomato"),
            ("family_pests", "family", chained("plant_family")),
        },
        (14,),
    ),
    ask(
        "What do 5 seed packets of basil cost?",
        {("seed_price", "plant", "basil")},
        (5 * 1.75,),
    ),
    ask(
        "Which needs more water per week, lavender or mint?",
        {("plant_water", "plant", "lavender"), ("plant_water", "plant", "mint")},
        (0.8, 2.1),
        larger=("mint", "lavender"),
    ),
    ask(
        "What is the area of a garden bed 4 metres long and 2.5 metres wide?",
        {("bed_area", "length", 4), ("bed_area", "width", 2.5)},
        (10,),
    ),
    ask(
        "How many litres of water do 6 tomato plants need per week?",
        {("plant_water", "plant", "tomato")},
        (6 * 3.5,),
    ),
    ask(
        "What does a seed packet of mint cost, and how much water does lavender need per week?",
        {("seed_price", "plant", "mint"), ("plant_water", "plant", "lavender")},
        (1.5, 0.8),
    ),
    ask(
        "Which costs more, a seed packet of tomato or of lavender?",
        {("seed_price", "plant", "tomato"), ("seed_price", "plant", "lavender")},
        (2.9, 3.4),
        larger=("lavender", "tomato"),
    ),
)


LIBRARY_QUESTIONS: tuple[Question, ...] = (
    ask(
        "In which year was the author of Iron Lanterns born?",
        {
            ("book_author", "book", "iron lanterns"),
            ("author_birth_year", "author", chained("book_author")),
        },
        (1978,),
    ),
    ask(
        "Which book is longer, Iron Lanterns or Salt and Cedar?",
        {("book_pages", "book", "iron lanterns"), ("book_pages", "book", "salt and cedar")},
        (488, 264),
        larger=("Iron Lanterns", "Salt and Cedar"),
    ),
    ask(
        "What does the Riverside library charge to lend a book for 14 days?",
        {("daily_loan_fee", "library", "riverside")},
        (14 * 0.5,),
    ),
    ask(
        "When was Ines Marlow born, and how many pages does The Quiet Shore have?",
        {("author_birth_year", "author", "ines marlow"), ("book_pages", "book", "the quiet shore")},
        (1961, 312),
    ),
    ask(
        "How many pages do 3 copies of Salt and Cedar have in all?",
        {("book_pages", "book", "salt and cedar")},
        (3 * 264,),
    ),
    ask(
        "Iron Lanterns' author was born in which year?",
        {
            ("book_author", "book", "iron lanterns"),
            ("author_birth_year", "author", chained("book_author")),
        },
        (1978,),
    ),
    ask(
        "Which library lends a book for less per day, Central or Riverside?",
        {("daily_loan_fee", "library", "central"), ("daily_loan_fee", "library", "riverside")},
        (0.35, 0.5),
        larger=("Riverside", "Central"),
    ),
    ask(
        "How long is The Quiet Shore, in pages?",
        {("book_pages", "book", "the quiet shore")},
        (312,),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("album_artist", "album"): _devkeyed(ARTISTS),
    ("artist_followers", "artist"): _devkeyed(FOLLOWERS),
    ("song_length", "song"): _devkeyed(SONGS),
    ("ticket_price", "venue"): _devkeyed(TICKETS),
    ("venue_capacity", "venue"): _devkeyed(CAPACITY),
    ("plant_water", "plant"): _devkeyed(WATER),
    ("plant_family", "plant"): _devkeyed(FAMILY),
    ("family_pests", "family"): _devkeyed(PESTS),
    ("seed_price", "plant"): _devkeyed(SEEDS),
    ("book_author", "book"): _book,
    ("book_pages", "book"): _book,
    ("author_birth_year", "author"): str.lower,
    ("daily_loan_fee", "library"): _library,
}
"""How the scorer compares an argument's value where spellings differ (`"the Roxy"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "music": (MUSIC_TOOLS, MUSIC_QUESTIONS),
    "garden": (GARDEN_TOOLS, GARDEN_QUESTIONS),
    "library": (LIBRARY_TOOLS, LIBRARY_QUESTIONS),
}
"""The two development sets (see the module's docstring)."""
