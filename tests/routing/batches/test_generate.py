"""The synthetic batch generator: deterministic, faithful to its configuration, routable."""

from __future__ import annotations

import copy
import json
import math
import re
import tomllib
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from customs.api import ReturnReason
from hubs import default_network
from hubs.model import ConditionGrade, FacilityKind, Network
from routing.batches.generate import generate_returns
from routing.batches.generator_config import (
    GeneratorConfig,
    GeneratorConfigError,
    config_from_mapping,
    default_config,
)
from routing.decide.domain import Return
from routing.rpc.app import RoutingApp

ROOT = Path(__file__).resolve().parents[3]
CONFIG_PATH = ROOT / "routing" / "batches" / "data" / "generator.toml"
FACTS = ROOT.parent / "shared" / "reference" / "logistics_facts.json"
START = date(2026, 11, 23)
N = 20_000


def raw_config() -> dict[str, Any]:
    with CONFIG_PATH.open("rb") as f:
        return tomllib.load(f)


@cache
def sample() -> tuple[tuple[str, Return], ...]:
    """20,000 returns of seed 11 on the default network (shared by the distribution tests)."""
    return tuple(generate_returns(N, seed=11, network=default_network(), start=START))


def within(observed: int, n: int, p: float, *, sigmas: float = 5.0) -> bool:
    """``observed`` successes of ``n`` are within ``sigmas`` binomial deviations of ``p``."""
    return abs(observed - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_same_returns() -> None:
    """The same seed, network, start and n give identical returns, ids and order."""
    a = list(generate_returns(3000, seed=42, network=default_network(), start=START))
    b = list(generate_returns(3000, seed=42, network=default_network(), start=START))
    assert a == b
    assert [rid for rid, _ in a[:3]] == ["R00000001", "R00000002", "R00000003"]


def test_different_seed_different_returns() -> None:
    """Another seed gives another batch (not a permutation of the same returns either)."""
    a = [r for _, r in generate_returns(500, seed=1, network=default_network(), start=START)]
    b = [r for _, r in generate_returns(500, seed=2, network=default_network(), start=START)]
    assert a != b
    assert Counter(map(repr, a)) != Counter(map(repr, b))


def test_seed_is_required_and_n_checked() -> None:
    """There is no default seed; n must be a non-negative integer; n = 0 gives nothing."""
    with pytest.raises(TypeError):
        generate_returns(10, network=default_network(), start=START)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="n must be"):
        generate_returns(-1, seed=1, network=default_network(), start=START)
    assert list(generate_returns(0, seed=1, network=default_network(), start=START)) == []


def test_chunks_continue_the_stream() -> None:
    """Batches larger than one sampling chunk keep unique ids and valid returns throughout."""
    rs = list(generate_returns(70_000, seed=3, network=default_network(), start=START))
    assert len({rid for rid, _ in rs}) == 70_000
    assert rs[-1][0] == "R00070000"


# -- faithful to the configuration ------------------------------------------------------------


def test_customer_countries_follow_the_configured_weights() -> None:
    """Every customer country is served by the network and its share is within 5 binomial
    sigmas of its configured weight (renormalised over the served countries)."""
    network, config = default_network(), default_config()
    counts = Counter(r.customer_country for _, r in sample())
    assert set(counts) <= set(network.regions)
    served = {c: w for c, w in config.countries.items() if c in network.regions}
    total = sum(served.values())
    for country, weight in served.items():
        assert within(counts[country], N, weight / total), (country, counts[country])


def test_origins_follow_the_configured_mix() -> None:
    """Returns come only from the network's origins, in the configured share per group."""
    network, config = default_network(), default_config()
    origins = {k for k, f in network.facilities.items() if f.kind is FacilityKind.ORIGIN}
    country_of = {k: network.facilities[k].country for k in origins}
    for mix in config.origin_mix:
        rs = [r for _, r in sample() if r.customer_country in mix.countries]
        got = Counter(country_of[r.origin_facility_id] for r in rs)
        assert set(got) <= {c for c, _ in mix.shares}
        for origin_country, share in mix.shares:
            assert within(got[origin_country], len(rs), share), (mix.name, origin_country)
    assert {r.origin_facility_id for _, r in sample()} <= origins


