"""BatchPlanning on a real port: `reroute serve --port 0` in its own process, real clients.

Submit, watch and get a plan equal to the in-process planner's; RouteReturn answers while a
plan runs; a running plan is cancelled; bad submissions name the field; unknown jobs are
NOT_FOUND; with API keys, a job is only its tenant's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from hubs import default_network
from reroute.v1 import common_pb2, planning_pb2, planning_pb2_grpc, routing_pb2_grpc
from routing.batches.generate import generate_returns
from routing.decide.domain import Return
from routing.plan.planner import PlanConfig, plan_batch
from routing.rpc.app import RoutingApp
from routing.rpc.wire.returns import return_to_proto
from routing.solver import solve
from routing.solver.problem import Status
from routing.store.database import make_engine
from routing.store.tenants import create_key
from tests.routing.rpc.test_server import Server, field_violations, sample_request

START = date(2026, 11, 2)
FINAL = {
    planning_pb2.PLAN_STATE_SUCCEEDED,
    planning_pb2.PLAN_STATE_FAILED,
    planning_pb2.PLAN_STATE_CANCELLED,
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def channel(server: Server) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.target) as ch:
        yield ch


@pytest.fixture(scope="module")
def plans(channel: grpc.Channel) -> planning_pb2_grpc.BatchPlanningStub:
    return planning_pb2_grpc.BatchPlanningStub(channel)


def batch(n: int, seed: int) -> list[tuple[str, Return]]:
    return list(generate_returns(n, seed=seed, network=default_network(), start=START))


def submit_request(
    returns: list[tuple[str, Return]], **options: object
) -> planning_pb2.SubmitPlanRequest:
    return planning_pb2.SubmitPlanRequest(
        returns=[
            planning_pb2.BatchReturn(return_id=rid, customer_return=return_to_proto(r))
            for rid, r in returns
        ],
        options=planning_pb2.PlanOptions(**options),  # type: ignore[arg-type]
    )


def test_health_and_reflection_list_batch_planning(channel: grpc.Channel) -> None:
    """The health service reports BatchPlanning SERVING; reflection lists it and its RPCs."""
    health = health_pb2_grpc.HealthStub(channel)
    got = health.Check(health_pb2.HealthCheckRequest(service="reroute.v1.BatchPlanning"), timeout=5)
    assert got.status == health_pb2.HealthCheckResponse.SERVING
    db = ProtoReflectionDescriptorDatabase(channel)
    assert "reroute.v1.BatchPlanning" in db.get_services()
    from google.protobuf.descriptor_pool import DescriptorPool

    svc = DescriptorPool(db).FindServiceByName("reroute.v1.BatchPlanning")
    assert {m.name for m in svc.methods} == {
        "SubmitPlan",
        "ListPlans",
        "GetPlan",
        "WatchPlan",
        "CancelPlan",
    }


def test_submit_watch_get_equals_the_in_process_plan(
    plans: planning_pb2_grpc.BatchPlanningStub,
) -> None:
    """A submitted batch is watched to SUCCEEDED (progress bounds never above incumbents) and
    its plan has the objective plan_batch finds in process for the same batch and options;
    the assignments, paged, cover every routable return exactly once."""
    returns = batch(400, seed=21)
    job = plans.SubmitPlan(submit_request(returns, time_limit_s=30, horizon_days=1), timeout=30)
    assert job.job_id
    assert job.state == planning_pb2.PLAN_STATE_QUEUED
    assert job.returns == len(returns)
    seen = list(plans.WatchPlan(planning_pb2.WatchPlanRequest(job_id=job.job_id), timeout=120))
    assert seen[-1].state == planning_pb2.PLAN_STATE_SUCCEEDED
    assert all(p.state not in FINAL for p in seen[:-1])
    for p in seen:
        if p.HasField("incumbent_minor") and p.HasField("bound_minor"):
            assert p.bound_minor <= p.incumbent_minor

    got = plans.GetPlan(planning_pb2.GetPlanRequest(job_id=job.job_id, page_size=150), timeout=10)
    summary = got.job.summary
    app = RoutingApp(default_network(), compiled_on=datetime.now(UTC).date())
    local = plan_batch(
        app.router, returns, PlanConfig(horizon_days=1, time_limit_s=30), solve=solve
    )
    assert local.result.status is Status.OPTIMAL
    assert summary.status == planning_pb2.PLAN_STATUS_OPTIMAL
    assert summary.objective_minor == local.result.objective
    assert summary.bound_minor == summary.objective_minor
    assert seen[-1].incumbent_minor == summary.objective_minor
    assert summary.returns == len(returns)

    ids = [a.return_id for a in got.assignments]
    token = got.next_page_token
    while token:
        page = plans.GetPlan(
            planning_pb2.GetPlanRequest(job_id=job.job_id, page_size=150, page_token=token),
            timeout=10,
        )
        ids.extend(a.return_id for a in page.assignments)
        token = page.next_page_token
    assert got.total_assignments == len(ids) == len(set(ids))
    assert set(ids) == {rid for rid, _ in returns} - {u.return_id for u in summary.unroutable}


@pytest.fixture(scope="module")
def long_job(plans: planning_pb2_grpc.BatchPlanningStub) -> str:
    """A plan that runs far longer than the tests that use it (tens of seconds: 8000 returns'
    options to generate, then CP-SAT, slow to close the gap on such a batch, with an hour's
    time limit); returned as soon as it is RUNNING."""
    req = submit_request(
        batch(8000, seed=5),
        time_limit_s=3600,
        backend=planning_pb2.PLAN_BACKEND_CPSAT,
    )
    job: planning_pb2.PlanJob = plans.SubmitPlan(req, timeout=60)
    for p in plans.WatchPlan(planning_pb2.WatchPlanRequest(job_id=job.job_id), timeout=300):
        assert p.state not in FINAL
        if p.state == planning_pb2.PLAN_STATE_RUNNING:
            break
    return job.job_id


def test_route_return_answers_while_a_plan_runs(
    server: Server, plans: planning_pb2_grpc.BatchPlanningStub, long_job: str
) -> None:
    """While a plan solves, RouteReturn calls (with a deadline) are answered, and the plan is
    still running afterwards: solving does not block the server's event loop."""
    with grpc.insecure_channel(server.target) as ch:
        stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
        for _ in range(5):
            resp = stub.RouteReturn(sample_request(), timeout=5)
            assert resp.decision.decision_id
    job = plans.GetPlan(planning_pb2.GetPlanRequest(job_id=long_job), timeout=5).job
    assert job.state == planning_pb2.PLAN_STATE_RUNNING


