"""Applying a variant's changes: to the network document, to the customs rule rows, to a batch.

Network changes are made on the network *document* (the mapping a network TOML file parses
to) and the result goes through ``hubs.loader.network_from_mapping``, so a variant's network is
validated exactly like a network file. Customs changes are rows in the ``customs/data`` format,
written over a copy of the packaged tables and loaded by ``customs.load_rulebook``, so they are
cross-checked like the shipped rows (sources, no overlaps). Every problem becomes a
:class:`ScenarioError` naming the file, the variant and the key.
"""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from customs.engine import CustomsEngine
from customs.fx import FxTable, default_fx
from customs.load import load_rulebook
from customs.tables import RuleDataError, data_dir
from hubs import NetworkErrors, network_from_mapping
from hubs.model import FacilityKind, Network, NetworkError
from routing.batches.generate import generate_returns
from routing.batches.generator_config import default_config
from routing.batches.io import BatchError, read_batch
from routing.decide.domain import Return
from routing.whatif.scenario import (
    BASE,
    Changes,
    CustomsChange,
    Demand,
    Problem,
    RateChange,
    Scenario,
    ScenarioError,
)

Doc = dict[str, Any]
Batch = list[tuple[str, Return]]


class _Problems:
    def __init__(self, file: str, variant: str) -> None:
        self.file = file
        self.variant = variant
        self.items: list[Problem] = []

    def add(self, key: str, reason: str) -> None:
        self.items.append(Problem(self.variant, key, reason))

    def raise_if_any(self) -> None:
        if self.items:
            raise ScenarioError(self.file, self.items)


# -- the network ----------------------------------------------------------------------------


def network_document(scenario: Scenario) -> Doc:
    """The base network file, parsed (not yet validated)."""
    path = scenario.base.network
    try:
        if path is None:
            ref = resources.files("hubs").joinpath("data", "default_network.toml")
            text = ref.read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(
            scenario.file, [Problem(BASE, "base.network", f"cannot load {path}: {exc}")]
        ) from exc


def _facilities(doc: Doc) -> dict[str, Any]:
    got = doc.setdefault("facilities", {})
    assert isinstance(got, dict)
    return got


def _lanes(doc: Doc) -> dict[str, Any]:
    got = doc.setdefault("lanes", {})
    assert isinstance(got, dict)
    return got


def _known(ids: Iterable[str]) -> str:
    return ", ".join(sorted(ids))


def apply_network(doc: Doc, changes: Changes, p: _Problems, prefix: str = "") -> Doc:
    """A copy of the network document with ``changes`` made (references checked)."""
    out = copy.deepcopy(doc)
    facilities, lanes = _facilities(out), _lanes(out)
    for i, fid in enumerate(changes.remove_facilities):
        if fid not in facilities:
            p.add(
                f"{prefix}remove_facilities[{i}]",
                f"unknown facility {fid!r}; known: {_known(facilities)}",
            )
            continue
        del facilities[fid]
        for lane_id in [
            k for k, v in lanes.items() if fid in (v.get("from_facility"), v.get("to_facility"))
        ]:
            del lanes[lane_id]
    for i, lane_id in enumerate(changes.remove_lanes):
        if lane_id not in lanes:
            p.add(f"{prefix}remove_lanes[{i}]", f"unknown lane {lane_id!r}; known: {_known(lanes)}")
        else:
            del lanes[lane_id]
    for section, added in _added(changes):
        entries = out.setdefault(section, {})
        for entry_id, table in added.items():
            if entry_id in entries:
                p.add(f"{prefix}add_{section}.{entry_id}", f"exists already in {section}")
            else:
                entries[entry_id] = copy.deepcopy(dict(table))
    for i, r in enumerate(changes.resize):
        key = f"{prefix}resize[{i}].facility"
        f = facilities.get(r.facility)
        if f is None:
            p.add(key, f"unknown facility {r.facility!r}; known: {_known(facilities)}")
            continue
        if r.capacity_units_per_day is not None:
            f["capacity_units_per_day"] = r.capacity_units_per_day
        if r.capacity_pct is not None:
            cap = f.get("capacity_units_per_day")
            if isinstance(cap, int) and not isinstance(cap, bool):
                f["capacity_units_per_day"] = _scaled(cap, r.capacity_pct)
        if r.processing_days is not None:
            f["processing_days"] = r.processing_days
    for i, rate in enumerate(changes.rates):
        _apply_rate(out, rate, p, f"{prefix}rates[{i}]")
    if changes.policy:
        policy = out.setdefault("policy", {})
        policy.update(changes.policy)
    return out


