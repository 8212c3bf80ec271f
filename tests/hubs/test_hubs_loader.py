"""Loading and validating network files: every bad input names its key and the reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hubs import NetworkErrors, load_network, loads_network, network_from_mapping
from hubs.model import (
    ConditionGrade,
    Disposition,
    FacilityKind,
    Mode,
    NetworkError,
    Scope,
    ServiceKind,
)

Data = dict[str, Any]
ErrorsOf = Callable[[Data], list[NetworkError]]


def _set(data: Data, dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[last] = value


def _delete(data: Data, dotted: str) -> None:
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    del node[last]


def _find(errors: list[NetworkError], path: str) -> NetworkError:
    matching = [e for e in errors if e.path == path]
    assert matching, f"no error at {path!r}; got {[str(e) for e in errors]}"
    return matching[0]


# -- the valid document ----------------------------------------------------------------------


def test_minimal_network_loads(data: Data) -> None:
    """The fixture document is valid and every part of it becomes a domain object."""
    network = network_from_mapping(data)
    assert network.name == "minimal"
    assert network.currency == "EUR"
    assert set(network.facilities) == {"origin_de", "origin_us", "hub_nl", "rc_fr"}
    assert network.facilities["hub_nl"].kind is FacilityKind.HUB
    assert network.facilities["hub_nl"].bonded is True
    assert network.facilities["rc_fr"].bonded is False  # default
    assert network.facilities["origin_de"].resale_factor_bp == 10_000  # default
    assert network.services["dom_fr"].pickup_countries == frozenset({"FR"})
    assert network.services["intl"].scope is Scope.INTERNATIONAL
    assert network.services["intl"].kind is ServiceKind.EXPRESS
    assert network.rate_cards["card_intl"].prices_minor == ((1000, 2000), (3000, 4000))
    assert network.rate_cards["card_dom"].per_parcel_fee_minor == 0  # default
    assert network.lanes["nl_de"].mode is Mode.ROAD
    assert network.co2e_g_per_tkm[Mode.AIR] == 667
    assert network.recovery.rates_bp[(Disposition.LIQUIDATE, ConditionGrade.B)] == 1000
    assert (Disposition.RESTOCK, ConditionGrade.B) not in network.recovery.rates_bp
    assert network.facilities["origin_de"].sources[0].ref == "test"


def test_loads_network_and_load_network_agree(tmp_path: Path, minimal_toml: str) -> None:
    """Loading from text and from a file give the same network."""
    file = tmp_path / "net.toml"
    file.write_text(minimal_toml, encoding="utf-8")
    assert load_network(file) == loads_network(minimal_toml)
    assert load_network(str(file)) == loads_network(minimal_toml)


def test_format_md_example_loads() -> None:
    """The example in hubs/FORMAT.md is a valid network file."""
    doc = (Path(__file__).parents[2] / "hubs" / "FORMAT.md").read_text(encoding="utf-8")
    match = re.search(r"```toml\n(.*?)```", doc, re.DOTALL)
    assert match is not None
    network = loads_network(match.group(1), origin="FORMAT.md")
    assert set(network.facilities) == {"origin_de", "hub_nl"}


# -- one error per bad value, naming its key ---------------------------------------------------

CASES: list[tuple[str, str, object, str, str]] = [
    # (case id, dotted key to set, value, expected error path, expected reason fragment)
    (
        "unknown country",
        "facilities.hub_nl.country",
        "XX",
        "facilities.hub_nl.country",
        "unknown country code 'XX'",
    ),
    (
        "lower-case country",
        "facilities.hub_nl.country",
        "nl",
        "facilities.hub_nl.country",
        "ISO 3166-1 alpha-2, upper case",
    ),
    (
        "unknown currency",
        "facilities.hub_nl.currency",
        "EUX",
        "facilities.hub_nl.currency",
        "unknown currency 'EUX'",
    ),
    ("lane currency", "lanes.nl_de.currency", "euro", "lanes.nl_de.currency", "unknown currency"),
    (
        "card currency",
        "rate_cards.card_dom.currency",
        "XYZ",
        "rate_cards.card_dom.currency",
        "unknown currency",
    ),
    ("network currency", "network.currency", "ABC", "network.currency", "unknown currency"),
    (
        "negative capacity",
        "facilities.hub_nl.capacity_units_per_day",
        -1,
        "facilities.hub_nl.capacity_units_per_day",
        "must be >= 0, got -1",
    ),
    (
        "negative handling",
        "facilities.rc_fr.handling_per_parcel_minor",
        -300,
        "facilities.rc_fr.handling_per_parcel_minor",
        "must be >= 0",
    ),
    (
        "negative lane cost",
        "lanes.nl_de.fixed_cost_minor",
        -5,
        "lanes.nl_de.fixed_cost_minor",
        "must be >= 0",
    ),
    (
        "negative price",
        "rate_cards.card_intl.prices_minor",
        [[1000, -2000], [3000, 4000]],
        "rate_cards.card_intl.prices_minor[0][1]",
        "must be >= 0",
    ),
    (
        "negative fuel",
        "rate_cards.card_intl.fuel_surcharge_bp",
        -1,
        "rate_cards.card_intl.fuel_surcharge_bp",
        "must be >= 0",
    ),
    (
        "negative policy",
        "policy.refund_delay_per_day_minor",
        -50,
        "policy.refund_delay_per_day_minor",
        "must be >= 0",
    ),
    (
        "string for int",
        "facilities.hub_nl.capacity_units_per_day",
        "1000",
        "facilities.hub_nl.capacity_units_per_day",
        "expected an integer, got string '1000'",
    ),
    (
        "float for minor units",
        "facilities.hub_nl.handling_per_parcel_minor",
        3.5,
        "facilities.hub_nl.handling_per_parcel_minor",
        "expected an integer, got float 3.5",
    ),
    (
        "whole float for minor units",
        "lanes.nl_de.fixed_cost_minor",
        609.0,
        "lanes.nl_de.fixed_cost_minor",
        "minor units",
    ),
    (
        "bool for int",
        "facilities.hub_nl.capacity_units_per_day",
        True,
        "facilities.hub_nl.capacity_units_per_day",
        "got boolean true",
    ),
    (
        "int for bool",
        "facilities.hub_nl.bonded",
        1,
        "facilities.hub_nl.bonded",
        "expected a boolean (true or false), got integer 1",
    ),
    (
        "string for number",
        "facilities.hub_nl.lat",
        "51.4",
        "facilities.hub_nl.lat",
        "expected a number",
    ),
    ("latitude out of range", "regions.DE.lat", 95.0, "regions.DE.lat", "between -90 and 90"),
    (
        "longitude out of range",
        "facilities.hub_nl.lon",
        181,
        "facilities.hub_nl.lon",
        "between -180 and 180",
    ),
    (
        "unknown facility kind",
        "facilities.hub_nl.kind",
        "warehouse",
        "facilities.hub_nl.kind",
        "unknown value 'warehouse'; allowed: origin, local_3pl, hub",
    ),
    (
        "unknown disposition",
        "facilities.hub_nl.dispositions",
        ["liquidate", "resell"],
        "facilities.hub_nl.dispositions[1]",
        "allowed: restock, resell_local, refurbish",
    ),
    (
        "unknown service kind",
        "services.intl.kind",
        "courier",
        "services.intl.kind",
        "unknown value 'courier'; allowed: postal_economy, express, ground",
    ),
    ("line-haul service", "services.intl.kind", "linehaul", "services.intl.kind", "is a lane"),
    (
        "unknown mode",
        "services.intl.mode",
        "truck",
        "services.intl.mode",
        "allowed: van, road, air, ocean, rail",
    ),
    (
        "unknown scope",
        "services.intl.scope",
        "global",
        "services.intl.scope",
        "allowed: domestic, international, any",
    ),
    ("lane mode", "lanes.nl_de.mode", "barge", "lanes.nl_de.mode", "unknown value 'barge'"),
    (
        "unknown dispatch unit",
        "lanes.nl_de.dispatch_unit",
        "crate",
        "lanes.nl_de.dispatch_unit",
        "allowed: tote, pallet",
    ),
    (
        "returnless at a facility",
        "facilities.hub_nl.dispositions",
        ["returnless"],
        "facilities.hub_nl.dispositions",
        "needs no facility",
    ),
    (
        "unknown pickup country",
        "services.dom_fr.pickup_countries",
        ["FR", "ZZ"],
        "services.dom_fr.pickup_countries[1]",
        "unknown country code 'ZZ'",
    ),
    (
        "duplicate pickup country",
        "services.dom_fr.pickup_countries",
        ["FR", "FR"],
        "services.dom_fr.pickup_countries[1]",
        "listed twice",
    ),
    (
        "pickup country without region",
        "services.dom_fr.pickup_countries",
        ["FR", "ES"],
        "services.dom_fr.pickup_countries",
        "no customer region for ES",
    ),
    (
        "unknown rate card",
        "services.intl.rate_card",
        "card_express",
        "services.intl.rate_card",
        "unknown rate card 'card_express'; known: card_dom, card_intl",
    ),
    (
        "transit days vs zones",
        "services.intl.transit_days_by_zone",
        [1],
        "services.intl.transit_days_by_zone",
        "has 1 entries but rate card 'card_intl' has 2 zones",
    ),
    (
        "negative transit",
        "services.intl.transit_days_by_zone",
        [1, -3],
        "services.intl.transit_days_by_zone[1]",
        "must be >= 0",
    ),
    (
        "service heavier than card",
        "services.intl.max_weight_g",
        70000,
        "services.intl.max_weight_g",
        "exceeds the last weight break",
    ),
    (
        "zero size limit",
        "services.intl.max_length_mm",
        0,
        "services.intl.max_length_mm",
        "must be >= 1",
    ),
    (
        "zones not increasing",
        "rate_cards.card_intl.zone_upper_km",
        [2500, 2500],
        "rate_cards.card_intl.zone_upper_km",
        "strictly increasing",
    ),
    (
        "empty weights",
        "rate_cards.card_dom.weight_upper_g",
        [],
        "rate_cards.card_dom.weight_upper_g",
        "must not be empty",
    ),
    (
        "prices rows vs zones",
        "rate_cards.card_intl.prices_minor",
        [[1000, 2000]],
        "rate_cards.card_intl.prices_minor",
        "one row per zone",
    ),
    (
        "prices vs weights",
        "rate_cards.card_intl.prices_minor",
        [[1000, 2000], [3000]],
        "rate_cards.card_intl.prices_minor[1]",
        "one price per weight break",
    ),
    (
        "zero divisor",
        "rate_cards.card_intl.volumetric_divisor_cm3_per_kg",
        0,
        "rate_cards.card_intl.volumetric_divisor_cm3_per_kg",
        "must be >= 1",
    ),
    (
        "lane to unknown facility",
        "lanes.nl_de.to_facility",
        "origin_fr",
        "lanes.nl_de.to_facility",
        "unknown facility 'origin_fr'",
    ),
    (
        "lane from unknown facility",
        "lanes.nl_de.from_facility",
        "hub_be",
        "lanes.nl_de.from_facility",
        "unknown facility 'hub_be'",
    ),
    (
        "lane to a hub",
        "lanes.nl_de.to_facility",
        "rc_fr",
        "lanes.nl_de.to_facility",
        "must end at an origin",
    ),
    (
        "lane from an origin",
        "lanes.nl_de.from_facility",
        "origin_us",
        "lanes.nl_de.from_facility",
        "is an origin",
    ),
    (
        "lane loop",
        "lanes.nl_de.to_facility",
        "hub_nl",
        "lanes.nl_de.to_facility",
        "two different facilities",
    ),
    (
        "planned fill above capacity",
        "lanes.nl_de.planning_units_per_dispatch",
        10000,
        "lanes.nl_de.planning_units_per_dispatch",
        "exceeds capacity_units",
    ),
    ("zero lane distance", "lanes.nl_de.distance_km", 0, "lanes.nl_de.distance_km", "must be >= 1"),
    (
        "bad reference id",
        "services.intl.rate_card",
        "Card Intl",
        "services.intl.rate_card",
        "not a valid id",
    ),
    (
        "recovery above 100%",
        "recovery.rates_bp.restock.A",
        10001,
        "recovery.rates_bp.restock.A",
        "must be <= 10000",
    ),
    (
        "recovery float",
        "recovery.rates_bp.restock.A",
        99.5,
        "recovery.rates_bp.restock.A",
        "expected an integer",
    ),
    (
        "unknown grade",
        "recovery.rates_bp.restock.E",
        100,
        "recovery.rates_bp.restock.E",
        "allowed: A, B, C, D",
    ),
    (
        "unknown recovery disposition",
        "recovery.rates_bp.resell",
        {"A": 100},
        "recovery.rates_bp.resell",
        "allowed: restock, resell_local",
    ),
    (
        "unknown cost disposition",
        "recovery.cost_per_unit_minor.repair",
        100,
        "recovery.cost_per_unit_minor.repair",
        "unknown value 'repair'",
    ),
    (
        "bad territory",
        "facilities.hub_nl.territory",
        "ES-CN",
        "facilities.hub_nl.territory",
        "unknown ISO 3166-2 subdivision 'ES-CN' of NL",
    ),
    (
        "source year as string",
        "facilities.origin_de.sources",
        [{"ref": "x", "year": "2025"}],
        "facilities.origin_de.sources[0].year",
        "expected an integer",
    ),
    (
        "source without ref",
        "facilities.origin_de.sources",
        [{"year": 2025}],
        "facilities.origin_de.sources[0].ref",
        "missing required key",
    ),
    (
        "source not a table",
        "facilities.origin_de.sources",
        ["DEFRA 2025"],
        "facilities.origin_de.sources[0]",
        "expected a table",
    ),
    ("co2e factor negative", "co2e.g_per_tkm.air", -1, "co2e.g_per_tkm.air", "must be >= 0"),
    ("format version", "format_version", 2, "format_version", "unsupported version 2"),
    ("table expected", "policy", 5, "policy", "expected a table"),
    (
        "array expected",
        "facilities.hub_nl.dispositions",
        "liquidate",
        "facilities.hub_nl.dispositions",
        "expected an array",
    ),
]


@pytest.mark.parametrize(
    ("key", "value", "path", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_value_is_reported_at_its_key(
    data: Data, errors_of: ErrorsOf, key: str, value: object, path: str, reason: str
) -> None:
    """A bad value yields an error at exactly that key whose reason says what is wrong."""
    _set(data, key, value)
    error = _find(errors_of(data), path)
    assert reason in error.reason


MISSING: list[tuple[str, str]] = [
    ("facilities.hub_nl.lat", "facilities.hub_nl.lat"),
    ("facilities.hub_nl.kind", "facilities.hub_nl.kind"),
    ("services.intl.clears_customs", "services.intl.clears_customs"),
    ("rate_cards.card_intl.prices_minor", "rate_cards.card_intl.prices_minor"),
    ("lanes.nl_de.capacity_g", "lanes.nl_de.capacity_g"),
    ("network.name", "network.name"),
    ("policy.returnless_max_value_minor", "policy.returnless_max_value_minor"),
    ("co2e.g_per_tkm.rail", "co2e.g_per_tkm.rail"),
    ("recovery.currency", "recovery.currency"),
    ("regions.DE.lon", "regions.DE.lon"),
    ("format_version", "format_version"),
    ("policy", "policy"),
]


@pytest.mark.parametrize(("key", "path"), MISSING, ids=[m[0] for m in MISSING])
def test_missing_required_key_is_reported(
    data: Data, errors_of: ErrorsOf, key: str, path: str
) -> None:
    """Removing a required key yields 'missing required key' at that key."""
    _delete(data, key)
    assert _find(errors_of(data), path).reason == "missing required key"


UNKNOWN: list[tuple[str, str]] = [
    ("facilities.hub_nl.capacity_unit_per_day", "capacity_units_per_day"),
    ("services.intl.pickup_country", "pickup_countries"),
    ("rate_cards.card_dom.fuel_surcharge_pb", "fuel_surcharge_bp"),
    ("lanes.nl_de.cadence", "cadence_days"),
    ("network.currencies", "currency"),
    ("policy.co2e_price_per_ton_minor", "co2e_price_per_tonne_minor"),
    ("facilitys", "facilities"),
    ("co2e.g_per_tkm.truck", ""),
    ("regions.DE.latitude", "lat"),
]


@pytest.mark.parametrize(("key", "suggestion"), UNKNOWN, ids=[u[0] for u in UNKNOWN])
def test_unknown_key_is_an_error(
    data: Data, errors_of: ErrorsOf, key: str, suggestion: str
) -> None:
    """A key the format does not define (a typo) is an error, never silently ignored."""
    _set(data, key, 1)
    error = _find(errors_of(data), key)
    assert error.reason.startswith("unknown key")
    if suggestion:
        assert f"did you mean {suggestion!r}" in error.reason


def test_invalid_id_is_reported_with_a_quoted_path(data: Data, errors_of: ErrorsOf) -> None:
    """A facility id outside the id alphabet is an error at the quoted key."""
    data["facilities"]["Hub NL"] = data["facilities"].pop("hub_nl")
    data["lanes"]["nl_de"]["from_facility"] = "rc_fr"
    error = _find(errors_of(data), 'facilities."Hub NL"')
    assert "not a valid id" in error.reason


def test_unknown_region_country_is_reported(data: Data, errors_of: ErrorsOf) -> None:
    """A region keyed by something that is not an ISO country code is an error at its key."""
    data["regions"]["XK1"] = {"lat": 0.0, "lon": 0.0}
    assert "unknown country code 'XK1'" in _find(errors_of(data), "regions.XK1").reason


def test_disposition_without_recovery_rate_is_reported(data: Data, errors_of: ErrorsOf) -> None:
    """A facility offering a disposition that has no recovery rate is an error (never usable)."""
    data["facilities"]["hub_nl"]["dispositions"] = ["liquidate", "recycle"]
    error = _find(errors_of(data), "facilities.hub_nl.dispositions")
    assert "'recycle' has no rate" in error.reason


def test_recovery_cost_is_required_for_each_rated_disposition(
    data: Data, errors_of: ErrorsOf
) -> None:
    """Every disposition with recovery rates needs a cost per unit."""
    del data["recovery"]["cost_per_unit_minor"]["liquidate"]
    error = _find(errors_of(data), "recovery.cost_per_unit_minor")
    assert "'liquidate'" in error.reason


# -- reachability ----------------------------------------------------------------------------


def test_unreachable_origin_is_reported(data: Data, errors_of: ErrorsOf) -> None:
    """An origin no customer region can reach, directly or by a lane, is an error."""
    card = data["rate_cards"]["card_intl"]
    card["zone_upper_km"] = [1000, 2000]  # nothing crosses the Atlantic any more
    error = _find(errors_of(data), "facilities.origin_us")
    assert error.reason.startswith("unreachable")


def test_local_3pl_without_domestic_service_is_unreachable(data: Data, errors_of: ErrorsOf) -> None:
    """A 3PL serves only its own country: without a domestic service there it is unreachable,
    even though an international service reaches every other facility."""
    del data["services"]["dom_fr"]
    error = _find(errors_of(data), "facilities.rc_fr")
    assert "domestic" in error.reason


def test_network_without_origin_is_reported(data: Data, errors_of: ErrorsOf) -> None:
    """A network needs at least one origin facility."""
    del data["facilities"]["origin_de"]
    del data["facilities"]["origin_us"]
    del data["lanes"]["nl_de"]
    assert "at least one origin" in _find(errors_of(data), "facilities").reason


def test_network_without_services_is_reported(data: Data, errors_of: ErrorsOf) -> None:
    """A network needs at least one parcel service."""
    data["services"] = {}
    assert "at least one parcel service" in _find(errors_of(data), "services").reason


# -- several errors at once, and never a traceback -------------------------------------------


def test_all_errors_are_collected_in_one_raise(data: Data, errors_of: ErrorsOf) -> None:
    """Independent problems in different tables are all reported together."""
    data["facilities"]["hub_nl"]["country"] = "XX"
    data["services"]["intl"]["rate_card"] = "nope"
    data["lanes"]["nl_de"]["per_kg_minor"] = 1.5
    data["regions"]["FR"]["lat"] = "north"
    paths = {e.path for e in errors_of(data)}
    assert {
        "facilities.hub_nl.country",
        "services.intl.rate_card",
        "lanes.nl_de.per_kg_minor",
        "regions.FR.lat",
    } <= paths


def test_errors_str_lists_every_error(data: Data) -> None:
    """str(NetworkErrors) names the origin and lists each error with its key."""
    data["facilities"]["hub_nl"]["country"] = "XX"
    data["lanes"]["nl_de"]["capacity_units"] = "many"
    with pytest.raises(NetworkErrors) as info:
        network_from_mapping(data, origin="mine.toml")
    text = str(info.value)
    assert text.startswith("mine.toml: 2 errors")
    assert "\n  facilities.hub_nl.country: unknown country code 'XX'" in text
    assert "\n  lanes.nl_de.capacity_units: expected an integer" in text
    assert isinstance(info.value, NetworkError)
    assert info.value.path == "mine.toml"


def test_broken_entry_does_not_cause_false_unknown_reference(
    data: Data, errors_of: ErrorsOf
) -> None:
    """A facility with a bad field is still 'declared': lanes naming it get no second error."""
    data["facilities"]["hub_nl"]["capacity_units_per_day"] = -1
    paths = [e.path for e in errors_of(data)]
    assert paths == ["facilities.hub_nl.capacity_units_per_day"]


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    """A TOML syntax error becomes a NetworkErrors naming the file, line and column."""
    file = tmp_path / "broken.toml"
    file.write_text('format_version = 1\n\n[network]\nname = "x\n', encoding="utf-8")
    with pytest.raises(NetworkErrors) as info:
        load_network(file)
    (error,) = info.value.errors
    assert error.path.startswith(f"{file}:4:")
    assert "TOML syntax error" in error.reason
    assert "line 4" in error.reason
    assert str(file) in str(info.value)


def test_duplicate_id_is_reported_with_its_line(minimal_toml: str) -> None:
    """Two tables with the same id are an error naming the line of the second one."""
    text = minimal_toml + '\n[facilities.hub_nl]\nname = "again"\n'
    duplicate_line = text.count("\n", 0, text.rindex("[facilities.hub_nl]")) + 1
    with pytest.raises(NetworkErrors) as info:
        loads_network(text, origin="dup.toml")
    (error,) = info.value.errors
    assert error.path.startswith(f"dup.toml:{duplicate_line}:")
    assert "ids must be unique" in error.reason
    assert "hub_nl" in error.reason


def test_missing_file_is_a_network_error(tmp_path: Path) -> None:
    """An unreadable file is reported as a NetworkErrors, not an OSError traceback."""
    with pytest.raises(NetworkErrors, match="cannot read the file"):
        load_network(tmp_path / "absent.toml")


def test_non_utf8_file_is_a_network_error(tmp_path: Path) -> None:
    """A file that is not UTF-8 is reported as a NetworkErrors."""
    file = tmp_path / "latin1.toml"
    file.write_bytes('name = "Düsseldorf"\n'.encode("latin-1"))
    with pytest.raises(NetworkErrors, match="not valid UTF-8"):
        load_network(file)


def test_networkerrors_needs_errors() -> None:
    """An empty NetworkErrors would hide a bug: it is refused."""
    with pytest.raises(ValueError, match="at least one error"):
        NetworkErrors("x", [])


def test_refused_enum_values_are_not_offered(data: Data, errors_of: ErrorsOf) -> None:
    """Where a value is refused ('linehaul' for a service, 'returnless' at a facility), the
    list of allowed values does not offer it."""
    data["services"]["intl"]["kind"] = "courier"
    data["facilities"]["hub_nl"]["dispositions"] = ["resell"]
    errors = errors_of(data)
    assert "linehaul" not in _find(errors, "services.intl.kind").reason
    disposition_error = _find(errors, "facilities.hub_nl.dispositions[0]").reason
    assert "returnless" not in disposition_error
    assert "liquidate" in disposition_error


def test_duplicate_disposition_is_reported(data: Data, errors_of: ErrorsOf) -> None:
    """A disposition listed twice is an error at the second occurrence."""
    data["facilities"]["hub_nl"]["dispositions"] = ["liquidate", "liquidate"]
    assert "listed twice" in _find(errors_of(data), "facilities.hub_nl.dispositions[1]").reason
