"""Hypothesis strategies of whole ReturnsRouting calls (method, request, metadata) for the
fuzz test (tests/routing/test_rpc_fuzz.py) and the reliability benchmark
(benchmarks/reliability/fuzz.py): every RPC, mutated requests, good/bad/foreign API keys.

``ALLOWED`` is every status a well-behaved server may answer such calls with: never UNKNOWN
or INTERNAL."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.protobuf.message import Message
from hypothesis import strategies as st

from reroute.v1 import customs_pb2, routing_pb2
from tests.routing.test_service import mutated_requests, quote_request

ALLOWED = frozenset(
    {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)
_TEXT = st.one_of(
    st.text(max_size=40), st.sampled_from(["", "0" * 32, "A" * 1100, "d1:5", "ZDE6Mw"])
)
_INT32 = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 1, 500, 501]))


@dataclass(frozen=True)
class Call:
    method: str  # "RouteReturn", "RouteReturns", ...
    request: Message | tuple[Message, ...]  # a tuple for the stream
    metadata: tuple[tuple[str, str], ...]


@st.composite
def quote_requests(draw: st.DrawFn) -> customs_pb2.QuoteCustomsRequest:
    req = quote_request()
    item = req.items[0]
    setters = [
        lambda: setattr(req, "export_country", draw(_TEXT)),
        lambda: setattr(req, "import_country", draw(_TEXT)),
        lambda: setattr(req, "goods_origin_country", draw(_TEXT)),
        lambda: setattr(req, "channel", draw(st.integers(0, 9))),
        lambda: setattr(item, "hs_code", draw(_TEXT)),
        lambda: setattr(item, "quantity", draw(_INT32)),
        lambda: setattr(item.value, "amount_minor", draw(_INT32)),
        lambda: setattr(item.value, "currency", draw(_TEXT)),
        lambda: setattr(req.date, "month", draw(st.integers(0, 20))),
        lambda: setattr(req.original_import.vat_paid, "amount_minor", draw(_INT32)),
    ]
    for n in draw(st.lists(st.integers(0, len(setters) - 1), min_size=0, max_size=3)):
        setters[n]()
    return req


def _metadata(keys: dict[str, str]) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    good = st.sampled_from(sorted(keys.values())).map(lambda k: (("authorization", f"Bearer {k}"),))
    bad = st.one_of(
        st.just(()),
        _TEXT.filter(lambda t: t.isascii() and t.isprintable()).map(lambda t: (("x-api-key", t),)),
        st.just((("authorization", "Basic abc"),)),
    )
    rid = st.one_of(
        st.just(()),
        _TEXT.filter(lambda t: t.isascii() and t.isprintable()).map(
            lambda t: (("x-request-id", t),)
        ),
    )
    # mostly a good key, so that most calls reach the servicers
    key = st.integers(0, 9).flatmap(lambda n: good if n < 8 else bad)
    return st.tuples(key, rid).map(lambda p: p[0] + p[1])


def calls(keys: dict[str, str], decision_ids: list[str]) -> st.SearchStrategy[Call]:
    """Calls of every ReturnsRouting RPC; ``decision_ids`` are real ids (of any tenant)."""
    ids = st.one_of(_TEXT, st.sampled_from(decision_ids)) if decision_ids else _TEXT
    md = _metadata(keys)
    return st.one_of(
        st.builds(Call, st.just("RouteReturn"), mutated_requests(), md),
        st.builds(
            Call,
            st.just("RouteReturns"),
            st.lists(mutated_requests(), min_size=0, max_size=4).map(tuple),
            md,
        ),
        st.builds(Call, st.just("QuoteCustoms"), quote_requests(), md),
        st.builds(
            Call,
            st.just("GetDecision"),
            st.builds(routing_pb2.GetDecisionRequest, decision_id=ids),
            md,
        ),
        st.builds(
            Call,
            st.just("ListDecisions"),
            st.builds(routing_pb2.ListDecisionsRequest, page_size=_INT32, page_token=_TEXT),
            md,
        ),
    )


def invoke(stub: object, call: Call, timeout_s: float = 30) -> grpc.StatusCode:
    """Make the call on a sync ReturnsRouting stub; the status it ends with (for a stream:
    the first non-OK item status, else the call's)."""
    method = getattr(stub, call.method)
    try:
        if call.method == "RouteReturns":
            assert isinstance(call.request, tuple)
            for answer in method(iter(call.request), metadata=call.metadata, timeout=timeout_s):
                if answer.HasField("error") and answer.error.code != 0:
                    code = _code(answer.error.code)
                    if code not in ALLOWED:
                        return code
        else:
            method(call.request, metadata=call.metadata, timeout=timeout_s)
    except grpc.RpcError as err:
        return err.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def _code(number: int) -> grpc.StatusCode:
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN
