"""A third held-out set for the embedded model: 16 questions in two new domains.

Written before any change of its round and committed first; run only to measure (once on
the code before the round, once at its end). Two sets of eight, each with its own tools:

- `energy`: household appliances' power, a two-argument energy-use tool, electricity
  prices and CO2 per kWh by country, and the country a city is in;
- `shop`: item prices and weights, carriers' shipping rates per kilogram, a
  two-argument stock look-up (item, warehouse), items' suppliers and their delivery times.

Like `holdout2`, the questions ask for comparisons ("which costs more"), conversions that
need arithmetic (an amount times a looked-up rate: the rate alone is a wrong answer),
two-step chains (a look-up whose result is the next call's argument) and calls of a
two-argument tool. Each question carries the calls that answer it, the numbers a right
answer states and, for a comparison, which subject is the larger.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.tools import BaseTool

from bench.holdout2 import chained
from bench.question_sets import Question, ask, keyed, table_key
from langchain_llmorch.tools import compute, inout

# -------------------------------------------------------------------- energy

WATTS = {"kettle": 2200, "toaster": 900, "heater": 1500, "fridge": 150, "laptop": 60}
WATTS["television"] = 120
KWH_PRICE = {"germany": 0.40, "france": 0.25, "spain": 0.28, "norway": 0.12, "italy": 0.33}
CO2_PER_KWH = {"germany": 380, "france": 56, "spain": 150, "norway": 30, "italy": 260}
CITY_COUNTRY = {
    "seville": "Spain",
    "bordeaux": "France",
    "bergen": "Norway",
    "hamburg": "Germany",
    "naples": "Italy",
}


@inout
def appliance_power(appliance: str) -> int:
    """Look up how many watts a household appliance draws while it runs."""
    time.sleep(0.2)  # a web API
    return WATTS[table_key(appliance, WATTS)]


@compute
def energy_used(appliance: str, hours: float) -> float:
    """How many kilowatt-hours a household appliance uses when it runs for `hours` hours."""
    return round(WATTS[table_key(appliance, WATTS)] * hours / 1000, 6)


@inout
def electricity_price(country: str) -> float:
    """Look up the price of one kilowatt-hour of electricity in a country, in euros."""
    time.sleep(0.2)
    return KWH_PRICE[table_key(country, KWH_PRICE)]


@inout
def co2_per_kwh(country: str) -> int:
    """Look up how many grams of CO2 one kilowatt-hour of a country's electricity emits."""
    time.sleep(0.2)
    return CO2_PER_KWH[table_key(country, CO2_PER_KWH)]


@inout
def city_country(city: str) -> str:
    """Look up which country a city is in; returns the country's name."""
    time.sleep(0.2)
    return CITY_COUNTRY[table_key(city, CITY_COUNTRY)]


ENERGY_TOOLS: list[BaseTool] = [
    appliance_power,
    energy_used,
    electricity_price,
    co2_per_kwh,
    city_country,
]

# ---------------------------------------------------------------------- shop

PRICES = {"umbrella": 18.5, "backpack": 64.0, "lamp": 42.75, "notebook": 3.2, "chair": 89.9}
WEIGHTS = {"umbrella": 0.6, "backpack": 1.1, "lamp": 2.4, "notebook": 0.3, "chair": 7.8}
SHIPPING = {"swiftpost": 2.35, "parcelio": 1.9, "boxly": 3.1}
WAREHOUSES = ("leeds", "bristol")
STOCK = {
    ("lamp", "leeds"): 37,
    ("lamp", "bristol"): 12,
    ("backpack", "leeds"): 8,
    ("backpack", "bristol"): 25,
    ("chair", "leeds"): 14,
    ("chair", "bristol"): 3,
    ("umbrella", "leeds"): 40,
    ("umbrella", "bristol"): 52,
    ("notebook", "leeds"): 300,
    ("notebook", "bristol"): 180,
}
SUPPLIERS = {
    "umbrella": "Brollico",
    "chair": "Seatwell",
    "lamp": "Lumina",
    "backpack": "Packhaus",
    "notebook": "Papyra",
}
LEAD_DAYS = {"brollico": 9, "seatwell": 21, "lumina": 6, "packhaus": 12, "papyra": 4}


def warehouse_name(warehouse: str) -> str:
    """A warehouse's key: `"the Leeds warehouse"` -> `"leeds"`."""
    name = table_key(warehouse, WAREHOUSES)
    return name.removesuffix(" warehouse").strip()


@inout
def item_price(item: str) -> float:
    """Look up the shop price of one item, in euros."""
    time.sleep(0.2)
    return PRICES[table_key(item, PRICES)]


@inout
def item_weight(item: str) -> float:
    """Look up how much one item weighs, in kilograms."""
    time.sleep(0.2)
    return WEIGHTS[table_key(item, WEIGHTS)]


@inout
def shipping_rate(carrier: str) -> float:
    """Look up what a carrier charges to ship one kilogram, in euros."""
    time.sleep(0.2)
    return SHIPPING[table_key(carrier, SHIPPING)]


@inout
def stock_level(item: str, warehouse: str) -> int:
    """Look up how many units of an item a warehouse has in stock."""
    time.sleep(0.2)
    return STOCK[table_key(item, PRICES), warehouse_name(warehouse)]


@inout
def item_supplier(item: str) -> str:
    """Look up which company supplies an item; returns the company's name."""
    time.sleep(0.2)
    return SUPPLIERS[table_key(item, SUPPLIERS)]


