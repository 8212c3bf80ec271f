"""A call whose deadline passes before its decision is committed stores nothing: against a
real `reroute serve`, with deadlines of a millisecond up, every decision the store holds is one
its caller received (the edge commits only while ``commit_margin_s`` of the deadline is left,
and the group commit looks at the deadline again right before committing)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest

from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.batches.examples import sample_return
from routing.rpc.wire.returns import request_to_proto
from tests.routing.rpc.test_server import TODAY, Server

DEADLINES_S = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.05, 2.0)
CALLS_PER_CLIENT = 120
CLIENTS = 3


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def stored_ids(stub: routing_pb2_grpc.ReturnsRoutingStub) -> list[str]:
    ids: list[str] = []
    token = ""
    while True:
        page = stub.ListDecisions(
            routing_pb2.ListDecisionsRequest(page_size=50, page_token=token), timeout=30
        )
        ids.extend(d.decision.decision_id for d in page.decisions)
        token = page.next_page_token
        if not token:
            return ids


def test_every_stored_decision_was_received_by_its_caller(server: Server) -> None:
    """Clients send keyed RouteReturns with deadlines from 0.5 ms to 2 s: each either gets its
    decision or DEADLINE_EXCEEDED (nothing else), and the decisions stored are exactly the
    ones received: none stored for a caller that saw its deadline pass."""
    received: dict[str, str] = {}  # decision_id -> key
    codes: list[grpc.StatusCode] = []
    lock = threading.Lock()
    numbers = itertools.count()

    def client(n: int) -> None:
        with grpc.insecure_channel(server.target) as ch:
            stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
            stub.RouteReturn(  # connected and warm before the tiny deadlines
                request_to_proto(replace(sample_return(TODAY), idempotency_key=f"warm-{n}")),
                timeout=30,
            )
            for _ in range(CALLS_PER_CLIENT):
                with lock:
                    i = next(numbers)
                ret = replace(sample_return(TODAY), idempotency_key=f"deadline-{i}")
                try:
                    got = stub.RouteReturn(
                        request_to_proto(ret), timeout=DEADLINES_S[i % len(DEADLINES_S)]
                    )
                except grpc.RpcError as exc:
                    with lock:
                        codes.append(exc.code())
                    continue
                with lock:
                    codes.append(grpc.StatusCode.OK)
                    received[got.decision.decision_id] = ret.idempotency_key

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.DEADLINE_EXCEEDED}, codes
    assert codes.count(grpc.StatusCode.DEADLINE_EXCEEDED) > 0, "no deadline was tight enough"
    assert codes.count(grpc.StatusCode.OK) > 0
    with grpc.insecure_channel(server.target) as ch:
        stored = stored_ids(routing_pb2_grpc.ReturnsRoutingStub(ch))
    warm = len(threads)
    unreceived = set(stored) - set(received)
    assert len(unreceived) == warm, f"stored but never received: {len(unreceived) - warm}"
    assert set(received) <= set(stored), "a received decision is missing"