def test_every_return_is_valid_and_sane() -> None:
    """Positive values, weights and sizes; the merchant's currency; 1-3 lines; a parcel under
    the weight cap; dates in the window and the import 5-60 days before the return."""
    network, config = default_network(), default_config()
    for _, r in sample():
        assert isinstance(r, Return)
        origin = network.facilities[r.origin_facility_id]
        assert 1 <= len(r.items) <= 3
        assert r.paid_currency == origin.currency
        assert sum(i.weight_g * i.quantity for i in r.items) <= config.max_parcel_weight_g
        assert START <= r.return_date < START + timedelta(days=config.return_window_days)
        assert 5 <= (r.return_date - r.import_date).days <= 60
        for i in r.items:
            assert min(i.value_minor, i.weight_g, *i.dims_mm) > 0
            assert i.currency == origin.currency
            assert re.fullmatch(r"[0-9]{6}", i.hs_code)


def test_items_follow_their_category() -> None:
    """An item's HS code belongs to its category; size reasons only for apparel and footwear;
    every category appears in roughly its share of returns (purchase share x return rate)."""
    config = default_config()
    by_prefix = {c.sku_prefix: c for c in config.categories}
    lines = [i for _, r in sample() for i in r.items]
    counts: Counter[str] = Counter()
    for item in lines:
        category = by_prefix[item.sku.split("-")[0]]
        counts[category.name] += 1
        assert item.hs_code in dict(category.hs_codes)
        if item.reason is ReturnReason.WRONG_SIZE:
            assert category.name in ("apparel", "footwear")
    total = sum(c.return_weight for c in config.categories)
    for category in config.categories:
        assert within(counts[category.name], len(lines), category.return_weight / total)


def test_grades_match_the_via_trading_mix() -> None:
    """Over the whole batch, 65-75 % of units are working (A/B), about 20 % repairable (C) and
    the rest scrap (D), as the configured fact row says."""
    grades = Counter(i.grade for _, r in sample() for i in r.items)
    n = sum(grades.values())
    working = (grades[ConditionGrade.A] + grades[ConditionGrade.B]) / n
    assert 0.65 <= working <= 0.75
    assert 0.15 <= grades[ConditionGrade.C] / n <= 0.25
    assert 0.05 <= grades[ConditionGrade.D] / n <= 0.20


def test_lines_and_units_per_return() -> None:
    """Item lines follow their configured shares; units per return average about 1.74 (the
    Retourentacho 2018 ratio of items to return parcels)."""
    config = default_config()
    lines = Counter(len(r.items) for _, r in sample())
    for count, share in config.lines:
        assert within(lines[count], N, share, sigmas=6), count  # the weight cap trims a few
    units = sum(r.units for _, r in sample()) / N
    assert abs(units - 1.74) < 0.05


def test_value_and_weight_profile_matches_the_ipc_parcel_profile() -> None:
    """The configured lognormals, mixed by purchase share, reproduce the IPC cross-border
    parcel profile: values < EUR 10 16 %, EUR 10-49 40 %, < EUR 25 44 %; weights < 500 g
    45 %, <= 2 kg 86 % (tolerances 5-8 points)."""
    config = default_config()
    rng = np.random.default_rng(0)
    values: list[npt.NDArray[np.float64]] = []
    weights: list[npt.NDArray[np.float64]] = []
    total = sum(c.purchase_share for c in config.categories)
    for c in config.categories:
        n = round(200_000 * c.purchase_share / total)
        for d, out in ((c.value_eur, values), (c.weight_g, weights)):
            x = np.exp(math.log(d.median) + d.sigma * rng.standard_normal(n))
            out.append(np.clip(x, d.min, d.max))
    v, w = np.concatenate(values), np.concatenate(weights)
    assert abs((v < 10).mean() - 0.16) < 0.05
    assert abs(((v >= 10) & (v < 50)).mean() - 0.40) < 0.08
    assert abs((v < 25).mean() - 0.44) < 0.06
    assert abs((w < 500).mean() - 0.45) < 0.06
    assert abs((w <= 2000).mean() - 0.86) < 0.05


def test_import_taxes_follow_the_estimate() -> None:
    """Inside one customs area nothing was paid; across, VAT = rate x (value + duty) when due;
    VAT at checkout only under a scheme's threshold and only where the country has one."""
    network, config = default_network(), default_config()
    for _, r in sample():
        origin = network.facilities[r.origin_facility_id]
        regime = config.regime_of(r.customer_country)
        consignment = sum(i.value_minor * i.quantity for i in r.items)
        eur = consignment / (config.currencies[origin.currency].per_eur * 100)
        if config.customs_area(origin.country) == config.customs_area(r.customer_country):
            assert (r.duty_paid_minor, r.vat_paid_minor) == (0, 0)
            assert not r.vat_collected_at_checkout
            continue
        if r.vat_collected_at_checkout:
            assert eur <= regime.checkout_max_eur
        elif regime.checkout_max_eur:
            assert eur > regime.checkout_max_eur
        if r.vat_paid_minor:
            rate = regime.vat_bp[r.customer_country]
            expected = ((consignment + r.duty_paid_minor) * rate + 5000) // 10_000
            assert r.vat_paid_minor == expected
        if r.duty_paid_minor:
            assert regime.duty
            assert eur > regime.duty_free_max_eur
    flags = Counter(r.vat_collected_at_checkout for _, r in sample())
    assert flags[True] > 0  # EU IOSS, UK, NO, AU, NZ, SG cases occur
    countries = {r.customer_country for _, r in sample() if r.vat_collected_at_checkout}
    assert countries <= {
        c for regime in config.import_taxes if regime.checkout_max_eur for c in regime.vat_bp
    }


def test_generated_returns_are_routable() -> None:
    """A sample of generated returns routes on the default network with the real customs
    engine: every one gets a decision (no unknown origin, no parcel too heavy for all)."""
    network = default_network()
    app = RoutingApp(network, compiled_on=date(2026, 11, 22))
    for _, r in generate_returns(300, seed=17, network=network, start=START):
        decision = app.route_return(r, time_limit_s=0)
        assert decision.chosen.shipments


# -- other networks ---------------------------------------------------------------------------


def subnetwork(countries: set[str], origins: set[str]) -> Network:
    n = default_network()
    facilities = {
        k: f for k, f in n.facilities.items() if f.kind is not FacilityKind.ORIGIN or k in origins
    }
    return replace(
        n,
        regions={k: v for k, v in n.regions.items() if k in countries},
        facilities=facilities,
    )


def test_only_served_countries_and_present_origins() -> None:
    """On a network serving FR and JP with only the Hamburg origin, every return is FR or JP
    from Hamburg (the US share of the APAC mix renormalises away)."""
    net = subnetwork({"FR", "JP"}, {"origin_de_hh"})
    rs = [r for _, r in generate_returns(2000, seed=1, network=net, start=START)]
    assert {r.customer_country for r in rs} == {"FR", "JP"}
    assert {r.origin_facility_id for r in rs} == {"origin_de_hh"}


def test_no_served_country_or_origin_is_an_error() -> None:
    """A network the configuration cannot serve is refused up front, with the reason."""
    with pytest.raises(ValueError, match="serves none"):
        generate_returns(1, seed=1, network=subnetwork({"AQ"}, {"origin_de_hh"}), start=START)
    with pytest.raises(ValueError, match="no origin facility"):
        generate_returns(1, seed=1, network=subnetwork({"US"}, set()), start=START)
    net = subnetwork({"US"}, {"origin_de_hh"})
    moved = replace(net.facilities["origin_de_hh"], country="NL")
    net = replace(net, facilities={**net.facilities, "origin_de_hh": moved})
    with pytest.raises(ValueError, match=r"origin_mix\.americas: the network has no origin in"):
        generate_returns(1, seed=1, network=net, start=START)


# -- the configuration ------------------------------------------------------------------------


def test_every_entry_has_a_source() -> None:
    """Every section and every entry of generator.toml lists sources; each has a ref and a
    year and is either a planning assumption or anchored (fact, customs_source or file)."""
    data = raw_config()
    entries: list[tuple[str, dict[str, Any]]] = []
    for key, value in data.items():
        if key == "format_version":
            continue
        if "sources" in value:
            entries.append((key, value))
        else:  # a table of entries
            entries += [(f"{key}.{name}", entry) for name, entry in value.items()]
    assert len(entries) > 60
    for path, entry in entries:
        sources = entry.get("sources")
        assert isinstance(sources, list), f"{path} has no sources"
        assert sources, f"{path} has no sources"
        for s in sources:
            assert s.get("ref"), path
            assert isinstance(s.get("year"), int), path
            anchors = [k for k in ("fact", "customs_source", "file") if k in s]
            if s["ref"] == "planning assumption":
                assert not anchors, path
            else:
                assert len(anchors) == 1, f"{path}: {s['ref']} needs exactly one anchor"


