"""Shared fixtures for the hubs tests: a small valid network to mutate, and error helpers."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from typing import Any

import pytest

from hubs import NetworkErrors, network_from_mapping
from hubs.model import NetworkError

# Three customer countries, two origins, one hub with a lane, one French 3PL. Every facility is
# reachable: FR customers by the domestic service, everyone by the international one.
MINIMAL_TOML = """
format_version = 1

[network]
name = "minimal"
currency = "EUR"

[co2e]
g_per_tkm = { van = 782, road = 125, air = 667, ocean = 20, rail = 35 }

[policy]
refund_delay_per_day_minor = 50
resale_depreciation_per_day_bp = 10
co2e_price_per_tonne_minor = 0
returnless_max_value_minor = 2000

[recovery]
currency = "EUR"
cost_per_unit_minor = { restock = 0, liquidate = 0 }

[recovery.rates_bp]
restock = { A = 10000 }
liquidate = { A = 1000, B = 1000 }

[regions]
DE = { lat = 51.0, lon = 9.5 }
FR = { lat = 47.3, lon = 2.5 }
US = { lat = 37.4, lon = -92.4 }

[facilities.origin_de]
name = "Origin Hamburg"
kind = "origin"
country = "DE"
lat = 53.49
lon = 10.13
capacity_units_per_day = 1000
handling_per_parcel_minor = 300
handling_per_unit_minor = 0
currency = "EUR"
processing_days = 3
dispositions = ["restock", "liquidate"]
sources = [{ ref = "test", year = 2026 }]

[facilities.origin_us]
name = "Origin Pennsylvania"
kind = "origin"
country = "US"
lat = 40.60
lon = -75.48
capacity_units_per_day = 1000
handling_per_parcel_minor = 300
handling_per_unit_minor = 295
currency = "USD"
processing_days = 3
dispositions = ["restock"]

[facilities.hub_nl]
name = "Hub Venlo"
kind = "hub"
country = "NL"
lat = 51.40
lon = 6.17
capacity_units_per_day = 1000
handling_per_parcel_minor = 300
handling_per_unit_minor = 0
currency = "EUR"
processing_days = 2
dispositions = ["liquidate"]
bonded = true

[facilities.rc_fr]
name = "3PL Paris"
kind = "local_3pl"
country = "FR"
lat = 48.97
lon = 2.52
capacity_units_per_day = 500
handling_per_parcel_minor = 300
handling_per_unit_minor = 0
currency = "EUR"
processing_days = 5
dispositions = ["liquidate"]

[rate_cards.card_intl]
currency = "USD"
zone_upper_km = [2500, 20100]
weight_upper_g = [1000, 5000]
prices_minor = [[1000, 2000], [3000, 4000]]
volumetric_divisor_cm3_per_kg = 5000
fuel_surcharge_bp = 2450

[rate_cards.card_dom]
currency = "EUR"
zone_upper_km = [500]
weight_upper_g = [2000, 30000]
prices_minor = [[955, 3340]]
volumetric_divisor_cm3_per_kg = 1000000
fuel_surcharge_bp = 0

[services.intl]
carrier = "Express"
name = "Express international"
kind = "express"
mode = "air"
scope = "international"
rate_card = "card_intl"
transit_days_by_zone = [1, 3]
pickup_countries = []
max_weight_g = 5000
max_length_mm = 2740
max_length_plus_girth_mm = 4000
clears_customs = true

[services.dom_fr]
carrier = "Post"
name = "Domestic FR"
kind = "postal_economy"
mode = "road"
scope = "domestic"
rate_card = "card_dom"
transit_days_by_zone = [2]
pickup_countries = ["FR"]
max_weight_g = 30000
max_length_mm = 2000
max_length_plus_girth_mm = 2000
clears_customs = false

[lanes.nl_de]
from_facility = "hub_nl"
to_facility = "origin_de"
carrier = "Haulier"
mode = "road"
dispatch_unit = "ftl_trailer"
capacity_g = 24000000
capacity_units = 9500
fixed_cost_minor = 60900
per_kg_minor = 0
currency = "EUR"
cadence_days = 4
transit_days = 1
planning_units_per_dispatch = 3000
distance_km = 420
"""

Data = dict[str, Any]


@pytest.fixture
def minimal_toml() -> str:
    """The minimal network as TOML text."""
    return MINIMAL_TOML


@pytest.fixture
def data() -> Data:
    """A fresh, mutable copy of the minimal network document."""
    return copy.deepcopy(tomllib.loads(MINIMAL_TOML))


@pytest.fixture
def errors_of() -> Callable[[Data], list[NetworkError]]:
    """Validate a document that must be invalid; return its errors."""

    def run(document: Data) -> list[NetworkError]:
        with pytest.raises(NetworkErrors) as info:
            network_from_mapping(document, origin="test.toml")
        return list(info.value.errors)

    return run