def test_cancel_a_queued_plan(plans: planning_pb2_grpc.BatchPlanningStub, long_job: str) -> None:
    """A plan queued behind a running one (one plan runs at a time) is CANCELLED at once and
    never runs: watching it gives its final state only."""
    job = plans.SubmitPlan(submit_request(batch(5, seed=2)), timeout=10)
    assert job.state == planning_pb2.PLAN_STATE_QUEUED
    cancelled = plans.CancelPlan(planning_pb2.CancelPlanRequest(job_id=job.job_id), timeout=10)
    assert cancelled.state == planning_pb2.PLAN_STATE_CANCELLED
    watched = list(plans.WatchPlan(planning_pb2.WatchPlanRequest(job_id=job.job_id), timeout=10))
    assert [p.state for p in watched] == [planning_pb2.PLAN_STATE_CANCELLED]
    assert not watched[0].HasField("incumbent_minor")


def test_cancel_stops_a_running_plan(
    plans: planning_pb2_grpc.BatchPlanningStub, long_job: str
) -> None:
    """CancelPlan answers with the job CANCELLED (no plan, the last progress kept); a watcher
    of the job gets the final CANCELLED message and its stream ends; GetPlan agrees."""
    watched: list[planning_pb2.PlanProgress] = []
    stream = plans.WatchPlan(planning_pb2.WatchPlanRequest(job_id=long_job), timeout=60)
    first = next(stream)
    assert first.state == planning_pb2.PLAN_STATE_RUNNING
    reader = threading.Thread(target=lambda: watched.extend(stream))
    reader.start()
    job = plans.CancelPlan(planning_pb2.CancelPlanRequest(job_id=long_job), timeout=10)
    assert job.state == planning_pb2.PLAN_STATE_CANCELLED
    assert not job.HasField("summary")  # the best plan so far, if any, died with its process
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert watched[-1].state == planning_pb2.PLAN_STATE_CANCELLED
    got = plans.GetPlan(planning_pb2.GetPlanRequest(job_id=long_job, page_size=10), timeout=5)
    assert got.job.state == planning_pb2.PLAN_STATE_CANCELLED
    assert not got.assignments
    again = plans.CancelPlan(planning_pb2.CancelPlanRequest(job_id=long_job), timeout=5)
    assert again.state == planning_pb2.PLAN_STATE_CANCELLED


def _bad_weight(req: planning_pb2.SubmitPlanRequest) -> None:
    req.returns[1].customer_return.items[0].weight_g = 0


