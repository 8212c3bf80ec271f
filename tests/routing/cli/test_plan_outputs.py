"""What `reroute plan` writes: every return's disposition, cost terms, duties and reclaims,
days, CO2e and dispatch (adding up to the plan's objective); flows with coordinates; the
capacity shadow price per facility (checked against re-solving with one more unit); a live
progress line that never shows a worse incumbent than it showed before."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from routing.cli.flags import EXIT_OK
from routing.cli.main import main
from routing.cli.plan_output import ASSIGNMENT_COLUMNS, FLOW_COLUMNS, ProgressPrinter
from routing.solver import Backend, solve
from routing.solver.backends import capacity_prices
from routing.solver.problem import (
    CapacityRow,
    ClassOption,
    PlanProblem,
    Progress,
    ReturnClass,
)

ROOT = Path(__file__).resolve().parents[3]
NETWORK = ROOT / "hubs" / "data" / "default_network.toml"
TERMS = [
    c
    for c in ASSIGNMENT_COLUMNS
    if c.endswith("_minor") and c not in ("net_cost_minor", "duties_due_minor", "reclaims_minor")
]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("b") / "b.csv"
    argv = ["generate-returns", "400", "--seed", "11", "--out", str(path), "--start", "2026-11-02"]
    assert main(argv) == EXIT_OK
    return path


def _plan(batch: Path, out: Path, *extra: str) -> dict[str, Any]:
    argv = ["plan", str(batch), "--out", str(out), "--time-limit", "30", "--workers", "1"]
    assert main([*argv, *extra]) == EXIT_OK
    plan: dict[str, Any] = json.loads((out / "plan.json").read_text())
    return plan


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_assignments_explain_every_return(batch: Path, tmp_path: Path) -> None:
    """Each row's terms add up to its net cost, the rows to the plan's objective; duties and
    reclaims are the customs terms; returns on a lane are loaded onto its planned dispatches;
    flows add up to the same returns and cost, with coordinates."""
    plan = _plan(batch, tmp_path / "p")
    rows = _csv(tmp_path / "p" / "assignments.csv")
    assert tuple(rows[0]) == ASSIGNMENT_COLUMNS
    assert sum(int(r["net_cost_minor"]) for r in rows) == plan["objective_minor"]
    lanes = {lane["lane_id"]: lane for lane in plan["lanes"]}
    dispatches: Counter[str] = Counter()
    for r in rows:
        assert sum(int(r[t]) for t in TERMS) == int(r["net_cost_minor"]), r["return_id"]
        duties = int(r["duty_due_minor"]) + int(r["import_vat_due_minor"])
        assert int(r["duties_due_minor"]) == duties
        reclaim = -(int(r["duty_reclaim_minor"]) + int(r["vat_reclaim_minor"]))
        assert int(r["reclaims_minor"]) == reclaim >= 0
        assert (
            r["disposition"]
            in {"restock", "resell_local", "refurbish", "liquidate", "recycle", "returnless"}
            or "+" in r["disposition"]
        )
        assert int(r["days_to_refund"]) >= 0
        assert int(r["co2e_g"]) >= 0
        if r["lane_id"]:
            lane_id, n = r["dispatch"].split("#")
            assert lane_id == r["lane_id"]
            assert 1 <= int(n) <= lanes[lane_id]["dispatches"]
            dispatches[lane_id] += 1
        else:
            assert r["dispatch"] == ""
    for lane_id, loaded in dispatches.items():
        assert loaded == lanes[lane_id]["load_units"]
    flows = _csv(tmp_path / "p" / "flows.csv")
    assert tuple(flows[0]) == FLOW_COLUMNS
    assert sum(int(f["returns"]) for f in flows) == len(rows)
    assert sum(int(f["cost_minor"]) for f in flows) == plan["objective_minor"]
    assert (
        sum(int(f["co2e_g"]) for f in flows)
        == plan["co2e_g"]
        == sum(int(r["co2e_g"]) for r in rows)
    )
    for f in flows:
        assert -90 <= float(f["from_lat"]) <= 90
        if f["facility_id"] != "returnless":
            assert -180 <= float(f["facility_lon"]) <= 180


def test_a_full_facility_has_a_shadow_price(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Squeeze the busiest non-origin facility to half its load: it is then full, and one more
    unit of its capacity is worth a positive amount (in plan.json and the summary); a
    facility with slack is worth 0."""
    plan = _plan(batch, tmp_path / "p")
    busiest = max(
        (f for f in plan["facilities"] if not f["facility_id"].startswith("origin")),
        key=lambda f: f["load_units"],
    )
    cap_per_day = busiest["load_units"] // 2 // 7  # the default horizon is 7 days
    text = NETWORK.read_text(encoding="utf-8")
    block = re.search(rf"\[facilities\.{busiest['facility_id']}\][^\[]*", text)
    assert block is not None
    squeezed = re.sub(
        r"capacity_units_per_day = \d+", f"capacity_units_per_day = {cap_per_day}", block.group(0)
    )
    network = tmp_path / "n.toml"
    network.write_text(text.replace(block.group(0), squeezed), encoding="utf-8")
    capsys.readouterr()
    tight = _plan(batch, tmp_path / "q", "--network", str(network))
    by_id = {f["facility_id"]: f for f in tight["facilities"]}
    full = by_id[busiest["facility_id"]]
    assert full["load_units"] == full["capacity_units"]
    assert full["shadow_price_minor_per_unit"] > 0
    assert all(
        f["shadow_price_minor_per_unit"] == 0
        for f in by_id.values()
        if f["load_units"] < f["capacity_units"] * 0.9
    )
    assert "LP relaxation" in tight["shadow_price_method"]
    assert "one more unit of capacity would save" in capsys.readouterr().out


