"""The lane graph: which facilities a customer in a country can send a return to, and how.

Nodes are customer countries (``("country", "DE")``) and facilities (``("facility", id)``).
A *parcel edge* joins a country to a facility for every carrier service that may carry a
parcel between them; a *line-haul edge* joins a facility to another along a ``LinehaulLane``.

Reachability rules (the router relies on them):

- a service carries a parcel from a customer country to a facility when its ``scope`` matches
  (``domestic``: same country, ``international``: different countries, ``any``: both), its
  ``pickup_countries`` is empty or names the customer's country, and the great-circle
  distance from the country's region point to the facility is within the rate card's last zone;
- a ``local_3pl`` serves only customers in its own country;
- a hub is either the terminal destination (its dispositions) or forwards the return along a
  lane to an origin; an origin is used only when it is the return's own origin facility.

Everything is computed once in ``LaneGraph.__init__``: ``candidate_paths`` is a dict lookup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import networkx as nx

from hubs.model import (
    CarrierService,
    CustomerRegion,
    Facility,
    FacilityKind,
    LinehaulLane,
    Network,
    RateCard,
    Scope,
)

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in decimal degrees, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Great-circle distance in whole kilometres, rounded up (a zone limit is never undercut)."""
    return math.ceil(haversine_km(lat1, lon1, lat2, lon2))


def zone_of(card: RateCard, km: int) -> int | None:
    """Index of the first zone whose upper limit is >= ``km``; None beyond the last zone."""
    for z, upper in enumerate(card.zone_upper_km):
        if km <= upper:
            return z
    return None


def scope_allows(scope: Scope, customer_country: str, facility_country: str) -> bool:
    if scope is Scope.ANY:
        return True
    domestic = customer_country == facility_country
    return domestic if scope is Scope.DOMESTIC else not domestic


@dataclass(frozen=True, slots=True)
class Path:
    """One way to route a return: a parcel leg to ``facility``, then optionally a line-haul.

    ``distance_km``, ``zone`` and ``transit_days`` describe the parcel leg. When ``onward`` is
    set the final destination is ``onward.to_facility`` (the return's origin); otherwise the
    facility itself is the destination.
    """

    service: CarrierService
    facility: Facility
    distance_km: int
    zone: int
    transit_days: int
    onward: LinehaulLane | None = None

    @property
    def destination_id(self) -> str:
        return self.onward.to_facility if self.onward is not None else self.facility.id

    @property
    def total_transit_days(self) -> int:
        """Parcel transit plus, for a line-haul, its transit and the average wait (cadence / 2)."""
        if self.onward is None:
            return self.transit_days
        wait = math.ceil(self.onward.cadence_days / 2)
        return self.transit_days + wait + self.onward.transit_days


def _country_node(code: str) -> tuple[str, str]:
    return ("country", code)


def _facility_node(facility_id: str) -> tuple[str, str]:
    return ("facility", facility_id)