def _duplicate_id(req: planning_pb2.SubmitPlanRequest) -> None:
    req.returns[2].return_id = req.returns[0].return_id


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_bad_weight, "returns[1].customer_return.items[0].weight_g"),
        (lambda r: setattr(r.returns[0], "return_id", ""), "returns[0].return_id"),
        (_duplicate_id, "returns[2].return_id"),
        (lambda r: r.returns[1].ClearField("customer_return"), "returns[1].customer_return"),
        (
            lambda r: setattr(r.returns[2].customer_return, "origin_facility_id", "nowhere"),
            "returns[2].customer_return.origin_facility_id",
        ),
        (
            lambda r: setattr(r.returns[0].customer_return.customer, "country", "XX"),
            "returns[0].customer_return.customer.country",
        ),
        (lambda r: r.ClearField("returns"), "returns"),
        (lambda r: setattr(r.options, "time_limit_s", 0), "options.time_limit_s"),
        (lambda r: setattr(r.options, "time_limit_s", float("nan")), "options.time_limit_s"),
        (lambda r: setattr(r.options, "horizon_days", 0), "options.horizon_days"),
        (lambda r: setattr(r.options, "backend", 99), "options.backend"),
        (
            lambda r: r.options.overflow_price.CopyFrom(
                common_pb2.Money(amount_minor=100, currency="USD")
            ),
            "options.overflow_price.currency",
        ),
        (
            lambda r: r.options.overflow_price.CopyFrom(
                common_pb2.Money(amount_minor=-1, currency="EUR")
            ),
            "options.overflow_price.amount_minor",
        ),
    ],
)
def test_invalid_submissions_name_the_field(
    plans: planning_pb2_grpc.BatchPlanningStub, mutate: object, field: str
) -> None:
    """A bad return or option is INVALID_ARGUMENT with a BadRequest naming the field's path."""
    req = submit_request(batch(3, seed=1))
    mutate(req)  # type: ignore[operator]
    with pytest.raises(grpc.RpcError) as info:
        plans.SubmitPlan(req, timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [f for f, _ in field_violations(info.value)]


def test_unknown_job_is_not_found(plans: planning_pb2_grpc.BatchPlanningStub) -> None:
    """GetPlan, WatchPlan and CancelPlan answer NOT_FOUND for a job id the server never gave,
    INVALID_ARGUMENT naming job_id when it is empty, and bad paging (a token of anything but
    ASCII digits included) names the field."""
    calls: list[Callable[[str], object]] = [
        lambda jid: plans.GetPlan(planning_pb2.GetPlanRequest(job_id=jid), timeout=5),
        lambda jid: list(plans.WatchPlan(planning_pb2.WatchPlanRequest(job_id=jid), timeout=5)),
        lambda jid: plans.CancelPlan(planning_pb2.CancelPlanRequest(job_id=jid), timeout=5),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as info:
            call("no-such-job")
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:
            call("")
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in field_violations(info.value)] == ["job_id"]
    for bad, field in (
        (planning_pb2.GetPlanRequest(job_id="x", page_size=-1), "page_size"),
        (planning_pb2.GetPlanRequest(job_id="x", page_token="abc"), "page_token"),
        # digits str.isdigit() takes but int() does not (was INTERNAL) or reads ("١٢" = 12)
        (planning_pb2.GetPlanRequest(job_id="x", page_token="²"), "page_token"),
        (planning_pb2.GetPlanRequest(job_id="x", page_token="١٢"), "page_token"),
    ):
        with pytest.raises(grpc.RpcError) as info:
            plans.GetPlan(bad, timeout=5)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in [f for f, _ in field_violations(info.value)]


def test_a_plan_job_belongs_to_its_tenant(tmp_path: Path) -> None:
    """On a server with API keys, a job tenant A submitted is PERMISSION_DENIED to tenant B in
    GetPlan, WatchPlan and CancelPlan (and B's cancel does not stop it), UNAUTHENTICATED
    without a key; A watches it to its end, gets it and cancels it (already final); an
    unknown id is NOT_FOUND to B."""
    authed = Server(auth=True, data_dir=tmp_path)
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'reroute.db'}")
        acme, globex = (
            (("authorization", f"Bearer {create_key(engine, t)[1]}"),) for t in ("acme", "globex")
        )
        engine.dispose()
        with grpc.insecure_channel(authed.target) as ch:
            stub = planning_pb2_grpc.BatchPlanningStub(ch)
            calls: list[Callable[[Sequence[tuple[str, str]], str], object]] = [
                lambda m, j: stub.GetPlan(
                    planning_pb2.GetPlanRequest(job_id=j), metadata=m, timeout=10
                ),
                lambda m, j: list(
                    stub.WatchPlan(planning_pb2.WatchPlanRequest(job_id=j), metadata=m, timeout=10)
                ),
                lambda m, j: stub.CancelPlan(
                    planning_pb2.CancelPlanRequest(job_id=j), metadata=m, timeout=10
                ),
            ]
            jid = stub.SubmitPlan(
                submit_request(batch(3, seed=4)), metadata=acme, timeout=30
            ).job_id
            for call in calls:
                for metadata, job_id, code in (
                    (globex, jid, grpc.StatusCode.PERMISSION_DENIED),
                    ((), jid, grpc.StatusCode.UNAUTHENTICATED),
                    (globex, "no-such-job", grpc.StatusCode.NOT_FOUND),
                ):
                    with pytest.raises(grpc.RpcError) as info:
                        call(metadata, job_id)
                    assert info.value.code() == code
            watch = planning_pb2.WatchPlanRequest(job_id=jid)
            watched = list(stub.WatchPlan(watch, metadata=acme, timeout=120))
            assert watched[-1].state == planning_pb2.PLAN_STATE_SUCCEEDED
            got = stub.GetPlan(planning_pb2.GetPlanRequest(job_id=jid), metadata=acme, timeout=10)
            assert got.job.state == planning_pb2.PLAN_STATE_SUCCEEDED
            cancel = planning_pb2.CancelPlanRequest(job_id=jid)
            assert stub.CancelPlan(cancel, metadata=acme, timeout=10).state == (
                planning_pb2.PLAN_STATE_SUCCEEDED
            )
    finally:
        authed.close()
