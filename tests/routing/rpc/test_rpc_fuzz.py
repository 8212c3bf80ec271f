"""Every reroute.v1 RPC (ReturnsRouting and BatchPlanning), fuzzed through a real authenticated
server (SQLite store): mutated requests and batches, bad plan options, real and made-up
decision and job ids, missing/garbage/foreign keys, odd request ids. No UNKNOWN or INTERNAL,
ever, no plan job failing INTERNAL, and the server keeps serving.
benchmarks/reliability/fuzz.py runs the same strategies at scale."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubs import default_network
from reroute.v1 import planning_pb2, planning_pb2_grpc, routing_pb2_grpc
from routing.rpc.app import RoutingApp
from routing.rpc.server import ServerConfig
from routing.store.database import make_engine, upgrade
from routing.store.sql import SqlDecisionStore
from routing.store.tenants import create_key, register_network
from tests.routing.rpc.test_edge import InProcess, request
from tests.rpc_fuzz import Runner, calls

KEYS: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'fuzz.db'}"
    engine = make_engine(url)
    upgrade(engine)
    net = default_network()
    app = RoutingApp(net, store=SqlDecisionStore(engine, register_network(engine, net.name, "")))
    KEYS.update({t: create_key(engine, t)[1] for t in ("fuzz-a", "fuzz-b")})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REROUTE_DATA_DIR", str(folder))
        s = InProcess(ServerConfig(host="127.0.0.1", port=0, database_url=url), app)
    try:
        yield s
    finally:
        plans = s.running.plans
        if plans is not None:  # stop the plan processes the fuzz let run
            asyncio.run_coroutine_threadsafe(plans.close(), s.loop).result(60)
        s.close()


@pytest.fixture(scope="module")
def runner(server: InProcess) -> Iterator[Runner]:
    with grpc.insecure_channel(server.target) as ch:
        # accepted submissions are cancelled at once: a plan that runs is a process (~2 s of
        # CPU); the seeded live job is watched and cancelled while it runs, and plans the
        # fuzz lets run are the benchmark's (test_plan_service.py runs real plans too)
        r = Runner(ch, plan_runs=0)
        r.seed(KEYS, live=True)
        yield r


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_rpc_answers_only_allowed_statuses(runner: Runner, data: st.DataObject) -> None:
    """Any call of any RPC ends OK or with a deliberate status (INVALID_ARGUMENT with a
    BadRequest naming the field, FAILED_PRECONDITION, NOT_FOUND, ALREADY_EXISTS,
    PERMISSION_DENIED, UNAUTHENTICATED, RESOURCE_EXHAUSTED; a WatchPlan also
    DEADLINE_EXCEEDED at the client's own deadline): never UNKNOWN or INTERNAL; plan jobs
    never end FAILED with INTERNAL, and their answers keep the contract (a WatchPlan stream
    ends after a final state, a page holds at most page_size assignments)."""
    call = data.draw(calls(KEYS, runner.ids))
    outcome = runner.invoke(call)
    assert outcome.ok, (call.method, outcome.code, outcome.problem, call.request)
    assert not runner.follow_up_problems


def test_the_server_still_serves_after_the_fuzz(server: InProcess, runner: Runner) -> None:
    """After the fuzz, health answers SERVING, RouteReturn routes, and the job that ran during
    the fuzz (unless the fuzz cancelled it) ends SUCCEEDED when watched to its end."""
    with grpc.insecure_channel(server.target) as ch:
        got = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert got.status == health_pb2.HealthCheckResponse.SERVING
        key = (("authorization", f"Bearer {KEYS['fuzz-a']}"),)
        routed = routing_pb2_grpc.ReturnsRoutingStub(ch).RouteReturn(
            request(), metadata=key, timeout=30
        )
        assert routed.decision.decision_id
        (job_id, owner), *_ = runner.ran  # the seeded job
        stream = planning_pb2_grpc.BatchPlanningStub(ch).WatchPlan(
            planning_pb2.WatchPlanRequest(job_id=job_id), metadata=owner, timeout=120
        )
        last = list(stream)[-1]
    assert last.state in (planning_pb2.PLAN_STATE_SUCCEEDED, planning_pb2.PLAN_STATE_CANCELLED)
