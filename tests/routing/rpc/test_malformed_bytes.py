"""Bytes that are not a valid request message are the caller's error: every reroute.v1 method
answers INVALID_ARGUMENT with a BadRequest naming the request (never UNKNOWN), after the edge
has authenticated and counted the call; on RouteReturns the bad message gets its own error
answer and the stream goes on."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from reroute.v1 import routing_pb2
from tests.routing.rpc.test_server import Server, field_violations, sample_request

METHODS = [
    ("/reroute.v1.ReturnsRouting/RouteReturn", "unary"),
    ("/reroute.v1.ReturnsRouting/QuoteCustoms", "unary"),
    ("/reroute.v1.ReturnsRouting/GetDecision", "unary"),
    ("/reroute.v1.ReturnsRouting/ListDecisions", "unary"),
    ("/reroute.v1.BatchPlanning/SubmitPlan", "unary"),
    ("/reroute.v1.BatchPlanning/GetPlan", "unary"),
    ("/reroute.v1.BatchPlanning/CancelPlan", "unary"),
    ("/reroute.v1.BatchPlanning/WatchPlan", "stream"),
]
# a truncated length-delimited field, an invalid tag (field 0), invalid UTF-8 in field 1
MALFORMED = [b"\x0a\x05abc", b"\x00\x01", b"\x0a\x02\xff\xfe"]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def channel(server: Server) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.target) as ch:
        yield ch


@pytest.mark.parametrize("raw", MALFORMED)
@pytest.mark.parametrize(("method", "kind"), METHODS)
def test_malformed_bytes_are_invalid_argument(
    channel: grpc.Channel, method: str, kind: str, raw: bytes
) -> None:
    """Raw bytes that do not parse as the method's request answer INVALID_ARGUMENT, field
    ``request``; bytes that do (a wrong wire type is an unknown field to protobuf) answer as
    that message does, never UNKNOWN or INTERNAL."""
    service, name = method.strip("/").rsplit("/", 1)
    request_type = descriptor_pool.Default().FindServiceByName(service).FindMethodByName(name)
    parses = True
    try:
        message_factory.GetMessageClass(request_type.input_type).FromString(raw)
    except DecodeError:
        parses = False
    error: grpc.RpcError | None = None
    try:
        if kind == "unary":
            channel.unary_unary(method, request_serializer=None, response_deserializer=None)(
                raw, timeout=10
            )
        else:
            watch = channel.unary_stream(
                method, request_serializer=None, response_deserializer=None
            )
            list(watch(raw, timeout=10))
    except grpc.RpcError as exc:
        error = exc
    if parses:
        assert error is None or error.code() not in (
            grpc.StatusCode.UNKNOWN,
            grpc.StatusCode.INTERNAL,
        )
        return
    assert error is not None
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    [(field, description)] = field_violations(error)
    assert field == "request"
    assert "not a valid reroute.v1." in description


def test_a_malformed_message_in_the_stream_gets_its_own_answer(channel: grpc.Channel) -> None:
    """Good, malformed, good: three answers in order, the middle one an INVALID_ARGUMENT
    status, and the stream is not ended by it."""
    good = sample_request()
    good.correlation_id = "first"
    later = sample_request()
    later.correlation_id = "third"
    call = channel.stream_stream(
        "/reroute.v1.ReturnsRouting/RouteReturns",
        request_serializer=None,
        response_deserializer=routing_pb2.RouteReturnsResponse.FromString,
    )
    answers = list(
        call(iter([good.SerializeToString(), MALFORMED[0], later.SerializeToString()]), timeout=30)
    )
    assert [a.correlation_id for a in answers] == ["first", "", "third"]
    assert answers[0].HasField("decision")
    assert answers[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert answers[2].HasField("decision")
