"""Wire-level fuzzing of a real `reroute serve` (with API keys), at scale.

    python -m benchmarks.reliability.wire_fuzz --calls 100000

Sends ``--calls`` fuzzed calls (tests/wire_fuzz.py: random bytes, truncated messages, bad wire
types, invalid UTF-8, extreme varints and values, forged page tokens) over every method and
stream of ReturnsRouting, BatchPlanning and grpc.health.v1, from ``--clients`` threads, and
prints the answers per status code (a RouteReturns call has one per request message, and
its own status). Passes when none is UNKNOWN or INTERNAL, every
INVALID_ARGUMENT carries a google.rpc.BadRequest, the server answers health at the end, and
its RSS after the run is within 10 % of its RSS after a warm-up of ``--warmup`` calls. Writes
benchmarks/results/reliability_wire_fuzz.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from benchmarks.reliability.common import ROOT, ServerProcess
from reroute.v1 import planning_pb2, planning_pb2_grpc, routing_pb2_grpc
from routing.batches.generate import generate_returns
from routing.rpc.wire.returns import return_to_proto
from tests.routing.rpc.test_server import TODAY, sample_request
from tests.wire_fuzz import Metadata, Seeds, Tally, run

RSS_TOLERANCE = 0.10


def seeds_on(channel: grpc.Channel, md: Metadata) -> Seeds:
    """A real decision and a real (cancelled) job for the fuzzed ids to aim at."""
    from hubs import default_network

    decision = routing_pb2_grpc.ReturnsRoutingStub(channel).RouteReturn(
        sample_request(), metadata=md, timeout=30
    )
    plans = planning_pb2_grpc.BatchPlanningStub(channel)
    submit = planning_pb2.SubmitPlanRequest(
        returns=[
            planning_pb2.BatchReturn(return_id=rid, customer_return=return_to_proto(r))
            for rid, r in generate_returns(3, seed=1, network=default_network(), start=TODAY)
        ]
    )
    job = plans.SubmitPlan(submit, metadata=md, timeout=30)
    plans.CancelPlan(planning_pb2.CancelPlanRequest(job_id=job.job_id), metadata=md, timeout=30)
    return Seeds(decision.decision.decision_id, job.job_id, submit)


def merge(into: Tally, part: Tally) -> None:
    for code, n in part.by_status.items():
        into.by_status[code] = into.by_status.get(code, 0) + n
    for method, codes in part.by_method.items():
        per = into.by_method.setdefault(method, {})
        for code, n in codes.items():
            per[code] = per.get(code, 0) + n
    for kind, n in part.by_kind.items():
        into.by_kind[kind] = into.by_kind.get(kind, 0) + n
    into.invalid_argument += part.invalid_argument
    into.with_bad_request += part.with_bad_request
    into.problems.extend(part.problems[: max(0, 50 - len(into.problems))])


def fuzz(target: str, md: Metadata, seeds: Seeds, calls: int, clients: int, seed: int) -> Tally:
    parts = [Tally() for _ in range(clients)]
    done = [0] * clients
    share = [calls // clients + (1 if i < calls % clients else 0) for i in range(clients)]

    def client(i: int) -> None:
        with grpc.insecure_channel(target) as ch:

            def progress(n: int) -> None:
                done[i] = n

            run(
                ch,
                share[i],
                seed=seed * 1000 + i,
                seeds=seeds,
                metadata=md,
                tally=parts[i],
                progress=progress,
            )

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    last = time.monotonic()
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        if time.monotonic() - last > 30:
            last = time.monotonic()
            print(f"  {sum(done)}/{calls} calls", file=sys.stderr, flush=True)
    total = Tally()
    for p in parts:
        merge(total, p)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--warmup", type=int, default=2_000, help="calls before the first RSS")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/reliability_wire_fuzz.json"
    )
    args = ap.parse_args(argv)
    server = ServerProcess(None, "--rate-limit", "0", "--log-format", "json")
    md: Metadata = (("authorization", f"Bearer {server.key()}"),)
    started = time.perf_counter()
    with grpc.insecure_channel(server.target) as channel:
        seeds = seeds_on(channel, md)
    warm = fuzz(server.target, md, seeds, args.warmup, args.clients, args.seed + 1)
    rss_before = server.rss_kib()
    tally = fuzz(server.target, md, seeds, args.calls, args.clients, args.seed)
    rss_after = server.rss_kib()
    alive = True
    try:
        with grpc.insecure_channel(server.target) as channel:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    except grpc.RpcError:
        alive = False
    elapsed = time.perf_counter() - started
    exit_code = server.stop()
    rss_change = (rss_after - rss_before) / rss_before if rss_before else 0.0
    result = {
        "calls": args.calls,
        "warmup_calls": args.warmup,
        "answers": sum(tally.by_status.values()),  # a RouteReturns call answers per message
        "seconds": round(elapsed, 1),
        "by_status": dict(sorted(tally.by_status.items())),
        "by_kind": dict(sorted(tally.by_kind.items())),
        "by_method_and_status": {
            m: dict(sorted(c.items())) for m, c in sorted(tally.by_method.items())
        },
        "unknown_or_internal": tally.forbidden + warm.forbidden,
        "invalid_argument": tally.invalid_argument,
        "invalid_argument_with_bad_request": tally.with_bad_request,
        "contract_problems": len(tally.problems) + len(warm.problems),
        "server_alive_after": alive,
        "server_exit_code": exit_code,
        "rss_kib_before": rss_before,
        "rss_kib_after": rss_after,
        "rss_change": round(rss_change, 4),
        "examples_of_problems": (warm.problems + tally.problems)[:20],
    }
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    ok = (
        result["unknown_or_internal"] == 0
        and result["contract_problems"] == 0
        and tally.invalid_argument == tally.with_bad_request
        and alive
        and abs(rss_change) <= RSS_TOLERANCE
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
