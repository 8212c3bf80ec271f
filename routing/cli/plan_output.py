"""Writing a batch plan: ``plan.json`` (the plan), ``assignments.csv`` (one row per return,
every cost term), ``flows.csv`` (volume, cost and CO2e per flow, with coordinates) and a
terminal summary; the live progress line.

A return's terms are the engine's own (``Router.shipment`` of the planned route, the shipment
RouteReturn answers) except the line-haul: a plan pays its dispatches, so ``linehaul_share`` is
the return's share of its lane's planned dispatches (by units), and the rows add up to the
plan's objective. Returns are loaded onto a lane's dispatches in return-id order
(``dispatch`` = ``<lane>#<n>``).

The capacity shadow price of a facility (``shadow_price_minor_per_unit``) is what one more unit
of its capacity over the horizon is worth to the plan: the dual value of its capacity row in
the plan's LP relaxation (``routing.solver.backends.capacity_prices``), 0 with slack.
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from customs.fx import format_minor
from hubs.model import Network
from routing.decide.domain import Return, Shipment, Term
from routing.decide.router import Router
from routing.errors import RerouteError
from routing.plan.planner import Assigned, BatchPlan, Built
from routing.solver.backends import capacity_prices
from routing.solver.problem import Progress, relative_gap

SHADOW_PRICE_METHOD = (
    "dual value of the facility's capacity row in the plan's LP relaxation (GLOP): the saving"
    " of one more unit of capacity over the horizon, in minor units of the plan's currency"
)
MAX_PRICED_OPTIONS = 300_000  # a larger LP is not solved for prices (the plan still is)
TERMS = tuple(Term)
DUTIES = (Term.DUTY_DUE, Term.IMPORT_VAT_DUE)
RECLAIMS = (Term.DUTY_RECLAIM, Term.VAT_RECLAIM)


def shadow_prices(plan: BatchPlan, built: Built) -> dict[str, int] | None:
    """Per facility of the plan, what one more unit of its capacity is worth (minor units);
    None when the problem is too large to price or its LP has no optimum."""
    options = sum(len(c.options) for c in built.problem.classes)
    if options > MAX_PRICED_OPTIONS:
        return None
    prices = capacity_prices(built.problem)
    if prices is None:
        return None
    real = {f.facility_id for f in plan.facilities}
    return {fid: round(prices[i]) for i, fid in enumerate(built.facility_ids) if fid in real}


def plan_to_dict(
    plan: BatchPlan,
    prices: Mapping[str, int] | None = None,
    *,
    loss_returns: int | None = None,
) -> dict[str, object]:
    r = plan.result
    out: dict[str, object] = {
        "status": r.status.value,
        "currency": plan.currency,
        "objective_minor": r.objective,
        "bound_minor": r.bound,
        "gap": None if math.isinf(r.gap) else round(r.gap, 6),
        "solve_time_s": round(r.wall_time_s, 3),
        "backend": r.backend,
        "returns": plan.returns,
        "units": plan.units,
        "classes": plan.classes,
        "overflow_units": plan.overflow_units,
        "loss_returns": loss_returns,
        "shadow_price_method": SHADOW_PRICE_METHOD if prices is not None else None,
        "facilities": [
            {
                "facility_id": f.facility_id,
                "load_units": f.load_units,
                "capacity_units": f.capacity_units,
                "utilization": round(f.load_units / f.capacity_units, 4)
                if f.capacity_units
                else None,
                "shadow_price_minor_per_unit": None
                if prices is None
                else prices.get(f.facility_id, 0),
            }
            for f in plan.facilities
        ],
        "lanes": [
            {
                "lane_id": lane.lane_id,
                "load_units": lane.load_units,
                "dispatches": lane.dispatches,
                "capacity_units_per_dispatch": lane.capacity_units_per_dispatch,
                "fixed_cost_minor_per_dispatch": lane.fixed_cost_minor,
                "fill": round(lane.fill, 4),
            }
            for lane in plan.lanes
        ],
        "unroutable": [{"return_id": rid, "reason": why} for rid, why in plan.unroutable],
    }
    return out


@dataclass(frozen=True, slots=True)
class Row:
    """One return of the plan, explained."""

    a: Assigned
    shipment: Shipment | None  # None for a return planned at the overflow price
    linehaul_minor: int  # the engine's line-haul term with the plan's dispatch share
    dispatch: str
    net_minor: int


class _Explainer:
    """The engine's shipment of (return, route key), built once per return signature (the
    postal code and idempotency key do not change a plan's option)."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.cache: dict[tuple[Return, str], Shipment] = {}

    def route_share(self, ret: Return, a: Assigned) -> int:
        """The line-haul dispatch share RouteReturn prices into the route (at its planned
        fill), which the planner leaves out of an option's cost."""
        routes = self.router.compiled.routes(ret.customer_country, ret.origin_facility_id)
        route = next(r for r in routes if r.key == a.option)
        return route.lane_share_per_unit_minor * a.units

    def shipment(self, ret: Return, key: str) -> Shipment:
        sig = replace(ret, customer_postal_code="0", idempotency_key="")
        got = self.cache.get((sig, key))
        if got is None:
            try:  # the engine's own costing, never re-implemented here
                got = self.router.shipment(sig, key)
            except RerouteError as exc:  # the planner costed it: it cannot fail now
                raise RuntimeError(f"costing {key} again failed: {exc}") from exc
            self.cache[(sig, key)] = got
        return got


