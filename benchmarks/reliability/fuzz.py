"""Hypothesis-driven fuzzing of every reroute.v1 RPC against a real authenticated server.

    python benchmarks/reliability/fuzz.py --examples 100000

Draws calls from tests/rpc_fuzz.py (ReturnsRouting: mutated RouteReturn/RouteReturns/
QuoteCustoms requests, Get/ListDecisions with real and made-up ids and tokens; BatchPlanning:
SubmitPlan of 0-5 mostly valid returns with good and bad options, GetPlan/WatchPlan/CancelPlan
of real and made-up job ids with odd pages; good, garbage and foreign API keys), sends each
and counts the statuses per method. Passes when no answer is UNKNOWN or INTERNAL or otherwise
breaks the contract (a BadRequest on INVALID_ARGUMENT, a WatchPlan ending after a final state,
no plan job FAILED with INTERNAL) and the server still answers health at the end. Only
``--plan-runs`` accepted submissions run, spread over the run and one at a time (each plan is a
process); see tests/rpc_fuzz.py for how the others are kept from starting. Writes
benchmarks/results/reliability_fuzz.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from benchmarks.reliability.common import ROOT, ServerProcess
from routing.store.database import make_engine
from routing.store.tenants import create_key
from tests.rpc_fuzz import Runner, calls


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/reliability_fuzz.json")
    ap.add_argument(
        "--plan-runs",
        type=int,
        default=None,
        help="accepted plan jobs let run (default: one per 1000 examples, at least 2)",
    )
    args = ap.parse_args(argv)
    server = ServerProcess(None, "--log-format", "json")
    engine = make_engine(server.database_url)
    keys = {"default": server.key(), **{t: create_key(engine, t)[1] for t in ("fa", "fb")}}
    codes: collections.Counter[str] = collections.Counter()
    methods: collections.Counter[str] = collections.Counter()
    by_method_status: collections.defaultdict[str, collections.Counter[str]] = (
        collections.defaultdict(collections.Counter)
    )
    # per method, client side
    seconds: collections.defaultdict[str, float] = collections.defaultdict(float)
    problems = [0]
    bad: list[str] = []
    started = time.perf_counter()
    plan_runs = args.plan_runs if args.plan_runs is not None else max(2, args.examples // 1000)
    with grpc.insecure_channel(server.target) as channel:
        runner = Runner(
            channel,
            plan_runs=plan_runs,
            calls_between_runs=args.examples // max(1, plan_runs) // 2,
        )
        runner.seed(keys)

        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            call = data.draw(calls(keys, runner.ids))
            sent_at = time.perf_counter()
            outcome = runner.invoke(call)
            seconds[call.method] += time.perf_counter() - sent_at
            methods[call.method] += 1
            codes[outcome.code.name] += 1
            by_method_status[call.method][outcome.code.name] += 1
            if not outcome.ok:
                problems[0] += 1
                if len(bad) < 20:
                    sent = str(call.request).replace("\n", " ")[:400]
                    bad.append(f"{call.method}: {outcome.code.name}: {outcome.problem}; {sent}")

        run()
        alive = True
        try:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        except grpc.RpcError:
            alive = False
    elapsed = time.perf_counter() - started
    server.stop()
    total = sum(methods.values())
    forbidden = codes.get("UNKNOWN", 0) + codes.get("INTERNAL", 0)
    bad.extend(runner.follow_up_problems[:20])
    result = {
        "requests": total,
        "seconds": round(elapsed, 1),
        "by_method": dict(methods),
        "by_status": dict(codes),
        "by_method_and_status": {m: dict(c) for m, c in sorted(by_method_status.items())},
        "mean_ms_by_method": {m: round(1e3 * seconds[m] / n, 2) for m, n in methods.items()},
        "unknown_or_internal": forbidden,
        "contract_problems": problems[0] + len(runner.follow_up_problems),
        "plan_jobs": {
            "accepted": len(runner.ids.jobs) - runner.seeded,
            "let_run": plan_runs - runner.plan_runs_left,
            "held_back": runner.held_back,
            "follow_up_calls": dict(runner.follow_ups),
        },
        "server_alive_after": alive,
        "examples_of_bad": bad,
    }
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return 0 if forbidden == 0 and result["contract_problems"] == 0 and alive else 1


if __name__ == "__main__":
    raise SystemExit(main())