@inout
def supplier_lead_time(supplier: str) -> int:
    """Look up how many days a supplier takes to deliver an order."""
    time.sleep(0.2)
    return LEAD_DAYS[table_key(supplier, LEAD_DAYS)]


SHOP_TOOLS: list[BaseTool] = [
    item_price,
    item_weight,
    shipping_rate,
    stock_level,
    item_supplier,
    supplier_lead_time,
]


ENERGY_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which draws more power, a kettle or a toaster?",
        {("appliance_power", "appliance", "kettle"), ("appliance_power", "appliance", "toaster")},
        (2200, 900),
        larger=("kettle", "toaster"),
    ),
    ask(
        "What do 350 kWh of electricity cost in Germany?",
        {("electricity_price", "country", "germany")},
        (350 * 0.40,),
    ),
    ask(
        "How many kilowatt-hours does a heater use in 6 hours?",
        {("energy_used", "appliance", "heater"), ("energy_used", "hours", 6)},
        (9.0,),
    ),
    ask(
        "What does one kWh of electricity cost in the country that Seville is in?",
        {
            ("city_country", "city", "seville"),
            ("electricity_price", "country", chained("city_country")),
        },
        (0.28,),
    ),
    ask(
        "Which country's electricity emits more CO2 per kWh, Spain or Italy?",
        {("co2_per_kwh", "country", "spain"), ("co2_per_kwh", "country", "italy")},
        (150, 260),
        larger=("Italy", "Spain"),
    ),
    ask(
        "How many watts do a fridge and a laptop draw?",
        {("appliance_power", "appliance", "fridge"), ("appliance_power", "appliance", "laptop")},
        (150, 60),
    ),
    ask(
        "How much power does a television draw, and how much CO2 does a kWh emit in Norway?",
        {("appliance_power", "appliance", "television"), ("co2_per_kwh", "country", "norway")},
        (120, 30),
    ),
    ask(
        "Which uses more energy, a kettle running for 2 hours or a heater running for 3 hours?",
        {
            ("energy_used", "appliance", "kettle"),
            ("energy_used", "hours", 2),
            ("energy_used", "appliance", "heater"),
            ("energy_used", "hours", 3),
        },
        (4.4, 4.5),
        larger=("heater", "kettle"),
    ),
)


SHOP_QUESTIONS: tuple[Question, ...] = (
    ask(
        "Which costs more, the backpack or the chair?",
        {("item_price", "item", "backpack"), ("item_price", "item", "chair")},
        (64.0, 89.9),
        larger=("chair", "backpack"),
    ),
    ask(
        "What does Swiftpost charge to ship a parcel of 12 kg?",
        {("shipping_rate", "carrier", "swiftpost")},
        (12 * 2.35,),
    ),
    ask(
        "How many lamps does the Leeds warehouse have in stock?",
        {("stock_level", "item", "lamp"), ("stock_level", "warehouse", "leeds")},
        (37,),
    ),
    ask(
        "How many days does the supplier of the umbrella take to deliver?",
        {
            ("item_supplier", "item", "umbrella"),
            ("supplier_lead_time", "supplier", chained("item_supplier")),
        },
        (9,),
    ),
    ask(
        "What do 7 notebooks cost?",
        {("item_price", "item", "notebook")},
        (7 * 3.2,),
    ),
    ask(
        "Which warehouse has more backpacks in stock, Leeds or Bristol?",
        {
            ("stock_level", "item", "backpack"),
            ("stock_level", "warehouse", "leeds"),
            ("stock_level", "warehouse", "bristol"),
        },
        (8, 25),
        larger=("Bristol", "Leeds"),
    ),
    ask(
        "How much do an umbrella and a lamp weigh?",
        {("item_weight", "item", "umbrella"), ("item_weight", "item", "lamp")},
        (0.6, 2.4),
    ),
    ask(
        "What does Parcelio charge per kilogram, and what does a chair weigh?",
        {("shipping_rate", "carrier", "parcelio"), ("item_weight", "item", "chair")},
        (1.9, 7.8),
    ),
)


CANONICAL: dict[tuple[str, str], Callable[[str], str]] = {
    ("appliance_power", "appliance"): keyed(WATTS),
    ("energy_used", "appliance"): keyed(WATTS),
    ("electricity_price", "country"): keyed(KWH_PRICE),
    ("co2_per_kwh", "country"): keyed(CO2_PER_KWH),
    ("city_country", "city"): keyed(CITY_COUNTRY),
    ("item_price", "item"): keyed(PRICES),
    ("item_weight", "item"): keyed(WEIGHTS),
    ("shipping_rate", "carrier"): keyed(SHIPPING),
    ("stock_level", "item"): keyed(PRICES),
    ("stock_level", "warehouse"): warehouse_name,
    ("item_supplier", "item"): keyed(SUPPLIERS),
    ("supplier_lead_time", "supplier"): keyed(LEAD_DAYS),
}
"""How the scorer compares an argument's value where spellings differ (`"lamps"`, `"Lamp"`)."""

SETS: dict[str, tuple[list[BaseTool], tuple[Question, ...]]] = {
    "energy": (ENERGY_TOOLS, ENERGY_QUESTIONS),
    "shop": (SHOP_TOOLS, SHOP_QUESTIONS),
}
"""The two sets of this holdout (see the module's docstring)."""