def explain(plan: BatchPlan, returns: Mapping[str, Return], router: Router) -> list[Row]:
    """Every assignment with its shipment, its line-haul share and its dispatch."""
    lanes = {lane.lane_id: lane for lane in plan.lanes}
    filled: dict[str, int] = {}  # lane -> units loaded so far (return-id order)
    paid: dict[str, int] = {}  # lane -> dispatch cost allocated so far
    explainer = _Explainer(router)
    rows = []
    for a in plan.assignments:  # sorted by return id
        shipment = None
        linehaul = share = 0
        dispatch = ""
        ret = returns[a.return_id]
        if not a.option.startswith("overflow:"):
            shipment = explainer.shipment(ret, a.option)
            linehaul = sum(t.amount_minor for t in shipment.terms if t.term is Term.LINEHAUL_SHARE)
        if a.lane_id:  # a lane's load is counted in returns (parcels), as the planner does
            lane = lanes[a.lane_id]
            before = filled.get(a.lane_id, 0)
            filled[a.lane_id] = before + 1
            dispatch = f"{a.lane_id}#{before // lane.capacity_units_per_dispatch + 1}"
            total = lane.dispatches * lane.fixed_cost_minor
            # cumulative rounding: the shares of a lane add up to its dispatch cost exactly
            share_to = total * (before + 1) // lane.load_units if lane.load_units else 0
            share = share_to - paid.get(a.lane_id, 0)
            paid[a.lane_id] = share_to
            if shipment is not None:
                linehaul += share - explainer.route_share(ret, a)
        rows.append(Row(a, shipment, linehaul, dispatch, a.cost_minor + share))
    return rows


def _terms(row: Row) -> dict[Term, int]:
    out = dict.fromkeys(TERMS, 0)
    if row.shipment is not None:
        for t in row.shipment.terms:
            out[t.term] += t.amount_minor
    out[Term.LINEHAUL_SHARE] = row.linehaul_minor
    return out


ASSIGNMENT_COLUMNS = (
    "return_id",
    "option",
    "destination_id",
    "destination_kind",
    "destination_country",
    "disposition",
    "facility_id",
    "lane_id",
    "dispatch",
    "units",
    "currency",
    "net_cost_minor",
    *(f"{t.value}_minor" for t in TERMS),
    "duties_due_minor",
    "reclaims_minor",
    "days_to_refund",
    "days_to_resale",
    "co2e_g",
)


def _assignment_row(row: Row, currency: str) -> list[object]:
    s = row.shipment
    terms = _terms(row)
    dispositions = "+".join(sorted({i.disposition.value for i in s.items})) if s else "overflow"
    return [
        row.a.return_id,
        row.a.option,
        s.destination_id if s else row.a.facility_id,
        s.destination_kind.value if s else "",
        s.destination_country if s else "",
        dispositions,
        row.a.facility_id,
        row.a.lane_id,
        row.dispatch,
        row.a.units,
        currency,
        row.net_minor,
        *(terms[t] for t in TERMS),
        sum(terms[t] for t in DUTIES),
        -sum(terms[t] for t in RECLAIMS),  # a reclaim is a credit: shown as the amount back
        s.days_to_refund if s else "",
        "" if s is None or s.days_to_resale is None else s.days_to_resale,
        s.co2e_g if s else "",
    ]


FLOW_COLUMNS = (
    "customer_country",
    "from_lat",
    "from_lon",
    "facility_id",
    "facility_lat",
    "facility_lon",
    "lane_id",
    "onward_facility_id",
    "onward_lat",
    "onward_lon",
    "returns",
    "units",
    "currency",
    "cost_minor",
    "co2e_g",
)


def _flows(
    rows: Sequence[Row], returns: Mapping[str, Return], network: Network
) -> list[list[object]]:
    """Returns, units, cost and CO2e per (customer country, first stop, lane)."""
    agg: dict[tuple[str, str, str], list[int]] = {}
    for row in rows:
        country = returns[row.a.return_id].customer_country
        key = (country, row.a.facility_id, row.a.lane_id)
        got = agg.setdefault(key, [0, 0, 0, 0])
        got[0] += 1
        got[1] += row.a.units
        got[2] += row.net_minor
        got[3] += row.shipment.co2e_g if row.shipment else 0
    out: list[list[object]] = []
    for (country, facility_id, lane_id), (n, units, cost, co2e) in sorted(agg.items()):
        region = network.regions.get(country)
        fac = network.facilities.get(facility_id)
        lane = network.lanes.get(lane_id) if lane_id else None
        onward = network.facilities.get(lane.to_facility) if lane else None
        out.append(
            [
                country,
                region.lat if region else "",
                region.lon if region else "",
                facility_id or "returnless",
                fac.lat if fac else "",
                fac.lon if fac else "",
                lane_id,
                onward.id if onward else "",
                onward.lat if onward else "",
                onward.lon if onward else "",
                n,
                units,
                network.currency,
                cost,
                co2e,
            ]
        )
    return out


