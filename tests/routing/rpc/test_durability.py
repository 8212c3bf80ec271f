"""Nothing acknowledged is lost: `reroute serve` is killed with SIGKILL while clients send
keyed RouteReturns; after a restart on the same database every acknowledged decision is
there, and re-sending its key answers the same decision."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import grpc

from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.batches.examples import sample_return
from routing.rpc.wire.returns import request_to_proto
from tests.routing.rpc.test_server import TODAY, Server

CLIENTS = 4
ACKED_BEFORE_KILL = 120  # acknowledgements to wait for before the kill (a count, not a time)


def keyed(i: int) -> routing_pb2.RouteReturnRequest:
    return request_to_proto(replace(sample_return(TODAY), idempotency_key=f"durable-{i}"))


def test_kill_9_during_load_loses_no_acknowledged_decision(tmp_path: Path) -> None:
    """Every decision a client got an answer for before SIGKILL is stored (GetDecision finds
    it) and its idempotency key replays it (same decision_id)."""
    acked: dict[int, str] = {}
    lock = threading.Lock()
    enough = threading.Event()
    server = Server(data_dir=tmp_path)
    counter = iter(range(10**6))

    def client() -> None:
        with grpc.insecure_channel(server.target) as ch:
            stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
            while True:
                with lock:
                    i = next(counter)
                try:
                    got = stub.RouteReturn(keyed(i), timeout=10)
                except grpc.RpcError:
                    return  # the server is gone
                with lock:
                    acked[i] = got.decision.decision_id
                    if len(acked) >= ACKED_BEFORE_KILL:
                        enough.set()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        assert enough.wait(120), "the server answered too few requests"
        server.kill()  # while the clients keep sending
    finally:
        for t in threads:
            t.join(60)
    assert len(acked) >= ACKED_BEFORE_KILL
    again = Server(data_dir=tmp_path)
    try:
        with grpc.insecure_channel(again.target) as ch:
            stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
            for i, decision_id in sorted(acked.items()):
                stored = stub.GetDecision(
                    routing_pb2.GetDecisionRequest(decision_id=decision_id), timeout=10
                )
                assert stored.decision.decision_id == decision_id
                assert stub.RouteReturn(keyed(i), timeout=10).decision.decision_id == decision_id
    finally:
        again.close()


def test_kill_9_during_a_plan_fails_it_with_a_reason(tmp_path: Path) -> None:
    """A plan RUNNING when the server is killed is, after the restart and once its lease has run
    out (--plan-lease-s), FAILED with a retryable UNAVAILABLE error saying it was interrupted and
    can be submitted again (not left RUNNING forever); it still belongs to its tenant ('default'
    without keys). A plan QUEUED behind it waited in the database: the restarted server runs it."""
    from google.rpc import code_pb2

    from reroute.v1 import planning_pb2, planning_pb2_grpc
    from routing.store.database import make_engine
    from routing.store.jobs import SqlJobStore
    from tests.routing.rpc.test_planning import FINAL, batch, submit_request

    lease = ("--plan-lease-s", "3", "--plan-poll-s", "0.5")
    server = Server(data_dir=tmp_path, args=lease)
    try:
        with grpc.insecure_channel(server.target) as ch:
            plans = planning_pb2_grpc.BatchPlanningStub(ch)
            req = submit_request(
                batch(3000, seed=5),
                time_limit_s=3600,
                backend=planning_pb2.PLAN_BACKEND_CPSAT,
            )
            job = plans.SubmitPlan(req, timeout=60)
            watch = planning_pb2.WatchPlanRequest(job_id=job.job_id)
            for p in plans.WatchPlan(watch, timeout=300):
                if p.state == planning_pb2.PLAN_STATE_RUNNING:
                    break
            waiting = plans.SubmitPlan(
                submit_request(batch(20, seed=6), time_limit_s=20), timeout=30
            )
            assert waiting.state == planning_pb2.PLAN_STATE_QUEUED
    finally:
        server.kill()
    again = Server(data_dir=tmp_path, args=lease)
    try:
        with grpc.insecure_channel(again.target) as ch:
            plans = planning_pb2_grpc.BatchPlanningStub(ch)
            for job_id in (job.job_id, waiting.job_id):
                watch = planning_pb2.WatchPlanRequest(job_id=job_id)
                for p in plans.WatchPlan(watch, timeout=120):
                    if p.state in FINAL:
                        break
            got = plans.GetPlan(planning_pb2.GetPlanRequest(job_id=job.job_id), timeout=10).job
            ran = plans.GetPlan(planning_pb2.GetPlanRequest(job_id=waiting.job_id), timeout=10)
        assert got.state == planning_pb2.PLAN_STATE_FAILED
        assert got.error.code == code_pb2.UNAVAILABLE
        assert "interrupted" in got.error.message
        assert "submit the batch again" in got.error.message
        assert ran.job.state == planning_pb2.PLAN_STATE_SUCCEEDED
        engine = make_engine(f"sqlite:///{tmp_path / 'reroute.db'}")
        assert SqlJobStore(engine).get(job.job_id).tenant == "default"
        engine.dispose()
    finally:
        again.close()
