"""The ReclaimLedger service on a real `reroute serve`: a stored decision with a US drawback and
an EU VAT reclaim lists two claims with deadlines, evidence and filing over the API, another
tenant's claim is PERMISSION_DENIED, a bad update names its field, an early filing is
FAILED_PRECONDITION."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2
from google.type import date_pb2
from grpc_status import rpc_status

from reroute.v1 import claims_pb2, claims_pb2_grpc, common_pb2
from routing.store.database import make_engine
from routing.store.sql import SqlDecisionStore
from routing.store.tenants import create_key, register_network
from tests.routing.rpc.test_server import Server
from tests.routing.store.test_ledger import drawback_and_vat


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("ledger")
    server = Server(auth=True, data_dir=folder)
    engine = make_engine(f"sqlite:///{folder / 'reroute.db'}")  # migrated by the server
    keys = {t: create_key(engine, t)[1] for t in ("acme", "globex")}
    store = SqlDecisionStore(engine, register_network(engine, "test", "# test network"))
    d = drawback_and_vat("dec-rpc")
    store.put("acme", "dec-rpc", "fp", d, (), {})
    store.close()
    yield server, keys
    server.close()


@pytest.fixture(scope="module")
def ledger(served: tuple[Server, dict[str, str]]) -> Iterator[claims_pb2_grpc.ReclaimLedgerStub]:
    with grpc.insecure_channel(served[0].target) as ch:
        yield claims_pb2_grpc.ReclaimLedgerStub(ch)


def md(served: tuple[Server, dict[str, str]], tenant: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {served[1][tenant]}"),)


def test_two_claims_with_deadlines(
    ledger: claims_pb2_grpc.ReclaimLedgerStub, served: tuple[Server, dict[str, str]]
) -> None:
    page = ledger.ListClaims(
        claims_pb2.ListClaimsRequest(), metadata=md(served, "acme"), timeout=10
    )
    got = [(c.rule_id, c.amount.amount_minor, c.deadline.year, c.state) for c in page.claims]
    assert got == [
        ("reclaim.EU.invalidation", 2400, 2027, claims_pb2.CLAIM_STATE_ELIGIBLE),
        ("reclaim.US.1313j", 2945, 2031, claims_pb2.CLAIM_STATE_ELIGIBLE),
    ]
    drawback = page.claims[1]
    assert drawback.HasField("export_by")
    assert [e.kind for e in drawback.evidence] == [
        "original_import_entry",
        "carrier_tracking",
        "commercial_invoice",
    ]
    assert "fact base" in drawback.expected_cash_note
    other = ledger.ListClaims(
        claims_pb2.ListClaimsRequest(), metadata=md(served, "globex"), timeout=10
    )
    assert list(other.claims) == []


def test_another_tenants_claim_is_permission_denied(
    ledger: claims_pb2_grpc.ReclaimLedgerStub, served: tuple[Server, dict[str, str]]
) -> None:
    with pytest.raises(grpc.RpcError) as read:
        ledger.GetClaim(
            claims_pb2.GetClaimRequest(claim_id="dec-rpc-c1"), metadata=md(served, "globex")
        )
    assert read.value.code() is grpc.StatusCode.PERMISSION_DENIED
    attach = claims_pb2.UpdateClaimRequest(
        claim_id="dec-rpc-c1", action=claims_pb2.CLAIM_ACTION_ATTACH_EVIDENCE
    )
    with pytest.raises(grpc.RpcError) as write:
        ledger.UpdateClaim(attach, metadata=md(served, "globex"))
    assert write.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as missing:
        ledger.GetClaim(claims_pb2.GetClaimRequest(claim_id="nope-c1"), metadata=md(served, "acme"))
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND


def test_filing_early_is_refused_then_evidence_and_filing_succeed(
    ledger: claims_pb2_grpc.ReclaimLedgerStub, served: tuple[Server, dict[str, str]]
) -> None:
    file = claims_pb2.UpdateClaimRequest(claim_id="dec-rpc-c1", action=claims_pb2.CLAIM_ACTION_FILE)
    with pytest.raises(grpc.RpcError) as err:
        ledger.UpdateClaim(file, metadata=md(served, "acme"), timeout=10)
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    status = rpc_status.from_call(err.value)  # type: ignore[arg-type]
    assert status is not None
    failure = error_details_pb2.PreconditionFailure()
    assert status.details[0].Unpack(failure)
    assert failure.violations[0].type == "CLAIM_STATE"
    assert "evidence missing" in failure.violations[0].description
    evidence = [
        claims_pb2.Evidence(kind=k, reference=f"ref-{k}")
        for k in ("original_import_entry", "carrier_tracking", "commercial_invoice")
    ]
    file.evidence.extend(evidence)
    filed = ledger.UpdateClaim(file, metadata=md(served, "acme"), timeout=10)
    assert filed.state == claims_pb2.CLAIM_STATE_FILED
    assert filed.HasField("filed_on")
    paid = claims_pb2.UpdateClaimRequest(
        claim_id="dec-rpc-c1",
        action=claims_pb2.CLAIM_ACTION_MARK_PAID,
        received=common_pb2.Money(amount_minor=2900, currency="EUR"),
    )
    done = ledger.UpdateClaim(paid, metadata=md(served, "acme"), timeout=10)
    assert (done.state, done.received.amount_minor) == (claims_pb2.CLAIM_STATE_PAID, 2900)
    listed = ledger.ListClaims(
        claims_pb2.ListClaimsRequest(state=claims_pb2.CLAIM_STATE_PAID),
        metadata=md(served, "acme"),
        timeout=10,
    )
    assert [c.claim_id for c in listed.claims] == ["dec-rpc-c1"]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (claims_pb2.UpdateClaimRequest(claim_id="dec-rpc-c2"), "action"),
        (
            claims_pb2.UpdateClaimRequest(
                claim_id="dec-rpc-c2",
                action=claims_pb2.CLAIM_ACTION_MARK_PAID,
                received=common_pb2.Money(amount_minor=-5, currency="EUR"),
            ),
            "received.amount_minor",
        ),
        (
            claims_pb2.UpdateClaimRequest(
                claim_id="dec-rpc-c2",
                action=claims_pb2.CLAIM_ACTION_FILE,
                on=date_pb2.Date(year=2026, month=2, day=30),
            ),
            "on",
        ),
        (
            claims_pb2.UpdateClaimRequest(
                claim_id="dec-rpc-c2",
                action=claims_pb2.CLAIM_ACTION_ATTACH_EVIDENCE,
                evidence=[claims_pb2.Evidence(kind="passport", reference="x")],
            ),
            "evidence[passport]",
        ),
    ],
)
def test_bad_updates_are_invalid_argument_naming_the_field(
    ledger: claims_pb2_grpc.ReclaimLedgerStub,
    served: tuple[Server, dict[str, str]],
    request_: claims_pb2.UpdateClaimRequest,
    field: str,
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        ledger.UpdateClaim(request_, metadata=md(served, "acme"), timeout=10)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(err.value)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)
    assert field in [v.field for v in bad.field_violations]
