"""What `reroute plan`'s explained outputs cost beside the plan itself, in one run.

Plans a generated batch on the default network (build + solve, as `reroute plan` does), then
times explaining every assignment (``routing.cli.plan_output.explain``: the engine's shipment
per return signature, dispatch shares) and the capacity shadow prices (the LP relaxation's
duals), and prints both as ratios to the planning time.

    python benchmarks/plan_outputs.py                     # 10,000 returns
    python benchmarks/plan_outputs.py --returns 50000 --seed 3

Writes benchmarks/results/plan_outputs.json.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "protos"))

RESULTS = ROOT / "benchmarks" / "results" / "plan_outputs.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--returns", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=60.0)
    a = ap.parse_args(argv)

    from hubs import default_network
    from routing.batches.generate import generate_returns
    from routing.cli.plan_output import explain, shadow_prices
    from routing.plan.planner import PlanConfig, build_problem, solve_built
    from routing.rpc.app import RoutingApp
    from routing.solver import Backend, solve

    network = default_network()
    batch = list(generate_returns(a.returns, seed=a.seed, network=network, start=date(2026, 11, 2)))
    router = RoutingApp(network).router
    config = PlanConfig(time_limit_s=a.time_limit)
    t0 = time.perf_counter()
    built = build_problem(router, batch, config)
    plan = solve_built(
        router, built, config, solve=functools.partial(solve, backend=Backend.AUTO), workers=1
    )
    t1 = time.perf_counter()
    rows = explain(plan, dict(batch), router)
    t2 = time.perf_counter()
    prices = shadow_prices(plan, built)
    t3 = time.perf_counter()
    out = {
        "returns": a.returns,
        "options": sum(len(c.options) for c in built.problem.classes),
        "plan_s": round(t1 - t0, 3),
        "explain_s": round(t2 - t1, 3),
        "prices_s": round(t3 - t2, 3),
        "explain_to_plan": round((t2 - t1) / (t1 - t0), 3),
        "prices_to_plan": round((t3 - t2) / (t1 - t0), 3),
        "rows": len(rows),
        "priced": prices is not None,
    }
    print(
        f"{a.returns} returns: explaining the assignments costs {out['explain_to_plan']:.2f}x"
        f" the planning time, the shadow prices {out['prices_to_plan']:.2f}x"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
