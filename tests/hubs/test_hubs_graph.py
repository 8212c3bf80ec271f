"""The lane graph: haversine distances and which paths a customer country gets."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubs import default_network, network_from_mapping
from hubs.graph import EARTH_RADIUS_KM, LaneGraph, Path, distance_km, haversine_km
from hubs.model import FacilityKind, Network, Scope

Data = dict[str, Any]

latitudes = st.floats(min_value=-90.0, max_value=90.0, allow_nan=False)
longitudes = st.floats(min_value=-180.0, max_value=180.0, allow_nan=False)

PARIS = (48.8566, 2.3522)
BERLIN = (52.5200, 13.4050)
NEW_YORK = (40.7128, -74.0060)
LONDON = (51.5074, -0.1278)


def _routes(paths: tuple[Path, ...]) -> set[tuple[str, str, str | None]]:
    return {(p.service.id, p.facility.id, p.onward.id if p.onward else None) for p in paths}


# -- haversine -----------------------------------------------------------------------------


def test_paris_berlin_is_about_880_km() -> None:
    """Paris-Berlin great-circle distance is ~878 km."""
    assert 875 <= haversine_km(*PARIS, *BERLIN) <= 882
    assert distance_km(*PARIS, *BERLIN) == math.ceil(haversine_km(*PARIS, *BERLIN))


def test_london_new_york_is_about_5570_km() -> None:
    """London-New York great-circle distance is ~5,570 km."""
    assert 5550 <= haversine_km(*LONDON, *NEW_YORK) <= 5590


def test_distance_is_rounded_up() -> None:
    """distance_km rounds up, so a parcel at 80.2 km is never priced in an 80 km zone."""
    one_degree_of_latitude = haversine_km(0.0, 0.0, 1.0, 0.0)
    assert 111.0 < one_degree_of_latitude < 111.3
    assert distance_km(0.0, 0.0, 1.0, 0.0) == 112


@given(latitudes, longitudes, latitudes, longitudes)
def test_haversine_is_symmetric_and_bounded(a: float, b: float, c: float, d: float) -> None:
    """Distance is symmetric, >= 0 and at most half the Earth's circumference."""
    there = haversine_km(a, b, c, d)
    back = haversine_km(c, d, a, b)
    assert math.isclose(there, back, abs_tol=1e-6)
    assert 0.0 <= there <= math.pi * EARTH_RADIUS_KM + 1e-6


@given(latitudes, longitudes)
def test_haversine_of_a_point_to_itself_is_zero(lat: float, lon: float) -> None:
    """A point is 0 km from itself."""
    assert haversine_km(lat, lon, lat, lon) == pytest.approx(0.0, abs=1e-6)


@given(latitudes, longitudes, latitudes, longitudes, latitudes, longitudes)
def test_haversine_triangle_inequality(
    a: float, b: float, c: float, d: float, e: float, f: float
) -> None:
    """Going via a third point is never shorter."""
    direct = haversine_km(a, b, e, f)
    # near-antipodal points lose ~1e-5 km of precision in haversine: allow a metre
    assert direct <= haversine_km(a, b, c, d) + haversine_km(c, d, e, f) + 1e-3


# -- candidate paths on the minimal network -------------------------------------------------


def _graph(data: Data) -> LaneGraph:
    return LaneGraph(network_from_mapping(data))


def test_paths_from_germany_to_german_origin(data: Data) -> None:
    """DE customers (international service only) reach the NL hub, terminal or on by lane to
    the German origin, but not the origin itself (same country), not the French 3PL (another
    country) and not the US origin (not the return's origin)."""
    paths = _graph(data).candidate_paths("DE", "origin_de")
    assert _routes(paths) == {("intl", "hub_nl", None), ("intl", "hub_nl", "nl_de")}


def test_paths_from_france_to_us_origin(data: Data) -> None:
    """FR customers reach their own 3PL domestically, the hub and the US origin internationally;
    the hub's lane goes to the other origin, so it is offered only as a terminal stop."""
    paths = _graph(data).candidate_paths("FR", "origin_us")
    assert _routes(paths) == {
        ("dom_fr", "rc_fr", None),
        ("intl", "hub_nl", None),
        ("intl", "origin_us", None),
    }


def test_paths_from_france_to_german_origin(data: Data) -> None:
    """The onward lane is offered when it ends at the return's origin."""
    paths = _graph(data).candidate_paths("FR", "origin_de")
    assert _routes(paths) == {
        ("dom_fr", "rc_fr", None),
        ("intl", "hub_nl", None),
        ("intl", "hub_nl", "nl_de"),
        ("intl", "origin_de", None),
    }
    onward = [p for p in paths if p.onward is not None]
    assert all(p.destination_id == "origin_de" for p in onward)


def test_distance_beyond_last_zone_is_not_a_path(data: Data) -> None:
    """A facility farther than the rate card's last zone is not reachable by that service."""
    data["rate_cards"]["card_intl"]["zone_upper_km"] = [2500, 7000]
    graph = _graph(data)
    assert graph.candidate_paths("US", "origin_us") == ()  # the NL hub is 7,381 km away
    assert _routes(graph.candidate_paths("DE", "origin_us")) == {
        ("intl", "hub_nl", None),
        ("intl", "origin_us", None),  # 6,316 km
    }


def test_pickup_countries_restrict_the_service(data: Data) -> None:
    """A service with pickup_countries carries nothing from other countries."""
    data["services"]["intl"]["pickup_countries"] = ["FR"]
    graph = _graph(data)
    assert graph.candidate_paths("DE", "origin_de") == ()
    assert graph.candidate_paths("US", "origin_us") == ()
    assert ("intl", "origin_us", None) in _routes(graph.candidate_paths("FR", "origin_us"))


