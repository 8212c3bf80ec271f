"""Every ReturnsRouting RPC, fuzzed through a real authenticated server (SQLite store):
mutated requests, missing/garbage/foreign keys, odd request ids. No UNKNOWN or INTERNAL, ever.
benchmarks/reliability/fuzz.py runs the same strategies at scale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubs import default_network
from reroute.v1 import routing_pb2_grpc
from routing.app import RoutingApp
from routing.db.engine import make_engine, upgrade
from routing.db.repo import create_key, register_network
from routing.db.store import SqlDecisionStore
from routing.service import ServerConfig
from tests.routing.test_edge import InProcess, md, request
from tests.rpc_fuzz import ALLOWED, calls, invoke

KEYS: dict[str, str] = {}
IDS: list[str] = []


@pytest.fixture(scope="module")
def fuzz_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
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
        with grpc.insecure_channel(s.target) as ch:
            stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
            IDS.extend(
                stub.RouteReturn(request(), metadata=md(k), timeout=30).decision.decision_id
                for k in KEYS.values()
            )
            yield stub
    finally:
        s.close()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_rpc_answers_only_allowed_statuses(fuzz_stub: object, data: st.DataObject) -> None:
    """Any call of any RPC ends OK or with a deliberate status (INVALID_ARGUMENT,
    FAILED_PRECONDITION, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, UNAUTHENTICATED,
    RESOURCE_EXHAUSTED): never UNKNOWN or INTERNAL."""
    call = data.draw(calls(KEYS, IDS))
    code = invoke(fuzz_stub, call)
    assert code in ALLOWED, (call.method, code)
