"""The embedded default network: realistic coverage, sourced numbers, and the check summary."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from hubs import NetworkErrors, check_network, default_network
from hubs.graph import EARTH_RADIUS_KM, LaneGraph
from hubs.model import (
    ConditionGrade,
    Disposition,
    FacilityKind,
    Mode,
    Network,
    Scope,
    ServiceKind,
    Source,
)

REQUIRED_COUNTRIES = {
    "DE", "FR", "IT", "ES", "NL", "BE", "AT", "PL", "SE", "GB", "CH", "NO", "US", "CA", "MX",
    "AU", "NZ", "JP", "KR", "CN", "HK", "SG", "IN", "AE", "SA", "BR", "ZA", "TR",
}  # fmt: skip
HALF_EARTH_KM = 3.1416 * EARTH_RADIUS_KM


@pytest.fixture(scope="module")
def network() -> Network:
    return default_network()


@pytest.fixture(scope="module")
def lane_graph(network: Network) -> LaneGraph:
    return LaneGraph(network)


def _origins(network: Network) -> list[str]:
    return [f.id for f in network.facilities.values() if f.kind is FacilityKind.ORIGIN]


def test_default_network_is_loaded_once() -> None:
    """default_network() is cached: every caller shares one Network."""
    assert default_network() is default_network()


def test_serves_at_least_25_countries_including_the_big_markets(network: Network) -> None:
    """>= 25 customer countries, among them the EU's big markets and the main overseas ones."""
    assert len(network.regions) >= 25
    assert network.regions.keys() >= REQUIRED_COUNTRIES


def test_every_country_has_a_path_to_each_origin(network: Network, lane_graph: LaneGraph) -> None:
    """Every served country can send returns back to each origin (directly or via a hub)."""
    origins = _origins(network)
    for country in network.regions:
        for origin in origins:
            paths = lane_graph.candidate_paths(country, origin)
            assert any(p.destination_id == origin for p in paths), (country, origin)


def test_origins_in_us_and_germany(network: Network) -> None:
    """Two origin warehouses at least: one in the US, one in Germany."""
    origins = [f for f in network.facilities.values() if f.kind is FacilityKind.ORIGIN]
    assert {f.country for f in origins} >= {"US", "DE"}


def test_hubs_on_three_continents_one_bonded(network: Network) -> None:
    """>= 3 consolidation hubs (EU, North America, APAC), at least one bonded, each with a lane."""
    hubs = [f for f in network.facilities.values() if f.kind is FacilityKind.HUB]
    assert len(hubs) >= 3
    countries = {f.country for f in hubs}
    assert countries & {"NL", "BE"}
    assert countries & {"US", "CA"}
    assert countries & {"HK", "SG"}
    assert any(f.bonded for f in hubs)
    lane_sources = {lane.from_facility for lane in network.lanes.values()}
    assert all(f.id in lane_sources for f in hubs)


def test_local_3pls_in_at_least_five_countries(network: Network) -> None:
    """Local 3PL return centres exist in >= 5 countries, each reachable domestically."""
    tpl = [f for f in network.facilities.values() if f.kind is FacilityKind.LOCAL_3PL]
    assert len({f.country for f in tpl}) >= 5
    domestic = {
        country
        for s in network.services.values()
        if s.scope is not Scope.INTERNATIONAL
        for country in s.pickup_countries
    }
    assert {f.country for f in tpl} <= domestic


def test_service_kinds_and_lane_modes(network: Network) -> None:
    """Postal, express and ground services plus road, ocean and air line-haul lanes."""
    kinds = {s.kind for s in network.services.values()}
    assert {ServiceKind.POSTAL_ECONOMY, ServiceKind.EXPRESS, ServiceKind.GROUND} <= kinds
    modes = {lane.mode for lane in network.lanes.values()}
    assert {Mode.ROAD, Mode.OCEAN, Mode.AIR} <= modes
    units = {lane.dispatch_unit for lane in network.lanes.values()}
    assert {"ftl_trailer", "container_40ft", "air_uld"} <= units


def test_an_international_service_covers_the_whole_world(network: Network) -> None:
    """An express and a postal service pick up everywhere and reach any distance on Earth."""
    for kind in (ServiceKind.EXPRESS, ServiceKind.POSTAL_ECONOMY):
        assert any(
            s.kind is kind
            and s.scope is Scope.INTERNATIONAL
            and not s.pickup_countries
            and network.rate_cards[s.rate_card].max_distance_km >= HALF_EARTH_KM
            for s in network.services.values()
        ), kind


