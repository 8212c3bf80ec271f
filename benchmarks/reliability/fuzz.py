"""Hypothesis-driven fuzzing of every ReturnsRouting RPC against a real authenticated server.

    python benchmarks/reliability/fuzz.py --examples 100000

Draws calls from tests/rpc_fuzz.py (mutated RouteReturn/RouteReturns/QuoteCustoms requests,
Get/ListDecisions with real and made-up ids and tokens, good, garbage and foreign API keys),
sends each, and counts the statuses. Passes when no answer is UNKNOWN or INTERNAL and the
server still answers health at the end. Writes benchmarks/results/reliability_fuzz.json.
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
from reroute.v1 import routing_pb2_grpc
from routing.db.engine import make_engine
from routing.db.repo import create_key
from tests.routing.test_edge import request as sample
from tests.rpc_fuzz import ALLOWED, calls, invoke


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/reliability_fuzz.json")
    args = ap.parse_args(argv)
    server = ServerProcess(None, "--log-format", "json")
    engine = make_engine(server.database_url)
    keys = {"default": server.key(), **{t: create_key(engine, t)[1] for t in ("fa", "fb")}}
    codes: collections.Counter[str] = collections.Counter()
    methods: collections.Counter[str] = collections.Counter()
    bad: list[str] = []
    started = time.perf_counter()
    with grpc.insecure_channel(server.target) as channel:
        stub = routing_pb2_grpc.ReturnsRoutingStub(channel)
        ids = [
            stub.RouteReturn(
                sample(),
                metadata=(("authorization", f"Bearer {k}"),),
                timeout=30,
            ).decision.decision_id
            for k in keys.values()
        ]

        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            call = data.draw(calls(keys, ids))
            code = invoke(stub, call)
            methods[call.method] += 1
            codes[code.name] += 1
            if code not in ALLOWED and len(bad) < 20:
                bad.append(f"{call.method}: {code.name}")

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
    result = {
        "requests": total,
        "seconds": round(elapsed, 1),
        "by_method": dict(methods),
        "by_status": dict(codes),
        "unknown_or_internal": forbidden,
        "server_alive_after": alive,
        "examples_of_bad": bad,
    }
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return 0 if forbidden == 0 and alive and not bad else 1


if __name__ == "__main__":
    raise SystemExit(main())
