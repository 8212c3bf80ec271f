"""Checks across the tables of a network document, once each table has been read.

References (a service's rate card, a lane's facilities, pickup countries with a region), the
recovery table against the facilities' dispositions, the parts every network needs, and that
every facility can be reached. Problems are recorded under the key they concern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from customs.toml_reader import key_path
from hubs.graph import LaneGraph
from hubs.model import (
    CarrierService,
    CustomerRegion,
    Facility,
    FacilityKind,
    LinehaulLane,
    LocalDisposal,
    Network,
    RateCard,
    RecoveryRates,
)
from hubs.reading import NetworkProblems

__all__ = [
    "Declared",
    "check_presence",
    "check_reachability",
    "check_recovery",
    "check_references",
]


@dataclass(frozen=True, slots=True)
class Declared:
    """Ids declared in the file, read cleanly or not (no 'unknown id' for a broken entry)."""

    facilities: set[str]
    rate_cards: set[str]
    services: set[str]
    regions: set[str]


def check_references(
    problems: NetworkProblems,
    declared: Declared,
    facilities: Mapping[str, Facility],
    rate_cards: Mapping[str, RateCard],
    services: Mapping[str, CarrierService],
    lanes: Mapping[str, LinehaulLane],
    regions: Mapping[str, CustomerRegion],
) -> None:
    for sid, service in services.items():
        path = key_path("services", sid)
        card = rate_cards.get(service.rate_card)
        if service.rate_card not in declared.rate_cards:
            known = ", ".join(sorted(declared.rate_cards)) or "none"
            problems.add(
                f"{path}.rate_card", f"unknown rate card {service.rate_card!r}; known: {known}"
            )
        elif card is not None:
            if len(service.transit_days_by_zone) != len(card.zone_upper_km):
                problems.add(
                    f"{path}.transit_days_by_zone",
                    f"has {len(service.transit_days_by_zone)} entries but rate card "
                    f"{card.id!r} has {len(card.zone_upper_km)} zones",
                )
            if service.max_weight_g > card.max_weight_g:
                problems.add(
                    f"{path}.max_weight_g",
                    f"{service.max_weight_g} g exceeds the last weight break of rate card "
                    f"{card.id!r} ({card.max_weight_g} g): heavier parcels could not be priced",
                )
        missing = sorted(service.pickup_countries - regions.keys())
        if missing:
            problems.add(
                f"{path}.pickup_countries",
                f"no customer region for {', '.join(missing)} (add [regions.{missing[0]}])",
            )
    for lid, lane in lanes.items():
        path = key_path("lanes", lid)
        for end in ("from_facility", "to_facility"):
            ref = getattr(lane, end)
            if ref not in declared.facilities:
                known = ", ".join(sorted(declared.facilities)) or "none"
                problems.add(f"{path}.{end}", f"unknown facility {ref!r}; known: {known}")
        source = facilities.get(lane.from_facility)
        target = facilities.get(lane.to_facility)
        if source is not None and source.kind is FacilityKind.ORIGIN:
            problems.add(f"{path}.from_facility", f"{source.id!r} is an origin: returns end there")
        if target is not None and target.kind is not FacilityKind.ORIGIN:
            problems.add(
                f"{path}.to_facility",
                f"{target.id!r} is a {target.kind.value}; a lane must end at an origin facility",
            )


def check_recovery(
    problems: NetworkProblems,
    recovery: RecoveryRates | None,
    facilities: Mapping[str, Facility],
    local: LocalDisposal | None = None,
) -> None:
    if recovery is None:
        return
    with_rates = {disposition for disposition, _ in recovery.rates_bp}
    for disposition in sorted(
        with_rates - recovery.cost_per_unit_minor.keys(), key=lambda d: d.value
    ):
        problems.add("recovery.cost_per_unit_minor", f"missing a cost for {disposition.value!r}")
    for fid, facility in facilities.items():
        for disposition in sorted(facility.dispositions - with_rates, key=lambda d: d.value):
            problems.add(
                f"{key_path('facilities', fid)}.dispositions",
                f"{disposition.value!r} has no rate in [recovery.rates_bp]: it could never be used",
            )
    if local is not None:
        for disposition in sorted(local.dispositions - with_rates, key=lambda d: d.value):
            problems.add(
                "local_disposal.dispositions",
                f"{disposition.value!r} has no rate in [recovery.rates_bp]: it could never be used",
            )


def check_presence(
    problems: NetworkProblems,
    declared: Declared,
    facilities: Mapping[str, Facility],
    services: Mapping[str, CarrierService],
    regions: Mapping[str, CustomerRegion],
) -> None:
    """The network needs an origin, a service and a region (judged only on clean entries)."""
    all_read = len(facilities) == len(declared.facilities)
    if all_read and not any(f.kind is FacilityKind.ORIGIN for f in facilities.values()):
        problems.add("facilities", "the network needs at least one origin facility")
    if not declared.services:
        problems.add("services", "the network needs at least one parcel service")
    if not declared.regions:
        problems.add("regions", "the network needs at least one customer region")


def check_reachability(problems: NetworkProblems, network: Network) -> None:
    reached = LaneGraph(network).reachable_facilities()
    for fid, facility in network.facilities.items():
        if fid in reached:
            continue
        if facility.kind is FacilityKind.ORIGIN:
            why = "no customer region has a parcel service to it or to a hub with a lane to it"
        elif facility.kind is FacilityKind.LOCAL_3PL:
            why = (
                f"no domestic-scope service picks up in {facility.country} "
                "within its rate card's zones"
            )
        else:
            why = (
                "no parcel service reaches it from any customer region within its rate card's zones"
            )
        problems.add(key_path("facilities", fid), f"unreachable: {why}")