def write_plan(
    plan: BatchPlan,
    out_dir: Path,
    *,
    returns: Mapping[str, Return],
    router: Router,
    prices: Mapping[str, int] | None = None,
    loss_returns: int | None = None,
) -> tuple[Path, ...]:
    """Write plan.json, assignments.csv and flows.csv into ``out_dir``; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = explain(plan, returns, router)
    plan_path = out_dir / "plan.json"
    doc = plan_to_dict(plan, prices, loss_returns=loss_returns)
    doc["co2e_g"] = sum(r.shipment.co2e_g for r in rows if r.shipment)
    plan_path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    csv_path = out_dir / "assignments.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ASSIGNMENT_COLUMNS)
        w.writerows(_assignment_row(row, plan.currency) for row in rows)
    flows_path = out_dir / "flows.csv"
    with flows_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(FLOW_COLUMNS)
        w.writerows(_flows(rows, returns, router.network))
    return plan_path, csv_path, flows_path


def format_summary(
    plan: BatchPlan, prices: Mapping[str, int] | None = None, *, loss_returns: int | None = None
) -> str:
    r = plan.result
    cur = plan.currency
    gap = "n/a" if math.isinf(r.gap) else f"{100 * r.gap:.3f} %"
    lines = [
        f"plan: {r.status.value} ({r.backend}, {r.wall_time_s:.1f} s); {plan.returns} returns,"
        f" {plan.units} units in {plan.classes} classes",
        f"  total net cost {format_minor(r.objective or 0, cur)}; lower bound"
        f" {format_minor(r.bound, cur) if r.bound is not None else 'n/a'}; gap {gap}",
    ]
    planned = len(plan.assignments)
    if loss_returns is not None:
        share = 100 * loss_returns / planned if planned else 0.0
        lines.append(
            f"  at a loss: {loss_returns} of {planned} returns ({share:.1f} %) cost more than"
            " their merchant policy allows (by default: more than the goods are worth)"
        )
    if plan.overflow_units:
        lines.append(f"  overflow: {plan.overflow_units} units planned outside the network")
    if plan.unroutable:
        lines.append(f"  unroutable: {len(plan.unroutable)} returns (listed in plan.json)")
    priced = prices is not None
    lines.append(
        "  facilities (load / capacity over the horizon"
        + ("; one more unit of capacity would save):" if priced else "):")
    )
    for fac in sorted(plan.facilities, key=lambda x: -x.load_units):
        if fac.load_units:
            share = fac.load_units / fac.capacity_units if fac.capacity_units else 0.0
            worth = ""
            if prices is not None:
                worth = f"  {format_minor(prices.get(fac.facility_id, 0), cur):>12}"
            lines.append(
                f"    {fac.facility_id:<22} {fac.load_units:>9} / {fac.capacity_units:<9}"
                f" {100 * share:5.1f} %{worth}"
            )
    if not priced:
        lines.append("  (capacity shadow prices not computed: the plan is too large to price)")
    used = [lane for lane in plan.lanes if lane.dispatches]
    if used:
        lines.append("  line-haul dispatches:")
        for lane in used:
            lines.append(
                f"    {lane.lane_id:<26} {lane.dispatches:>4} x"
                f" {lane.capacity_units_per_dispatch} units,"
                f" {lane.load_units} carried ({100 * lane.fill:.1f} % full)"
            )
    return "\n".join(lines)


class ProgressPrinter:
    """Live incumbent / bound / gap on one terminal line (one line per second when piped).

    The line never shows an incumbent worse than one it showed (nor a bound lower than one it
    showed): a batch solved in parts reports the sum of the parts' latest plans, which can rise
    for a moment when a part's solver replaces its start plan by its own first one.
    """

    def __init__(
        self, stream: TextIO | None = None, currency: str = "EUR", *, every_s: float = 1.0
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.currency = currency
        self.every_s = every_s  # at most one line this often when not on a terminal
        self.tty = self.stream.isatty()
        self._last = 0.0
        self.best: int | None = None
        self.bound: int | None = None

    def __call__(self, p: Progress) -> None:
        if p.incumbent is not None and (self.best is None or p.incumbent < self.best):
            self.best = p.incumbent
        if p.bound is not None and (self.bound is None or p.bound > self.bound):
            self.bound = p.bound
        if self.best is not None and self.bound is not None and self.bound > self.best:
            self.bound = self.best
        now = time.monotonic()
        if not self.tty and now - self._last < self.every_s:
            return
        self._last = now
        inc = "-" if self.best is None else format_minor(self.best, self.currency)
        bound = "-" if self.bound is None else format_minor(self.bound, self.currency)
        gap_value = relative_gap(self.best, self.bound)
        gap = "-" if math.isinf(gap_value) else f"{100 * gap_value:.3f} %"
        text = f"[{p.elapsed_s:6.1f} s] incumbent {inc}  bound {bound}  gap {gap}"
        if self.tty:
            self.stream.write("\r" + text.ljust(90))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
