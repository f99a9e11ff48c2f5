"""Development sets for the embedded model, in domains no other set has.

Music, garden, library; and hiking, aquarium, bakery (written later, for comparisons
asked for the smaller, totals, differences and amounts in another unit).

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


# ------------------------------------------------------------------- hiking
# Written this round, for the kinds of case of the plan and answer checks: comparisons
# asked for the smaller, totals, differences, amounts in another unit (minutes for an
# argument in hours, kilograms for a result per 100 grams), two-argument calls.

TRAIL_KM = {"ridge path": 14.5, "lake loop": 6.2, "pine trail": 9.8}
TRAIL_CLIMB = {"ridge path": 820, "lake loop": 140, "pine trail": 430}
TRAIL_REGION = {"ridge path": "Highmoor", "lake loop": "Vellen", "pine trail": "Highmoor"}
HUTS = {"highmoor": 7, "vellen": 3}
SNACK_KCAL = {"trail mix": 462.0, "dried apricots": 241.0}


def _trail(name: str) -> str:
    return table_key(name, TRAIL_KM, suffixes=(" trail",) if "pine" not in name.lower() else ())


@inout
def trail_length(trail: str) -> float:
    """Look up how many kilometres long a hiking trail is."""
    time.sleep(0.2)
    return TRAIL_KM[_trail(trail)]


@inout
def trail_climb(trail: str) -> int:
    """Look up how many metres of climb a hiking trail has."""
    time.sleep(0.2)
    return TRAIL_CLIMB[_trail(trail)]


@inout
def trail_region(trail: str) -> str:
    """Look up which region a hiking trail is in; returns the region's name."""
    time.sleep(0.2)
    return TRAIL_REGION[_trail(trail)]


@inout
def region_huts(region: str) -> int:
    """Look up how many mountain huts a region has."""
    time.sleep(0.2)
    return HUTS[table_key(region, HUTS, suffixes=(" region",))]


@inout
def snack_calories(snack: str) -> float:
    """Look up how many kilocalories 100 grams of a trail snack have."""
    time.sleep(0.2)
    return SNACK_KCAL[table_key(snack, SNACK_KCAL)]


@compute
def guide_fee(trail: str, hours: float) -> float:
    """What a mountain guide charges, in euros, to lead a group on a trail for a number of hours."""
    return round(40.0 + 25.0 * hours + (10.0 if _trail(trail) == "ridge path" else 0.0), 6)


HIKING_TOOLS: list[BaseTool] = [
    trail_length,
    trail_climb,
    trail_region,
    region_huts,
    snack_calories,
    guide_fee,
]

# ----------------------------------------------------------------- aquarium

TANK_LITRES = {"reef": 1200.0, "lagoon": 3400.0, "kelp": 2600.0}
TANK_FISH = {"reef": 85, "lagoon": 140, "kelp": 60}
SPECIES_TANK = {"clownfish": "Reef", "tang": "Lagoon", "garibaldi": "Kelp"}
FOOD_G = {"clownfish": 1.5, "tang": 4.0, "garibaldi": 3.2}


def _tank(name: str) -> str:
    return table_key(name, TANK_LITRES, suffixes=(" tank",))


@inout
def tank_volume(tank: str) -> float:
    """Look up how many litres of water an aquarium tank holds."""
    time.sleep(0.2)
    return TANK_LITRES[_tank(tank)]


@inout
def tank_fish(tank: str) -> int:
    """Look up how many fish live in an aquarium tank."""
    time.sleep(0.2)
    return TANK_FISH[_tank(tank)]


@inout
def species_tank(species: str) -> str:
    """Look up which aquarium tank a fish species lives in; returns the tank's name."""
    time.sleep(0.2)
    return SPECIES_TANK[table_key(species, SPECIES_TANK)]


@inout
def daily_food(species: str) -> float:
    """Look up how many grams of food one fish of a species eats per day."""
    time.sleep(0.2)
    return FOOD_G[table_key(species, FOOD_G)]


@compute
def salt_dose(litres: float) -> float:
    """The grams of sea salt to mix into an amount of fresh water, in litres."""
    return round(35.0 * litres, 6)


AQUARIUM_TOOLS: list[BaseTool] = [tank_volume, tank_fish, species_tank, daily_food, salt_dose]

