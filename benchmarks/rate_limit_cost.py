"""What the shared rate limit costs per call, against the in-process one, in one run.

1. The limiter alone: ``--takes`` tokens taken by one tenant through
   :class:`routing.rpc.limits.RateLimiter` (in memory, per process) and through
   :class:`routing.rpc.limits.SharedRateLimiter` leasing from a real SQLite database
   (``routing.store.rates``), at a rate that never refuses (the cost of admitting a call);
   CPU microseconds per take (this process, every thread), alternating rounds, best round.
2. The server: RouteReturn through ``reroute serve`` with the rate limit off (``--rate-limit
   0``) and on (shared, at a rate that never refuses), servers alternating per round, the
   same client (benchmarks/rpc_load.py's): throughput and server CPU per request of "on"
   against "off".

    python benchmarks/rate_limit_cost.py [--takes 20000] [--rounds 3] [--seconds 5]

Prints both figures and their ratios, writes benchmarks/results/rate_limit_cost.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import rpc_load  # noqa: E402
from routing.batches.examples import sample_return  # noqa: E402
from routing.decide.domain import Constraints  # noqa: E402
from routing.rpc.limits import Limiter, Rate, RateLimiter, SharedRateLimiter  # noqa: E402
from routing.rpc.wire.returns import request_to_proto  # noqa: E402
from routing.store.database import make_engine, upgrade  # noqa: E402
from routing.store.rates import SqlRateBuckets  # noqa: E402

NEVER_REFUSES = Rate(1e9, 1_000_000_000)


async def _takes(limiter: Limiter, n: int) -> None:
    for _ in range(n):
        wait = limiter.take("bench", NEVER_REFUSES)
        if wait is None:
            wait = await limiter.refill("bench", NEVER_REFUSES)
        assert wait == 0.0


def _cpu_us_per_take(limiter: Limiter, n: int) -> float:
    t0 = time.process_time()
    asyncio.run(_takes(limiter, n))
    return (time.process_time() - t0) / n * 1e6


def limiter_alone(takes: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/rates.db")
        upgrade(engine)
        memory, shared = [], []
        leases = 0
        for _ in range(rounds):
            memory.append(_cpu_us_per_take(RateLimiter(), takes))
            limiter = SharedRateLimiter(SqlRateBuckets(engine).lease)
            shared.append(_cpu_us_per_take(limiter, takes))
            leases = limiter.leases
        engine.dispose()
    best_m, best_s = min(memory), min(shared)
    chunk = SharedRateLimiter(lambda *_: (0, 0.0)).chunk(NEVER_REFUSES)
    print(f"-- the limiter alone: {takes} takes, best of {rounds} rounds (CPU us per take)")
    print(f"in memory (per process)         {best_m:8.2f}")
    print(f"shared (SQLite, leases of {chunk:>2})   {best_s:8.2f}   ({leases} round trips)")
    print(f"shared / in memory = {best_s / best_m:.2f}; extra per take = {best_s - best_m:.2f} us")
    return {
        "takes": takes,
        "memory_cpu_us": round(best_m, 3),
        "shared_cpu_us": round(best_s, 3),
        "ratio": round(best_s / best_m, 3),
        "leases": leases,
        "lease_tokens": chunk,
    }


def server(args: argparse.Namespace) -> dict[str, Any]:
    payload = request_to_proto(
        replace(sample_return(date.today()), constraints=Constraints(max_alternatives=0))
    ).SerializeToString()
    sides = {
        "off": ("--rate-limit", "0"),
        "on": ("--rate-limit", "1000000000", "--burst", "1000000000"),
    }
    runs: dict[str, list[rpc_load.Figures]] = {s: [] for s in sides}
    for _ in range(args.rounds):
        for side, extra in sides.items():
            proc, target = rpc_load._start_server(rpc_load.ROOT, extra)
            try:
                runs[side].append(rpc_load._drive_processes(proc.pid, target, payload, args))
            finally:
                proc.terminate()
                proc.wait(timeout=60)
    med = {s: rpc_load._median(r) for s, r in runs.items()}
    off, on = med["off"], med["on"]
    tput = on.throughput_rps / off.throughput_rps
    cpu = on.server_cpu_us / off.server_cpu_us
    print(f"-- RouteReturn through the server, medians of {args.rounds} rounds")
    for side, f in med.items():
        print(
            f"rate limit {side:<3}  {f.throughput_rps:9.1f} req/s  p99 {f.p99_ms:8.3f} ms"
            f"  server CPU {f.server_cpu_us:8.1f} us/req  errors {f.errors}"
        )
    print(f"on / off: throughput {tput:.3f}, server CPU per request {cpu:.3f}")
    return {
        "medians": {s: asdict(f) for s, f in med.items()},
        "throughput_ratio": round(tput, 3),
        "server_cpu_ratio": round(cpu, 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--takes", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--skip-server", action="store_true", help="the limiter alone only")
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "rate_limit_cost.json"
    )
    args = ap.parse_args(argv)
    result: dict[str, Any] = {"cpu_count": os.cpu_count()}
    result["limiter"] = limiter_alone(args.takes, args.rounds)
    if not args.skip_server:
        result["server"] = server(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