def test_source_anchors_resolve() -> None:
    """Every anchor points at something real: a fact-base row (same item and year), a source
    id of customs/data/sources.toml, or a file of this repository."""
    facts: dict[str, set[int]] = {}  # item -> its years ("~2021" is 2021; "n.d." none)
    if FACTS.exists():
        for row in json.loads(FACTS.read_text(encoding="utf-8"))["facts"]:
            years = facts.setdefault(row["item"], set())
            years.update(int(y) for y in re.findall(r"[0-9]{4}", str(row["year"])))
    with (ROOT / "customs" / "data" / "sources.toml").open("rb") as f:
        customs_ids = {s["id"] for s in tomllib.load(f)["source"]}
    checked = 0
    for value in raw_config().values():
        if not isinstance(value, dict):
            continue
        tables = [value] if "sources" in value else list(value.values())
        for table in tables:
            for s in table["sources"]:
                if "fact" in s and facts:
                    assert s["fact"] in facts, s["fact"]
                    assert s["year"] in facts[s["fact"]], (s["fact"], s["year"])
                    checked += 1
                if "customs_source" in s:
                    assert s["customs_source"] in customs_ids, s["customs_source"]
                if "file" in s:
                    assert (ROOT / s["file"]).is_file(), s["file"]
    if not FACTS.exists():
        pytest.skip("the shared fact base is not beside the repository")
    assert checked > 20


def test_vat_rates_agree_with_the_customs_tables() -> None:
    """The estimate's VAT rates are the customs engine's standard rates in force on the start
    date (China: 70 % of it, the CBEC retail import rate)."""
    with (ROOT / "customs" / "data" / "vat.toml").open("rb") as f:
        rows = tomllib.load(f)["vat"]
    in_force = {
        r["area"]: r["rate_bp"]
        for r in rows
        if r["effective_from"] <= START and (r.get("effective_to") or date.max) >= START
    }
    for regime in default_config().import_taxes:
        for country, rate in regime.vat_bp.items():
            expected = round(in_force[country] * 0.7) if country == "CN" else in_force[country]
            assert rate == expected, country


def test_fx_rates_agree_with_the_customs_table() -> None:
    """The merchant-currency conversions are the customs FX table's latest EUR rates."""
    with (ROOT / "customs" / "data" / "fx.toml").open("rb") as f:
        rows = tomllib.load(f)["rate"]
    latest: dict[str, tuple[date, float]] = {}
    for r in rows:
        if r["base"] == "EUR" and (r["quote"] not in latest or r["date"] > latest[r["quote"]][0]):
            latest[r["quote"]] = (r["date"], float(r["rate"]))
    for code, rate in default_config().currencies.items():
        expected = 1.0 if code == "EUR" else latest[code][1]
        assert rate.per_eur == pytest.approx(expected), code


def test_default_network_currencies_are_configured() -> None:
    """Every origin currency of the default network has a configured conversion."""
    config: GeneratorConfig = default_config()
    for f in default_network().facilities.values():
        if f.kind is FacilityKind.ORIGIN:
            assert f.currency in config.currencies


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d["lines"]["shares"].update({"1": 0.7}), "generator.toml.lines.shares"),
        (lambda d: d["origin_mix"]["europe"]["countries"].append("US"), "origin_mix"),
        (lambda d: d["categories"]["media"]["reasons"].update({"bored": 1}), "reasons.bored"),
        (lambda d: d["categories"]["home"]["hs_codes"].update({"9403": 0.0}), "hs_codes.9403"),
        (lambda d: d["countries"]["FR"].pop("sources"), "countries.FR.sources"),
        (lambda d: d["grades"].pop("defective"), "grades.defective"),
        (lambda d: d["postal"]["formats"].update({"FR": "!##"}), "formats.FR"),
        (lambda d: d["categories"]["home"]["weight_g"].update({"max": 40000}), "weight_g.max"),
    ],
)
def test_bad_configurations_are_refused(edit: Any, path: str) -> None:
    """A broken generator.toml is refused with the key path of the problem."""
    data = copy.deepcopy(raw_config())
    edit(data)
    with pytest.raises(GeneratorConfigError) as info:
        config_from_mapping(data)
    assert path in str(info.value)


def test_the_packaged_configuration_loads() -> None:
    """The packaged file is valid and covers every reason and every default-network country."""
    config = config_from_mapping(raw_config())
    assert config == default_config()
    assert set(config.grades) == set(ReturnReason)
    assert set(default_network().regions) <= set(config.countries)