class LaneGraph:
    """The network's lane graph, with every (customer country, origin) path set precomputed."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._build_graph()
        self._origins = tuple(
            f.id for f in network.facilities.values() if f.kind is FacilityKind.ORIGIN
        )
        paths: dict[tuple[str, str], tuple[Path, ...]] = {}
        for country in network.regions:
            parcel_paths = self._parcel_paths(country)
            for origin in self._origins:
                paths[(country, origin)] = self._paths_to(parcel_paths, origin)
        self._paths: Mapping[tuple[str, str], tuple[Path, ...]] = MappingProxyType(paths)

    # a read-only view does not pickle; its dict does (a router is sent to planner workers)
    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_paths": dict(self._paths)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _paths=MappingProxyType(state["_paths"]))

    # -- construction ----------------------------------------------------------------------

    def _build_graph(self) -> None:
        net = self.network
        for region in net.regions.values():
            self.graph.add_node(_country_node(region.country), region=region)
        for facility in net.facilities.values():
            self.graph.add_node(_facility_node(facility.id), facility=facility)
        for region in net.regions.values():
            for facility in net.facilities.values():
                for service in net.services.values():
                    leg = self._parcel_leg(region, facility, service)
                    if leg is not None:
                        self.graph.add_edge(
                            _country_node(region.country),
                            _facility_node(facility.id),
                            key=service.id,
                            kind="parcel",
                            path=leg,
                        )
        for lane in net.lanes.values():
            self.graph.add_edge(
                _facility_node(lane.from_facility),
                _facility_node(lane.to_facility),
                key=lane.id,
                kind="linehaul",
                lane=lane,
            )

    def _parcel_leg(
        self, region: CustomerRegion, facility: Facility, service: CarrierService
    ) -> Path | None:
        country = region.country
        if facility.kind is FacilityKind.LOCAL_3PL and facility.country != country:
            return None
        if not scope_allows(service.scope, country, facility.country):
            return None
        if service.pickup_countries and country not in service.pickup_countries:
            return None
        card = self.network.rate_cards[service.rate_card]
        km = distance_km(region.lat, region.lon, facility.lat, facility.lon)
        zone = zone_of(card, km)
        if zone is None:
            return None
        return Path(
            service=service,
            facility=facility,
            distance_km=km,
            zone=zone,
            transit_days=service.transit_days_by_zone[zone],
        )

    def _parcel_paths(self, country: str) -> list[Path]:
        node = _country_node(country)
        legs: list[Path] = [data["path"] for _, _, data in self.graph.out_edges(node, data=True)]
        legs.sort(key=lambda p: (p.facility.id, p.service.id))
        return legs

    def _paths_to(self, parcel_paths: list[Path], origin: str) -> tuple[Path, ...]:
        out: list[Path] = []
        for leg in parcel_paths:
            facility = leg.facility
            if facility.kind is FacilityKind.ORIGIN:
                if facility.id == origin:
                    out.append(leg)
                continue
            out.append(leg)  # terminal at the 3PL or hub
            for lane in self._lanes_between(facility.id, origin):
                out.append(
                    Path(
                        service=leg.service,
                        facility=facility,
                        distance_km=leg.distance_km,
                        zone=leg.zone,
                        transit_days=leg.transit_days,
                        onward=lane,
                    )
                )
        return tuple(out)

    def _lanes_between(self, from_id: str, to_id: str) -> list[LinehaulLane]:
        src, dst = _facility_node(from_id), _facility_node(to_id)
        if not self.graph.has_edge(src, dst):
            return []
        edges = self.graph.get_edge_data(src, dst)
        return [edges[key]["lane"] for key in sorted(edges)]

    # -- queries ---------------------------------------------------------------------------

    @property
    def origins(self) -> tuple[str, ...]:
        return self._origins

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(self.network.regions)

    def serves(self, customer_country: str) -> bool:
        return customer_country in self.network.regions

    def candidate_paths(self, customer_country: str, origin_facility_id: str) -> tuple[Path, ...]:
        """Every way a return from ``customer_country`` whose goods came from the given origin
        can travel: to a 3PL in that country or a hub (terminal), to the origin directly, or to
        a hub and on by line-haul to the origin. Empty for a country the network does not serve.

        Raises ``KeyError`` when ``origin_facility_id`` is not an origin facility.
        """
        paths = self._paths.get((customer_country, origin_facility_id))
        if paths is not None:
            return paths
        if origin_facility_id not in self._origins:
            raise KeyError(f"{origin_facility_id!r} is not an origin facility of the network")
        return ()

    def reachable_facilities(self) -> frozenset[str]:
        """Facilities some customer country can reach (as a stop or a line-haul destination)."""
        reached: set[str] = set()
        for paths in self._paths.values():
            for path in paths:
                reached.add(path.facility.id)
                reached.add(path.destination_id)
        return frozenset(reached)
