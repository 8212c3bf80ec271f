"""SIGTERM on a real `reroute serve` under load: health answers NOT_SERVING, every call then
answers OK or UNAVAILABLE (never CANCELLED, INTERNAL or UNKNOWN; a client told
SERVER_SHUTTING_DOWN goes elsewhere, as a client behind a load balancer does: grpc, when it
stops, cancels the calls it has received but not yet handed over, so a client that keeps
sending to a stopping server can still see CANCELLED, nothing stored), an open RouteReturns
stream ends UNAVAILABLE (reason SERVER_SHUTTING_DOWN), the plan job it runs ends FAILED with the
retryable UNAVAILABLE (PLAN_JOB_INTERRUPTED) its watcher is told, a queued job stays QUEUED in
the database for another process or the next start (its watcher's stream ends UNAVAILABLE,
SERVER_SHUTTING_DOWN: watch again elsewhere), the server exits 0 and logs no error nor warning
while it stops."""

from __future__ import annotations

import itertools
import queue
import signal
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from reroute.v1 import planning_pb2, planning_pb2_grpc, routing_pb2, routing_pb2_grpc
from routing.batches.examples import sample_return
from routing.plan.jobs import JobState
from routing.rpc.wire.returns import request_to_proto
from routing.store.database import make_engine
from routing.store.jobs import SqlJobStore
from tests.routing.rpc.test_planning import batch, submit_request
from tests.routing.rpc.test_server import TODAY, Server

BACKOFF_S = 0.25  # a client told UNAVAILABLE (not by the drain) waits before it sends again
FORBIDDEN = {grpc.StatusCode.CANCELLED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


def reason(err: grpc.RpcError) -> str:
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    for d in status.details if status is not None else ():
        info = error_details_pb2.ErrorInfo()
        if d.Unpack(info):
            return str(info.reason)
    return ""


def test_sigterm_under_load_drains_cleanly() -> None:
    """See the module docstring: every invariant of a graceful stop, in one real stop."""
    server = Server()
    try:
        channel = grpc.insecure_channel(server.target)
        plans = planning_pb2_grpc.BatchPlanningStub(channel)
        routing = routing_pb2_grpc.ReturnsRoutingStub(channel)
        # a plan that runs for minutes, and one queued behind it (one plan runs at a time)
        running = plans.SubmitPlan(
            submit_request(
                batch(3000, seed=5),
                time_limit_s=3600,
                backend=planning_pb2.PLAN_BACKEND_CPSAT,
            ),
            timeout=60,
        ).job_id
        for p in plans.WatchPlan(planning_pb2.WatchPlanRequest(job_id=running), timeout=300):
            if p.state == planning_pb2.PLAN_STATE_RUNNING:
                break
        queued = plans.SubmitPlan(submit_request(batch(5, seed=2)), timeout=30).job_id
        watched: dict[str, list[planning_pb2.PlanProgress]] = {running: [], queued: []}
        watch_errors: dict[str, grpc.RpcError] = {}

        def watch(job_id: str) -> None:
            try:
                for p in plans.WatchPlan(planning_pb2.WatchPlanRequest(job_id=job_id), timeout=120):
                    watched[job_id].append(p)
            except grpc.RpcError as exc:
                watch_errors[job_id] = exc

        health: list[int] = []

        def watch_health() -> None:
            stub = health_pb2_grpc.HealthStub(channel)
            try:
                for h in stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=120):
                    health.append(h.status)
            except grpc.RpcError:
                pass

        # a RouteReturns stream that has answered and now waits for its next request
        idle_requests: queue.Queue[routing_pb2.RouteReturnRequest | None] = queue.Queue()
        idle_requests.put(request_to_proto(sample_return(TODAY)))
        idle_answers: list[routing_pb2.RouteReturnsResponse] = []
        idle_error: list[grpc.RpcError] = []

        def idle_stream() -> None:
            try:
                for a in routing.RouteReturns(iter(idle_requests.get, None), timeout=120):
                    idle_answers.append(a)
            except grpc.RpcError as exc:
                idle_error.append(exc)

        codes: Counter[grpc.StatusCode] = Counter()
        unavailable_reasons: Counter[str] = Counter()
        stop = threading.Event()
        numbers = itertools.count()
        lock = threading.Lock()

        def client() -> None:
            with grpc.insecure_channel(server.target) as ch:
                stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
                while not stop.is_set():
                    with lock:
                        i = next(numbers)
                    ret = replace(sample_return(TODAY), idempotency_key=f"term-{i}")
                    try:
                        stub.RouteReturn(request_to_proto(ret), timeout=10)
                        code = grpc.StatusCode.OK
                    except grpc.RpcError as exc:
                        code = exc.code()
                        if code is grpc.StatusCode.UNAVAILABLE:
                            why = reason(exc)
                            with lock:
                                unavailable_reasons[why] += 1
                                codes[code] += 1
                            if why == "SERVER_SHUTTING_DOWN":
                                return  # as behind a load balancer: to another replica
                            time.sleep(BACKOFF_S)
                            continue
                    with lock:
                        codes[code] += 1

        threads = [
            threading.Thread(target=watch, args=(running,)),
            threading.Thread(target=watch, args=(queued,)),
            threading.Thread(target=watch_health),
            threading.Thread(target=idle_stream),
            *(threading.Thread(target=client) for _ in range(3)),
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while (sum(codes.values()) < 50 or not idle_answers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert idle_answers, "the stream answered its first request"
        sent = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        exit_code = server.proc.wait(timeout=60)
        took_s = time.monotonic() - sent
        time.sleep(0.2)
        stop.set()
        idle_requests.put(None)
        for t in threads:
            t.join(60)
        channel.close()
        server.log.seek(0)
        log = server.log.read()
        engine = make_engine(f"sqlite:///{Path(server.data.name) / 'reroute.db'}")
        stored = {j: SqlJobStore(engine).get(j) for j in (running, queued)}
        engine.dispose()
    finally:
        server.close()

    assert exit_code == 0
    # a plan process that is still starting is stopped once started (a few seconds); the
    # calls in flight are what the grace period is for: none was cut (no CANCELLED below)
    assert took_s < 30, f"the stop took {took_s:.1f} s"
    assert codes[grpc.StatusCode.OK] >= 50
    assert not set(codes) & FORBIDDEN, codes
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}, codes
    # answered by the drain itself, or refused by grpc once it stopped listening
    assert set(unavailable_reasons) <= {"SERVER_SHUTTING_DOWN", ""}, unavailable_reasons
    assert unavailable_reasons["SERVER_SHUTTING_DOWN"] >= 1, "new calls answered UNAVAILABLE"
    assert health_pb2.HealthCheckResponse.NOT_SERVING in health, health
    [idle] = idle_error
    assert idle.code() is grpc.StatusCode.UNAVAILABLE
    assert reason(idle) == "SERVER_SHUTTING_DOWN"
    assert running not in watch_errors, watch_errors[running].code()
    assert watched[running][-1].state == planning_pb2.PLAN_STATE_FAILED
    error = stored[running].error
    assert error is not None
    assert error.code == "UNAVAILABLE"
    assert "interrupted" in error.message
    assert stored[queued].state is JobState.QUEUED  # left for another process or the next start
    assert watch_errors[queued].code() is grpc.StatusCode.UNAVAILABLE
    assert reason(watch_errors[queued]) == "SERVER_SHUTTING_DOWN"
    stopping = log[log.index("signal received") :]
    assert '"msg": "stopped"' in stopping
    for bad in ("Traceback", "CancelledError", '"level": "error"', '"level": "warning"'):
        assert bad not in stopping, stopping[-3000:]
