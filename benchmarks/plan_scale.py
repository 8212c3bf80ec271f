"""Batch planning at scale on the default network: generated batches of N returns.

    python benchmarks/plan_scale.py --sizes 10000,100000,1000000 --time-limit 600

For each size: generate (seeded), build the plan problem (options per return, classes),
solve within the time limit, and print returns, classes, build and solve time, peak memory
(RSS of this process), objective, bound and gap; writes benchmarks/results/plan_scale.json.
Targets (issue 4): 100k returns within 60 s at gap <= 1 %; 1M within 10 minutes, gap reported.

The default network takes 85,000 units a day (595,000 a week), so a week cannot hold a million
returns: the capacity horizon is one week per 250,000 returns (``--horizon-days`` overrides:
7 days up to 250k, 28 for 1M, "a month of returns"). Above 250k returns, what still does not
fit is planned at the priced overflow (a spot 3PL, ``PlanConfig.overflow_price_minor``); below,
a batch that does not fit is refused, as ``reroute plan`` does without ``--allow-overflow``
(an allowed overflow is also used where a spot 3PL beats a nearly empty dispatch, which would
change the plans measured). ``--overflow yes|no`` overrides. The overflow units are printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hubs import default_network  # noqa: E402
from routing.batches.generate import generate_returns  # noqa: E402
from routing.plan.executor import make_executor  # noqa: E402
from routing.plan.planner import PlanConfig, build_problem, solve_built  # noqa: E402
from routing.rpc.app import RoutingApp  # noqa: E402
from routing.solver import Backend, solve  # noqa: E402


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process (or of the largest finished worker process)."""
    return resource.getrusage(who).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--gap-limit", type=float, default=0.01, help="default 0.01 (the target)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None, help="default: the machine's cores")
    ap.add_argument("--horizon-days", type=int, default=None, help="default: 7 per 250,000 returns")
    ap.add_argument(
        "--overflow",
        choices=("auto", "yes", "no"),
        default="auto",
        help="plan what does not fit at the overflow price (auto: above 250,000 returns)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "plan_scale.json")
    args = ap.parse_args(argv)
    network = default_network()
    router = RoutingApp(network).router
    backend = Backend[args.backend.upper()]
    rows = []
    print(
        f"{'returns':>9} {'classes':>8} {'build s':>8} {'solve s':>8} {'total s':>8} "
        f"{'peak MB':>8} {'wkr MB':>7} {'status':>9} {'gap %':>8} {'days':>5} {'overflow':>9}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        t0 = time.perf_counter()
        batch = list(generate_returns(n, seed=args.seed, network=network, start=date(2026, 11, 2)))
        t1 = time.perf_counter()
        horizon = args.horizon_days or 7 * max(1, math.ceil(n / 250_000))
        config = PlanConfig(
            horizon_days=horizon,
            time_limit_s=args.time_limit,
            allow_overflow=args.overflow == "yes" or (args.overflow == "auto" and n > 250_000),
        )
        with make_executor(args.workers) as executor:
            built = build_problem(router, batch, config, executor=executor)
            t2 = time.perf_counter()
            run = functools.partial(solve, backend=backend, gap_limit=args.gap_limit)
            plan = solve_built(router, built, config, solve=run)
        t3 = time.perf_counter()
        build_s = t2 - t1
        solve_s = plan.result.wall_time_s
        total_s = t3 - t1  # options, classes, solve and reading the plan back
        gap = plan.result.gap
        row = {
            "returns": n,
            "classes": len(built.problem.classes),
            "horizon_days": horizon,
            "overflow_units": plan.overflow_units,
            "generate_s": round(t1 - t0, 2),
            "build_s": round(build_s, 2),
            "solve_s": round(solve_s, 2),
            "plan_s": round(total_s, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "worker_peak_rss_mb": round(peak_rss_mb(resource.RUSAGE_CHILDREN), 1),
            "workers": args.workers,
            "gap_limit": args.gap_limit,
            "status": plan.result.status.value,
            "objective_minor": plan.result.objective,
            "bound_minor": plan.result.bound,
            "gap": None if math.isinf(gap) else round(gap, 6),
            "backend": backend.value,
        }
        rows.append(row)
        print(
            f"{n:>9} {row['classes']:>8} {build_s:>8.1f} {solve_s:>8.1f} {total_s:>8.1f} "
            f"{row['peak_rss_mb']:>8.0f} {row['worker_peak_rss_mb']:>7.0f} {row['status']:>9} "
            f"{'n/a' if row['gap'] is None else f'{100 * gap:.3f}':>8} {horizon:>5} "
            f"{plan.overflow_units:>9}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"time_limit_s": args.time_limit, "runs": rows}, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
