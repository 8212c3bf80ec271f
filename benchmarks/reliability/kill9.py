"""kill -9 during RouteReturn load, in cycles: nothing acknowledged is lost.

    python -m benchmarks.reliability.kill9 --cycles 5 --clients 8

Each cycle starts `reroute serve` on the same data dir, sends keyed RouteReturns from
``--clients`` threads, SIGKILLs the server after a random number of acknowledgements (while
the clients keep sending), restarts it and checks every decision acknowledged so far, of every
cycle: GetDecision finds it and its key replays the same decision_id. Writes
benchmarks/results/reliability_kill9.json.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path

import grpc

from benchmarks.reliability.common import ROOT, ServerProcess
from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.batches.examples import sample_return
from routing.rpc.wire.returns import request_to_proto

DAY = date(2026, 11, 2)


def keyed(i: int) -> routing_pb2.RouteReturnRequest:
    return request_to_proto(replace(sample_return(DAY), idempotency_key=f"kill9-{i}"))


def load_then_kill(
    server: ServerProcess, start: int, kill_after: int, clients: int
) -> dict[int, str]:
    acked: dict[int, str] = {}
    lock = threading.Lock()
    enough = threading.Event()
    counter = iter(range(start, 10**9))
    md = (("authorization", f"Bearer {server.key()}"),)

    def client() -> None:
        with grpc.insecure_channel(server.target) as ch:
            stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
            while True:
                with lock:
                    i = next(counter)
                try:
                    got = stub.RouteReturn(keyed(i), metadata=md, timeout=10)
                except grpc.RpcError:
                    return
                with lock:
                    acked[i] = got.decision.decision_id
                    if len(acked) >= kill_after:
                        enough.set()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    enough.wait(600)
    server.kill9()
    for t in threads:
        t.join(60)
    return acked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=5)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/reliability_kill9.json")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    acked: dict[int, str] = {}
    server = ServerProcess(None, "--rate-limit", "0")
    data_dir = server.data_dir
    lost: list[int] = []
    changed: list[int] = []
    for cycle in range(args.cycles):
        got = load_then_kill(server, cycle * 10**6, rng.randint(200, 1000), args.clients)
        acked.update(got)
        server = ServerProcess(data_dir, "--rate-limit", "0")
        md = (("authorization", f"Bearer {server.key()}"),)
        with grpc.insecure_channel(server.target) as ch:
            stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
            for i, decision_id in acked.items():
                try:
                    stub.GetDecision(
                        routing_pb2.GetDecisionRequest(decision_id=decision_id),
                        metadata=md,
                        timeout=10,
                    )
                except grpc.RpcError:
                    lost.append(i)
                again = stub.RouteReturn(keyed(i), metadata=md, timeout=10).decision.decision_id
                if again != decision_id:
                    changed.append(i)
        print(f"cycle {cycle + 1}: {len(got)} acknowledged before kill -9; {len(acked)} checked")
    server.stop()
    result = {
        "cycles": args.cycles,
        "acknowledged": len(acked),
        "lost": len(lost),
        "replayed_differently": len(changed),
    }
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0 if not lost and not changed else 1


if __name__ == "__main__":
    raise SystemExit(main())
