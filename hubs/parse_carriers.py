"""Parsing how returns travel: ``[rate_cards.*]``, ``[services.*]`` (parcel carrier services)
and ``[lanes.*]`` (line-haul between facilities).

Each reader records every problem of its entry and returns ``None`` unless the entry read
cleanly (then the domain object validates itself, its errors recorded under the TOML key).
"""

from __future__ import annotations

import itertools
from typing import Final

from hubs.model import CarrierService, LinehaulLane, Mode, RateCard, Scope, ServiceKind
from hubs.reading import NetworkProblems, NetworkTable

__all__ = ["DISPATCH_UNITS", "read_lane", "read_rate_card", "read_service"]

DISPATCH_UNITS: Final = (
    "tote",
    "pallet",
    "gaylord",
    "ftl_trailer",
    "container_20ft",
    "container_40ft",
    "container_40ft_hc",
    "air_uld",
)


def _strictly_increasing(t: NetworkTable, key: str, values: tuple[int, ...]) -> None:
    if not values:
        t.error(key, "must not be empty")
    elif any(b <= a for a, b in itertools.pairwise(values)):
        t.error(key, f"must be strictly increasing, got {list(values)}")


def read_rate_card(key: str, t: NetworkTable, problems: NetworkProblems) -> RateCard | None:
    """``[rate_cards.<id>]``: zones by distance x weight breaks, surcharges, currency."""
    mark = problems.mark()
    currency = t.currency("currency")
    zones = t.ints("zone_upper_km", low=1)
    _strictly_increasing(t, "zone_upper_km", zones)
    weights = t.ints("weight_upper_g", low=1)
    _strictly_increasing(t, "weight_upper_g", weights)
    prices = t.matrix("prices_minor", low=0)
    if zones and len(prices) != len(zones):
        t.error("prices_minor", f"needs one row per zone: {len(zones)} zones, {len(prices)} rows")
    for z, row in enumerate(prices):
        if weights and len(row) != len(weights):
            problems.add(
                f"{t.at('prices_minor')}[{z}]",
                f"needs one price per weight break: {len(weights)} breaks, {len(row)} prices",
            )
    divisor = t.int("volumetric_divisor_cm3_per_kg", low=1)
    fuel = t.int("fuel_surcharge_bp", low=0)
    fee = t.int("per_parcel_fee_minor", low=0, default=0)
    sources = t.sources()
    t.finish()
    if not problems.clean_since(mark):
        return None
    with problems.model(t.path):
        return RateCard(
            id=key,
            currency=currency,
            zone_upper_km=zones,
            weight_upper_g=weights,
            prices_minor=prices,
            volumetric_divisor_cm3_per_kg=divisor,
            fuel_surcharge_bp=fuel,
            per_parcel_fee_minor=fee,
            sources=sources,
        )
    return None


def read_service(key: str, t: NetworkTable, problems: NetworkProblems) -> CarrierService | None:
    """``[services.<id>]``: a parcel service, priced by its rate card."""
    mark = problems.mark()
    carrier = t.str("carrier", nonempty=True)
    name = t.str("name", nonempty=True)
    kind = t.choice("kind", ServiceKind, refused={ServiceKind.LINEHAUL})
    if kind is ServiceKind.LINEHAUL:
        t.error("kind", "'linehaul' is a lane ([lanes.*]), not a parcel service")
    mode = t.choice("mode", Mode)
    scope = t.choice("scope", Scope)
    rate_card = t.reference("rate_card")
    transit = t.ints("transit_days_by_zone", low=0)
    pickup = t.countries("pickup_countries")
    max_weight = t.int("max_weight_g", low=1)
    max_length = t.int("max_length_mm", low=1)
    max_girth = t.int("max_length_plus_girth_mm", low=1)
    clears_customs = t.bool("clears_customs")
    sources = t.sources()
    t.finish()
    if not problems.clean_since(mark) or kind is None or mode is None or scope is None:
        return None
    with problems.model(t.path):
        return CarrierService(
            id=key,
            carrier=carrier,
            name=name,
            kind=kind,
            mode=mode,
            scope=scope,
            rate_card=rate_card,
            transit_days_by_zone=transit,
            pickup_countries=pickup,
            max_weight_g=max_weight,
            max_length_mm=max_length,
            max_length_plus_girth_mm=max_girth,
            clears_customs=clears_customs,
            sources=sources,
        )
    return None


def read_lane(key: str, t: NetworkTable, problems: NetworkProblems) -> LinehaulLane | None:
    """``[lanes.<id>]``: consolidated line-haul from a hub to an origin."""
    mark = problems.mark()
    from_facility = t.reference("from_facility")
    to_facility = t.reference("to_facility")
    if from_facility and from_facility == to_facility:
        t.error("to_facility", "a lane must join two different facilities")
    carrier = t.str("carrier", nonempty=True)
    mode = t.choice("mode", Mode)
    dispatch_unit = t.str("dispatch_unit", nonempty=True)
    if dispatch_unit and dispatch_unit not in DISPATCH_UNITS:
        t.error(
            "dispatch_unit",
            f"unknown value {dispatch_unit!r}; allowed: {', '.join(DISPATCH_UNITS)}",
        )
    capacity_g = t.int("capacity_g", low=1)
    units_mark = problems.mark()
    capacity_units = t.int("capacity_units", low=1)
    units_ok = problems.clean_since(units_mark)
    fixed_cost = t.int("fixed_cost_minor", low=0)
    per_kg = t.int("per_kg_minor", low=0)
    currency = t.currency("currency")
    cadence = t.int("cadence_days", low=0)
    transit = t.int("transit_days", low=0)
    planning = t.int("planning_units_per_dispatch", low=1)
    if units_ok and planning > capacity_units:
        t.error(
            "planning_units_per_dispatch", f"{planning} exceeds capacity_units ({capacity_units})"
        )
    lane_km = t.int("distance_km", low=1)
    divisor = t.optional("volumetric_divisor_cm3_per_kg", lambda k: t.int(k, low=1))
    sources = t.sources()
    t.finish()
    if not problems.clean_since(mark) or mode is None:
        return None
    with problems.model(t.path):
        return LinehaulLane(
            id=key,
            from_facility=from_facility,
            to_facility=to_facility,
            carrier=carrier,
            mode=mode,
            dispatch_unit=dispatch_unit,
            capacity_g=capacity_g,
            capacity_units=capacity_units,
            fixed_cost_minor=fixed_cost,
            per_kg_minor=per_kg,
            currency=currency,
            cadence_days=cadence,
            transit_days=transit,
            planning_units_per_dispatch=planning,
            distance_km=lane_km,
            sources=sources,
            volumetric_divisor_cm3_per_kg=divisor or 0,
        )
    return None
