"""The wire-level fuzzer (tests/wire_fuzz.py), a short seeded run against a real
`reroute serve` with API keys: random bytes, truncated messages, bad wire types, invalid UTF-8,
extreme varints and values, forged page tokens, on every method and stream of ReturnsRouting,
BatchPlanning and health. No UNKNOWN or INTERNAL; every INVALID_ARGUMENT with a BadRequest;
RouteReturns answers every message; the server still serves. The long run is
``python -m benchmarks.reliability.wire_fuzz --calls 100000``."""

from __future__ import annotations

from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from reroute.v1 import planning_pb2, planning_pb2_grpc, routing_pb2_grpc
from tests.routing.rpc.test_planning import batch, submit_request
from tests.routing.rpc.test_server import Server, sample_request
from tests.wire_fuzz import Seeds, methods, run

CALLS = 400


def seeds_on(channel: grpc.Channel, md: tuple[tuple[str, str], ...]) -> Seeds:
    """A real decision and a real (cancelled) job to aim the fuzzed ids at."""
    decision = routing_pb2_grpc.ReturnsRoutingStub(channel).RouteReturn(
        sample_request(), metadata=md, timeout=30
    )
    plans = planning_pb2_grpc.BatchPlanningStub(channel)
    submit = submit_request(batch(3, seed=1))
    job = plans.SubmitPlan(submit, metadata=md, timeout=30)
    plans.CancelPlan(planning_pb2.CancelPlanRequest(job_id=job.job_id), metadata=md, timeout=30)
    return Seeds(decision.decision.decision_id, job.job_id, submit)


def test_wire_fuzz_finds_no_broken_answer() -> None:
    """400 seeded calls over every method: see the module docstring."""
    server = Server(auth=True)
    try:
        key = (Path(server.data.name) / "default.key").read_text().strip()
        md = (("authorization", f"Bearer {key}"),)
        with grpc.insecure_channel(server.target) as ch:
            tally = run(ch, CALLS, seed=15, seeds=seeds_on(ch, md), metadata=md)
            health = health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(), timeout=10
            )
    finally:
        server.stop()
    assert not tally.problems, "\n".join(tally.problems)
    assert tally.forbidden == 0
    assert tally.invalid_argument == tally.with_bad_request > 0
    assert set(tally.by_method) == {m.path for m in methods()}
    assert health.status == health_pb2.HealthCheckResponse.SERVING
