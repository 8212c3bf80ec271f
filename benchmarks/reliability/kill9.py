"""kill -9 and SIGTERM during RouteReturn load, in cycles: nothing acknowledged is lost,
nothing is stored that its caller could not have received, and no call is cut.

    python -m benchmarks.reliability.kill9 --cycles 3 --signal both --clients 8

Each cycle starts `reroute serve` on the same data dir, sends keyed RouteReturns from
``--clients`` threads (one call in ``--tight-every`` with a deadline of a few milliseconds,
the others 10 s), stops the server after a random number of acknowledgements (while the
clients keep sending) with SIGKILL or SIGTERM, restarts it and checks, over every cycle so
far:

- lost: an acknowledged decision GetDecision does not find, or whose key replays another
  decision_id (must be 0);
- stored past the deadline: a decision stored whose caller saw DEADLINE_EXCEEDED (must be 0);
- stored unacknowledged: a decision stored whose caller got no answer (its call cut by the
  stop); must be 0 after SIGTERM (the server drains); after kill -9 these are the calls the
  crash cut after their commit, reported (a retry with the key gets the decision);
- forbidden answers: CANCELLED, INTERNAL or UNKNOWN to any call (must be 0). A client told
  UNAVAILABLE waits ``--backoff-s`` before its next call, and one told SERVER_SHUTTING_DOWN
  sends no more to that server, as a client behind a load balancer (grpc, when it stops,
  cancels the calls it has received but not handed over: a client that keeps sending to a
  stopping server can see CANCELLED, nothing stored).

Writes benchmarks/results/reliability_kill9.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import signal
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import select

from benchmarks.reliability.common import ROOT, ServerProcess
from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.batches.examples import sample_return
from routing.rpc.wire.returns import request_to_proto
from routing.store.database import make_engine
from routing.store.tables import DecisionRow

DAY = date(2026, 11, 2)
FORBIDDEN = ("CANCELLED", "INTERNAL", "UNKNOWN")


def reason(err: grpc.RpcError) -> str:
    """The google.rpc.ErrorInfo reason of an error ("" when none)."""
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    for d in status.details if status is not None else ():
        info = error_details_pb2.ErrorInfo()
        if d.Unpack(info):
            return str(info.reason)
    return ""


def keyed(i: int) -> routing_pb2.RouteReturnRequest:
    return request_to_proto(replace(sample_return(DAY), idempotency_key=f"kill9-{i}"))


@dataclass
class Load:
    """What the clients saw: per key, the decision acknowledged or the status code."""

    acked: dict[str, str] = field(default_factory=dict)  # key -> decision_id
    failed: dict[str, str] = field(default_factory=dict)  # key -> status code name
    codes: collections.Counter[str] = field(default_factory=collections.Counter)


def load_then_stop(
    server: ServerProcess,
    how: str,
    start: int,
    stop_after: int,
    clients: int,
    tight_every: int,
    backoff_s: float,
    load: Load,
) -> int:
    """Run the clients; after ``stop_after`` acknowledgements stop the server ``how``
    ("kill" or "term"); the number acknowledged in this cycle."""
    lock = threading.Lock()
    enough = threading.Event()
    gone = threading.Event()
    counter = iter(range(start, 10**9))
    md = (("authorization", f"Bearer {server.key()}"),)
    acked_here = [0]

    def client(n: int) -> None:
        rng = random.Random(start + n)
        with grpc.insecure_channel(server.target) as ch:
            stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
            while not gone.is_set():
                with lock:
                    i = next(counter)
                key = f"kill9-{i}"
                tight = tight_every and i % tight_every == 0
                timeout = rng.uniform(0.001, 0.03) if tight else 10.0
                try:
                    got = stub.RouteReturn(keyed(i), metadata=md, timeout=timeout)
                except grpc.RpcError as exc:
                    code = exc.code().name
                    with lock:
                        load.failed[key] = code
                        load.codes[code] += 1
                    if exc.code() is grpc.StatusCode.UNAVAILABLE:
                        if reason(exc) == "SERVER_SHUTTING_DOWN":
                            gone.wait()  # as behind a load balancer: to another replica
                        time.sleep(backoff_s)
                    continue
                with lock:
                    load.acked[key] = got.decision.decision_id
                    load.codes["OK"] += 1
                    acked_here[0] += 1
                    if acked_here[0] >= stop_after:
                        enough.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    enough.wait(600)
    if how == "kill":
        server.kill9()
    else:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(120)
        server.log.close()
    time.sleep(0.5)  # the clients see the server gone
    gone.set()
    for t in threads:
        t.join(60)
    return acked_here[0]


def stored_keys(server: ServerProcess) -> set[str]:
    engine = make_engine(server.database_url)
    with engine.connect() as conn:
        keys = {k for (k,) in conn.execute(select(DecisionRow.idempotency_key)) if k}
    engine.dispose()
    return keys


def check(server: ServerProcess, load: Load) -> tuple[list[str], list[str]]:
    """(lost, replayed differently) among the acknowledged decisions."""
    lost: list[str] = []
    changed: list[str] = []
    md = (("authorization", f"Bearer {server.key()}"),)
    with grpc.insecure_channel(server.target) as ch:
        stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
        for key, decision_id in load.acked.items():
            try:
                stub.GetDecision(
                    routing_pb2.GetDecisionRequest(decision_id=decision_id),
                    metadata=md,
                    timeout=10,
                )
            except grpc.RpcError:
                lost.append(key)
            i = int(key.rsplit("-", 1)[1])
            again = stub.RouteReturn(keyed(i), metadata=md, timeout=10).decision.decision_id
            if again != decision_id:
                changed.append(key)
    return lost, changed


def run_signal(how: str, args: argparse.Namespace, rng: random.Random) -> dict[str, object]:
    load = Load()
    server = ServerProcess(None, "--rate-limit", "0")
    data_dir = server.data_dir
    lost: list[str] = []
    changed: list[str] = []
    unacked_by_code: collections.Counter[str] = collections.Counter()
    for cycle in range(args.cycles):
        base = (cycle + 1) * 10**6 + (0 if how == "kill" else 10**8)
        n = load_then_stop(
            server,
            how,
            base,
            rng.randint(200, 1000),
            args.clients,
            args.tight_every,
            args.backoff_s,
            load,
        )
        server = ServerProcess(data_dir, "--rate-limit", "0")
        stored = stored_keys(server)
        lost, changed = check(server, load)
        unacked = stored - set(load.acked)
        unacked_by_code = collections.Counter(load.failed.get(k, "NO_ANSWER") for k in unacked)
        print(
            f"{how} cycle {cycle + 1}: {n} acknowledged before the stop;"
            f" {len(load.acked)} checked; stored unacknowledged: {dict(unacked_by_code)}",
            flush=True,
        )
    server.stop()
    forbidden = {c: load.codes[c] for c in FORBIDDEN if load.codes[c]}
    past_deadline = unacked_by_code.get("DEADLINE_EXCEEDED", 0)
    cut = sum(unacked_by_code.values()) - past_deadline
    return {
        "signal": "SIGKILL" if how == "kill" else "SIGTERM",
        "cycles": args.cycles,
        "acknowledged": len(load.acked),
        "answers_by_status": dict(sorted(load.codes.items())),
        "lost": len(lost),
        "replayed_differently": len(changed),
        "stored_past_deadline": past_deadline,
        "stored_unacknowledged_cut_by_the_stop": cut,
        "forbidden_answers": forbidden,
        "ok": not lost
        and not changed
        and not past_deadline
        and not forbidden
        and (how == "kill" or cut == 0),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--signal", choices=("kill", "term", "both"), default="both")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--tight-every", type=int, default=5, help="one call in N: 1-30 ms deadline")
    ap.add_argument("--backoff-s", type=float, default=0.25, help="wait after UNAVAILABLE")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/reliability_kill9.json")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    kinds = ("kill", "term") if args.signal == "both" else (args.signal,)
    results = [run_signal(how, args, rng) for how in kinds]
    print(json.dumps(results, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