def test_shadow_price_is_the_saving_of_one_more_unit() -> None:
    """On a small plan the price equals what re-solving with one more unit of capacity saves
    (the MIP, exactly: 160 = 260 - 100 for the tenth return of the first class), and is 0 for
    a facility with slack. (With dispatch lanes the LP price also spreads a dispatch's fixed
    cost over its load, so it can differ from the integer saving by that share.)"""

    def problem(cap: int) -> PlanProblem:
        return PlanProblem(
            classes=(
                ReturnClass(
                    count=10,
                    demand=1,
                    options=(
                        ClassOption(100, facility=0),
                        ClassOption(260, facility=1),
                    ),
                ),
                ReturnClass(
                    count=4,
                    demand=2,
                    options=(ClassOption(50, facility=0), ClassOption(90, facility=1)),
                ),
            ),
            facilities=(CapacityRow(cap), CapacityRow(100)),
        )

    prices = capacity_prices(problem(9))
    assert prices is not None
    base = solve(problem(9), time_limit_s=30, backend=Backend.HIGHS).objective
    more = solve(problem(10), time_limit_s=30, backend=Backend.HIGHS).objective
    assert base is not None
    assert more is not None
    assert prices[0] == pytest.approx(base - more)
    assert prices[1] == 0


def test_progress_never_shows_a_worse_incumbent() -> None:
    """A sum of parts' plans that rises for a moment is not shown: the line keeps the best
    incumbent (and the highest bound) it has shown, and the gap between them."""
    stream = io.StringIO()
    printer = ProgressPrinter(stream, "EUR", every_s=0.0)
    for inc, bound in ((-1000, -1500), (-1200, -1400), (-1100, -1450), (None, -1300)):
        printer(Progress(incumbent=inc, bound=bound, gap=0.0, elapsed_s=1.0, backend="x"))
    lines = stream.getvalue().splitlines()
    found = [re.search(r"incumbent (-?[\d.,]+)", line) for line in lines]
    shown = [float(m.group(1).replace(",", "")) for m in found if m is not None]
    assert shown == [-10.0, -12.0, -12.0, -12.0]
    assert "bound -13.00" in lines[-1]
