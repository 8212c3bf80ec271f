"""A revoked API key reaches the streams opened before the revocation within the key cache
time: an open RouteReturns stream, idle or busy, and a WatchPlan stream end UNAUTHENTICATED
(a real server on a real port, keys in a real SQLite database)."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from reroute.v1 import planning_pb2, planning_pb2_grpc, routing_pb2, routing_pb2_grpc
from routing.rpc.app import RoutingApp
from routing.rpc.server import ServerConfig
from routing.store.database import make_engine
from routing.store.tenants import create_key, revoke_key
from tests.routing.rpc.test_edge import InProcess, app, data_dir, db_url, md, request
from tests.routing.rpc.test_planning import batch, submit_request

__all__ = ["app", "data_dir", "db_url"]  # module fixtures shared with test_edge

CACHE_S = 0.5


@pytest.fixture(scope="module")
def server(app: RoutingApp, db_url: str, data_dir: Path) -> Iterator[InProcess]:
    config = ServerConfig(
        host="127.0.0.1", port=0, database_url=db_url, auth_cache_s=CACHE_S, rate_per_s=None
    )
    s = InProcess(config, app)
    yield s
    plans = s.running.plans
    if plans is not None:  # the plan process of the watch test
        asyncio.run_coroutine_threadsafe(plans.close(), s.loop).result(60)
    s.close()


def drain(stream: Iterator[object], each: Callable[[], None]) -> grpc.RpcError:
    """Read ``stream`` to its end, calling ``each`` per message; the error it ends with."""
    try:
        for _ in stream:
            each()
    except grpc.RpcError as exc:
        return exc
    raise AssertionError("the stream ended OK")


def new_key(db_url: str) -> tuple[str, str]:
    return create_key(make_engine(db_url), "acme", label="revoked in a test")


def test_an_idle_stream_ends_when_its_key_is_revoked(server: InProcess, db_url: str) -> None:
    """A RouteReturns stream waiting for its next request ends UNAUTHENTICATED within a few
    key cache times of the revocation, without another request being sent."""
    key_id, key = new_key(db_url)
    requests: queue.Queue[routing_pb2.RouteReturnRequest | None] = queue.Queue()
    requests.put(request())
    with grpc.insecure_channel(server.target) as ch:
        stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
        answers = stub.RouteReturns(iter(requests.get, None), metadata=md(key), timeout=60)
        assert next(answers).HasField("decision")
        revoke_key(make_engine(db_url), key_id)
        revoked = time.monotonic()
        with pytest.raises(grpc.RpcError) as err:
            next(answers)
        took_s = time.monotonic() - revoked
        requests.put(None)
    assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "revoked" in (err.value.details() or "")
    assert took_s < 4 * CACHE_S + 2, took_s


def test_a_busy_stream_ends_when_its_key_is_revoked(server: InProcess, db_url: str) -> None:
    """A RouteReturns stream sending requests all along: after the revocation it is answered
    for at most a few key cache times, then ends UNAUTHENTICATED."""
    key_id, key = new_key(db_url)
    stop = threading.Event()

    def requests() -> Iterator[routing_pb2.RouteReturnRequest]:
        while not stop.is_set():
            yield request()
            time.sleep(0.01)

    answered_after: list[float] = []
    revoked = [float("inf")]
    with grpc.insecure_channel(server.target) as ch:
        stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
        answers = stub.RouteReturns(requests(), metadata=md(key), timeout=60)
        assert next(answers).HasField("decision")
        revoke_key(make_engine(db_url), key_id)
        revoked[0] = time.monotonic()
        ended = drain(answers, lambda: answered_after.append(time.monotonic() - revoked[0]))
        stop.set()
    assert ended.code() is grpc.StatusCode.UNAUTHENTICATED
    assert not answered_after or max(answered_after) < 4 * CACHE_S + 2, max(answered_after)


def test_a_plan_watch_ends_when_its_key_is_revoked(server: InProcess, db_url: str) -> None:
    """WatchPlan of a job still running ends UNAUTHENTICATED once the watcher's key is
    revoked; the job itself goes on (another key of the tenant cancels it)."""
    key_id, key = new_key(db_url)
    _, other = new_key(db_url)
    with grpc.insecure_channel(server.target) as ch:
        plans = planning_pb2_grpc.BatchPlanningStub(ch)
        job = plans.SubmitPlan(
            submit_request(
                batch(400, seed=3), time_limit_s=3600, backend=planning_pb2.PLAN_BACKEND_CPSAT
            ),
            metadata=md(other),
            timeout=60,
        )
        try:
            watch = plans.WatchPlan(
                planning_pb2.WatchPlanRequest(job_id=job.job_id), metadata=md(key), timeout=120
            )
            first = next(watch)
            revoke_key(make_engine(db_url), key_id)
            revoked = time.monotonic()
            ended = drain(watch, lambda: None)
            took_s = time.monotonic() - revoked
            got = plans.GetPlan(
                planning_pb2.GetPlanRequest(job_id=job.job_id), metadata=md(other), timeout=10
            )
        finally:
            plans.CancelPlan(
                planning_pb2.CancelPlanRequest(job_id=job.job_id), metadata=md(other), timeout=30
            )
    assert first.job_id == job.job_id
    assert ended.code() is grpc.StatusCode.UNAUTHENTICATED
    assert took_s < 4 * CACHE_S + 2, took_s
    assert got.job.state in (planning_pb2.PLAN_STATE_QUEUED, planning_pb2.PLAN_STATE_RUNNING)
