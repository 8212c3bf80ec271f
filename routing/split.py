"""Split a multi-item return across destinations when that is cheaper: a small CP-SAT model.

Variables: n[i,p] units of item line i sent on candidate p (a costed route, or returnless);
y[p] = candidate p ships a parcel; z[p,k] = its parcel falls in weight break k. The parcel
price is exact per weight break (billable = max(actual, volumetric)); per-unit terms
(handling, line-haul share, disposition, recovery, time, customs allocated by value) are
linear. The solution is then re-costed exactly by ``routing.costing`` (de minimis and other
per-consignment rules included) and only kept when that exact cost beats every whole option.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ortools.sat.python import cp_model

from routing.compiled import Route
from routing.costing import (
    RESOLD,
    Context,
    Unit,
    best_disposition,
    best_reclaim,
    cost_shipment,
    returnless,
)
from routing.domain import Option, Shipment
from routing.errors import PreconditionViolation

MAX_CANDIDATES = 12  # cheapest whole-return candidates offered to the split model
TIME_LIMIT_S = 0.5


def _unit_cost(ctx: Context, route: Route, whole: Shipment, u: Unit, total_units: int) -> int | None:
    """Linear cost of one unit of ``u`` on ``route`` (everything but the parcel's own price)."""
    days_resale = route.days_to_refund + route.extra_days_to_resale
    best = best_disposition(ctx, route.destination, route.dispositions, u, days_resale)
    if best is None:
        return None
    disp, recovery, _ = best
    cost = route.handling_per_unit_minor + route.lane_share_per_unit_minor
    cost += math.ceil(u.item.weight_g / 1000 * route.lane_per_kg_minor)
    cost += ctx.recovery_cost_base.get(disp, 0) - recovery
    if disp in RESOLD:
        cost += u.value_base_minor * ctx.policy.resale_depreciation_per_day_bp * days_resale // 10_000
    # customs of the whole shipment, allocated by value
    customs_net = sum(a.duty_due_minor + a.vat_due_minor for a in whole.customs)
    if whole.customs:
        claim = best_reclaim(whole.customs[0])
        if claim is not None:
            customs_net -= claim.duty_minor + claim.vat_minor
    if ctx.value_base_minor:
        cost += customs_net * u.value_base_minor // ctx.value_base_minor
    cost += ctx.policy.refund_delay_per_day_minor * route.days_to_refund // max(total_units, 1)
    return cost


def best_split(
    ctx: Context,
    candidates: Sequence[tuple[Route, Shipment]],
    units: Sequence[Unit],
    *,
    allow_returnless: bool,
    time_limit_s: float | None = None,
) -> Option | None:
    """The cheapest split into >= 2 shipments, exactly costed; None when no split helps.

    ``candidates`` are the feasible whole-return routes with their costed shipment; the
    returnless refund is a candidate per unit (under the policy's value cap) when allowed.
    """
    ranked: list[tuple[Route | None, Shipment | None]] = list(
        sorted(candidates, key=lambda c: c[1].net_cost_minor)[:MAX_CANDIDATES]
    )
    if allow_returnless:
        ranked.append((None, None))
    if len(ranked) < 2:
        return None
    total_units = sum(u.quantity for u in units)
    model = cp_model.CpModel()
    n: dict[tuple[int, int], cp_model.IntVar] = {}
    objective: list[cp_model.LinearExprT] = []
    for p, (route, whole) in enumerate(ranked):
        if route is None or whole is None:
            for i, u in enumerate(units):
                if u.value_base_minor <= ctx.policy.returnless_max_value_minor:
                    n[i, p] = model.new_int_var(0, u.quantity, f"n_{i}_{p}")
            continue
        used = model.new_bool_var(f"y_{p}")
        card = route.card
        breaks = [b for b in card.weight_upper_g if b <= route.service.max_weight_g] or [
            card.weight_upper_g[0]
        ]
        z = [model.new_bool_var(f"z_{p}_{k}") for k in range(len(breaks))]
        model.add(sum(z) == used)
        actual = []
        volumetric = []
        for i, u in enumerate(units):
            c = _unit_cost(ctx, route, whole, u, total_units)
            if c is None or max(u.item.dims_mm) > route.service.max_length_mm:
                continue
            var = model.new_int_var(0, u.quantity, f"n_{i}_{p}")
            n[i, p] = var
            model.add(var <= u.quantity * used)
            objective.append(c * var)
            actual.append(u.item.weight_g * var)
            volumetric.append(math.ceil(u.item.volume_cm3 * 1000 / card.volumetric_divisor_cm3_per_kg) * var)
        capacity = sum(b * zk for b, zk in zip(breaks, z, strict=True))
        model.add(sum(actual) <= capacity)
        model.add(sum(volumetric) <= capacity)
        zone = route.path.zone
        fixed = route.handling_per_parcel_minor + card.per_parcel_fee_minor
        objective.append(fixed * used)
        for k, zk in enumerate(z):
            price = card.prices_minor[zone][k]
            objective.append((price + price * card.fuel_surcharge_bp // 10_000) * zk)
    for i, u in enumerate(units):
        model.add(sum(v for (ii, _), v in n.items() if ii == i) == u.quantity)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = min(TIME_LIMIT_S, time_limit_s or TIME_LIMIT_S)
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    groups: dict[int, list[Unit]] = {}
    for (i, p), var in n.items():
        q = solver.value(var)
        if q:
            u = units[i]
            groups.setdefault(p, []).append(Unit(u.index, u.item, q, u.value_base_minor))
    if len(groups) < 2:
        return None
    shipments: list[Shipment] = []
    for p, group in sorted(groups.items()):
        route = ranked[p][0]
        share_bp = 10_000 * sum(g.quantity for g in group) // total_units
        got = returnless(ctx, group) if route is None else cost_shipment(ctx, route, group, share_bp)
        if isinstance(got, PreconditionViolation):
            return None
        shipments.append(got)
    return Option(tuple(shipments), ("SPLIT_CHEAPER",))