def test_fact_base_limits_and_divisors(network: Network) -> None:
    """Limits and divisors follow the fact base: integrator 70 kg and divisor 5000, DHL Paket
    31.5 kg, USPS 70 lb, postal priced on dead weight."""
    express = network.services["dhl_express_worldwide"]
    assert express.max_weight_g == 70_000
    assert network.rate_cards[express.rate_card].volumetric_divisor_cm3_per_kg == 5000
    assert network.rate_cards[express.rate_card].fuel_surcharge_bp == 2450
    assert network.services["dhl_paket_de"].max_weight_g == 31_500
    assert network.services["usps_ground_advantage"].max_weight_g == 31_751  # 70 lb
    postal = network.services["postal_intl_tracked"]
    assert network.rate_cards[postal.rate_card].volumetric_divisor_cm3_per_kg >= 6000


def test_list_prices_match_the_fact_base(network: Network) -> None:
    """Spot checks of prices copied from the fact base (minor units)."""
    express = network.rate_cards["dhl_express_us_2026"]
    assert express.prices_minor[0][0] == 13115  # zone A, 0.5 kg: USD 131.15
    assert express.prices_minor[2][4] == 51992  # zone C, 10 kg: USD 519.92
    assert network.rate_cards["dhl_paket_de"].prices_minor[0][:2] == (619, 769)
    assert network.rate_cards["colissimo_fr_2023"].prices_minor[0][-1] == 3340
    assert network.rate_cards["usps_ground_advantage_2025"].prices_minor[2][5] == 7985
    assert network.rate_cards["yupack_jp_2023"].currency == "JPY"
    assert network.lanes["venlo_lehigh_ocean"].fixed_cost_minor == 235_900  # WCI USD 2,359
    assert network.lanes["hk_hamburg_air"].per_kg_minor == 500  # USD 5.00/kg


def test_co2e_factors_are_defra_2025_wtw(network: Network) -> None:
    """CO2e factors are the DEFRA 2025 well-to-wheel values, rounded to g/tkm."""
    assert network.co2e_g_per_tkm == {
        Mode.VAN: 782,
        Mode.ROAD: 125,
        Mode.AIR: 667,
        Mode.OCEAN: 20,
        Mode.RAIL: 35,
    }


def test_recovery_and_policy_values(network: Network) -> None:
    """Recovery follows the fact base (93% resold as new, ~10% liquidation) and policy is set."""
    rates = network.recovery.rates_bp
    assert rates[(Disposition.RESTOCK, ConditionGrade.A)] == 10_000
    assert rates[(Disposition.RESTOCK, ConditionGrade.B)] == 9_300
    assert rates[(Disposition.LIQUIDATE, ConditionGrade.A)] == 1_000
    assert (Disposition.RESTOCK, ConditionGrade.D) not in rates
    assert 5_000 <= rates[(Disposition.REFURBISH, ConditionGrade.C)] <= 7_500
    assert network.policy.returnless_max_value_minor == 2000
    assert network.currency == "EUR"


def test_every_fact_carries_a_source(network: Network) -> None:
    """Every facility, rate card, service and lane, the recovery and policy tables and the
    CO2e factors cite at least one source with a reference and a year."""
    cited: list[tuple[str, tuple[Source, ...]]] = [
        *((f"facilities.{k}", v.sources) for k, v in network.facilities.items()),
        *((f"rate_cards.{k}", v.sources) for k, v in network.rate_cards.items()),
        *((f"services.{k}", v.sources) for k, v in network.services.items()),
        *((f"lanes.{k}", v.sources) for k, v in network.lanes.items()),
        ("recovery", network.recovery.sources),
        ("policy", network.policy.sources),
    ]
    for where, sources in cited:
        assert sources, where
        for source in sources:
            assert source.ref.strip()
            assert 2000 <= source.year <= 2026
    assert any("DEFRA" in s.ref for s in network.sources)


def test_file_says_rates_are_illustrative() -> None:
    """The data file states at the top that its rates are illustrative, not quotes."""
    text = resources.files("hubs").joinpath("data", "default_network.toml").read_text("utf-8")
    head = text[:1000]
    assert "ILLUSTRATIVE" in head
    assert "none is a carrier quote" in head


def test_check_network_summarises_the_default_file() -> None:
    """check_network returns counts by kind, services, lanes and countries, and coverage."""
    path = Path(str(resources.files("hubs").joinpath("data", "default_network.toml")))
    lines = check_network(path)
    text = "\n".join(lines)
    assert lines[0].endswith(": OK")
    assert "facilities: 10 (hub 3, local_3pl 5, origin 2)" in text
    assert "parcel services: 11" in text
    assert "freight 1" in text
    assert "line-haul lanes: 8 (air 3, ocean 4, road 1)" in text
    assert "countries served: 33" in text
    assert "origin origin_us_pa: paths from 33/33 countries, back to the origin from 33/33" in text
    assert "warning" not in text


def test_check_network_raises_for_a_bad_file(tmp_path: Path) -> None:
    """check_network raises NetworkErrors (for the CLI to print) when the file is invalid."""
    bad = tmp_path / "bad.toml"
    bad.write_text("format_version = 1\n", encoding="utf-8")
    with pytest.raises(NetworkErrors) as info:
        check_network(bad)
    assert {"network", "policy", "facilities"} <= {e.path for e in info.value.errors}
