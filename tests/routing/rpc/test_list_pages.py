"""ListDecisions never answers more than it may send: a page stops early when the next
decision would take the answer past half the message size limit, and its token goes on from
there (before, 500 decisions could weigh over the 4 MiB default and the call failed
RESOURCE_EXHAUSTED "Sent message larger than max")."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from hubs import default_network
from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.rpc.app import RoutingApp
from routing.rpc.server import ServerConfig
from tests.routing.rpc.test_edge import InProcess, request

MAX_MESSAGE_BYTES = 64 * 1024
STORED = 40


@pytest.fixture(scope="module")
def stub() -> Iterator[routing_pb2_grpc.ReturnsRoutingStub]:
    config = ServerConfig(
        host="127.0.0.1", port=0, auth=False, rate_per_s=None, max_message_bytes=MAX_MESSAGE_BYTES
    )
    server = InProcess(config, RoutingApp(default_network()))
    try:
        with grpc.insecure_channel(server.target) as ch:
            yield routing_pb2_grpc.ReturnsRoutingStub(ch)
    finally:
        server.close()


def test_pages_fit_the_message_limit_and_cover_every_decision(
    stub: routing_pb2_grpc.ReturnsRoutingStub,
) -> None:
    """With page_size 500 and a 64 KiB limit: every page answers (no RESOURCE_EXHAUSTED), is
    at most half the limit, holds fewer than all decisions, and the pages together hold each
    stored decision exactly once, newest first."""
    stored = [stub.RouteReturn(request(), timeout=30).decision.decision_id for _ in range(STORED)]
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = stub.ListDecisions(
            routing_pb2.ListDecisionsRequest(page_size=500, page_token=token), timeout=30
        )
        pages += 1
        assert page.ByteSize() <= MAX_MESSAGE_BYTES // 2 + 1024
        seen.extend(d.decision.decision_id for d in page.decisions)
        token = page.next_page_token
        if not token:
            break
    assert pages > 1
    assert seen == list(reversed(stored))