# ------------------------------------------------------------------- bakery

BREAD_PRICE = {"baguette": 1.3, "rye": 3.8, "spelt": 4.2}
BREAD_FLOUR = {"baguette": 250, "rye": 500, "spelt": 450}
BREAD_MINUTES = {"baguette": 25, "rye": 55, "spelt": 40}
PASTRY_SUGAR = {"croissant": 11.0, "brioche": 14.5}
OVEN_RATE = {"stone": 3.6, "convection": 2.4}


def _bread(name: str) -> str:
    return table_key(name, BREAD_PRICE, suffixes=(" bread", " loaf", " loaves"))


@inout
def bread_price(bread: str) -> float:
    """Look up the price of one loaf of a bread, in euros."""
    time.sleep(0.2)
    return BREAD_PRICE[_bread(bread)]


@inout
def bread_flour(bread: str) -> int:
    """Look up how many grams of flour one loaf of a bread takes."""
    time.sleep(0.2)
    return BREAD_FLOUR[_bread(bread)]


@inout
def bake_minutes(bread: str) -> int:
    """Look up how many minutes a loaf of a bread bakes in the oven."""
    time.sleep(0.2)
    return BREAD_MINUTES[_bread(bread)]


@inout
def pastry_sugar(pastry: str) -> float:
    """Look up how many grams of sugar 100 grams of a pastry have."""
    time.sleep(0.2)
    return PASTRY_SUGAR[table_key(pastry, PASTRY_SUGAR)]


@compute
def oven_cost(oven: str, hours: float) -> float:
    """What running a bakery oven costs, in euros, for a number of hours."""
    return round(OVEN_RATE[table_key(oven, OVEN_RATE, suffixes=(" oven",))] * hours, 6)


BAKERY_TOOLS: list[BaseTool] = [bread_price, bread_flour, bake_minutes, pastry_sugar, oven_cost]


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


HIKING_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which trail is shorter, the Ridge Path or the Lake Loop?",
        {("trail_length", "trail", "ridge path"), ("trail_length", "trail", "lake loop")},
        (14.5, 6.2),
        larger=("Ridge Path", "Lake Loop"),
    ),
    ask(
        "How many kilometres are the Ridge Path and the Pine Trail together?",
        {("trail_length", "trail", "ridge path"), ("trail_length", "trail", "pine trail")},
        (14.5 + 9.8,),
    ),
    ask(
        "How many more metres of climb does the Ridge Path have than the Lake Loop?",
        {("trail_climb", "trail", "ridge path"), ("trail_climb", "trail", "lake loop")},
        (820 - 140,),
    ),
    ask(
        "What does a guide charge to lead a group on the Lake Loop for 90 minutes?",
        {("guide_fee", "trail", "lake loop"), ("guide_fee", "hours", 1.5)},
        (40.0 + 25.0 * 1.5,),
    ),
    ask(
        "How many mountain huts does the region that the Lake Loop is in have?",
        {
            ("trail_region", "trail", "lake loop"),
            ("region_huts", "region", chained("trail_region")),
        },
        (3,),
    ),
    ask(
        "How many kilocalories are in 0.5 kg of trail mix?",
        {("snack_calories", "snack", "trail mix")},
        (462.0 * 5,),
    ),
    ask(
        "Which trail has the least climb: the Ridge Path, the Lake Loop or the Pine Trail?",
        {
            ("trail_climb", "trail", "ridge path"),
            ("trail_climb", "trail", "lake loop"),
            ("trail_climb", "trail", "pine trail"),
        },
        (140,),
    ),
    ask(
        "What does a guide charge to lead a group on the Ridge Path for 3 hours?",
        {("guide_fee", "trail", "ridge path"), ("guide_fee", "hours", 3)},
        (40.0 + 25.0 * 3 + 10.0,),
    ),
)

