"""Run the shipped what-if scenarios: timings and the headline KPIs of each variant and policy.

Each scenario runs twice in the same run, once serially (one variant after another in this
process) and once on the process pool (``--workers``), and the speed-up is printed as their
ratio. ``--returns N`` regenerates each scenario's batch with N returns (same seed) for a bigger
run; the reports go to ``--out`` (default benchmarks/results/whatif/<scenario>/).

    python benchmarks/whatif/run.py                       # the shipped sizes (1,000 returns)
    python benchmarks/whatif/run.py --returns 5000 --workers 2

Writes benchmarks/results/whatif.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import tempfile
import time
from pathlib import Path

from customs.fx import format_minor
from routing.plan.executor import SerialExecutor, make_executor
from routing.whatif.headline import headline
from routing.whatif.report import write_report
from routing.whatif.runner import ScenarioResult, run_scenario

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _sized(path: Path, returns: int | None, tmp: Path) -> Path:
    """The scenario, or a copy of it whose generated batch has ``returns`` returns."""
    if returns is None:
        return path
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(r"returns = \d+", f"returns = {returns}", text, count=1)
    if n != 1:
        raise SystemExit(f"{path.name}: no generated batch to resize")
    copy = tmp / path.name
    copy.write_text(text, encoding="utf-8")
    return copy


def _summary(result: ScenarioResult) -> list[dict[str, object]]:
    out = []
    for v in result.variants:
        for p in v.policies:
            out.append(
                {
                    "variant": v.name,
                    "policy": p.policy,
                    "returns": p.returns,
                    "total_cost_minor": p.total_cost_minor,
                    "per_return_cost_minor": round(p.per_return_cost_minor),
                    "days_to_refund_p50": p.days_to_refund_p50,
                    "days_to_refund_p90": p.days_to_refund_p90,
                    "co2e_kg": round(p.co2e_g / 1000, 1),
                    "returnless_share": round(p.returnless_share, 4),
                    "solver": p.solver,
                }
            )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--returns", type=int, help="regenerate each batch with N returns")
    ap.add_argument("--workers", type=int, default=2, help="process pool size (default 2)")
    ap.add_argument("--out", type=Path, default=RESULTS / "whatif", help="reports go here")
    a = ap.parse_args()
    scenarios = sorted(HERE.glob("*.toml"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in scenarios:
            sized = _sized(path, a.returns, Path(tmp))
            t0 = time.monotonic()
            serial = run_scenario(sized, executor=SerialExecutor())
            t_serial = time.monotonic() - t0
            with make_executor(a.workers) as ex:
                t0 = time.monotonic()
                parallel = run_scenario(sized, executor=ex, workers=a.workers)
                t_parallel = time.monotonic() - t0
            # the solver's time differs between runs; the plans' costs must not
            same = [x["total_cost_minor"] for x in _summary(serial)] == [
                x["total_cost_minor"] for x in _summary(parallel)
            ]
            t0 = time.monotonic()
            write_report(parallel, a.out / path.stem)
            t_report = time.monotonic() - t0
            print(f"\n{serial.scenario.name} ({path.name})")
            print(
                f"  serial {t_serial:.1f} s, {a.workers} workers {t_parallel:.1f} s:"
                f" speed-up x{t_serial / t_parallel:.2f}; same plans: {same}"
            )
            # the report (charts, headline, findings) against the planning it reports on
            print(f"  report {t_report:.1f} s = {t_report / t_serial:.2f} x the serial run")
            answer = headline(parallel)
            if answer is not None:
                print(f"  headline: {answer.answer}")
            for v in parallel.variants:
                cur = v.currency
                print(
                    f"  {v.name}: {v.returns} returns, build {v.build_s:.1f} s,"
                    f" plan {v.solve_s:.1f} s"
                )
                for p in v.policies:
                    print(
                        f"    {p.policy:<17} {format_minor(p.total_cost_minor, cur):>18}"
                        f"  per return {format_minor(round(p.per_return_cost_minor), cur):>11}"
                        f"  refund p50/p90 {p.days_to_refund_p50}/{p.days_to_refund_p90} d"
                        f"  CO2e {p.co2e_g / 1000:,.0f} kg"
                    )
            rows.append(
                {
                    "scenario": path.stem,
                    "serial_s": round(t_serial, 3),
                    "parallel_s": round(t_parallel, 3),
                    "workers": a.workers,
                    "speedup": round(t_serial / t_parallel, 3),
                    "report_s": round(t_report, 3),
                    "report_over_serial": round(t_report / t_serial, 3),
                    "same_plans": same,
                    "kpis": _summary(parallel),
                }
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "whatif.json"
    out.write_text(
        json.dumps(
            {"machine": platform.platform(), "returns": a.returns, "scenarios": rows}, indent=2
        ),
        encoding="utf-8",
    )
    print(f"\nwrote {out} and the reports under {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
