"""CPU time of RouteReturn's work without gRPC, before vs after: route, store, answer.

Per generated return (``--alternatives``, default 5; no idempotency key): ``Router.route``, then
``SqlDecisionStore.put`` on a fresh SQLite file (group commit, one decision per transaction
here), then the answer's wire bytes (``decision_bytes``), as the server's RouteReturn does.
``process_time`` counts every thread (the group commit's writer included). "Before" is
``routing``, ``customs`` and ``hubs`` at a git ref, "after" the working tree, each in fresh
processes, alternating (``benchmarks/same_run.py``); each side's best round counts.

    python benchmarks/route_store.py --baseline 53e3497
    python benchmarks/route_store.py --returns 500 --rounds 3 --alternatives 0

Prints microseconds of CPU per return for the whole and for the store + answer part, and
writes benchmarks/results/route_store.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import same_run  # noqa: E402  (imports none of the packages measured)

RESULTS = ROOT / "benchmarks" / "results" / "route_store.json"


def _name(name: str, *modules: str) -> Any:
    return same_run.find(name, *modules)[0]


def worker(root: str, returns: int, seed: int, repeat: int, alternatives: int) -> None:
    """Time route + put + answer with the packages imported from ``root``; print JSON."""
    router, batch = same_run.load(root, returns, seed)
    from routing.errors import NoFeasibleOption

    InvalidInput = same_run.invalid_input()  # noqa: N806 (a class)
    decision_bytes = _name("decision_bytes", "routing.rpc.wire.decisions", "routing.convert")
    make_engine = _name("make_engine", "routing.store.database", "routing.db.engine")
    upgrade = _name("upgrade", "routing.store.database", "routing.db.engine")
    fingerprint = _name("fingerprint", "routing.store.decisions", "routing.store")
    holds_of = _name("holds_of", "routing.store.decisions", "routing.store")
    SqlDecisionStore = _name("SqlDecisionStore", "routing.store.sql", "routing.db.store")  # noqa: N806
    register_network = _name("register_network", "routing.store.tenants", "routing.db.repo")

    rets = []
    for ret in batch:
        c = dataclasses.replace(ret.constraints, max_alternatives=alternatives)
        r = dataclasses.replace(ret, constraints=c)
        try:
            router.route(r, time_limit_s=0)
        except (InvalidInput, NoFeasibleOption):
            continue
        rets.append((r, fingerprint(r)))
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        store = SqlDecisionStore(engine, register_network(engine, "bench", "# bench"))
        best_all = best_store = float("inf")
        for n in range(repeat + 1):  # the first pass warms up
            decisions = [
                dataclasses.replace(router.route(r, time_limit_s=0), decision_id=f"{n}-{i}")
                for i, (r, _) in enumerate(rets)
            ]
            started = time.process_time()
            for d, (_, fp) in zip(decisions, rets, strict=True):
                store.put("bench", "", fp, d, holds_of(d), {})
                decision_bytes(d)
            stored = time.process_time() - started
            started = time.process_time()
            for r, _ in rets:
                router.route(r, time_limit_s=0)
            routed = time.process_time() - started
            if n:
                best_store = min(best_store, stored)
                best_all = min(best_all, stored + routed)
        store.close()
        engine.dispose()
    figures = {
        "us_store_answer": round(best_store / len(rets) * 1e6, 1),
        "us_route_store_answer": round(best_all / len(rets) * 1e6, 1),
        "timed": len(rets),
    }
    json.dump(figures, sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    same_run.add_arguments(parser, returns=1000)
    parser.add_argument("--alternatives", type=int, default=5, help="max_alternatives")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.returns, args.seed, args.repeat, args.alternatives)
        return
    sides = same_run.alternate(__file__, args, lambda n: ["--alternatives", str(args.alternatives)])
    print(
        f"RouteReturn without gRPC on {args.returns} generated returns (seed {args.seed}),"
        f" max_alternatives={args.alternatives}, CPU per return"
    )
    row: dict[str, Any] = same_run.row(args) | {"alternatives": args.alternatives}
    for name, label in (("us_store_answer", "store + answer"), ("us_route_store_answer", "total")):
        best = {side: min(r[name] for r in runs) for side, runs in sides.items()}
        line = f"  {label:15}: " + ", ".join(f"{side} {us:.1f} us" for side, us in best.items())
        row[f"after_{name}"] = best["after"]
        if "before" in best:
            row[f"before_{name}"] = best["before"]
            line += f", after - before {best['after'] - best['before']:+.1f} us"
        print(line)
    same_run.write(RESULTS, row)


if __name__ == "__main__":
    main()