AQUARIUM_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which tank holds fewer litres, the Reef or the Lagoon?",
        {("tank_volume", "tank", "reef"), ("tank_volume", "tank", "lagoon")},
        (1200, 3400),
        larger=("Lagoon", "Reef"),
    ),
    ask(
        "How many fish live in the Reef and the Kelp tanks in total?",
        {("tank_fish", "tank", "reef"), ("tank_fish", "tank", "kelp")},
        (85 + 60,),
    ),
    ask(
        "How many grams of sea salt go into 2500 ml of fresh water?",
        {("salt_dose", "litres", 2.5)},
        (87.5,),
    ),
    ask(
        "How many fish live in the tank that the clownfish lives in?",
        {
            ("species_tank", "species", "clownfish"),
            ("tank_fish", "tank", chained("species_tank")),
        },
        (85,),
    ),
    ask(
        "How many grams of food do 12 tangs eat per day?",
        {("daily_food", "species", "tang")},
        (12 * 4.0,),
    ),
    ask(
        "How many more litres does the Lagoon hold than the Kelp tank?",
        {("tank_volume", "tank", "lagoon"), ("tank_volume", "tank", "kelp")},
        (3400 - 2600,),
    ),
    ask(
        "Which species eats less food per day, the clownfish or the garibaldi?",
        {("daily_food", "species", "clownfish"), ("daily_food", "species", "garibaldi")},
        (1.5, 3.2),
        larger=("garibaldi", "clownfish"),
    ),
    ask(
        "How many litres of water does the Kelp tank hold?",
        {("tank_volume", "tank", "kelp")},
        (2600,),
    ),
)

BAKERY_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which bread bakes longer, rye or spelt?",
        {("bake_minutes", "bread", "rye"), ("bake_minutes", "bread", "spelt")},
        (55, 40),
        larger=("rye", "spelt"),
    ),
    ask(
        "Which loaf is cheaper, the baguette or the spelt?",
        {("bread_price", "bread", "baguette"), ("bread_price", "bread", "spelt")},
        (1.3, 4.2),
        larger=("spelt", "baguette"),
    ),
    ask(
        "What do 3 dozen baguettes cost?",
        {("bread_price", "bread", "baguette")},
        (46.8,),
    ),
    ask(
        "How many grams of sugar are in 0.4 kg of brioche?",
        {("pastry_sugar", "pastry", "brioche")},
        (14.5 * 4,),
    ),
    ask(
        "What does running the stone oven cost for 45 minutes?",
        {("oven_cost", "oven", "stone"), ("oven_cost", "hours", 0.75)},
        (2.7,),
    ),
    ask(
        "How many grams of flour do a rye loaf and a spelt loaf take together?",
        {("bread_flour", "bread", "rye"), ("bread_flour", "bread", "spelt")},
        (950,),
    ),
    ask(
        "How many minutes longer does rye bake than a baguette?",
        {("bake_minutes", "bread", "rye"), ("bake_minutes", "bread", "baguette")},
        (30,),
    ),
    ask(
        "How much flour do 5 loaves of spelt take?",
        {("bread_flour", "bread", "spelt")},
        (5 * 450,),
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
    ("trail_length", "trail"): _trail,
    ("trail_climb", "trail"): _trail,
    ("trail_region", "trail"): _trail,
    ("guide_fee", "trail"): _trail,
    ("region_huts", "region"): lambda v: table_key(v, HUTS, suffixes=(" region",)),
    ("snack_calories", "snack"): lambda v: table_key(v, SNACK_KCAL),
    ("tank_volume", "tank"): _tank,
    ("tank_fish", "tank"): _tank,
    ("species_tank", "species"): lambda v: table_key(v, SPECIES_TANK),
    ("daily_food", "species"): lambda v: table_key(v, FOOD_G),
    ("bread_price", "bread"): _bread,
    ("bread_flour", "bread"): _bread,
    ("bake_minutes", "bread"): _bread,
    ("pastry_sugar", "pastry"): lambda v: table_key(v, PASTRY_SUGAR),
    ("oven_cost", "oven"): lambda v: table_key(v, OVEN_RATE, suffixes=(" oven",)),
}
"""How the scorer compares an argument's value where spellings differ (`"the Roxy"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "music": (MUSIC_TOOLS, MUSIC_QUESTIONS),
    "garden": (GARDEN_TOOLS, GARDEN_QUESTIONS),
    "library": (LIBRARY_TOOLS, LIBRARY_QUESTIONS),
    "hiking": (HIKING_TOOLS, HIKING_QUESTIONS),
    "aquarium": (AQUARIUM_TOOLS, AQUARIUM_QUESTIONS),
    "bakery": (BAKERY_TOOLS, BAKERY_QUESTIONS),
}
"""The development sets (see the module's docstring)."""