def test_scope_any_serves_both_domestic_and_international(data: Data) -> None:
    """A service of scope 'any' reaches same-country and other-country facilities."""
    data["services"]["dom_fr"]["scope"] = "any"
    data["rate_cards"]["card_dom"]["zone_upper_km"] = [1000]
    routes = _routes(_graph(data).candidate_paths("FR", "origin_de"))
    assert {("dom_fr", "rc_fr", None), ("dom_fr", "hub_nl", None)} <= routes
    assert ("dom_fr", "origin_de", None) in routes  # 875 km


def test_domestic_scope_never_crosses_a_border(data: Data) -> None:
    """A domestic service never yields a path to a facility in another country."""
    data["rate_cards"]["card_dom"]["zone_upper_km"] = [20100]
    network = network_from_mapping(data)
    graph = LaneGraph(network)
    for country in network.regions:
        for origin in graph.origins:
            for path in graph.candidate_paths(country, origin):
                if path.service.scope is Scope.DOMESTIC:
                    assert path.facility.country == country
                if path.service.scope is Scope.INTERNATIONAL:
                    assert path.facility.country != country


def test_unknown_origin_raises_and_unserved_country_is_empty(data: Data) -> None:
    """Asking for a facility that is not an origin is a KeyError; an unserved country has no
    paths."""
    graph = _graph(data)
    with pytest.raises(KeyError, match="hub_nl"):
        graph.candidate_paths("DE", "hub_nl")
    assert graph.candidate_paths("BR", "origin_de") == ()
    assert not graph.serves("BR")
    assert graph.serves("DE")


def test_candidate_paths_is_precomputed(data: Data) -> None:
    """A request is a lookup: the same tuple object comes back each time."""
    graph = _graph(data)
    assert graph.candidate_paths("FR", "origin_de") is graph.candidate_paths("FR", "origin_de")


def test_total_transit_includes_wait_and_linehaul(data: Data) -> None:
    """Transit via a lane = parcel days + half the cadence (rounded up) + the lane's days."""
    (via_lane,) = [p for p in _graph(data).candidate_paths("DE", "origin_de") if p.onward]
    assert via_lane.onward is not None
    assert via_lane.total_transit_days == via_lane.transit_days + 2 + 1  # cadence 4, transit 1


def test_graph_has_parcel_and_linehaul_edges(data: Data) -> None:
    """The networkx graph holds a parcel edge per feasible service and a line-haul edge per lane."""
    graph = _graph(data).graph
    kinds = [d["kind"] for _, _, d in graph.edges(data=True)]
    assert kinds.count("linehaul") == 1
    assert graph.has_edge(("country", "FR"), ("facility", "rc_fr"), key="dom_fr")
    assert not graph.has_edge(("country", "DE"), ("facility", "rc_fr"))


# -- invariants over the default network ------------------------------------------------------


@pytest.fixture(scope="module")
def network() -> Network:
    return default_network()


@pytest.fixture(scope="module")
def lane_graph(network: Network) -> LaneGraph:
    return LaneGraph(network)


def _all_paths(network: Network, graph: LaneGraph) -> list[tuple[str, str, Path]]:
    return [
        (country, origin, path)
        for country in network.regions
        for origin in graph.origins
        for path in graph.candidate_paths(country, origin)
    ]


def test_every_path_respects_the_parcel_rules(network: Network, lane_graph: LaneGraph) -> None:
    """Every path: scope matches, pickup list allows the country, distance is the haversine
    distance and within the chosen zone (the first that fits), transit is that zone's."""
    for country, _, path in _all_paths(network, lane_graph):
        service, facility = path.service, path.facility
        card = network.rate_cards[service.rate_card]
        region = network.regions[country]
        domestic = facility.country == country
        assert service.scope is Scope.ANY or (service.scope is Scope.DOMESTIC) == domestic
        assert not service.pickup_countries or country in service.pickup_countries
        assert path.distance_km == distance_km(region.lat, region.lon, facility.lat, facility.lon)
        assert path.distance_km <= card.zone_upper_km[path.zone]
        assert path.zone == 0 or card.zone_upper_km[path.zone - 1] < path.distance_km
        assert path.transit_days == service.transit_days_by_zone[path.zone]


def test_local_3pl_serves_only_its_own_country(network: Network, lane_graph: LaneGraph) -> None:
    """No path leads a customer to a local 3PL in another country."""
    for country, _, path in _all_paths(network, lane_graph):
        if path.facility.kind is FacilityKind.LOCAL_3PL:
            assert path.facility.country == country


def test_only_the_returns_own_origin_is_used(network: Network, lane_graph: LaneGraph) -> None:
    """An origin appears only as the return's own origin, directly or at the end of a lane
    that starts at the path's first stop."""
    for _, origin, path in _all_paths(network, lane_graph):
        if path.facility.kind is FacilityKind.ORIGIN:
            assert path.facility.id == origin
            assert path.onward is None
        if path.onward is not None:
            assert path.onward.from_facility == path.facility.id
            assert path.onward.to_facility == origin
            assert path.destination_id == origin


def test_every_reachable_hub_is_offered_as_terminal(
    network: Network, lane_graph: LaneGraph
) -> None:
    """Whenever a hub is reachable it is offered as a terminal stop too, not only via a lane."""
    for country, origin, path in _all_paths(network, lane_graph):
        if path.onward is not None:
            terminal = (path.service.id, path.facility.id, None)
            assert terminal in _routes(lane_graph.candidate_paths(country, origin))