def _scaled(value: int, pct: Decimal) -> int:
    return int((Decimal(value) * (1 + pct / 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _changed(value: int, rate: RateChange) -> int:
    if rate.pct is not None:
        return _scaled(value, rate.pct)
    assert rate.add_minor is not None
    return value + rate.add_minor


def _apply_rate(doc: Doc, rate: RateChange, p: _Problems, key: str) -> None:
    services: dict[str, Any] = doc.get("services", {})
    cards: dict[str, Any] = doc.get("rate_cards", {})
    lanes = _lanes(doc)
    if rate.selector == "lane":
        lane = lanes.get(rate.target)
        if lane is None:
            p.add(f"{key}.lane", f"unknown lane {rate.target!r}; known: {_known(lanes)}")
            return
        if rate.add_minor is not None and rate.currency != lane.get("currency"):
            p.add(f"{key}.currency", f"lane {rate.target} is priced in {lane.get('currency')}")
            return
        for field in ("fixed_cost_minor", "per_kg_minor"):
            v = lane.get(field)
            if isinstance(v, int) and not isinstance(v, bool) and (v or rate.pct is None):
                lane[field] = _changed(v, rate)
                if lane[field] < 0:
                    p.add(key, f"makes lane {rate.target}.{field} negative ({lane[field]})")
        return
    if rate.selector == "rate_card":
        if rate.target not in cards:
            p.add(f"{key}.rate_card", f"unknown rate card {rate.target!r}; known: {_known(cards)}")
            return
        chosen = {rate.target}
    elif rate.selector == "service":
        svc = services.get(rate.target)
        if svc is None:
            p.add(f"{key}.service", f"unknown service {rate.target!r}; known: {_known(services)}")
            return
        chosen = {str(svc.get("rate_card"))}
    else:
        carriers = {str(s.get("carrier")) for s in services.values()}
        if rate.target not in carriers:
            p.add(f"{key}.carrier", f"unknown carrier {rate.target!r}; known: {_known(carriers)}")
            return
        chosen = {
            str(s.get("rate_card")) for s in services.values() if s.get("carrier") == rate.target
        }
        shared = sorted(
            sid
            for sid, s in services.items()
            if s.get("rate_card") in chosen and s.get("carrier") != rate.target
        )
        if shared:
            p.add(
                f"{key}.carrier",
                f"its rate cards are shared with services of other carriers ({', '.join(shared)});"
                " select the rate_card or service instead",
            )
            return
    for card_id in sorted(chosen):
        card = cards.get(card_id)
        if not isinstance(card, dict):
            continue  # a dangling reference: the network validation names it
        if rate.add_minor is not None and rate.currency != card.get("currency"):
            p.add(f"{key}.currency", f"rate card {card_id} is priced in {card.get('currency')}")
            return
        rows = card.get("prices_minor")
        if isinstance(rows, list):
            new_rows = [
                [_changed(v, rate) if isinstance(v, int) else v for v in row]
                if isinstance(row, list)
                else row
                for row in rows
            ]
            negative = [
                v
                for row in new_rows
                if isinstance(row, list)
                for v in row
                if isinstance(v, int) and v < 0
            ]
            if negative:
                p.add(key, f"makes prices of rate card {card_id} negative (e.g. {negative[0]})")
                return
            card["prices_minor"] = new_rows


def build_network(doc: Doc, changes: Changes, p: _Problems, prefix: str = "") -> Network:
    """Validate a changed network document; its errors name the variant's key when the variant
    added the entry concerned."""
    try:
        return network_from_mapping(doc, origin=f"{p.file} variant {p.variant}")
    except NetworkErrors as exc:
        for e in exc.errors:
            p.add(_network_key(e.path, changes, prefix), e.reason)
    except NetworkError as exc:
        p.add(_network_key(exc.path, changes, prefix), exc.reason)
    p.raise_if_any()
    raise AssertionError("unreachable")


def _added(changes: Changes) -> tuple[tuple[str, Mapping[str, Mapping[str, object]]], ...]:
    return (
        ("facilities", changes.add_facilities),
        ("lanes", changes.add_lanes),
        ("services", changes.add_services),
        ("rate_cards", changes.add_rate_cards),
    )


def _network_key(path: str, changes: Changes, prefix: str) -> str:
    for word, section in (
        ("facility ", "facilities."),
        ("lane ", "lanes."),
        ("service ", "services."),
        ("rate_card ", "rate_cards."),
    ):
        if path.startswith(word):
            path = section + path[len(word) :]
    parts = path.split(".")
    for section, added in _added(changes):
        if len(parts) >= 2 and parts[0] == section and parts[1] in added:
            return prefix + f"add_{section}." + ".".join(parts[1:])
    return f"network {path}"


# -- customs --------------------------------------------------------------------------------

_TABLE_FILES = {"de_minimis": "de_minimis.toml", "duty_rate": "duty_rates.toml"}


def _row_key(table: str, row: Mapping[str, object]) -> tuple[object, ...]:
    def norm(key: str) -> tuple[str, ...]:
        v = row.get(key)
        return tuple(sorted(str(x) for x in v)) if isinstance(v, list) else ()

    key: tuple[object, ...] = (row.get("regime"), norm("origins"), norm("channels"))
    if table == "duty_rate":
        key += (norm("chapters"), bool(row.get("additional", False)))
    return key


def customs_rows(
    changes: Sequence[tuple[str, int, CustomsChange]],
) -> dict[str, list[dict[str, Any]]]:
    """The changed tables' rows: a change ends each row of its key in force on or after its
    date the day before (dropping rows that start on or after it) and adds its own row."""
    out: dict[str, list[dict[str, Any]]] = {}
    directory = data_dir()
    for variant, i, change in changes:
        filename = _TABLE_FILES[change.table]
        if filename not in out:
            doc = tomllib.loads(directory.joinpath(filename).read_text(encoding="utf-8"))
            out[filename] = list(doc.get(change.table, []))
        rows = out[filename]
        new = dict(change.row)
        new.setdefault("id", f"whatif.{variant}.{change.table}.{i}")
        new["effective_from"] = change.effective_from
        key = _row_key(change.table, new)
        kept = []
        for row in rows:
            if _row_key(change.table, row) != key:
                kept.append(row)
                continue
            start, end = row.get("effective_from"), row.get("effective_to")
            if isinstance(start, date) and start >= change.effective_from:
                continue  # superseded entirely
            if end is None or (isinstance(end, date) and end >= change.effective_from):
                row = {**row, "effective_to": change.effective_from - timedelta(days=1)}
            kept.append(row)
        kept.append(new)
        out[filename] = kept
    return out


def customs_engine(
    changes: Sequence[tuple[str, int, CustomsChange]], p: _Problems, fx: FxTable | None = None
) -> CustomsEngine | None:
    """An engine over the packaged rules with ``changes`` (variant, index, change) applied;
    ``None`` when there are none (use the default engine)."""
    if not changes:
        return None
    fx = fx or default_fx()
    tables = customs_rows(changes)
    with tempfile.TemporaryDirectory(prefix="reroute-whatif-customs-") as tmp:
        root = Path(tmp)
        source = data_dir()
        for entry in source.iterdir():
            if entry.name.endswith(".toml") or entry.name.endswith(".json"):
                (root / entry.name).write_bytes(entry.read_bytes())
        for filename, rows in tables.items():
            table = next(t for t, f in _TABLE_FILES.items() if f == filename)
            (root / filename).write_text(tomli_w.dumps({table: rows}), encoding="utf-8")
        try:
            book = load_rulebook(fx, root)
        except RuleDataError as exc:
            p.add(_customs_key(exc.where, changes), exc.reason)
            p.raise_if_any()
            raise
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return CustomsEngine(book, fx)


def _customs_key(where: str, changes: Sequence[tuple[str, int, CustomsChange]]) -> str:
    """``de_minimis.toml de_minimis[12] (whatif.x.de_minimis.0).sources`` -> the change's key."""
    for variant, i, change in changes:
        row_id = str(change.row.get("id", f"whatif.{variant}.{change.table}.{i}"))
        if f"({row_id})" in where or row_id in where:
            prefix = "base." if variant == BASE else ""
            tail = where.split(")", 1)[1].lstrip(".") if ")" in where else ""
            return f"{prefix}customs[{i}].row" + (f".{tail}" if tail else "")
    return f"customs ({where})"


# -- the batch ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inputs:
    """A variant's network, customs engine (None: the default one) and batch."""

    network: Network
    customs: CustomsEngine | None
    batch: Batch
    fx_date: date
    notes: tuple[str, ...]


def base_batch(scenario: Scenario, network: Network) -> Batch:
    b = scenario.base
    p = _Problems(scenario.file, BASE)
    origins = frozenset(f.id for f in network.facilities.values() if f.kind is FacilityKind.ORIGIN)
    if b.generate is not None:
        config = default_config()
        demand = b.changes.demand
        if demand is not None and demand.countries is not None:
            unknown = sorted(demand.countries - set(config.countries))
            if unknown:
                p.add("base.demand.countries", f"the generator has no customers in {unknown}")
                p.raise_if_any()
            config = replace(
                config,
                countries={c: w for c, w in config.countries.items() if c in demand.countries},
            )
        return list(
            generate_returns(
                b.generate.returns,
                seed=b.generate.seed,
                network=network,
                start=b.generate.start,
                config=config,
            )
        )
    assert b.batch is not None
    try:
        return list(read_batch(b.batch, known_origins=origins).returns)
    except BatchError as exc:
        first = "; ".join(f"row {e.row}: {e.field}: {e.reason}" for e in exc.errors[:3])
        p.add("base.batch", f"{b.batch.name}: {len(exc.errors)} invalid row(s): {first}")
        p.raise_if_any()
        raise


def apply_demand(batch: Batch, demand: Demand, network: Network, p: _Problems, key: str) -> Batch:
    """Keep some countries, resample by country factors (seeded), reassign the origin."""
    out = batch
    if demand.origin is not None:
        f = network.facilities.get(demand.origin)
        if f is None or f.kind is not FacilityKind.ORIGIN:
            known = sorted(
                x.id for x in network.facilities.values() if x.kind is FacilityKind.ORIGIN
            )
            p.add(
                f"{key}.origin",
                f"unknown origin facility {demand.origin!r}; known: {_known(known)}",
            )
            return out
        out = [(rid, replace(r, origin_facility_id=demand.origin)) for rid, r in out]
    if demand.countries is not None:
        out = [(rid, r) for rid, r in out if r.customer_country in demand.countries]
    if demand.country_factors:
        rng = np.random.default_rng(demand.seed)
        draws = rng.random(len(out))
        resampled: Batch = []
        for (rid, r), u in zip(out, draws.tolist(), strict=True):
            factor = demand.country_factors.get(r.customer_country, Decimal(1))
            copies = math.floor(factor) + (1 if u < float(factor - math.floor(factor)) else 0)
            resampled.extend((rid if c == 0 else f"{rid}~{c + 1}", r) for c in range(copies))
        out = resampled
    if not out:
        p.add(key, "leaves no return in the batch")
    return out


def _sla(batch: Batch, changes: Changes) -> Batch:
    sla = changes.sla
    if sla is None:
        return batch
    out = []
    for rid, r in batch:
        c = r.constraints
        c = replace(
            c,
            max_days_to_refund=sla.max_days_to_refund
            if sla.max_days_to_refund is not None
            else c.max_days_to_refund,
            allow_returnless=c.allow_returnless
            if sla.allow_returnless is None
            else sla.allow_returnless,
        )
        out.append((rid, replace(r, constraints=c)))
    return out


def _origins_used(batch: Batch) -> set[str]:
    return {r.origin_facility_id for _, r in batch}


def prepare(scenario: Scenario, variant_name: str, *, with_batch: bool = True) -> Inputs:
    """Everything a variant runs on, checked; raises ScenarioError naming the variant's keys."""
    variant = scenario.variant(variant_name)
    doc0 = network_document(scenario)
    pb = _Problems(scenario.file, BASE)
    base_doc = apply_network(doc0, scenario.base.changes, pb, "base.")
    pb.raise_if_any()
    base_network = build_network(base_doc, scenario.base.changes, pb, "base.")
    pv = _Problems(scenario.file, variant.name)
    network = base_network
    if variant.name != BASE:
        doc = apply_network(base_doc, variant.changes, pv)
        pv.raise_if_any()
        network = build_network(doc, variant.changes, pv)
    customs_changes = [(BASE, i, c) for i, c in enumerate(scenario.base.changes.customs)]
    customs_changes += [(variant.name, i, c) for i, c in enumerate(variant.changes.customs)]
    engine = customs_engine(customs_changes, pv if variant.changes.customs else pb)
    notes: list[str] = []
    batch: Batch = []
    fx_date = scenario.base.fx_date
    if with_batch:
        batch = base_batch(scenario, base_network)
        if scenario.base.changes.demand is not None:
            d = scenario.base.changes.demand
            if scenario.base.generate is not None:
                d = replace(d, countries=None)  # applied by the generator
            batch = apply_demand(batch, d, base_network, pb, "base.demand")
            pb.raise_if_any()
        batch = _sla(batch, scenario.base.changes)
        if variant.changes.demand is not None:
            batch = apply_demand(batch, variant.changes.demand, network, pv, "demand")
        batch = _sla(batch, variant.changes)
        gone = sorted(o for o in _origins_used(batch) if o not in network.facilities)
        if gone:
            pv.add(
                "remove_facilities",
                f"the batch has returns for origin(s) {', '.join(gone)}: an origin the batch"
                " uses cannot be removed",
            )
        pv.raise_if_any()
        if fx_date is None:
            fx_date = min(r.return_date for _, r in batch)
    return Inputs(network, engine, batch, fx_date or date.today(), tuple(notes))


def check(scenario: Scenario) -> None:
    """Apply every variant's network and customs changes (no batch): raises ScenarioError with
    every problem of every variant."""
    problems: list[Problem] = []
    for name in scenario.names:
        try:
            prepare(scenario, name, with_batch=False)
        except ScenarioError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise ScenarioError(scenario.file, problems)
