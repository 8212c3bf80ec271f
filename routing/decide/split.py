"""Split a multi-item return across destinations when that is cheaper: a small CP-SAT model.

Variables: n[i,p] units of item line i sent on candidate p (a costed route, or returnless);
y[p] = candidate p ships a parcel; z[p,k] = its parcel falls in weight break k. The parcel
price is exact per weight break (billable = max(actual, volumetric)); per-unit terms
(handling, line-haul share, disposition, recovery, time, customs allocated by value) are
linear. The solution is then re-costed exactly by ``routing.decide.costing`` (de minimis and other
per-consignment rules included) and only kept when that exact cost beats every whole option.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ortools.sat.python import cp_model

from routing.decide.costing import (
    Context,
    Evaluation,
    Unit,
    best_disposition,
    cost_shipment,
    returnless,
)
from routing.decide.domain import Option, Shipment
from routing.errors import PreconditionViolation

MAX_CANDIDATES = 12  # cheapest whole-return candidates offered to the split model
TIME_LIMIT_S = 0.5


def _unit_cost(ctx: Context, e: Evaluation, u: Unit, total_units: int) -> int | None:
    """Linear cost of one unit of ``u`` on ``e.route`` (everything but the parcel's own price)."""
    route = e.route
    best = best_disposition(ctx.policy, route, u)
    if best is None:
        return None
    _choice, _recovery, credit = best
    cost = route.handling_per_unit_minor + route.lane_share_per_unit_minor - credit
    cost += math.ceil(u.item.weight_g * route.lane_per_kg_minor / 1000)
    # customs of the whole-return evaluation, allocated by value
    customs_net = e.duty_due + e.vat_due - e.reclaim_duty - e.reclaim_vat
    if ctx.value_base_minor:
        cost += customs_net * u.value_base_minor // ctx.value_base_minor
    cost += ctx.policy.refund_delay_per_day_minor * route.days_to_refund // max(total_units, 1)
    return cost


def best_split(
    ctx: Context,
    candidates: Sequence[Evaluation],
    units: Sequence[Unit],
    *,
    allow_returnless: bool,
    time_limit_s: float | None = None,
) -> Option | None:
    """The cheapest split into >= 2 shipments, exactly costed; None when no split helps.

    ``candidates`` are the feasible whole-return evaluations; the returnless refund is a
    candidate per unit (under the policy's value cap) when allowed.
    """
    ranked: list[Evaluation | None] = list(
        sorted(candidates, key=lambda e: e.net_cost_minor)[:MAX_CANDIDATES]
    )
    if allow_returnless:
        ranked.append(None)
    if len(ranked) < 2:
        return None
    total_units = sum(u.quantity for u in units)
    model = cp_model.CpModel()
    n: dict[tuple[int, int], cp_model.IntVar] = {}
    objective: list[cp_model.LinearExprT] = []
    for p, e in enumerate(ranked):
        if e is None:
            for i, u in enumerate(units):
                if u.value_base_minor <= ctx.policy.returnless_max_value_minor:
                    n[i, p] = model.new_int_var(0, u.quantity, f"n_{i}_{p}")
            continue
        route = e.route
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
            c = _unit_cost(ctx, e, u, total_units)
            if c is None or max(u.item.dims_mm) > route.service.max_length_mm:
                continue
            var = model.new_int_var(0, u.quantity, f"n_{i}_{p}")
            n[i, p] = var
            model.add(var <= u.quantity * used)
            objective.append(c * var)
            actual.append(u.item.weight_g * var)
            volumetric.append(
                math.ceil(u.item.volume_cm3 * 1000 / card.volumetric_divisor_cm3_per_kg) * var
            )
        capacity = sum(b * zk for b, zk in zip(breaks, z, strict=True))
        model.add(sum(actual) <= capacity)
        model.add(sum(volumetric) <= capacity)
        zone = route.path.zone
        objective.append((route.handling_per_parcel_minor + card.per_parcel_fee_minor) * used)
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
        e = ranked[p]
        share_bp = 10_000 * sum(g.quantity for g in group) // total_units
        got = returnless(ctx, group) if e is None else cost_shipment(ctx, e.route, group, share_bp)
        if isinstance(got, PreconditionViolation):
            return None
        shipments.append(got)
    return Option(tuple(shipments), ("SPLIT_CHEAPER",))
