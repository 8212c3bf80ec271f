"""Writing a batch plan: JSON (the plan), CSV (one row per return), a terminal summary."""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from pathlib import Path
from typing import TextIO

from customs.fx import format_minor
from routing.plan.planner import BatchPlan
from routing.solver.problem import Progress


def plan_to_dict(plan: BatchPlan, *, loss_returns: int | None = None) -> dict[str, object]:
    r = plan.result
    return {
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
        "facilities": [
            {
                "facility_id": f.facility_id,
                "load_units": f.load_units,
                "capacity_units": f.capacity_units,
                "utilization": round(f.load_units / f.capacity_units, 4)
                if f.capacity_units
                else None,
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


def write_plan(
    plan: BatchPlan, out_dir: Path, *, loss_returns: int | None = None
) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_path = out_dir / "plan.json"
    body = plan_to_dict(plan, loss_returns=loss_returns)
    plan_path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    csv_path = out_dir / "assignments.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["return_id", "option", "facility_id", "lane_id", "cost_minor", "currency", "units"]
        )
        for a in plan.assignments:
            w.writerow(
                [
                    a.return_id,
                    a.option,
                    a.facility_id,
                    a.lane_id,
                    a.cost_minor,
                    plan.currency,
                    a.units,
                ]
            )
    return plan_path, csv_path


def format_summary(plan: BatchPlan, *, loss_returns: int | None = None) -> str:
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
    lines.append("  facilities (load / capacity over the horizon):")
    for fac in sorted(plan.facilities, key=lambda x: -x.load_units):
        if fac.load_units:
            share = fac.load_units / fac.capacity_units if fac.capacity_units else 0.0
            lines.append(
                f"    {fac.facility_id:<22} {fac.load_units:>9} / {fac.capacity_units:<9}"
                f" {100 * share:5.1f} %"
            )
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
    """Live incumbent / bound / gap on one terminal line (one line per second when piped)."""

    def __init__(self, stream: TextIO | None = None, currency: str = "EUR") -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.currency = currency
        self.tty = self.stream.isatty()
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.tty and now - self._last < 1.0:
            return
        self._last = now
        inc = "-" if p.incumbent is None else format_minor(p.incumbent, self.currency)
        bound = "-" if p.bound is None else format_minor(p.bound, self.currency)
        gap = "-" if math.isinf(p.gap) else f"{100 * p.gap:.3f} %"
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
